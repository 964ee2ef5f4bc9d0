"""One way to page a list: ``limit``/``offset`` in, ``{items, total, limit, offset}`` out.

Every paged list of the JSON API (cases, grids registers, volunteers, accounts, the audit trail …) takes the
same two parameters with the same bounds and answers the same envelope (docs/api.md, "Lists and pages"):

- ``limit``: 1 … :data:`MAX_LIMIT` rows (:data:`Limit`; the default is the endpoint's, usually 50);
- ``offset``: 0 … 2^63 − 1 rows skipped (:data:`~pingan.core.validation.Offset`).

Out of bounds answers 422 naming ``limit`` or ``offset`` (FastAPI checks the annotated types; services called
from elsewhere check them again with :func:`check_window`). Open311 GeoReport v2 keeps its own ``page`` and
``page_size`` (a protocol's parameters, not ours).
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from annotated_types import Ge, Le
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.core.errors import ValidationFailed
from pingan.core.validation import MAX_DB_INT, Offset

__all__ = ["MAX_LIMIT", "Limit", "Offset", "Page", "PageQuery", "check_window", "count", "page"]

MAX_LIMIT = 500
"""The most rows one page holds."""
Limit = Annotated[int, Ge(1), Le(MAX_LIMIT)]
"""How many rows a page holds: 1 … :data:`MAX_LIMIT`."""

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows, how many match in all, and the window asked for."""

    items: list[T]
    total: int = Field(ge=0, description="rows matching the filters in all (not only this page)")
    limit: int = Field(ge=1, le=MAX_LIMIT, description="the page size asked for")
    offset: int = Field(ge=0, le=MAX_DB_INT, description="rows skipped before this page")


class PageQuery(BaseModel):
    """``limit`` and ``offset`` in a search body (the POST form of a list: filters holding personal data)."""

    limit: Limit = 50
    offset: Offset = 0


def check_window(*, limit: int, offset: int) -> None:
    """ValidationFailed naming ``limit`` or ``offset`` when the window is out of bounds."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if not 0 <= offset <= MAX_DB_INT:
        raise ValidationFailed("offset must be between 0 and 2^63 - 1", field="offset")


def count(session: Session, stmt: Select[Any]) -> int:
    """How many rows a (scoped) statement selects."""
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def page(session: Session, stmt: Any, *, limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of a (scoped, ordered) statement and the total: ORM objects for a one-entity select, tuples
    otherwise."""
    check_window(limit=limit, offset=offset)
    total = count(session, stmt)
    rows = session.execute(stmt.limit(limit).offset(offset))
    items = list(rows.scalars()) if len(stmt.column_descriptions) == 1 else [tuple(r) for r in rows]
    return items, total
