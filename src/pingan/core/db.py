"""Database: engine (SQLite in WAL mode or PostgreSQL), sessions, migrations.

One request or job is one transaction, committed at the edge (see docs/decisions/0001).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from pingan.core.clock import as_utc
from pingan.core.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from pingan.core.config import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (also on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":  # one step instead of process_bind_param, then SQLite DATETIME's own
            return sqlite_utc_text
        return super().bind_processor(dialect)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME stores ('YYYY-MM-DD HH:MM:SS.ffffff'), of the instant in UTC."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# A request that finds every pooled connection busy waits this long for one, then fails fast with 503 and
# Retry-After (``pingan.web.app``: sqlalchemy.exc.TimeoutError) instead of queueing for 30 s and failing 500.
POOL_TIMEOUT_SECONDS = 3.0


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL; SQLite files get WAL, foreign keys and a busy timeout. Pooled engines wait at
    most ``POOL_TIMEOUT_SECONDS`` for a free connection (``pool_timeout=`` overrides)."""
    pooled = "poolclass" not in kwargs
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            if pooled:  # a file: QueuePool (5 + 10 connections by default)
                kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if pooled:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


SQLITE_WRITER_WAIT_SECONDS = 30.0
_HOLDS_WRITER = "pingan_holds_writer_lock"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is disabled so that BEGIN/SAVEPOINT work as SQLAlchemy
        # expects (the documented "pysqlite serializable" recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process crash
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Transactions that will write start IMMEDIATE (they take SQLite's write lock up front): a DEFERRED
    # transaction that reads and then writes fails with "database is locked" when another connection
    # committed in between, and no busy timeout can save it. Writers of this process first queue on a
    # Python lock, so they wait in line instead of in SQLite's busy handler (which sleeps in growing steps
    # and turns contention into long tails); other processes are still handled by the busy timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
            conn.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=SQLITE_WRITER_WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked (writer queue)"))
        conn.info[_HOLDS_WRITER] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            conn.info.pop(_HOLDS_WRITER, None)
            writers.release()
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Any) -> None:
        if conn.info.pop(_HOLDS_WRITER, False):
            writers.release()


def writer_bind(bind: Any) -> Any:
    """The bind for a unit of work that will write: on SQLite, one whose transactions BEGIN IMMEDIATE."""
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        writer = bind.__dict__.get("_pingan_writer")
        if writer is None:  # one per engine: caches keyed by engine (the locator) must see the same object
            writer = bind.execution_options(sqlite_begin="IMMEDIATE")
            bind.__dict__["_pingan_writer"] = writer
        return writer
    return bind


def base_engine(bind: Any) -> Engine:
    """The engine behind a connection or an engine with extra execution options."""
    engine = bind.engine if hasattr(bind, "engine") else bind
    while hasattr(engine, "_proxied"):
        engine = engine._proxied
    return engine


