"""``pingan inspections …``: the shipped checklists, campaigns, a campaign's figures and its xlsx report."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from pingan.core.clock import format_local
from pingan.core.errors import PinganError

if TYPE_CHECKING:  # heavy modules are imported inside the commands: `pingan --help` stays fast
    from sqlalchemy.orm import Session

inspections_app = typer.Typer(
    help="Inspection campaigns, checklists, hazards and reports.", no_args_is_help=True
)
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

    url = normalise_database_url(db) if db else get_settings().resolved_database_url()
    with transaction(make_session_factory(create_db_engine(url))) as session:
        yield session


def _actor():  # type: ignore[no-untyped-def]
    from pingan.core.security import Actor

    return Actor.system(f"cli:{getpass.getuser()}")


@inspections_app.command("install-checklists")
def install_checklists(db: DbOption = None) -> None:
    """Add version 1 of each shipped checklist where its place type has none."""
    from pingan.inspections import service

    with _session(db) as session:
        added = service.install_builtin_checklists(session)
    console.print(f"{len(added)} checklists added")


@inspections_app.command("campaigns")
def list_campaigns(db: DbOption = None) -> None:
    """The campaigns, newest first."""
    from pingan.inspections import service

    with _session(db) as session:
        for c in service.list_campaigns(session, _actor()):
            period = f"{format_local(c.starts_at)} – {format_local(c.ends_at)} (Asia/Shanghai)"
            console.print(f"{c.id}\t{c.code}\t{c.name}\t{period}")


@inspections_app.command("report")
def report(
    campaign_id: int,
    out: Annotated[Path | None, typer.Option("--xlsx", help="write the report workbook here")] = None,
    db: DbOption = None,
) -> None:
    """A campaign's headline figures (and its xlsx report with --xlsx)."""
    from pingan.inspections import service, stats

    try:
        with _session(db) as session:
            actor = _actor()
            campaign = service.get_campaign(session, actor, campaign_id)
            figures = stats.board(session, actor, campaign)["totals"]
            if out is not None:
                out.write_bytes(stats.report_xlsx(session, actor, campaign))
    except PinganError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    console.print(campaign.name)
    for key in ("due", "inspected", "found", "rectified", "rectified_on_time", "overdue", "repeat"):
        console.print(f"  {key}: {figures[key]}")
