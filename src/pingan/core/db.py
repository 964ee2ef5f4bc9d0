"""Database: engine (SQLite in WAL mode or PostgreSQL), sessions, migrations.

One request or job is one transaction, committed at the edge (see docs/decisions/0001).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from pingan.core.clock import as_utc

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


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


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


def alembic_config(url: str) -> Any:
    """The Alembic configuration for our migrations folder, bound to a URL."""
    from alembic.config import Config

    root = Path(__file__).resolve().parents[3]
    script_location = root / "migrations"
    if not script_location.exists():  # installed as a package: migrations are shipped inside it
        script_location = Path(__file__).resolve().parents[1] / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the schema at URL up to date (``alembic upgrade heads``)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