def make_session_factory(engine: Engine, settings: Settings | None = None) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (and carry ``settings``, when given, to the
    services they are handed: ``core.config.settings_of``)."""
    from pingan.core.config import SESSION_KEY  # not at import: the CLI starts without the settings library

    info = {} if settings is None else {SESSION_KEY: settings}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work (that may write): commit on success, roll back on any error."""
    session = factory(bind=writer_bind(factory.kw.get("bind")))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def pipelined(
    conn: Connection, statements: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """Run PostgreSQL statements (psycopg's ``%(name)s`` placeholders) in the connection's transaction in one
    round trip (psycopg's pipeline mode); the rows each returned ([] for statements that return none).
    On the busy hosts a command centre runs on, a round trip to the database costs far more than a small
    statement: hot paths that need several statements send them together."""
    pg = conn.connection.driver_connection
    cursors = []
    with pg.pipeline():  # type: ignore[union-attr]
        for sql, params in statements:
            cursor = pg.cursor()  # type: ignore[union-attr]
            cursor.execute(sql, params)
            cursors.append(cursor)
    try:  # (a result's status, not ``cursor.description``: that builds a Column object per column)
        return [cursor.fetchall() if _has_rows(cursor) else [] for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _has_rows(cursor: Any) -> bool:
    from psycopg.pq import ExecStatus

    result = cursor.pgresult
    return result is not None and result.status == ExecStatus.TUPLES_OK


# Migrations: one labelled Alembic branch per module (docs/decisions/0003-migration-branches.md). The spine's
# branch is always migrated; a module's branch starts at its own base and depends on the spine.
SPINE_BRANCH = "spine"
_VERSION_NUM_LENGTH = 32  # alembic_version.version_num is VARCHAR(32)


def migrations_dir() -> Path:
    """The Alembic scripts folder: the checkout's ``migrations/``, or the one shipped inside the package."""
    script_location = Path(__file__).resolve().parents[3] / "migrations"
    if not script_location.exists():  # installed as a package: migrations are shipped inside it
        script_location = Path(__file__).resolve().parents[1] / "migrations"
    return script_location


def alembic_config(url: str, directory: Path | None = None) -> Any:
    """The Alembic configuration for our migrations folder (or ``directory``), bound to a URL."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(directory or migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # New revisions are named by their module-prefixed id, so files sort by branch and order.
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return cfg


def branch_heads(directory: Path | None = None) -> dict[str, list[str]]:
    """Each migration branch (its label) and its head revision ids (one when the history is sound), the spine
    first; a head without a label is listed under ``""``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("", directory))
    heads: dict[str, list[str]] = {}
    for head in script.get_heads():  # ("heads" would leave out a head that another branch depends on)
        revision = script.get_revision(head)
        assert revision is not None
        for label in sorted(revision.branch_labels) or [""]:
            heads.setdefault(label, []).append(revision.revision)
    return dict(sorted(heads.items(), key=lambda item: (item[0] != SPINE_BRANCH, item[0])))


def _branch_head(heads: dict[str, list[str]], branch: str) -> str:
    if branch not in heads or not branch:
        known = ", ".join(label for label in heads if label)
        raise ValidationFailed(
            f"unknown migration branch {branch!r} (known: {known})", field="module", code="unknown_module"
        )
    return heads[branch][0]


@contextmanager
def _alembic_errors() -> Iterator[None]:
    """Alembic's refusals (a database at an unknown revision, autogenerate on an old schema) as our errors."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        raise Conflict(f"migrations: {exc}", code="migrations") from exc


def upgrade(url: str, branches: Sequence[str] | None = None) -> None:
    """Bring the schema at URL up to date: every branch (``alembic upgrade heads``) or the spine and the given
    modules' branches (``<label>@head`` each; a branch brings those it depends on)."""
    from alembic import command

    cfg = alembic_config(url)
    if branches is None:
        targets = ["heads"]
    else:
        heads = branch_heads()
        wanted = [SPINE_BRANCH, *(b for b in dict.fromkeys(branches) if b != SPINE_BRANCH)]
        for branch in wanted:
            _branch_head(heads, branch)  # every name checked before anything runs
        targets = [f"{branch}@head" for branch in wanted]
    with _alembic_errors():
        for target in targets:
            command.upgrade(cfg, target)


def new_revision(
    module: str,
    message: str,
    *,
    url: str = "",
    directory: Path | None = None,
    autogenerate: bool = False,
    new_module: bool = False,
    depends_on: Sequence[str] = (),
) -> Path:
    """Write the next migration of a module's branch (``<module>_<NNNN>_<slug>.py``, revision id
    ``<module>_<NNNN>``) and return its file. ``new_module`` starts the module's branch at its own base,
    labelled with its name and depending on the spine and ``depends_on``'s branches (their heads of today)."""
    from alembic import command

    heads = branch_heads(directory)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", module):
        raise ValidationFailed(f"module name {module!r}: lower-case letters, digits and _", field="module")
    if new_module and module in heads:
        raise Conflict(f"module {module!r} already has a migration branch", field="module")
    needs = [*([SPINE_BRANCH] if new_module else []), *depends_on]
    dependencies = [_branch_head(heads, branch) for branch in dict.fromkeys(needs)]
    if not new_module:
        _branch_head(heads, module)
    cfg = alembic_config(url, directory)
    versions = Path(cfg.get_main_option("script_location") or "") / "versions"
    numbered = re.compile(rf"{module}_(\d{{4}})(_.*)?\.py")
    numbers = [int(m.group(1)) for f in versions.iterdir() if (m := numbered.fullmatch(f.name))]
    rev_id = f"{module}_{max(numbers, default=0) + 1:04d}"
    if len(rev_id) > _VERSION_NUM_LENGTH:
        raise ValidationFailed(f"module name {module!r} is too long for a revision id", field="module")
    with _alembic_errors():
        script = command.revision(
            cfg,
            message=message,
            autogenerate=autogenerate,
            head="base" if new_module else f"{module}@head",
            branch_label=module if new_module else None,
            depends_on=dependencies or None,  # type: ignore[arg-type]  # a list, as alembic's --depends-on gives
            rev_id=rev_id,
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
