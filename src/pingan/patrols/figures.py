"""The patrols module's figures for other modules (``Module.figures``, read through ``pingan.core.figures``):
patrol turn-outs (人次) and patrol hours recorded in a period, within an area, as the actor may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.security import Actor, in_scope, require_role

from .common import READ_ROLES, within_actor
from .models import Activity


def _totals(
    session: Session, actor: Actor, *, start: datetime, end: datetime, area_code: str | None
) -> tuple[int, float]:
    require_role(actor, *READ_ROLES)
    stmt: Any = select(func.count(Activity.id), func.coalesce(func.sum(Activity.hours), 0.0)).where(
        Activity.kind == "patrol", Activity.started_at >= start, Activity.started_at < end
    )
    stmt = in_scope(stmt, Activity.area_code, actor, roles=READ_ROLES)
    if area_code:
        stmt = in_scope(stmt, Activity.area_code, within_actor(area_code))
    count, hours = session.execute(stmt).one()
    return int(count), float(hours)


def turnouts(
    session: Session, actor: Actor, *, start: datetime, end: datetime, area_code: str | None = None
) -> int:
    """Patrol turn-outs (one per volunteer and shift worked) started in ``[start, end)``."""
    return _totals(session, actor, start=start, end=end, area_code=area_code)[0]


def hours(
    session: Session, actor: Actor, *, start: datetime, end: datetime, area_code: str | None = None
) -> float:
    """Patrol hours of the turn-outs started in ``[start, end)``."""
    return round(_totals(session, actor, start=start, end=end, area_code=area_code)[1], 1)
