"""``pingan patrols …``: roster import and template, coverage report, live count."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from pingan.core.clock import as_utc, format_local, utcnow
from pingan.core.errors import PinganError

if TYPE_CHECKING:  # heavy modules are imported inside the commands: `pingan --help` stays fast
    from rich.progress import Progress
    from sqlalchemy.orm import Session

    from pingan.core.security import Actor

patrols_app = typer.Typer(help="Volunteer patrols: roster, coverage, who is on duty.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="database URL (default: PINGAN_DATABASE_URL or a SQLite file under ./data)"),
]


@contextmanager
def _session(db: str | None) -> Iterator[Session]:
    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory, transaction

    settings = get_settings()
    url = normalise_database_url(db) if db else settings.resolved_database_url()
    with transaction(make_session_factory(create_db_engine(url))) as session:
        yield session


def _actor() -> Actor:
    from pingan.core.security import Actor

    return Actor.system(f"cli:{getpass.getuser()}")


def _progress() -> Progress:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=err
    )


def _fail(exc: PinganError) -> None:
    err.print(f"[bold red]error[/]: {escape(exc.message)}")
    for item in (exc.details if isinstance(exc.details, list) else [])[:50]:
        if isinstance(item, dict):
            err.print(escape(f"  • row {item.get('row')}: {item.get('field')}: {item.get('message')}"))
    raise typer.Exit(code=2)


@patrols_app.command("import-roster")
def import_roster(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv roster")],
    valid_only: Annotated[
        bool, typer.Option("--valid-only", help="import the good rows, report the bad")
    ] = False,
    errors_out: Annotated[Path | None, typer.Option(help="write the row errors to this CSV file")] = None,
    db: DbOption = None,
) -> None:
    """Import volunteers; by default nothing is written unless every row is valid."""
    from pingan.patrols import roster

    try:
        with _session(db) as session, _progress() as bar:
            task = bar.add_task(f"importing {file.name}", total=100)
            report = roster.import_roster(
                session,
                _actor(),
                data=file.read_bytes(),
                filename=file.name,
                valid_only=valid_only,
                progress=lambda done, total: bar.update(task, completed=100 * done / max(total, 1)),
            )
    except PinganError as exc:
        if errors_out is not None and isinstance(exc.details, list):
            errors_out.write_text(
                "row,field,message\n"
                + "".join(f"{d.get('row')},{d.get('field')},{d.get('message')}\n" for d in exc.details),
                encoding="utf-8",
            )
        _fail(exc)
        return
    console.print(
        f"imported [bold]{report.imported}[/] of {report.rows} rows; "
        f"teams created: {report.teams_created}; rows with errors: {len(report.errors)}"
    )
    if report.errors and errors_out is not None:
        errors_out.write_text(report.error_csv(), encoding="utf-8")
        console.print(f"row errors written to {errors_out}")


@patrols_app.command("roster-template")
def roster_template(out: Annotated[Path, typer.Argument(help="where to write the .xlsx template")]) -> None:
    """Write the roster import template."""
    from pingan.patrols import roster

    out.write_bytes(roster.template_xlsx())
    console.print(f"template written to {out}")


@patrols_app.command("coverage")
def coverage_report(
    since: Annotated[str | None, typer.Option(help="start (ISO time; default: hours ago)")] = None,
    hours: Annotated[int, typer.Option(help="length of the period in hours")] = 24,
    within: Annotated[str | None, typer.Option(help="only this area code (street, community, grid)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as JSON")] = False,
    db: DbOption = None,
) -> None:
    """Per grid × hour coverage from the positions, gaps, and the busiest patrollers."""
    from pingan.patrols import coverage

    start = as_utc(datetime.fromisoformat(since)) if since else utcnow() - timedelta(hours=hours)
    try:
        with _session(db) as session, _progress() as bar:
            task = bar.add_task("coverage", total=100)
            report = coverage.coverage_report(
                session,
                _actor(),
                since=start,
                hours=hours,
                within=within,
                progress=lambda label, share: bar.update(task, completed=100 * share, description=label),
            )
    except PinganError as exc:
        _fail(exc)
        return
    if as_json:
        console.print_json(json.dumps(report, default=str, ensure_ascii=False))
        return
    _print_summary(report)


def _print_summary(report: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        f"{format_local(report['since'])} + {report['hours']} h: {report['positions']} positions; "
        f"covered cells {report['covered_cells']} / {report['cells']} ({report['coverage_share']:.1%}); "
        f"planned but uncovered {len(report['planned_uncovered'])}; "
        f"never covered grids {len(report['never_covered'])}"
    )
    table = Table(title="top patrollers")
    for column in ("volunteer", "hours", "km", "fixes"):
        table.add_column(column)
    for row in report["volunteers"][:10]:
        table.add_row(str(row["volunteer_id"]), f"{row['hours']:.2f}", f"{row['km']:.2f}", str(row["fixes"]))
    console.print(table)


@patrols_app.command("on-duty")
def on_duty(
    within: Annotated[str | None, typer.Option(help="area code")] = None, db: DbOption = None
) -> None:
    """How many patrollers are on duty now (online / unknown / offline / SOS)."""
    from pingan.patrols import dispatch

    with _session(db) as session:
        wall = dispatch.on_duty_now(session, _actor(), within=within)
    counts = ", ".join(f"{k} {v}" for k, v in wall["counts"].items())
    console.print(f"on duty now: [bold]{wall['on_duty']}[/] ({counts})")


@patrols_app.command("rotate-key")
def rotate_key(
    volunteer_id: Annotated[int, typer.Argument(help="the volunteer whose device gets a new key")],
    base_url: Annotated[
        str, typer.Option("--base-url", help="this server's public address, for the app's server URL")
    ] = "http://127.0.0.1:8000",
    qr: Annotated[Path | None, typer.Option("--qr", help="also write the setup QR code here (.svg)")] = None,
    db: DbOption = None,
) -> None:
    """Give a volunteer's device a new key (the old one stops working); prints it once with the app's URL."""
    from pingan.patrols import volunteers

    try:
        with _session(db) as session:
            volunteer, key = volunteers.rotate_device_key(session, _actor(), volunteer_id=volunteer_id)
            device = volunteer.device_id
    except PinganError as exc:
        _fail(exc)
        return
    url = volunteers.setup_url(base_url, key)
    console.print(f"device {escape(device or '')}: key [bold]{escape(key)}[/]")
    console.print(f"server URL for the app: {escape(url)}")
    if qr is not None:
        qr.write_text(volunteers.setup_qr_svg(url), encoding="utf-8")
        console.print(f"QR code written to {escape(str(qr))}")
