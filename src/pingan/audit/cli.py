"""``pingan audit search`` and ``pingan retention list|purge``."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pingan.core.errors import PinganError

if TYPE_CHECKING:  # the CLI imports its heavy modules inside the commands: `pingan --help` stays fast
    from sqlalchemy.orm import Session

    from pingan.core.security import Actor

audit_app = typer.Typer(help="Search the audit trail (read-only).", no_args_is_help=True)
retention_app = typer.Typer(
    help="Retention: purge records past their retention period.", no_args_is_help=True
)

console = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="database URL (default: PINGAN_DATABASE_URL or a SQLite file under ./data)"),
]


def cli_actor() -> Actor:
    """The CLI's actor: unrestricted, named after the operating-system user in the audit trail."""
    from pingan.core.security import Actor

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.system(f"cli:{name}")


@contextmanager
def db_session(db: str | None) -> Iterator[Session]:
    """One committed transaction on the configured (or ``--db``) database; domain errors end the command."""
    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory, transaction

    settings = get_settings()
    url = normalise_database_url(db) if db else settings.resolved_database_url()
    factory = make_session_factory(create_db_engine(url))
    try:
        with transaction(factory) as session:
            yield session
    except PinganError as exc:
        field = f" ({exc.field})" if exc.field else ""
        err.print(f"[bold red]error[/]{escape(field)}: {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=2) from None


@audit_app.command("search")
def audit_search(
    who: Annotated[str | None, typer.Option(help="username or account id")] = None,
    action: Annotated[str | None, typer.Option(help='action, or a prefix such as "pii."')] = None,
    subject: Annotated[str | None, typer.Option(help="subject type, or type:id (e.g. account:12)")] = None,
    area: Annotated[str | None, typer.Option(help="records inside this area code")] = None,
    since: Annotated[datetime | None, typer.Option(help="from (UTC), e.g. 2026-11-01")] = None,
    until: Annotated[datetime | None, typer.Option(help="until (UTC, exclusive)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most 500")] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
    db: DbOption = None,
) -> None:
    """Search the audit trail, newest first."""
    from rich.table import Table

    from pingan.audit.schemas import AuditRecordRead
    from pingan.audit.service import AuditQuery, search_records
    from pingan.core.clock import format_local

    subject_type, _, subject_id = (subject or "").partition(":")
    query = AuditQuery(
        who=who,
        action=action,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        area_code=area,
        since=since,
        until=until,
    )
    with db_session(db) as session:
        rows, total = search_records(session, cli_actor(), query=query, limit=limit, offset=offset)
        if as_json:
            for rec in rows:
                console.print_json(AuditRecordRead.of(rec).model_dump_json())
            return
        table = Table(title=f"{total} audit records (showing {offset + 1}–{offset + len(rows)})")
        for column in ("time (Asia/Shanghai)", "who", "action", "subject", "area", "reason", "ip", "details"):
            table.add_column(column)
        for rec in rows:
            table.add_row(
                format_local(rec.at),
                escape(rec.username),
                rec.action,
                escape(f"{rec.subject_type}:{rec.subject_id}" if rec.subject_id else rec.subject_type),
                rec.area_code or "",
                escape(rec.reason or ""),
                rec.client_ip or "",
                escape(json.dumps(rec.details, ensure_ascii=False)),
            )
        console.print(table)


@retention_app.command("list")
def retention_list() -> None:
    """Kinds of records with a retention period and the days configured."""
    from rich.table import Table

    from pingan.audit import jobs
    from pingan.core.config import get_settings

    jobs.load_retention_modules()
    overrides = get_settings().retention_days
    table = Table(title="retention (PINGAN_RETENTION_DAYS overrides the defaults; 0 = keep forever)")
    for column in ("kind", "days", "default", "what"):
        table.add_column(column)
    for spec in jobs.retention_kinds():
        table.add_row(
            spec.kind,
            str(jobs.retention_days(spec.kind, overrides)),
            str(spec.default_days),
            spec.description,
        )
    console.print(table)


@retention_app.command("purge")
def retention_purge(
    kind: Annotated[list[str] | None, typer.Option(help="only these kinds (repeatable)")] = None,
    db: DbOption = None,
) -> None:
    """Delete records past their retention period; every purge writes an audit record."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from pingan.audit import jobs
    from pingan.core.config import get_settings

    jobs.load_retention_modules()
    overrides = get_settings().retention_days
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=err
    )
    with db_session(db) as session, progress:
        task = progress.add_task("purging", total=None)

        def step(label: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"purging: {label}")

        deleted = jobs.purge_expired(
            session, cli_actor(), overrides=overrides, kinds=kind or None, progress=step
        )
    for name, count in deleted.items():
        console.print(f"{name}: {count} deleted")
    if not deleted:
        console.print("nothing to purge (every kind is kept forever)")
