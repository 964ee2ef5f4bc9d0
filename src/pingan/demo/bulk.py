"""Bulk writes of demo rows: one ``executemany`` per chunk of rows, parameters converted column by column.

Neither the ORM's bulk insert (it splits a batch wherever a row's None columns differ from the previous
row's, turning 100,000 rows into tens of thousands of statements) nor a Core ``insert()`` with a list of
dicts (it converts every value of every row through its generic per-row machinery): the statement is
compiled once for the dialect, each column's own bind processor (the column type's conversion, e.g. UTC
datetimes as SQLite text, JSON as text) runs over the column's values, and the driver gets plain tuples.
Python-side column defaults (``created_at`` …) that the rows leave out are filled in once per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.orm import Session

CHUNK = 20_000
REBUILD_AT = 50_000


def insert_rows(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    *,
    chunk: int = CHUNK,
    progress: Callable[[float], None] | None = None,
) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table; returns how many."""
    if not rows:
        return 0
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    return insert_columns(session, model, columns, chunk=chunk, progress=progress)


def insert_columns(
    session: Session,
    model: Any,
    columns: Mapping[str, Sequence[Any]],
    *,
    chunk: int = CHUNK,
    progress: Callable[[float], None] | None = None,
) -> int:
    """Insert rows given column-wise (equal-length sequences per column); returns how many."""
    total = len(next(iter(columns.values()))) if columns else 0
    if total == 0:
        return 0
    table = model.__table__
    connection = session.connection()
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    sql = str(compiled)
    # the statement's parameters: the given columns plus those with a Python default, in statement order
    names = (
        list(compiled.positiontup or []) if compiled.positional else [b.key for b in compiled.binds.values()]
    )
    processors = {
        # bytes go to the drivers as they are (SQLite's and psycopg's binary processors only wrap them)
        n: None
        if isinstance(table.c[n].type, LargeBinary)
        else table.c[n].type._cached_bind_processor(dialect)
        for n in names
    }
    # a large load into a table: its secondary indexes are built once afterwards from the sorted data
    # rather than updated at random for every row (several times faster on SQLite and PostgreSQL)
    rebuilt = [index for index in table.indexes if total >= REBUILD_AT and not index.unique]
    for index in rebuilt:
        index.drop(connection)
    for start in range(0, total, chunk):
        size = min(chunk, total - start)
        values: list[Sequence[Any]] = []
        for name in names:
            if name in columns:
                column = columns[name][start : start + size]
            else:
                default = table.c[name].default
                value = default.arg(None) if default.is_callable else default.arg
                column = [value] * size
            process = processors[name]
            values.append(_processed(process, column) if process is not None else column)
        params: list[Any] = list(zip(*values, strict=True))
        if not compiled.positional:
            params = [dict(zip(names, row, strict=True)) for row in params]
        connection.exec_driver_sql(sql, params)
        if progress is not None:
            progress((start + size) / total)
    for index in rebuilt:
        index.create(connection)
    return total


def _processed(process: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    """``process`` of every value; once per distinct object when the column repeats objects (a default's
    value, the same empty list …)."""
    sample = column[:512]
    if len({id(v) for v in sample}) > len(sample) // 2:
        return [process(v) for v in column]
    done: dict[int, Any] = {}
    out = []
    for value in column:
        key = id(value)
        if key not in done:
            done[key] = process(value)
        out.append(done[key])
    return out
