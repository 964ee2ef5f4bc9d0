"""SLA clocks: per category, priority and stage deadlines; yellow warning, red overdue; pauses.

A category's ``clock`` decides how its limits (``sla_minutes``) are counted:

- ``"working"`` (ordinary categories): minutes of working time on the work calendar
  (``pingan.cases.worktime``: 08:30–12:00 and 13:30–17:30 Asia/Shanghai by default, weekends and public
  holidays off, make-up days (调休) on, plus an admin's days). One 工作日 is ``calendar.day_minutes``
  (450 by default), so "3 working days" is written 1350. A report on Friday 16:00 with a 4-hour limit is
  due Monday 11:00.
- ``"natural"`` (fire, gas, emergencies): every minute counts, 24/7.

The case records the clock its deadlines were computed with (``Case.sla_clock``). Pauses move deadlines by
the paused time on that clock, and the yellow warning compares the used share of a stage on it too.
Functions take the calendar as ``calendar=``; without it they use ``workdays.default_calendar()``, the
process-wide cached calendar (no database query on the intake path). ``calendar_for(session)`` gives the
calendar with the admin's days of that database (cached per engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pingan.cases.config import get_cases_settings
from pingan.cases.models import STAGES, Case, Category, State
from pingan.cases.workdays import calendar_for, default_calendar
from pingan.cases.worktime import WorkCalendar
from pingan.core.clock import utcnow

__all__ = [
    "calendar_for",
    "clock_of",
    "color_of",
    "pause",
    "plan_close_due",
    "resume",
    "stage_minutes",
    "SlaStatus",
    "start_stage",
    "status_of",
    "used_share",
]

# Fallback limits (minutes) when a category has none: register, dispatch, handle, verify (natural clock).
DEFAULT_SLA: dict[str, dict[str, int]] = {
    "low": {"register": 240, "dispatch": 240, "handle": 7 * 1440, "verify": 1440},
    "normal": {"register": 60, "dispatch": 60, "handle": 3 * 1440, "verify": 480},
    "high": {"register": 30, "dispatch": 30, "handle": 1440, "verify": 240},
    "urgent": {"register": 10, "dispatch": 10, "handle": 240, "verify": 60},
}
WORKDAY = 450  # one 工作日 of the default working periods, in working minutes
# The same fallbacks for the working clock: days become working days.
DEFAULT_WORKING_SLA: dict[str, dict[str, int]] = {
    "low": {"register": 240, "dispatch": 240, "handle": 7 * WORKDAY, "verify": WORKDAY},
    "normal": {"register": 60, "dispatch": 60, "handle": 3 * WORKDAY, "verify": 480},
    "high": {"register": 30, "dispatch": 30, "handle": WORKDAY, "verify": 240},
    "urgent": {"register": 10, "dispatch": 10, "handle": 240, "verify": 60},
}

STAGE_OF_STATE: dict[str, str | None] = {
    State.REPORTED: "register",
    State.REGISTERED: "dispatch",
    State.RETURNED: "dispatch",
    State.DISPATCHED: "handle",
    State.IN_PROGRESS: "handle",
    State.HANDLED: "verify",
    State.VERIFIED: "verify",
}


def stage_minutes(category: Category | None, priority: str) -> dict[str, int]:
    """Minutes allowed per stage for this category and priority."""
    table: dict[str, Any] = (category.sla_minutes if category is not None else None) or {}
    defaults = DEFAULT_SLA if clock_of(category) == "natural" else DEFAULT_WORKING_SLA
    base = defaults.get(priority, defaults["normal"])
    own = table.get(priority) or table.get("normal") or {}
    return {stage: int(own.get(stage, base[stage])) for stage in STAGES}


def clock_of(category: Category | None) -> str:
    """The category's clock; categories without one (or no category) count working time."""
    return "natural" if category is not None and category.clock == "natural" else "working"


def add_minutes(clock: str, start: datetime, minutes: float, calendar: WorkCalendar) -> datetime:
    """``start`` plus ``minutes`` on the clock: working time on ``calendar``, else calendar time."""
    if clock != "working":
        return start + timedelta(minutes=minutes)
    return calendar.add(start, minutes)


def minutes_between(clock: str, start: datetime, end: datetime, calendar: WorkCalendar) -> float:
    """Minutes from ``start`` to ``end`` on the clock (0 when ``end`` is not later)."""
    if clock != "working":
        return max((end - start).total_seconds() / 60, 0.0)
    return calendar.minutes_between(start, end)


def start_stage(
    case: Case, category: Category | None, now: datetime, *, calendar: WorkCalendar | None = None
) -> None:
    """Set the stage of the case's current state and its deadline, starting now."""
    calendar = calendar or default_calendar()
    case.sla_clock = clock_of(category)
    stage = STAGE_OF_STATE.get(case.state)
    case.stage = stage
    case.stage_started_at = now if stage else None
    if stage is None:
        case.stage_due_at = None
        return
    limit = stage_minutes(category, case.priority)[stage]
    case.stage_due_at = add_minutes(case.sla_clock, now, limit, calendar)
    case.sla_color = color_of(case, now, calendar=calendar)


