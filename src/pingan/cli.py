"""The ``pingan`` command: demo, serve, database, areas, locate (and more from later modules)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from pingan.core.errors import PinganError
from pingan.core.modules import Module, ModuleError, from_environment, load

if TYPE_CHECKING:
    from rich.progress import Progress

    from pingan.core.config import Settings

# Start-up time: `pingan --help` must not import SQLAlchemy, pydantic-settings, numpy or openpyxl (~4 s).
# This module and every module's cli.py import them inside the command functions only;
# tests/test_cli.py checks it and bench/test_cli.py measures it.


class HelpGroup(TyperGroup):
    """A command group whose ``--help`` option reads False when absent (Typer leaves it None, and coercing
    None builds a pydantic adapter: pydantic imported, a fifth of ``pingan grids --help``)."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


def _with_help_group(typer_app: typer.Typer) -> None:
    """Make every group of the command tree (the modules' groups too) a :class:`HelpGroup`."""
    typer_app.info.cls = HelpGroup
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _with_help_group(group.typer_instance)


app = typer.Typer(
    help="Pingan 平安 — grid-based safety governance and incident command.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
areas_app = typer.Typer(help="The area tree: boundaries in and out as GeoJSON.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(areas_app, name="areas")

console = Console()
err = Console(stderr=True)


def _enabled_modules() -> tuple[list[Module], str | None]:
    """The modules PINGAN_MODULES enables (read from the environment: the settings library is not loaded
    here), or why they cannot run."""
    try:
        return from_environment(), None
    except ModuleError as exc:
        return [], exc.message


MODULES, MODULES_ERROR = _enabled_modules()
for _module in MODULES:  # every enabled module's command groups (`pingan grids ...`), dependencies first
    for _group in _module.cli:
        app.add_typer(load(_group.ref), name=_group.name)
_with_help_group(app)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="database URL (default: PINGAN_DATABASE_URL or a SQLite file under ./data)"),
]


def settings_for(db: str | None, **overrides: object) -> Settings:
    """The settings with the command-line overrides applied."""
    from pingan.core.config import get_settings, normalise_database_url

    base = get_settings()
    changes: dict[str, object] = {k: v for k, v in overrides.items() if v is not None}
    if db:
        changes["database_url"] = normalise_database_url(db)
    return base.model_copy(update=changes)


def fail(exc: PinganError) -> None:
    details = exc.details if isinstance(exc.details, list) else []
    err.print(
        f"[bold red]error[/]: {escape(exc.message if not details else exc.message.split(':')[0])}",
        soft_wrap=True,
    )
    for item in details[:50]:
        if isinstance(item, dict) and "reason" in item:
            where = f"feature {item['index']}" if item.get("index") is not None else "file"
            code = f" (code {item['code']})" if item.get("code") else ""
            err.print(
                escape(f"  • {item.get('file') or '-'}: {where}{code}: {item['reason']}"), soft_wrap=True
            )
        elif isinstance(item, dict):
            err.print(
                escape("  • " + ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, ""))),
                soft_wrap=True,
            )
    if len(details) > 50:
        err.print(f"  … and {len(details) - 50} more")
    raise typer.Exit(code=2)


def progress_bar() -> Progress:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@db_app.command("upgrade")
def db_upgrade(
    db: DbOption = None,
    module: Annotated[
        list[str] | None,
        typer.Option(
            "--module",
            help="the spine and this module only (repeatable; default: the modules PINGAN_MODULES enables)",
        ),
    ] = None,
) -> None:
    """Create or upgrade the schema to the newest migration of the enabled modules (PINGAN_MODULES, default
    every installed module), or of the spine and --module's."""
    from pingan.core.db import upgrade
    from pingan.core.modules import installed, resolve

    settings = settings_for(db)
    url = settings.resolved_database_url()
    try:
        if module:  # the spine modules (cases, devices) always run: their branches too
            spine = [m.migrations for m in installed().values() if m.spine and m.migrations]
            branches = [*spine, *module]
        else:
            branches = [m.migrations for m in resolve(settings.modules) if m.migrations]
        upgrade(url, branches)
    except PinganError as exc:
        fail(exc)
    console.print(f"schema up to date: {_safe_url(url)}")


@db_app.command("heads")
def db_heads() -> None:
    """List the migration branches (the spine and one per module) and each one's newest revision."""
    from pingan.core.db import branch_heads

    for label, heads in branch_heads().items():
        console.print(f"{label or '(no label)':<12} {' '.join(heads)}", soft_wrap=True)


