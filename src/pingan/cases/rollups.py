"""Roll-ups of cases for the command-centre wall: counts grouped in the database, never rows loaded.

Each function answers with one row per group (grid × SLA colour, day, month, street, category), so what
it returns does not grow with the number of open cases, and the database does the counting. Received
counts follow the KPI API (``pingan.cases.kpis``): cases reported in the period, merged ones excluded.
Local dates are Asia/Shanghai (UTC+8, no daylight saving time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from pingan.cases.access import VIEW_ROLES
from pingan.cases.models import OPEN_STATES, Case, State
from pingan.core.clock import utcnow
from pingan.core.security import Actor, in_scope

_OPEN = sorted(s.value for s in OPEN_STATES)


def colour_now(now: datetime) -> ColumnElement[str]:
    """A case's SLA colour at ``now``, computed by the database: an open case is red as soon as a deadline
    has passed (as ``sla.status_of`` says), else the colour the SLA job last stored (yellow needs the work
    calendar, which the job applies every minute). Paused and finished cases keep their stored colour."""
    passed = (Case.stage_due_at < now) | (Case.close_due_at < now)
    running = Case.state.in_(_OPEN) & Case.paused_at.is_(None)
    return case((running & passed, literal("red")), else_=Case.sla_color)


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def _where(stmt: Q, actor: Actor, within: str | None) -> Q:
    """Cases in the actor's area scope (their own reports elsewhere are not the wall's), inside ``within``."""
    if not actor.is_system:
        stmt = in_scope(stmt, Case.area_code, actor, roles=VIEW_ROLES, unit_column=Case.owner_unit_id)
    if within:
        stmt = in_scope(stmt, Case.area_code, Actor.scoped_to(within))
    return stmt


def local_day(session: Session, column: Any) -> ColumnElement[str]:
    """The Asia/Shanghai date of a UTC timestamp column, as 'YYYY-MM-DD' text, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), literal("YYYY-MM-DD"))
    return func.strftime("%Y-%m-%d", column, "+8 hours")


@dataclass(frozen=True)
class OpenGroup:
    """Open cases of one grid (or street/district area) and SLA colour."""

    area_code: str
    street_code: str | None
    community_code: str | None
    sla_color: str
    count: int


def open_groups(
    session: Session, actor: Actor, *, within: str | None, now: datetime | None = None
) -> list[OpenGroup]:
    """Open cases counted per area and SLA colour at ``now`` (one row per group)."""
    colour = colour_now(now or utcnow())
    stmt = select(Case.area_code, Case.street_code, Case.community_code, colour, func.count()).where(
        Case.state.in_(_OPEN)
    )
    stmt = _where(stmt, actor, within).group_by(Case.area_code, Case.street_code, Case.community_code, colour)
    return [OpenGroup(*row) for row in session.execute(stmt)]


def received_by_day(
    session: Session, actor: Actor, *, within: str | None, start: datetime, end: datetime
) -> Counter[date]:
    """Cases received per local day in [start, end), counted as the KPI API counts them (merged excluded)."""
    day = local_day(session, Case.reported_at)
    stmt = select(day, func.count()).where(
        Case.reported_at >= start, Case.reported_at < end, Case.state != State.MERGED.value
    )
    stmt = _where(stmt, actor, within).group_by(day)
    return Counter({date.fromisoformat(d): int(n) for d, n in session.execute(stmt)})


def closed_by_day(
    session: Session, actor: Actor, *, within: str | None, start: datetime, end: datetime
) -> Counter[date]:
    """Cases closed (结案) per local day in [start, end)."""
    day = local_day(session, Case.closed_at)
    stmt = select(day, func.count()).where(
        Case.closed_at >= start, Case.closed_at < end, Case.state == State.CLOSED.value
    )
    stmt = _where(stmt, actor, within).group_by(day)
    return Counter({date.fromisoformat(d): int(n) for d, n in session.execute(stmt)})


def received_by_major(
    session: Session, actor: Actor, *, within: str | None, start: datetime, end: datetime
) -> Counter[str]:
    """Cases received in [start, end) per major category (the code's first two digits), merged excluded."""
    major = func.substr(Case.category_code, 1, 2)
    stmt = select(major, func.count()).where(
        Case.reported_at >= start, Case.reported_at < end, Case.state != State.MERGED.value
    )
    stmt = _where(stmt, actor, within).group_by(major)
    return Counter({str(m): int(n) for m, n in session.execute(stmt)})


@dataclass(frozen=True)
class Closure:
    """On-time closure of the cases received in a period by one street or community (KPI definitions)."""

    key: str
    received: int
    closed: int
    closed_on_time: int
    should_close: int

    @property
    def rate(self) -> float | None:
        return self.closed_on_time / self.should_close if self.should_close else None


def closure_by_area(
    session: Session,
    actor: Actor,
    *,
    within: str | None,
    level: str,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[Closure]:
    """Per street (``level="street"``) or community: received, closed, closed on time and should-have-closed
    (closed + open past the close deadline) of the cases received in [start, end), as ``kpis`` defines
    them."""
    key = Case.community_code if level == "community" else Case.street_code
    closed = Case.state == State.CLOSED.value
    overdue = Case.state.in_(_OPEN) & (Case.close_due_at < now)
    stmt = select(
        key,
        func.count(),
        func.sum(case((closed, 1), else_=0)),
        func.sum(case((closed & Case.is_closed_on_time.is_(True), 1), else_=0)),
        func.sum(case((closed | overdue, 1), else_=0)),
    ).where(Case.reported_at >= start, Case.reported_at < end, Case.state != State.MERGED.value)
    stmt = _where(stmt, actor, within).group_by(key)
    return [
        Closure(str(row[0] or ""), int(row[1]), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0))
        for row in session.execute(stmt)
    ]


def urgent_open(
    session: Session, actor: Actor, *, within: str | None, limit: int, now: datetime | None = None
) -> list[Any]:
    """The ``limit`` most urgent open cases with a position (overdue, then warning, then newest first).

    Chosen from the index by state alone (``ix_cases_open_rollup``), then only those rows are read."""
    colour = colour_now(now or utcnow())
    urgency = case((colour == "red", 0), (colour == "yellow", 1), else_=2)
    pick = select(Case.id).where(Case.state.in_(_OPEN))
    pick = _where(pick, actor, within).order_by(urgency, Case.reported_at.desc()).limit(limit)
    ids = list(session.scalars(pick))
    if not ids:
        return []
    rows = session.execute(
        select(Case.id, Case.number, Case.title, Case.lon, Case.lat, colour.label("sla_color")).where(
            Case.id.in_(ids)
        )
    ).all()
    order = {case_id: n for n, case_id in enumerate(ids)}
    return sorted((r for r in rows if r.lon is not None and r.lat is not None), key=lambda r: order[r.id])


def newest(
    session: Session, actor: Actor, *, within: str | None, limit: int, now: datetime | None = None
) -> list[Any]:
    """The newest ``limit`` cases (any state), for the live feed."""
    stmt = select(
        Case.id,
        Case.number,
        Case.title,
        Case.state,
        colour_now(now or utcnow()).label("sla_color"),
        Case.reported_at,
        Case.area_code,
        Case.street_code,
        Case.community_code,
    )
    stmt = _where(stmt, actor, within).order_by(Case.reported_at.desc(), Case.id.desc()).limit(limit)
    return list(session.execute(stmt))