def plan_close_due(
    case: Case,
    category: Category | None,
    start: datetime,
    *,
    from_stage: str,
    calendar: WorkCalendar | None = None,
) -> None:
    """The overall (close) deadline: the remaining stages' limits added from ``start``."""
    minutes = stage_minutes(category, case.priority)
    remaining = STAGES[STAGES.index(from_stage) :]
    total = sum(minutes[s] for s in remaining)
    case.close_due_at = add_minutes(clock_of(category), start, total, calendar or default_calendar())


def pause(case: Case, now: datetime) -> None:
    """Stop the case's clock at ``now``."""
    case.paused_at = now


def resume(case: Case, now: datetime, *, calendar: WorkCalendar | None = None) -> timedelta:
    """Stop the pause: deadlines move by the paused time on the case's clock (working time for working
    clocks: a pause over a weekend moves nothing). ``paused_seconds`` accounts the calendar time paused."""
    if case.paused_at is None:
        return timedelta(0)
    calendar = calendar or default_calendar()
    delta = now - case.paused_at
    paused = minutes_between(case.sla_clock, case.paused_at, now, calendar)
    case.paused_seconds = (case.paused_seconds or 0) + int(delta.total_seconds())
    case.paused_at = None
    if case.stage_due_at is not None:
        case.stage_due_at = add_minutes(case.sla_clock, case.stage_due_at, paused, calendar)
    if case.close_due_at is not None:
        case.close_due_at = add_minutes(case.sla_clock, case.close_due_at, paused, calendar)
    return delta


def used_share(case: Case, now: datetime, *, calendar: WorkCalendar | None = None) -> float | None:
    """The share of the current stage's allowance used by ``now`` on the case's clock (None: no stage)."""
    if case.stage_due_at is None or case.stage_started_at is None:
        return None
    if now <= case.stage_started_at:  # nothing used yet (a stage that starts now: no time to count)
        return 0.0 if case.stage_due_at > case.stage_started_at else None
    calendar = calendar or default_calendar()
    allowance = minutes_between(case.sla_clock, case.stage_started_at, case.stage_due_at, calendar)
    if allowance <= 0:
        return None
    return minutes_between(case.sla_clock, case.stage_started_at, now, calendar) / allowance


def color_of(
    case: Case, now: datetime, warning_share: float = 0.8, *, calendar: WorkCalendar | None = None
) -> str:
    """green / yellow (most of the stage's time used) / red (stage or close deadline passed)."""
    if case.state in (State.CLOSED, State.REJECTED, State.MERGED):
        return "grey"
    if case.paused_at is not None:
        return case.sla_color or "green"
    if (case.stage_due_at is not None and now > case.stage_due_at) or (
        case.close_due_at is not None and now > case.close_due_at
    ):
        return "red"
    share = used_share(case, now, calendar=calendar)
    return "yellow" if share is not None and share >= warning_share else "green"


@dataclass(frozen=True)
class SlaStatus:
    """The one time-limit status of a case at a moment: what the queue, the case page, the wall's feed and
    the API all show (``status_of``)."""

    color: str  # green | yellow | red | grey (finished); a paused case keeps its colour, is_paused says so
    is_paused: bool
    stage: str | None
    stage_due_at: datetime | None
    close_due_at: datetime | None
    # the deadline the status speaks of: the first one passed when overdue, else the stage's (else close)
    due_at: datetime | None
    due_kind: str | None  # "stage" | "close"
    seconds_left: int | None  # to due_at (negative: overdue by that much); None when paused or finished

    @property
    def is_overdue(self) -> bool:
        return self.color == "red"

    def to_dict(self) -> dict[str, Any]:
        return {
            "color": self.color,
            "is_paused": self.is_paused,
            "is_overdue": self.is_overdue,
            "stage": self.stage,
            "stage_due_at": self.stage_due_at.isoformat() if self.stage_due_at else None,
            "close_due_at": self.close_due_at.isoformat() if self.close_due_at else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "due_kind": self.due_kind,
            "seconds_left": self.seconds_left,
        }


def status_of(
    case: Case,
    now: datetime | None = None,
    *,
    warning_share: float | None = None,
    calendar: WorkCalendar | None = None,
) -> SlaStatus:
    """The case's time-limit status at ``now``: the colour (computed now, not the last job's) and the
    deadline it speaks of with the time left or over — one computation for every place that shows it."""
    now = now or utcnow()
    if warning_share is None:
        warning_share = get_cases_settings().sla_warning_share
    finished = case.state in (State.CLOSED, State.REJECTED, State.MERGED)
    color = color_of(case, now, warning_share, calendar=calendar)
    paused = case.paused_at is not None
    due_at, kind = _governing_due(case, now)
    left = None if finished or paused or due_at is None else int((due_at - now).total_seconds())
    return SlaStatus(
        color=color,
        is_paused=paused and not finished,
        stage=None if finished else case.stage,
        stage_due_at=None if finished else case.stage_due_at,
        close_due_at=None if finished else case.close_due_at,
        due_at=None if finished else due_at,
        due_kind=None if finished else kind,
        seconds_left=left,
    )


def _governing_due(case: Case, now: datetime) -> tuple[datetime | None, str | None]:
    passed = [
        (due, kind)
        for due, kind in ((case.stage_due_at, "stage"), (case.close_due_at, "close"))
        if due is not None and now > due
    ]
    if passed:
        return min(passed, key=lambda p: p[0])
    if case.stage_due_at is not None:
        return case.stage_due_at, "stage"
    return (case.close_due_at, "close") if case.close_due_at is not None else (None, None)
