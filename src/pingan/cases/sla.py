"""SLA clocks: per category, priority and stage deadlines; yellow warning, red overdue; pauses.

Limits are counted in calendar minutes (a working-hours calendar is not modelled yet).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pingan.cases.models import STAGES, Case, Category, State

# Fallback limits (minutes) when a category has none: register, dispatch, handle, verify.
DEFAULT_SLA: dict[str, dict[str, int]] = {
    "low": {"register": 240, "dispatch": 240, "handle": 7 * 1440, "verify": 1440},
    "normal": {"register": 60, "dispatch": 60, "handle": 3 * 1440, "verify": 480},
    "high": {"register": 30, "dispatch": 30, "handle": 1440, "verify": 240},
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
    base = DEFAULT_SLA.get(priority, DEFAULT_SLA["normal"])
    own = table.get(priority) or table.get("normal") or {}
    return {stage: int(own.get(stage, base[stage])) for stage in STAGES}


def start_stage(case: Case, category: Category | None, now: datetime) -> None:
    """Set the stage of the case's current state and its deadline, starting now."""
    stage = STAGE_OF_STATE.get(case.state)
    case.stage = stage
    case.stage_started_at = now if stage else None
    if stage is None:
        case.stage_due_at = None
        return
    case.stage_due_at = now + timedelta(minutes=stage_minutes(category, case.priority)[stage])
    case.sla_color = color_of(case, now)


def plan_close_due(case: Case, category: Category | None, start: datetime, *, from_stage: str) -> None:
    """The overall (close) deadline: the remaining stages' limits added from ``start``."""
    minutes = stage_minutes(category, case.priority)
    remaining = STAGES[STAGES.index(from_stage) :]
    case.close_due_at = start + timedelta(minutes=sum(minutes[s] for s in remaining))


def pause(case: Case, now: datetime) -> None:
    case.paused_at = now


def resume(case: Case, now: datetime) -> timedelta:
    """Stop the pause: deadlines move by the paused time, which is also accounted."""
    if case.paused_at is None:
        return timedelta(0)
    delta = now - case.paused_at
    case.paused_seconds = (case.paused_seconds or 0) + int(delta.total_seconds())
    case.paused_at = None
    if case.stage_due_at is not None:
        case.stage_due_at = case.stage_due_at + delta
    if case.close_due_at is not None:
        case.close_due_at = case.close_due_at + delta
    return delta


def color_of(case: Case, now: datetime, warning_share: float = 0.8) -> str:
    """green / yellow (most of the stage's time used) / red (stage or close deadline passed)."""
    if case.state in (State.CLOSED, State.REJECTED, State.MERGED):
        return "grey"
    if case.paused_at is not None:
        return case.sla_color or "green"
    if (case.stage_due_at is not None and now > case.stage_due_at) or (
        case.close_due_at is not None and now > case.close_due_at
    ):
        return "red"
    if case.stage_due_at is not None and case.stage_started_at is not None:
        allowance = (case.stage_due_at - case.stage_started_at).total_seconds()
        if allowance > 0 and (now - case.stage_started_at).total_seconds() >= warning_share * allowance:
            return "yellow"
    return "green"
