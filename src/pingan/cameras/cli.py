"""``pingan cameras explain|import|export|platform-add|online-rate|coverage``: the camera register from the
shell (as the system actor)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pingan.audit.cli import DbOption, cli_actor, db_session

cameras_app = typer.Typer(
    help="Cameras (雪亮工程): register, platforms, online rate, coverage.", no_args_is_help=True
)
console = Console()


@cameras_app.command("explain")
def explain_command(gb_id: str) -> None:
    """Explain a 20-digit GB/T 28181 device ID (or say why it is malformed)."""
    from pingan.cameras import gbid
    from pingan.core.errors import ValidationFailed

    try:
        found = gbid.explain(gb_id)
    except ValidationFailed as exc:
        console.print(f"[bold red]invalid[/]: {exc.message}")
        raise typer.Exit(code=2) from None
    for key, value in found.to_dict().items():
        console.print(f"{key:>14}  {value}")


@cameras_app.command("import")
def import_command(
    path: Path,
    db: DbOption = None,
    valid_rows_only: Annotated[bool, typer.Option(help="add the valid rows, list the others")] = False,
) -> None:
    """Import a register file (xlsx or csv): every row checked; all-or-nothing unless --valid-rows-only."""
    from pingan.cameras import io

    with db_session(db) as session:
        try:
            report = io.import_cameras(
                session,
                cli_actor(),
                data=path.read_bytes(),
                filename=path.name,
                valid_rows_only=valid_rows_only,
            )
        except io.ImportRejected as exc:
            for e in exc.report.errors[:50]:
                console.print(f"row {e.row} {e.field}: {e.message}")
            raise
    for e in report.errors[:50]:
        console.print(f"row {e.row} {e.field}: {e.message}")
    console.print(f"{report.imported} of {report.total} rows imported")


@cameras_app.command("export")
def export_command(
    path: Path, db: DbOption = None, area: Annotated[str | None, typer.Option()] = None
) -> None:
    """Write the register to an xlsx or csv file (by the file's extension)."""
    from pingan.cameras import io

    with db_session(db) as session:
        data = io.export_cameras(
            session, cli_actor(), fmt="csv" if path.suffix == ".csv" else "xlsx", area=area
        )
    path.write_bytes(data)
    console.print(f"wrote {path}")


@cameras_app.command("platform-add")
def platform_add_command(
    code: str,
    name: str,
    db: DbOption = None,
    link_template: Annotated[str, typer.Option(help="e.g. https://vms.example/play?id={gb_id}")] = "",
) -> None:
    """Register a video platform and print its push token (shown once)."""
    from pingan.cameras import service

    with db_session(db) as session:
        platform, token = service.create_platform(
            session, cli_actor(), code=code, name=name, link_template=link_template
        )
    console.print(f"platform {platform.code}: push token {token}")


@cameras_app.command("online-rate")
def online_rate_command(
    db: DbOption = None,
    by: Annotated[str, typer.Option(help="street, grid, owner or type")] = "street",
    days: Annotated[int, typer.Option(min=1, max=31)] = 7,
) -> None:
    """Online rate (在线率) per day by street, grid, owner or camera type."""
    from rich.table import Table

    from pingan.cameras import liveness

    with db_session(db) as session:
        rates = liveness.online_rates(session, cli_actor(), by=by, days=days)
    table = Table(by, "cameras", *[d[5:] for d in rates["days"]], "period")

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.1f}%"

    for g in rates["groups"]:
        table.add_row(g["label"], str(g["cameras"]), *[pct(r) for r in g["rates"]], pct(g["rate"]))
    table.add_row("all", str(rates["cameras"]), *[pct(r) for r in rates["overall"]], "")
    console.print(table)


@cameras_app.command("coverage")
def coverage_command(db: DbOption = None, level: Annotated[str, typer.Option()] = "street") -> None:
    """Share of road length in camera view per street or grid."""
    from pingan.cameras import coverage

    with db_session(db) as session:
        rows = coverage.road_coverage(session, cli_actor(), level=level)
    for r in rows:
        share = "–" if r["share"] is None else f"{r['share'] * 100:.1f}%"
        console.print(f"{r['area_code']} {r['name']}: {r['covered_m']}/{r['road_m']} m in view ({share})")


@cameras_app.command("sip")
def sip_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="UDP and TCP port")] = 5060,
    server_id: Annotated[
        str, typer.Option(help="this SIP server's 20-digit ID (type 200)")
    ] = "33010800002000000001",
    flush_ms: Annotated[
        int, typer.Option(min=10, max=60_000, help="keepalives written in batches this often")
    ] = 500,
    qop: Annotated[bool, typer.Option(help="ask for qop=auth in digest challenges")] = False,
) -> None:
    """Serve the GB/T 28181 SIP endpoint (REGISTER with digest, Keepalive and Catalog) until Ctrl-C."""
    from pingan.cameras import gbid, service
    from pingan.cameras.sip import SessionDirectory, run
    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory, transaction
    from pingan.core.errors import ValidationFailed

    try:
        gbid.explain(server_id)
    except ValidationFailed as exc:
        console.print(f"[bold red]--server-id[/]: {exc.message}")
        raise typer.Exit(code=2) from None
    settings = get_settings()
    factory = make_session_factory(
        create_db_engine(normalise_database_url(db) if db else settings.resolved_database_url())
    )
    directory = SessionDirectory(
        transaction=lambda: transaction(factory),
        password_of=service.sip_password,
        record_heard=service.record_heard,
        apply_catalog=service.apply_catalog,
    )
    console.print(f"SIP endpoint {server_id} on {host}:{port} (UDP and TCP); Ctrl-C stops it")
    counters = run(
        directory, host=host, udp_port=port, tcp_port=port, server_id=server_id, flush_ms=flush_ms, qop=qop
    )
    for key, value in sorted(counters.items()):
        console.print(f"{key:>28}  {value}")
