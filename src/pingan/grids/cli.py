"""``pingan grids …``: register templates, import (with progress and an error file), export, coverage."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pingan.audit.cli import DbOption, cli_actor, db_session

if TYPE_CHECKING:  # heavy modules are imported inside the commands: `pingan --help` stays fast
    from pingan.grids import io as grid_io

grids_app = typer.Typer(
    help="Grid registers (residents, key places): templates, import, export; visit coverage.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

KindOption = Annotated[str, typer.Option("--kind", help="residents or places")]


def _format(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "xlsx"


@grids_app.command("template")
def template(
    out: Annotated[Path, typer.Argument(help="file to write (.xlsx or .csv)")], kind: KindOption = "residents"
) -> None:
    """Write an empty register file with the header row (and a sheet explaining the columns)."""
    from pingan.grids import io as grid_io

    out.write_bytes(grid_io.template(kind, _format(out)))
    console.print(f"template written: {out}")


@grids_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    kind: KindOption = "residents",
    valid_rows_only: Annotated[
        bool, typer.Option("--valid-rows-only", help="import the valid rows; the others go to the error file")
    ] = False,
    errors: Annotated[
        Path | None, typer.Option("--errors", help="where to write the error file (default FILE.errors.xlsx)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import a register file (xlsx or csv); all rows must be valid unless --valid-rows-only."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from pingan.grids import io as grid_io

    error_path = errors or file.with_name(file.stem + ".errors.xlsx")
    data = file.read_bytes()
    started = time.perf_counter()
    with db_session(db) as session:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(f"importing {file.name}", total=None)
            try:
                report = grid_io.import_register(
                    session,
                    cli_actor(),
                    kind=kind,
                    data=data,
                    filename=file.name,
                    valid_rows_only=valid_rows_only,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            except grid_io.ImportRejected as exc:
                bar.stop()
                _print_errors(exc.report)
                if exc.report.error_file:
                    error_path.write_bytes(exc.report.error_file)
                    err.print(f"error file: {error_path}")
                raise
    seconds = time.perf_counter() - started
    console.print(
        f"imported {report.imported} of {report.total} rows in {seconds:.1f} s; rejected {report.rejected}"
    )
    if report.errors:
        _print_errors(report)
    if report.error_file:
        error_path.write_bytes(report.error_file)
        console.print(f"error file: {error_path}")


def _print_errors(report: grid_io.ImportReport) -> None:
    err.print(f"[bold red]{report.rejected} of {report.total} rows have errors[/]")
    for e in report.errors[:30]:
        err.print(escape(f"  • row {e.row}: {e.field}: {e.message}"), soft_wrap=True)
    if len(report.errors) > 30:
        err.print(f"  … and {len(report.errors) - 30} more (see the error file)")


@grids_app.command("export")
def export_file(
    out: Annotated[Path, typer.Argument(help="file to write (.xlsx or .csv)")],
    kind: KindOption = "residents",
    area: Annotated[str | None, typer.Option(help="only this area (grid, community, street)")] = None,
    place_type: Annotated[str | None, typer.Option("--type", help="only key places of this type")] = None,
    full: Annotated[bool, typer.Option("--full", help="unmasked personal data (needs --reason)")] = False,
    reason: Annotated[str, typer.Option(help="why the export is needed (audited)")] = "",
    db: DbOption = None,
) -> None:
    """Export a register (masked unless --full with a --reason); the export is audited."""
    from pingan.grids import io as grid_io

    with db_session(db) as session:
        data, n = grid_io.export_register(
            session,
            cli_actor(),
            kind=kind,
            fmt=_format(out),
            area_code=area,
            place_type=place_type,
            full=full,
            reason=reason,
        )
    out.write_bytes(data)
    console.print(f"exported {n} rows to {out}")


@grids_app.command("coverage")
def coverage(
    area: Annotated[str | None, typer.Option(help="only grids below this area")] = None,
    by: Annotated[str, typer.Option(help="grid or cadre")] = "grid",
    db: DbOption = None,
) -> None:
    """Visit coverage this quarter per grid or per liaison cadre, and grids missing staff."""
    from rich.table import Table

    from pingan.grids import staff, visits

    with db_session(db) as session:
        actor = cli_actor()
        table = Table(title=f"visit coverage this quarter by {by}")
        if by == "cadre":
            for col in ("cadre", "organisation", "grids", "households", "visited", "share", "visits"):
                table.add_column(col)
            for r in visits.cadre_coverage(session, actor, area_code=area):
                table.add_row(
                    r["name"],
                    r["organisation"],
                    " ".join(r["grids"]),
                    str(r["households"]),
                    str(r["visited"]),
                    f"{r['share']:.0%}",
                    str(r["visits"]),
                )
        else:
            for col in ("grid", "name", "households", "visited", "share", "never visited"):
                table.add_column(col)
            for r in visits.grid_coverage(session, actor, area_code=area):
                table.add_row(
                    r["area_code"],
                    r["name"],
                    str(r["households"]),
                    str(r["visited"]),
                    f"{r['share']:.0%}",
                    str(r["never_visited"]),
                )
        console.print(table)
        gaps = staff.coverage_gaps(session, actor, area_code=area)
        console.print(f"grids missing staff: {len(gaps)}")
        for g in gaps[:30]:
            console.print(f"  {g.area_code} {g.name}: {', '.join(g.missing)}")
