"""Background work: ``cases.refresh_sla`` (colours, reminders, escalation of overdue cases) and digests.

Safe with several server processes: a run first takes the ``case_job_leases`` row for the job (an atomic
conditional UPDATE, on SQLite and PostgreSQL alike); whoever holds an unexpired lease runs, the others skip.
Reminders are unique per case, kind and stage, so even an overlapping run cannot duplicate them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases import kpi_days, live, sla
from pingan.cases.access import VIEW_ROLES, visible
from pingan.cases.config import get_cases_settings
from pingan.cases.models import OPEN_STATES, Case, CaseEvent, JobLease, Reminder, State
from pingan.cases.timeline import add_event
from pingan.cases.worktime import WorkCalendar
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.db import transaction
from pingan.core.errors import NotFound
from pingan.core.security import Actor, Role, require_role
from pingan.units import service as units_service

log = logging.getLogger("pingan.cases.jobs")
JOB = "cases.refresh_sla"
LEASE = timedelta(seconds=120)
BATCH = 500
T = TypeVar("T")


@dataclass
class SlaReport:
    ran: bool
    holder: str
    checked: int = 0
    changed: int = 0
    warnings: int = 0
    overdue: int = 0
    escalated: int = 0
    colors: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def acquire_lease(session: Session, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Take (or renew) the named lease; False when another holder's lease is still valid."""
    result = session.execute(
        update(JobLease)
        .where(JobLease.name == name, or_(JobLease.expires_at < now, JobLease.holder == holder))
        .values(holder=holder, expires_at=now + ttl)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(JobLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(JobLease(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def release_lease(session: Session, name: str, holder: str, now: datetime) -> None:
    session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(expires_at=now, last_run_at=now)
    )


def run_leased(
    factory: sessionmaker[Session],
    name: str,
    run: Callable[[Session, datetime], T],
    *,
    holder: str | None = None,
    ttl: timedelta = LEASE,
    now: datetime | None = None,
) -> T | None:
    """Run ``run(session, now)`` in one transaction under the lease ``name`` (one process of the deployment at
    a time, like ``cases.refresh_sla``); ``None`` when another holder's lease is still valid."""
    holder = holder or default_holder()
    now = now or utcnow()
    with transaction(factory) as session:
        if not acquire_lease(session, name, holder, ttl, now):
            return None
    try:
        with transaction(factory) as session:
            return run(session, now)
    finally:
        with transaction(factory) as session:
            release_lease(session, name, holder, now)


def refresh_sla(
    factory: sessionmaker[Session], *, holder: str | None = None, now: datetime | None = None
) -> SlaReport:
    """One SLA pass over every open case (the job ``cases.refresh_sla``)."""
    holder = holder or default_holder()
    now = now or utcnow()
    with transaction(factory) as session:
        if not acquire_lease(session, JOB, holder, LEASE, now):
            return SlaReport(ran=False, holder=holder)
    report = SlaReport(ran=True, holder=holder)
    try:
        with transaction(factory) as session:
            _pass(session, report, now)
    finally:
        with transaction(factory) as session:
            release_lease(session, JOB, holder, now)
    return report


def _pass(session: Session, report: SlaReport, now: datetime) -> None:
    cs = get_cases_settings()
    opens = [s.value for s in OPEN_STATES if s is not State.SUSPENDED]
    last_id = 0
    system = Actor.system(JOB)
    calendar = sla.calendar_for(session)
    while True:
        batch = session.scalars(
            select(Case)
            .where(Case.state.in_(opens), Case.paused_at.is_(None), Case.id > last_id)
            .order_by(Case.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        last_id = batch[-1].id
        for case in batch:
            report.checked += 1
            color = sla.color_of(case, now, cs.sla_warning_share, calendar=calendar)
            report.colors[color] = report.colors.get(color, 0) + 1
            if color != case.sla_color:
                case.sla_color = color
                report.changed += 1
                live.queue_change(session, case, "sla")
            if color == "yellow" and remind(session, case, "warning"):
                report.warnings += 1
            if color == "red":
                if remind(session, case, "overdue"):
                    report.overdue += 1
                if _should_escalate(case, now, cs.escalate_overdue_share, calendar):
                    _escalate(session, system, case)
                    report.escalated += 1
        session.flush()


def _handler_account(session: Session, case: Case) -> int | None:
    return session.scalar(
        select(CaseEvent.account_id)
        .where(CaseEvent.case_id == case.id, CaseEvent.action.in_(("start", "handle")))
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )


def remind(session: Session, case: Case, kind: str) -> bool:
    """Record a reminder of ``kind`` for the case's current stage once (warning, overdue, escalated,
    supervised, handed_back); False when it exists already."""
    stage = case.stage or "close"
    exists = session.scalar(
        select(Reminder.id).where(Reminder.case_id == case.id, Reminder.kind == kind, Reminder.stage == stage)
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                Reminder(
                    case_id=case.id,
                    unit_id=case.owner_unit_id,
                    account_id=_handler_account(session, case),
                    area_code=case.area_code,
                    kind=kind,
                    stage=stage,
                    due_at=case.stage_due_at,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def _should_escalate(case: Case, now: datetime, share: float, calendar: WorkCalendar) -> bool:
    """Overdue by ``share`` of the stage's allowance, both measured on the case's clock."""
    if case.is_supervised or case.stage_due_at is None or case.stage_started_at is None:
        return False
    allowance = sla.minutes_between(case.sla_clock, case.stage_started_at, case.stage_due_at, calendar)
    overdue = sla.minutes_between(case.sla_clock, case.stage_due_at, now, calendar)
    return overdue > 0 and overdue >= share * max(allowance, 1)


def _escalate(session: Session, actor: Actor, case: Case) -> None:
    """Overdue by rule: supervised (督办) and, for street-level cases, raised to the district (上报)."""
    case.is_supervised = True
    before = case.escalation_level
    case.escalation_level = "district"
    note = "overdue beyond the escalation threshold: supervised" + (
        "; escalated street → district" if before == "street" else ""
    )
    details = {"auto": True, "reason": "overdue", "escalated": before == "street"}
    add_event(session, case, actor, action="supervise", note=note, details=details)
    remind(session, case, "escalated")
    remind(session, case, "supervised")
    live.queue_change(session, case, "supervise")


class SlaTicker:
    """A daemon thread running refresh_sla every few seconds (started by the web app when enabled)."""

    def __init__(self, factory: sessionmaker[Session], seconds: float) -> None:
        self.factory, self.seconds = factory, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pingan-sla", daemon=True)
        self.holder = default_holder()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                refresh_sla(self.factory, holder=self.holder)
            except Exception:  # noqa: BLE001 - a failed pass is logged and retried next tick
                log.exception("SLA pass failed")
            try:
                kpi_days.refresh_job(self.factory)
            except Exception:  # noqa: BLE001 - the KPIs read unbuilt days from the cases meanwhile
                log.exception("KPI roll-up refresh failed")


# --- reading reminders and digests -----------------------------------------------------------------------


def reminders_for(
    session: Session, actor: Actor, *, include_acknowledged: bool = False
) -> list[dict[str, Any]]:
    """Reminders of the cases the actor may see (handlers: their unit's cases)."""
    require_role(actor, *VIEW_ROLES)
    case_ids = visible(select(Case.id), actor).subquery()
    stmt = select(Reminder, Case.number, Case.title).join(Case, Case.id == Reminder.case_id)
    stmt = stmt.where(Reminder.case_id.in_(select(case_ids.c.id)))
    if not include_acknowledged:
        stmt = stmt.where(Reminder.acknowledged_at.is_(None))
    # who a command-chain reminder is for: an escalation for the district that receives it; a supervision or
    # a hand-back for the street and the owning unit (the district sent them)
    if not actor.is_system and not actor.has_role(Role.DISTRICT_ADMIN):
        stmt = stmt.where(Reminder.kind != "escalated")
    elif not actor.is_system and not actor.has_role(*(r for r in VIEW_ROLES if r is not Role.DISTRICT_ADMIN)):
        stmt = stmt.where(Reminder.kind.not_in(("supervised", "handed_back")))
    rows = session.execute(stmt.order_by(Reminder.created_at.desc()).limit(500)).all()
    return [
        {
            "id": r.id,
            "case_id": r.case_id,
            "number": number,
            "title": title,
            "kind": r.kind,
            "stage": r.stage,
            "unit_id": r.unit_id,
            "account_id": r.account_id,
            "due_at": r.due_at.isoformat() if r.due_at else None,
            "created_at": r.created_at.isoformat(),
            "acknowledged_at": r.acknowledged_at.isoformat() if r.acknowledged_at else None,
            "is_mine": r.account_id is not None and r.account_id == actor.account_id,
        }
        for r, number, title in rows
    ]


def acknowledge_reminder(session: Session, actor: Actor, *, reminder_id: int) -> dict[str, Any]:
    reminder = session.get(Reminder, reminder_id)
    visible_ids = {r["id"] for r in reminders_for(session, actor, include_acknowledged=True)}
    if reminder is None or reminder.id not in visible_ids:
        raise NotFound("reminder not found", field="reminder_id")
    reminder.acknowledged_at = reminder.acknowledged_at or utcnow()
    session.flush()
    return {"id": reminder.id, "acknowledged_at": reminder.acknowledged_at.isoformat()}


def daily_digest(session: Session, actor: Actor, *, day: date | None = None) -> list[dict[str, Any]]:
    """Per owning unit: open, red, yellow, received and closed on the day (Asia/Shanghai)."""
    require_role(actor, *VIEW_ROLES)
    day = day or utcnow().astimezone(LOCAL_TZ).date()
    start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    end = start + timedelta(days=1)
    opens = {s.value for s in OPEN_STATES}
    stmt = visible(
        select(Case.owner_unit_id, Case.state, Case.sla_color, Case.reported_at, Case.closed_at), actor
    ).where(or_(Case.state.in_(opens), Case.closed_at >= start, Case.reported_at >= start))
    units: dict[int | None, dict[str, Any]] = {}
    for unit_id, state, color, reported_at, closed_at in session.execute(stmt):
        row = units.setdefault(
            unit_id, {"unit_id": unit_id, "open": 0, "red": 0, "yellow": 0, "received": 0, "closed": 0}
        )
        if state in opens:
            row["open"] += 1
            if color in ("red", "yellow"):
                row[color] += 1
        if start <= reported_at < end:
            row["received"] += 1
        if state == State.CLOSED.value and closed_at is not None and start <= closed_at < end:
            row["closed"] += 1
    names = {u.id: (u.code, u.name) for u in units_service.units_by_id(session).values()}
    out = []
    for unit_id, row in sorted(units.items(), key=lambda kv: (-kv[1]["red"], -kv[1]["open"])):
        code, name = names.get(unit_id, ("", "未派遣 unassigned")) if unit_id else ("", "未派遣 unassigned")
        out.append({**row, "day": day.isoformat(), "unit_code": code, "unit_name": name})
    return out


def tick_once(factory: sessionmaker[Session]) -> SlaReport:
    """CLI entry: one pass now."""
    return refresh_sla(factory, holder=f"cli:{default_holder()}")


__all__ = [
    "Role",
    "SlaReport",
    "SlaTicker",
    "daily_digest",
    "refresh_sla",
    "reminders_for",
    "run_leased",
    "tick_once",
]
