"""The district's work calendar: the shipped holiday arrangements plus an admin's days, cached in memory.

``calendar_for(session)`` reads the admin's days once per database and keeps the calendar for
``PINGAN_CASES_CALENDAR_TTL_SECONDS`` (changes made by other processes show after that). A change made in
this process is used by its own transaction at once and replaces the shared calendar when it commits.
``default_calendar()`` is the process-wide calendar that SLA functions use when not given one: the latest
calendar read from a database, or the official arrangements alone before any was read.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.cases.access import OPERATOR_ROLES
from pingan.cases.config import get_cases_settings
from pingan.cases.models import CalendarDay
from pingan.cases.worktime import WorkCalendar, official_days, official_years, parse_periods
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.db import base_engine
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Actor, Role, require_role

_CHANGED = "cases.calendar_changed"
_cache: dict[Any, tuple[float, WorkCalendar]] = {}
_latest: list[WorkCalendar] = []
_lock = threading.Lock()


@lru_cache(maxsize=4)
def _official(periods_text: str) -> WorkCalendar:
    try:
        periods = parse_periods(periods_text)
    except ValueError as exc:
        raise ValidationFailed(f"PINGAN_CASES_WORK_PERIODS: {exc}", field="work_periods") from None
    return WorkCalendar.build(periods)


def default_calendar() -> WorkCalendar:
    """The process-wide calendar: the latest one read from a database, else the official arrangements."""
    return _latest[0] if _latest else _official(get_cases_settings().work_periods)


def calendar_for(session: Session) -> WorkCalendar:
    """The calendar with the admin's days of this session's database (cached per engine, TTL)."""
    key = base_engine(session.get_bind())
    now = time.monotonic()
    changed = session.info.get(_CHANGED) is not None
    hit = _cache.get(key)
    if hit is not None and not changed and now - hit[0] < get_cases_settings().calendar_ttl_seconds:
        return hit[1]
    calendar = _load(session)
    if not changed:  # this transaction's own, uncommitted days are not shared
        _publish(key, calendar, now)
    return calendar


def forget_calendars() -> None:
    """Drop every cached calendar (tests; after editing the database behind the process's back)."""
    with _lock:
        _cache.clear()
        _latest.clear()


def _load(session: Session) -> WorkCalendar:
    rows = session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
    base = _official(get_cases_settings().work_periods)
    return WorkCalendar.build(base.periods, ((day, flag) for day, flag in rows))


def _publish(key: Any, calendar: WorkCalendar, at: float) -> None:
    with _lock:
        _cache[key] = (at, calendar)
        _latest[:] = [calendar]


def _changed(session: Session) -> None:
    """Use the changed calendar in this transaction; share it once the transaction commits."""
    token = object()
    session.info[_CHANGED] = token
    key = base_engine(session.get_bind())
    calendar = _load(session)

    def committed(s: Session) -> None:
        if s.info.get(_CHANGED) is token:
            s.info.pop(_CHANGED, None)
            _publish(key, calendar, time.monotonic())

    def rolled_back(s: Session) -> None:
        s.info.pop(_CHANGED, None)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


# --- the admin's days -------------------------------------------------------------------------------------


def parse_day(text: str, *, field: str = "day") -> date:
    """A YYYY-MM-DD date; ValidationFailed naming ``field`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{field} must be a date YYYY-MM-DD, not {text!r}", field=field) from None


def list_days(session: Session, actor: Actor, *, year: int | None = None) -> dict[str, Any]:
    """The calendar of one year: working periods, and every day that is not a plain weekday/weekend."""
    require_role(actor, *OPERATOR_ROLES)
    year = year or utcnow().astimezone(LOCAL_TZ).year
    if not 1900 < year < 2200:
        raise ValidationFailed("year must lie between 1901 and 2199", field="year")
    days: dict[date, dict[str, Any]] = {
        d: {"date": d.isoformat(), "is_workday": flag, "note": note, "source": "official"}
        for d, (flag, note) in official_days().items()
        if d.year == year
    }
    stmt = select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
    )
    for row in session.scalars(stmt):
        days[row.day] = day_dict(row)
    calendar = calendar_for(session)
    return {
        "year": year,
        "periods": [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in calendar.periods],
        "workday_minutes": calendar.day_minutes,
        "official_years": official_years(),
        "has_official_arrangements": year in official_years(),
        "days": [days[d] for d in sorted(days)],
    }


def day_dict(row: CalendarDay) -> dict[str, Any]:
    return {
        "date": row.day.isoformat(),
        "is_workday": row.is_workday,
        "note": row.note,
        "source": "admin",
        "updated_by": row.updated_by,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def set_day(session: Session, actor: Actor, *, day: date, is_workday: bool, note: str = "") -> CalendarDay:
    """Make one day a working day or a day off, overriding weekends and the official arrangement."""
    require_role(actor, Role.DISTRICT_ADMIN)
    if not isinstance(is_workday, bool):
        raise ValidationFailed("is_workday must be true or false", field="is_workday")
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationFailed("note is longer than 200 characters", field="note")
    row = session.get(CalendarDay, day) or CalendarDay(day=day)
    row.is_workday, row.note = is_workday, note
    row.updated_by, row.updated_at = actor.username, utcnow()
    session.add(row)
    session.flush()
    _changed(session)
    audit.record(
        session, actor, action="calendar.set", subject_type="case_calendar", subject_id=day.isoformat(),
        details={"is_workday": is_workday, "note": note},
    )  # fmt: skip
    return row


def unset_day(session: Session, actor: Actor, *, day: date) -> None:
    """Remove the admin's entry for a day (the official arrangement or the weekday rule applies again)."""
    require_role(actor, Role.DISTRICT_ADMIN)
    row = session.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"no calendar entry for {day.isoformat()}", field="day")
    session.delete(row)
    session.flush()
    _changed(session)
    audit.record(
        session, actor, action="calendar.unset", subject_type="case_calendar", subject_id=day.isoformat(),
        details={"was_workday": row.is_workday, "note": row.note},
    )  # fmt: skip
