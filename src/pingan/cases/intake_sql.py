"""The SQL that case intake sends (``cases.intake.write`` and the nearby-case search): numbers and ids
drawn, batched inserts straight to the driver, and one search for the open cases near any number of points,
for PostgreSQL (one statement each, so that they share a pipeline) and SQLite (in the process)."""

from __future__ import annotations

import math
import operator
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from pingan.cases.config import get_cases_settings
from pingan.cases.models import OPEN_STATES, Category, State
from pingan.core.db import pipelined, sqlite_utc_text

OPEN = sorted(s.value for s in OPEN_STATES)

# Numbers are BJ + local date + a district-wide running number. PostgreSQL draws numbers and ids from
# sequences; SQLite advances a counter row once for the batch — which takes the write lock — and continues
# the ids after the highest (what SQLite itself would choose).
DRAW_PG = (
    "SELECT nextval('case_number_seq'), nextval(pg_get_serial_sequence('cases', 'id')) "
    "FROM generate_series(1, %(n)s)"
)


def draw_sqlite(conn: Connection, count: int) -> list[tuple[int, int]]:
    last = conn.exec_driver_sql(
        "UPDATE case_counters SET last = last + ? WHERE name = 'case' RETURNING last", (count,)
    ).scalar()
    if last is None:
        conn.exec_driver_sql("INSERT INTO case_counters (name, last) VALUES ('case', ?)", (count,))
        last = count
    top = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM cases").scalar() or 0)
    return [(int(last) - count + k, top + k) for k in range(1, count + 1)]


_INSERTS_SQLITE: dict[tuple[str, tuple[str, ...]], tuple[str, Any, list[tuple[int, Any]]]] = {}


def insert_sqlite(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany straight to the driver. The ids are known, so no RETURNING is needed; and only the
    values of columns whose type has a bind processor go through it, when not NULL (SQLAlchemy's executemany
    prepared every parameter of every row: two thirds of an intake batch's time on SQLite)."""
    names = tuple(rows[0])
    plan = _INSERTS_SQLITE.get((table.name, names))
    if plan is None:
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        processors = [(i, table.c[name].type.bind_processor(conn.dialect)) for i, name in enumerate(names)]
        plan = (sql, operator.itemgetter(*names), [(i, p) for i, p in processors if p is not None])
        _INSERTS_SQLITE[(table.name, names)] = plan
    sql, values_of, processors = plan
    params = []
    for row in rows:
        values = list(values_of(row))
        for i, process in processors:
            if values[i] is not None:
                values[i] = process(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


_INSERTS_PG: dict[tuple[str, tuple[str, ...]], str] = {}


def insert_pg(table: Any, rows: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """One INSERT of many rows sent as one JSON parameter (a statement, so it can share a pipeline — COPY
    cannot); every row names every column it sets (SQLAlchemy's Python-side defaults do not apply here)."""
    names = tuple(rows[0])
    sql = _INSERTS_PG.get((table.name, names))
    if sql is None:
        columns = ", ".join(f'"{name}"' for name in names)
        sql = (
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(NULL::{table.name}, %(rows)s::json)"
        )
        _INSERTS_PG[(table.name, names)] = sql
    return sql, {"rows": orjson.dumps(rows, default=_json_value).decode()}


def _json_value(value: Any) -> str:
    """What orjson cannot write itself: bytes (encrypted personal data) in PostgreSQL's bytea hex form."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


# --- nearby cases: one search for any number of points -------------------------------------------------
#
# A box per point: the category, a lat/lon box around the point as wide as the category's radius, how far
# back open cases count (the category's window) and closed ones (None: not at all), and a case to leave
# out. The partial (category, lat, lon) index answers each box; distances are then measured here.

_BOX = ("i", "category", "lat_min", "lat_max", "lon_min", "lon_max", "open_since", "closed_since", "not_id")
_BOX_TYPES = ("int", "text", "float8", "float8", "float8", "float8", "timestamptz", "timestamptz", "int")
_MATCH = (
    "c.category_code = q.category AND c.lat BETWEEN q.lat_min AND q.lat_max "
    "AND c.lon BETWEEN q.lon_min AND q.lon_max AND c.duplicate_of_id IS NULL AND c.id <> q.not_id "
    f"AND ((c.state IN ({', '.join(repr(state) for state in OPEN)}) AND c.reported_at >= q.open_since) "
    f"OR (c.state = '{State.CLOSED.value}' AND c.closed_at >= q.closed_since))"
)
_SEARCH_PG = (
    "SELECT q.i, c.id, c.number, c.lon, c.lat FROM unnest("
    + ", ".join(f"%({name})s::{kind}[]" for name, kind in zip(_BOX, _BOX_TYPES, strict=True))
    + f") AS q({', '.join(_BOX)}) JOIN cases c ON {_MATCH}"
)
_TIMES = ("open_since", "closed_since")
_TIME_COLUMNS = frozenset(_BOX.index(name) for name in _TIMES)
_SEARCHES_SQLITE: dict[int, str] = {}


def box(
    i: int,
    category: Category,
    lon: float,
    lat: float,
    *,
    now: datetime,
    radius_m: float | None = None,
    include_closed: bool = False,
    not_id: int = 0,
) -> tuple[Any, ...]:
    radius = category.dedupe_radius_m if radius_m is None else radius_m
    dlat = radius / 111_000.0
    dlon = radius / (111_000.0 * max(math.cos(math.radians(lat)), 0.01))
    open_since = now - timedelta(minutes=category.dedupe_window_minutes)
    closed_since = now - timedelta(days=get_cases_settings().recent_closed_days) if include_closed else None
    return (
        i,
        category.code,
        lat - dlat,
        lat + dlat,
        lon - dlon,
        lon + dlon,
        open_since,
        closed_since,
        not_id,
    )


def search_pg(boxes: list[tuple[Any, ...]]) -> tuple[str, dict[str, Any]]:
    """The search for PostgreSQL: the boxes as arrays, one short statement whatever their number."""
    columns = zip(*boxes, strict=True)
    return _SEARCH_PG, {name: list(column) for name, column in zip(_BOX, columns, strict=True)}


def search_sqlite(conn: Connection, boxes: list[tuple[Any, ...]]) -> list[Any]:
    """The search for SQLite: the boxes as a VALUES list, straight to the driver (one statement text per
    number of boxes, kept)."""
    if not boxes:
        return []
    sql = _SEARCHES_SQLITE.get(len(boxes))
    if sql is None:
        rows = ", ".join("(" + ", ".join("?" for _ in _BOX) + ")" for _ in boxes)
        sql = (
            f"WITH q({', '.join(_BOX)}) AS (VALUES {rows}) "
            f"SELECT q.i, c.id, c.number, c.lon, c.lat FROM q JOIN cases c ON {_MATCH}"
        )
        _SEARCHES_SQLITE[len(boxes)] = sql
    params = tuple(
        sqlite_utc_text(value) if k in _TIME_COLUMNS else value
        for box in boxes
        for k, value in enumerate(box)
    )
    return list(conn.exec_driver_sql(sql, params))


def search(conn: Connection, boxes: list[tuple[Any, ...]]) -> list[Any]:
    if not boxes:
        return []
    if conn.dialect.name == "postgresql":
        return pipelined(conn, [search_pg(boxes)])[0]
    return search_sqlite(conn, boxes)