@db_app.command("revision")
def db_revision(
    module: Annotated[str, typer.Option("--module", help="the module whose branch gets the migration")],
    message: Annotated[str, typer.Option("-m", "--message", help="what the migration does")],
    autogenerate: Annotated[bool, typer.Option(help="diff the models against the database (--db)")] = False,
    new_module: Annotated[bool, typer.Option(help="the module's first migration: start its branch")] = False,
    depends_on: Annotated[
        list[str] | None, typer.Option("--depends-on", help="a branch whose tables it needs (repeatable)")
    ] = None,
    migrations: Annotated[Path | None, typer.Option(help="the migrations folder (default: Pingan's)")] = None,
    db: DbOption = None,
) -> None:
    """Write the next migration on a module's branch (docs/decisions/0003-migration-branches.md)."""
    from pingan.core.db import new_revision

    url = settings_for(db).resolved_database_url() if autogenerate else ""
    try:
        path = new_revision(
            module,
            message,
            url=url,
            directory=migrations,
            autogenerate=autogenerate,
            new_module=new_module,
            depends_on=depends_on or (),
        )
    except PinganError as exc:
        fail(exc)
    console.print(f"new migration: {path}", soft_wrap=True)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("demo-data")
def demo_data(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 2016,
    scale: Annotated[
        str, typer.Option(help="district (Binjiang, 239 grids) or province (~60,000 grids)")
    ] = "district",
) -> None:
    """Generate the synthetic demo data into an empty database."""
    from pingan.core.db import upgrade

    settings = settings_for(db)
    url = settings.resolved_database_url()
    upgrade(url)
    _generate(url, seed=seed, scale=scale, print_logins=True)


def _generate(url: str, *, seed: int, scale: str, print_logins: bool) -> bool:
    from pingan.core.db import create_db_engine, make_session_factory, transaction
    from pingan.demo import generate

    if scale not in ("district", "province"):
        err.print("[bold red]error[/]: --scale must be district or province")
        raise typer.Exit(code=2)
    factory = make_session_factory(create_db_engine(url))
    with transaction(factory) as session:
        if not generate.is_empty(session):
            console.print("database already holds data; demo generation skipped")
            return False
        with progress_bar() as bar:
            task = bar.add_task("generating demo district", total=100)

            def step(label: str, share: float) -> None:
                bar.update(task, completed=share * 100, description=f"generating: {label}")

            try:
                if scale == "province":
                    from pingan.demo.province import generate_province

                    logins = generate_province(session, seed=seed, step=step)
                else:
                    logins = generate.generate_demo(session, seed=seed, step=step, modules=MODULES)
            except PinganError as exc:
                fail(exc)
    if print_logins:
        _print_logins(logins)
    return True


def _print_logins(logins: list[Any]) -> None:
    from rich.table import Table

    from pingan.demo.generate import DEMO_PASSWORD

    table = Table(title=f"demo logins (password: {DEMO_PASSWORD})")
    for column in ("username", "role", "scope", "what"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.username, login.role, login.scope, login.description)
    console.print(table)


