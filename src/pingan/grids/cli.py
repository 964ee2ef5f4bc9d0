"""``pingan grids …``: register templates, import (with progress and an error file), export, coverage, and
``pingan grids party …`` for party branches (网格+党建)."""

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


party_app = typer.Typer(
    help="Grid + party building (网格+党建): party branches and their members.", no_args_is_help=True
)
grids_app.add_typer(party_app, name="party")
GridOption = Annotated[list[str] | None, typer.Option("--grid", help="a grid the branch covers (repeat)")]


@party_app.command("list")
def party_list(
    area: Annotated[str | None, typer.Option(help="only branches below this area")] = None,
    db: DbOption = None,
) -> None:
    """Party branches with their community, grids, secretary, members and this quarter's visit coverage."""
    from rich.table import Table

    from pingan.grids import party

    with db_session(db) as session:
        actor = cli_actor()
        rows = party.summaries(
            session, actor, list(session.scalars(party.branches_query(session, actor, area_code=area)))
        )
        table = Table(title="party branches")
        for col in (
            "id",
            "branch",
            "community",
            "grids",
            "secretary",
            "members",
            "households",
            "visited",
            "share",
        ):
            table.add_column(col)
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["name"],
                r["community"],
                str(len(r["grids"])),
                r["secretary"] or "-",
                str(r["members"]),
                str(r["households"]),
                str(r["visited"]),
                f"{r['share']:.0%}",
            )
        console.print(table)


@party_app.command("create")
def party_create(
    name: Annotated[str, typer.Argument(help="the branch's name, e.g. 江南社区党支部")],
    community: Annotated[str, typer.Option("--community", help="the community's area code")],
    grid: GridOption = None,
    db: DbOption = None,
) -> None:
    """Create a community's party branch (covering the whole community, or the --grid grids of it)."""
    from pingan.grids import party

    with db_session(db) as session:
        branch = party.create_branch(
            session, cli_actor(), name=name, area_code=community, grid_codes=grid or []
        )
        console.print(f"party branch {branch.id} created: {branch.name}")


@party_app.command("grids")
def party_grids(
    branch_id: Annotated[int, typer.Argument()],
    grid: GridOption = None,
    db: DbOption = None,
) -> None:
    """Assign the grids a branch covers (no --grid: the whole community)."""
    from pingan.grids import party

    with db_session(db) as session:
        party.set_branch_grids(session, cli_actor(), branch_id=branch_id, grid_codes=grid or [])
        console.print(f"party branch {branch_id} covers {len(grid or []) or 'every'} grid(s)")


@party_app.command("add-member")
def party_add_member(
    branch_id: Annotated[int, typer.Argument()],
    staff_id: Annotated[int | None, typer.Option("--staff", help="a grid staff member's id")] = None,
    username: Annotated[
        str | None, typer.Option("--account", help="an account's username (e.g. a volunteer)")
    ] = None,
    role: Annotated[str, typer.Option(help="secretary, deputy, committee or member")] = "member",
    db: DbOption = None,
) -> None:
    """Record a grid staff member or an account as a party member of the branch."""
    from pingan.grids import party

    with db_session(db) as session:
        from pingan.accounts import service as accounts

        account_id = accounts.get_account_by_username(session, username).id if username else None
        member = party.add_member(
            session, cli_actor(), branch_id=branch_id, staff_id=staff_id, account_id=account_id, role=role
        )
        console.print(f"party member {member.id} recorded on branch {branch_id} as {member.role}")
