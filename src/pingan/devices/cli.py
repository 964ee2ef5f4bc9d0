"""``pingan devices list|summary|sweep``: the register of devices from the shell (as the system actor)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from pingan.audit.cli import DbOption, cli_actor, db_session

devices_app = typer.Typer(help="Devices: liveness register, outage sweep.", no_args_is_help=True)
console = Console()
KindOption = Annotated[str | None, typer.Option(help="a declared device kind, e.g. patrol_phone")]
AreaOption = Annotated[str | None, typer.Option(help="an area code: devices inside it")]


@devices_app.command("list")
def list_command(
    db: DbOption = None,
    kind: KindOption = None,
    status: Annotated[str | None, typer.Option(help="online, offline or unknown")] = None,
    area: AreaOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Devices, offline first."""
    from rich.table import Table

    from pingan.core.clock import format_local
    from pingan.devices import service

    with db_session(db) as session:
        items, total = service.list_devices(
            session, cli_actor(), kind=kind, status=status, area=area, limit=limit
        )
        table = Table("kind", "id", "name", "area", "status", "since", "last heard", "case")
        for d in items:
            table.add_row(
                d.kind,
                d.external_id,
                d.name,
                d.area_code,
                d.status,
                format_local(d.status_since),
                format_local(d.last_seen_at) if d.last_seen_at else "",
                str(d.outage_case_id or ""),
            )
        console.print(table)
        console.print(f"{len(items)} of {total}")


@devices_app.command("summary")
def summary_command(db: DbOption = None, kind: KindOption = None, area: AreaOption = None) -> None:
    """Devices by kind and status."""
    from pingan.devices import service

    with db_session(db) as session:
        found = service.summary(session, cli_actor(), kind, area=area)
    for name, counts in sorted(found["by_kind"].items()):
        console.print(
            f"{name}: {counts['online']} online, {counts['offline']} offline, {counts['unknown']} never heard"
        )
    console.print(
        f"total {found['total']}: {found['online']} online, {found['offline']} offline, "
        f"{found['unknown']} never heard"
    )


@devices_app.command("sweep")
def sweep_command(db: DbOption = None) -> None:
    """One pass of the job devices.sweep (offline, outage cases); safe beside running servers (a lease)."""
    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory
    from pingan.devices.sweep import sweep_job

    url = normalise_database_url(db) if db else get_settings().resolved_database_url()
    report = sweep_job(make_session_factory(create_db_engine(url)))
    if report is None:
        console.print("another process holds the devices.sweep lease; skipped")
        return
    r = report
    console.print(
        f"{r.offline} went offline; outage cases: {r.raised} raised, {r.counted} counted on an open case, "
        f"{r.suppressed} snoozed; {r.back_online} back online"
    )
