"""The KPIs' daily roll-up (table ``case_kpi_days``): per local report day, area, category, source and owner
unit, the counts and stage minutes ``cases.kpis`` adds up, so that a KPI over months reads a row per group
and day instead of every case with its milestones and latest rating.

Kept exact without being written on every change: a day is either *built* (its rows are the cases' figures)
or read from the cases. ``refresh`` (the minute job, beside the SLA pass; also ``pingan cases kpi-days``)
builds every day up to yesterday and rebuilds the *stale* days; a day is marked stale in the same transaction
as any ORM change of a KPI column of a case reported that day, or a rating of one (``models._mark_kpi_days``).
Today (and any day after ``built_through``) is always read from the cases, so intake's bulk insert of new
cases needs no mark. Rebuilding whole days rather than applying deltas keeps one definition of every
figure (``day_measures``, also the direct query's) and survives a case moving between groups.
Local dates are Asia/Shanghai (UTC+8, no daylight saving time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Date, and_, delete, func, insert, select, update
from sqlalchemy import case as sql_case
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases.models import OPEN_STATES, Case, KpiDay, KpiDaysState, KpiStaleDay, Rating, State
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.db import transaction

STATE = "days"
# Yesterday is built once today is this old: a transaction that took its "now" just before midnight has
# committed by then (its cases belong to yesterday).
SETTLE = timedelta(minutes=10)
STAGE_SPANS = (
    ("register", Case.reported_at, Case.registered_at, False),
    ("dispatch", Case.registered_at, Case.dispatched_at, False),
    ("handle", Case.dispatched_at, Case.handled_at, False),
    ("verify_close", Case.handled_at, Case.closed_at, True),  # closed cases only
)
RATED = ("satisfied", "basically_satisfied", "unsatisfied")
KEYS = ("area_code", "street_code", "community_code", "category_code", "source", "owner_unit_id")


def local_date(dialect: str) -> ColumnElement[Any]:
    """The Asia/Shanghai date of ``reported_at``, computed by the database."""
    if dialect == "postgresql":
        return sa_cast(func.timezone(str(LOCAL_TZ), Case.reported_at), Date)
    return func.date(Case.reported_at, "+8 hours")  # stored as UTC text


def day_start(day: date) -> datetime:
    """The UTC instant a local day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _span_minutes(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", b - a) / 60.0
    return (func.julianday(b) - func.julianday(a)) * 1440.0


def _flag(cond: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(sql_case((cond, 1), else_=0)), 0)


def latest_rating(reported: tuple[datetime, datetime] | None = None) -> Any:
    """Per case the latest rating that says how satisfied (the one the KPIs count); of the cases reported
    in ``reported`` (start, end) only, when given (a few days' ratings, not every one grouped)."""
    stmt = select(Rating.case_id, func.max(Rating.id).label("rating_id")).where(
        Rating.satisfaction.is_not(None), Rating.satisfaction != ""
    )
    if reported is not None:
        cases = select(Case.id).where(Case.reported_at >= reported[0], Case.reported_at < reported[1])
        stmt = stmt.where(Rating.case_id.in_(cases))
    latest = stmt.group_by(Rating.case_id).subquery()
    return (
        select(latest.c.case_id, Rating.satisfaction).join(Rating, Rating.id == latest.c.rating_id).subquery()
    )


def day_measures(dialect: str, rating: Any) -> list[ColumnElement[Any]]:
    """The figures of a group of cases that do not depend on the time they are read (every column of the
    roll-up but its keys), as aggregates over ``cases`` outer-joined to ``rating`` (``latest_rating``)."""
    closed = Case.state == State.CLOSED.value
    is_open = Case.state.in_(sorted(s.value for s in OPEN_STATES))
    cols: list[ColumnElement[Any]] = [
        func.count().label("received"),
        func.count(Case.registered_at).label("registered"),
        _flag(Case.state == State.REJECTED.value).label("rejected"),
        func.count(Case.dispatched_at).label("dispatched"),
        _flag(closed).label("closed"),
        _flag(and_(closed, Case.is_closed_on_time.is_(True))).label("on_time"),
        _flag(and_(closed, Case.is_closed_on_time.is_(False))).label("late_closed"),
        _flag(is_open).label("open"),
        _flag(Case.return_count > 0).label("returned"),
        _flag(Case.rework_count > 0).label("reworked"),
    ]
    for stage, a, b, closed_only in STAGE_SPANS:
        minutes = _span_minutes(dialect, a, b)
        cond = and_(a.is_not(None), b.is_not(None), minutes >= 0, *((closed,) if closed_only else ()))
        cols.append(func.coalesce(func.sum(sql_case((cond, minutes))), 0.0).label(f"sum_{stage}"))
        cols.append(func.count(sql_case((cond, 1))).label(f"n_{stage}"))
    for value in RATED:
        cols.append(_flag(rating.c.satisfaction == value).label(f"r_{value}"))
    return cols


MEASURES = tuple(
    ["received", "registered", "rejected", "dispatched", "closed", "on_time", "late_closed", "open"]
    + ["returned", "reworked"]
    + [f"{p}_{stage}" for stage, *_ in STAGE_SPANS for p in ("sum", "n")]
    + [f"r_{value}" for value in RATED]
)


@dataclass(frozen=True)
class Coverage:
    """What the roll-up answers: every day up to ``built_through`` except the ``stale`` ones."""

    built_through: date | None
    stale: frozenset[date] = field(default_factory=frozenset)

    def built(self, day: date) -> bool:
        return self.built_through is not None and day <= self.built_through and day not in self.stale


def coverage(session: Session, *, date_from: date, date_to: date) -> Coverage:
    """The roll-up's coverage, with the stale days between ``date_from`` and ``date_to``."""
    built = session.scalar(select(KpiDaysState.built_through).where(KpiDaysState.name == STATE))
    if built is None:
        return Coverage(None)
    stale = session.scalars(select(KpiStaleDay.day).where(KpiStaleDay.day.between(date_from, date_to)))
    return Coverage(built, frozenset(stale))


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days (first, last)."""
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and day == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


@dataclass
class RefreshReport:
    """What one refresh did: the days (re)built and how far the roll-up now reaches."""

    days: int = 0
    rows: int = 0
    built_through: date | None = None


def refresh(session: Session, *, now: datetime | None = None) -> RefreshReport:
    """Build the roll-up up to yesterday and rebuild its stale days, in the session's transaction."""
    now = now or utcnow()
    target = (now - SETTLE).astimezone(LOCAL_TZ).date() - timedelta(days=1)
    # the state row first: it serialises concurrent refreshes (a row lock on PostgreSQL)
    built = session.execute(
        update(KpiDaysState)
        .where(KpiDaysState.name == STATE)
        .values(refreshed_at=now)
        .returning(KpiDaysState.built_through)
    ).first()
    if built is None:
        session.add(KpiDaysState(name=STATE, built_through=None, refreshed_at=now))
        session.flush()
    old = built[0] if built is not None else None
    stale = list(
        session.scalars(delete(KpiStaleDay).where(KpiStaleDay.day <= target).returning(KpiStaleDay.day))
    )
    todo: list[tuple[date, date]] = []
    if old is None:
        first = session.scalar(select(func.min(Case.reported_at)))
        if first is not None:
            todo.append((first.astimezone(LOCAL_TZ).date(), target))
    elif old < target:
        todo.append((old + timedelta(days=1), target))
    todo += runs([d for d in stale if old is not None and d <= old])
    report = RefreshReport(built_through=max(old or target, target))
    for first_day, last_day in todo:
        if first_day <= last_day:
            report.rows += _build(session, first_day, last_day)
            report.days += (last_day - first_day).days + 1
    session.execute(
        update(KpiDaysState).where(KpiDaysState.name == STATE).values(built_through=report.built_through)
    )
    return report


def _build(session: Session, first: date, last: date) -> int:
    """Replace the roll-up rows of the local days ``first``..``last`` with the cases' figures."""
    dialect = session.get_bind().dialect.name
    session.execute(delete(KpiDay).where(KpiDay.day.between(first, last)))
    start, end = day_start(first), day_start(last + timedelta(days=1))
    rating = latest_rating((start, end))
    day = local_date(dialect)
    keys = [getattr(Case, name) for name in KEYS]
    stmt = (
        select(day.label("day"), *keys, *day_measures(dialect, rating))
        .select_from(Case)
        .outerjoin(rating, rating.c.case_id == Case.id)
        .where(Case.reported_at >= start, Case.reported_at < end, Case.state != State.MERGED.value)
        .group_by(day, *keys)
    )
    result = cast(
        CursorResult[Any], session.execute(insert(KpiDay).from_select(["day", *KEYS, *MEASURES], stmt))
    )
    return int(result.rowcount or 0)


def refresh_job(factory: sessionmaker[Session]) -> RefreshReport:
    """The job ``cases.refresh_kpi_days``: one refresh in its own transaction."""
    with transaction(factory) as session:
        return refresh(session)