@app.command()
def demo(
    db: DbOption = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: Annotated[int, typer.Option(help="random seed of the demo district")] = 2016,
    live: Annotated[
        bool, typer.Option("--live/--no-live", help="keep the district alive: patrols, reports, SOS, SLA job")
    ] = True,
    live_fix_seconds: Annotated[
        float, typer.Option(help="live: seconds between a patroller's fixes")
    ] = 120.0,
    live_reports_per_day: Annotated[float, typer.Option(help="live: reports a day (all channels)")] = 260.0,
    live_max_patrollers: Annotated[int, typer.Option(help="live: at most this many phones at once")] = 500,
    live_sos_per_day: Annotated[float, typer.Option(help="live: SOS alarms a day")] = 1.0,
) -> None:
    """Create/upgrade the database, generate the demo district if it is empty, then serve it — alive: a
    simulator sends patrol fixes, reports and the odd SOS over HTTP, the SLA job ticks (--no-live: off)."""
    from pingan.core.db import create_db_engine, make_session_factory, upgrade

    settings = settings_for(db, demo_mode=True)
    url = settings.resolved_database_url()
    upgrade(url)
    _generate(url, seed=seed, scale="district", print_logins=False)
    from pingan.demo.generate import DEMO_PASSWORD

    console.print(
        f"\n[bold]Pingan 平安[/] command centre: http://{host}:{port}/   API docs: http://{host}:{port}/docs"
    )
    console.print(
        f"demo logins (password [bold]{DEMO_PASSWORD}[/]): admin, street, handler, gridworker, cadre, "
        "volunteer, clerk, resident, auditor"
    )
    on_ready = None
    if live:
        import os

        from pingan.cases.config import get_cases_settings
        from pingan.demo.live import DistrictSimulator, LiveRates

        try:
            rates = LiveRates(
                fix_seconds=live_fix_seconds,
                reports_per_day=live_reports_per_day,
                max_patrollers=live_max_patrollers,
                sos_per_day=live_sos_per_day,
            )
        except ValueError as exc:
            err.print(f"[bold red]error[/]: {escape(str(exc))}")
            raise typer.Exit(code=2) from None
        os.environ.setdefault("PINGAN_JOBS", "all")  # the modules' jobs (SLA, devices) tick in the server
        get_cases_settings.cache_clear()
        client_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        patrols = any(m.name == "patrols" for m in MODULES)

        def on_ready() -> Any:
            simulator = DistrictSimulator(
                f"http://{client_host}:{port}",
                make_session_factory(create_db_engine(url)),
                rates=rates,
                seed=seed,
                password=DEMO_PASSWORD,
                patrols=patrols,
            )
            simulator.start()
            moving = f"patrols send a fix every {rates.fix_seconds:g} s, " if patrols else ""
            console.print(
                f"live demo: {moving}~{rates.reports_per_day:g} reports a day, SLA job every minute "
                "(--no-live to turn it off)"
            )
            return simulator.stop

    _serve(settings, host, port, workers=1, on_ready=on_ready)


@app.command()
def serve(
    db: DbOption = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="reverse proxies whose X-Forwarded-Proto/-For are trusted, e.g. 127.0.0.1 "
            "(default: PINGAN_FORWARDED_ALLOW_IPS; none)"
        ),
    ] = None,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(help="serve HTTPS directly with this certificate (PEM); see docs/deployment.md"),
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="the certificate's private key (PEM)")] = None,
) -> None:
    """Serve the web UI and API (the schema must be up to date: `pingan db upgrade`).

    Behind nginx or Caddy terminating TLS, pass the proxy's address as --forwarded-allow-ips so that cookies
    are marked Secure, HSTS is sent and rate limits count the real client; or serve TLS directly with
    --ssl-certfile/--ssl-keyfile."""
    settings = settings_for(db)
    if forwarded_allow_ips is not None:
        settings = settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
    if (ssl_certfile is None) != (ssl_keyfile is None):
        err.print("[bold red]error[/]: --ssl-certfile and --ssl-keyfile go together")
        raise typer.Exit(code=2)
    tls = (str(ssl_certfile), str(ssl_keyfile)) if ssl_certfile and ssl_keyfile else None
    _serve(settings, host, port, workers=workers, tls=tls)


def _serve(
    settings: Settings,
    host: str,
    port: int,
    *,
    workers: int,
    tls: tuple[str, str] | None = None,
    on_ready: Callable[[], Any] | None = None,
) -> None:
    """Serve; ``on_ready`` (one process only) runs once the server accepts requests and returns a function
    called when it stops."""
    import os

    import uvicorn

    from pingan.core.config import get_settings
    from pingan.core.db import create_db_engine
    from pingan.web.middleware import startup_problems

    problems = startup_problems(settings, create_db_engine(settings.resolved_database_url()))
    if problems:
        err.print("[bold red]refusing to start[/]:")
        for problem in problems:
            err.print(f"  • {escape(problem)}", soft_wrap=True)
        raise typer.Exit(code=2)
    os.environ["PINGAN_DATABASE_URL"] = settings.resolved_database_url()
    os.environ["PINGAN_DEMO_MODE"] = "true" if settings.demo_mode else "false"
    os.environ["PINGAN_FORWARDED_ALLOW_IPS"] = settings.forwarded_allow_ips
    get_settings.cache_clear()
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": False,  # trusted proxies' headers are applied by the app (web.middleware)
        "ssl_certfile": tls[0] if tls else None,
        "ssl_keyfile": tls[1] if tls else None,
    }
    if on_ready is None:
        uvicorn.run("pingan.web.app:create_app", workers=workers, **options)
        return
    import threading

    server = uvicorn.Server(uvicorn.Config("pingan.web.app:create_app", **options))
    stops: list[Callable[[], Any]] = []

    def when_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        if server.started:
            stops.append(on_ready())

    threading.Thread(target=when_ready, name="pingan-on-ready", daemon=True).start()
    try:
        server.run()
    finally:
        for stop in stops:
            stop()


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)], db: DbOption = None
) -> None:
    """Import boundaries from a GeoJSON FeatureCollection (all or nothing)."""
    from pingan.areas import service
    from pingan.core.db import create_db_engine, make_session_factory, transaction, upgrade

    url = settings_for(db).resolved_database_url()
    upgrade(url)
    factory = make_session_factory(create_db_engine(url))
    try:
        with transaction(factory) as session, progress_bar() as bar:
            task = bar.add_task(f"importing {file.name}", total=1)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = service.import_geojson(session, file.read_bytes(), source=str(file), progress=progress)
    except PinganError as exc:
        fail(exc)
    console.print(f"imported {report.total} areas ({report.created} new, {report.updated} updated)")


@areas_app.command("export")
def areas_export(
    file: Annotated[Path, typer.Argument(dir_okay=False)],
    db: DbOption = None,
    level: Annotated[str | None, typer.Option(help="only one level, e.g. grid")] = None,
) -> None:
    """Export boundaries as a GeoJSON FeatureCollection."""
    from pingan.areas import service
    from pingan.areas.models import AreaLevel
    from pingan.core.db import create_db_engine, make_session_factory, transaction

    factory = make_session_factory(create_db_engine(settings_for(db).resolved_database_url()))
    with transaction(factory) as session:
        n = service.export_geojson(session, file, level=AreaLevel(level) if level else None)
    console.print(f"exported {n} areas to {file}")


@areas_app.command("import-roads")
def areas_import_roads(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)], db: DbOption = None
) -> None:
    """Import the district's named roads (GeoJSON lines with a `name`; all or nothing, replaced by name)."""
    from pingan.areas import roads
    from pingan.core.db import create_db_engine, make_session_factory, transaction, upgrade

    url = settings_for(db).resolved_database_url()
    upgrade(url)
    factory = make_session_factory(create_db_engine(url))
    try:
        with transaction(factory) as session:
            n = roads.import_roads(session, file.read_bytes(), source=str(file))
    except PinganError as exc:
        fail(exc)
    console.print(f"imported {n} roads")


@areas_app.command("export-roads")
def areas_export_roads(file: Annotated[Path, typer.Argument(dir_okay=False)], db: DbOption = None) -> None:
    """Export the named roads as a GeoJSON FeatureCollection."""
    from pingan.areas import roads
    from pingan.core.db import create_db_engine, make_session_factory, transaction

    factory = make_session_factory(create_db_engine(settings_for(db).resolved_database_url()))
    with transaction(factory) as session:
        n = roads.export_roads(session, file)
    console.print(f"exported {n} roads to {file}")


@app.command()
def locate(
    lon: float,
    lat: float,
    db: DbOption = None,
    crs: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09")] = "wgs84",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the grid → community → street → district of a point."""
    from pingan.areas import service
    from pingan.core.db import create_db_engine, make_session_factory, transaction

    factory = make_session_factory(create_db_engine(settings_for(db).resolved_database_url()))
    try:
        with transaction(factory) as session:
            found = service.locate(session, lon=lon, lat=lat, crs=crs)
    except PinganError as exc:
        fail(exc)
    if found is None:
        err.print(f"({lon}, {lat}) in {crs} lies outside every grid")
        raise typer.Exit(code=1)
    if as_json:
        console.print_json(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    for label, ref in (
        ("grid 网格", found.grid),
        ("community 社区", found.community),
        ("street 街道", found.street),
        ("district 区", found.district),
    ):
        if ref is not None:
            console.print(f"{label:<14} {ref.code:<16} {ref.name}")


@app.command("modules")
def modules_command() -> None:
    """List the enabled modules (PINGAN_MODULES), dependencies first, with what each adds."""
    for module in MODULES:
        parts = [
            f"needs {', '.join(module.depends)}" if module.depends else "",
            f"commands {', '.join(group.name for group in module.cli)}" if module.cli else "",
            ", ".join(f"job {job.name} every {job.every_seconds:g} s" for job in module.jobs),
            f"migrations {module.migrations}" if module.migrations else "",
        ]
        head = (
            f"[bold]{module.name}[/]{' (spine)' if module.spine else ''} {module.title_zh} {module.title_en}"
        )
        console.print(head, " · ".join(p for p in parts if p), soft_wrap=True)


def main() -> None:
    """Entry point of the ``pingan`` script."""
    if MODULES_ERROR:
        err.print(f"[bold red]error[/]: {escape(MODULES_ERROR)}", soft_wrap=True)
        sys.exit(2)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
