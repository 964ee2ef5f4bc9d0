"""Tasks and notices pushed down to grids, per-grid acknowledgement and completion, computed progress,
and population verification (人口信息核对) as a task type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from pingan.core.clock import as_utc, utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, Role, require_role
from pingan.grids.common import (
    MANAGER_ROLES,
    READ_ROLES,
    check_read,
    check_write,
    clean_text,
    grid_names,
    scoped,
    visible_grids,
)
from pingan.grids.models import CheckItem, CheckOutcome, Resident, Task, TaskKind, TaskTarget
from pingan.grids.residents import move_out_resident, update_resident

WORK_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)


def create_task(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    title: str,
    area_codes: Sequence[str],
    body: str = "",
    due_at: datetime | None = None,
) -> Task:
    """Push a task or notice down to the grids of the given areas (all inside the issuer's scope)."""
    require_role(actor, *MANAGER_ROLES)
    if kind not in {k.value for k in TaskKind}:
        raise ValidationFailed(f"kind must be one of: {', '.join(k.value for k in TaskKind)}", field="kind")
    if not area_codes:
        raise ValidationFailed("name at least one grid or area", field="area_codes")
    grids: list[str] = []
    for code in dict.fromkeys(area_codes):
        found = visible_grids(session, actor, area_code=code, roles=MANAGER_ROLES)
        if not found:
            raise NotFound(f"no grid in area {code}", field="area_codes")
        grids.extend(g for g in found if g not in grids)
    if due_at is not None and as_utc(due_at) <= utcnow():
        raise ValidationFailed("the due date must lie in the future", field="due_at")
    task = Task(
        kind=kind,
        title=clean_text(title, field="title", max_len=200),
        body=clean_text(body, field="body", max_len=8000, required=False),
        area_code=_issuer_area(actor, grids),
        due_at=as_utc(due_at) if due_at else None,
        created_by=actor.username,
    )
    session.add(task)
    session.flush()
    targets = [TaskTarget(task_id=task.id, area_code=g) for g in grids]
    session.add_all(targets)
    session.flush()
    if kind == TaskKind.POPULATION_CHECK.value:
        for target in targets:
            rows = session.execute(
                select(Resident.id).where(Resident.area_code == target.area_code, Resident.is_active)
            ).scalars()
            items = [
                {
                    "target_id": target.id,
                    "area_code": target.area_code,
                    "resident_id": rid,
                    "outcome": "pending",
                }
                for rid in rows
            ]
            if items:
                session.execute(insert(CheckItem), items)
    return task


def _issuer_area(actor: Actor, grids: list[str]) -> str:
    for grant in actor.grants_for(MANAGER_ROLES):
        if actor.can_see_area(grids[0], MANAGER_ROLES) and grids[0].startswith(grant.area_code):
            return grant.area_code
    street = grids[0][:9]
    return street if all(g[:9] == street for g in grids) else grids[0][:6]


def get_task(session: Session, actor: Actor, task_id: int) -> Task:
    """A task with at least one target grid inside the actor's scope."""
    require_role(actor, *READ_ROLES)
    task = session.get(Task, task_id)
    if task is None or not _targets(session, actor, task.id):
        raise NotFound("task not found", field="task_id")
    return task


def _targets(session: Session, actor: Actor, task_id: int) -> list[TaskTarget]:
    stmt = scoped(
        select(TaskTarget).where(TaskTarget.task_id == task_id), TaskTarget.area_code, actor, roles=READ_ROLES
    ).order_by(TaskTarget.area_code)
    return list(session.scalars(stmt))


def tasks_query(session: Session, actor: Actor, *, open_only: bool = False) -> Select[Task]:
    """Tasks with a target grid in the actor's scope, newest first."""
    require_role(actor, *READ_ROLES)
    visible = scoped(select(TaskTarget.task_id), TaskTarget.area_code, actor, roles=READ_ROLES)
    stmt = select(Task).where(Task.id.in_(visible)).order_by(Task.created_at.desc(), Task.id.desc())
    if open_only:
        stmt = stmt.where(Task.is_closed.is_(False))
    return stmt


def _target(session: Session, actor: Actor, task_id: int, area_code: str) -> tuple[Task, TaskTarget]:
    task = get_task(session, actor, task_id)
    target = session.scalar(
        select(TaskTarget).where(TaskTarget.task_id == task.id, TaskTarget.area_code == area_code)
    )
    if target is None:
        raise NotFound("this task has no such grid", field="area_code")
    check_read(actor, target.area_code, what="task grid")
    check_write(actor, target.area_code, what="task grid", roles=WORK_ROLES)
    if task.is_closed:
        raise Conflict("the task is closed", field="task_id")
    return task, target


def acknowledge_task(session: Session, actor: Actor, *, task_id: int, area_code: str) -> TaskTarget:
    """A grid acknowledges the task (idempotent: the first acknowledgement counts)."""
    _, target = _target(session, actor, task_id, area_code)
    if target.acknowledged_at is None:
        target.acknowledged_at = utcnow()
        target.acknowledged_by = actor.username
    session.flush()
    return target


def complete_task(
    session: Session, actor: Actor, *, task_id: int, area_code: str, note: str = ""
) -> TaskTarget:
    """A grid reports its part done (population checks: only when every resident is checked)."""
    task, target = _target(session, actor, task_id, area_code)
    if target.completed_at is not None:
        raise Conflict("this grid has already completed the task", field="area_code")
    if task.kind == TaskKind.POPULATION_CHECK.value:
        pending = session.scalar(
            select(func.count()).where(CheckItem.target_id == target.id, CheckItem.outcome == "pending")
        )
        if pending:
            raise Conflict(f"{pending} residents are not verified yet", field="area_code")
    now = utcnow()
    if target.acknowledged_at is None:
        target.acknowledged_at, target.acknowledged_by = now, actor.username
    target.completed_at, target.completed_by = now, actor.username
    target.note = clean_text(note, field="note", max_len=4000, required=False)
    session.flush()
    return target


def close_task(session: Session, actor: Actor, *, task_id: int) -> Task:
    """The issuer closes a task (no more acknowledgements or completions)."""
    require_role(actor, *MANAGER_ROLES)
    task = get_task(session, actor, task_id)
    check_write(actor, task.area_code, what="task", roles=MANAGER_ROLES)
    task.is_closed = True
    session.flush()
    return task


def task_progress(session: Session, actor: Actor, *, task_id: int) -> dict[str, Any]:
    """The progress board of one task, computed from the work (targets in the actor's scope)."""
    task = get_task(session, actor, task_id)
    targets = _targets(session, actor, task.id)
    now = utcnow()
    counts = (
        _item_counts(session, [t.id for t in targets]) if task.kind == TaskKind.POPULATION_CHECK.value else {}
    )
    names = grid_names(session, [t.area_code for t in targets])
    rows = []
    for t in targets:
        overdue = task.due_at is not None and t.completed_at is None and now > task.due_at
        row: dict[str, Any] = {
            "area_code": t.area_code,
            "name": names[t.area_code],
            "acknowledged_at": t.acknowledged_at,
            "acknowledged_by": t.acknowledged_by,
            "completed_at": t.completed_at,
            "completed_by": t.completed_by,
            "note": t.note,
            "is_overdue": overdue,
        }
        if counts is not None and task.kind == TaskKind.POPULATION_CHECK.value:
            c = counts.get(t.id, {})
            row["items"] = {o.value: c.get(o.value, 0) for o in CheckOutcome}
            row["discrepancies"] = c.get("corrected", 0) + c.get("moved_out", 0)
        rows.append(row)
    summary: dict[str, Any] = {
        "grids": len(rows),
        "acknowledged": sum(1 for r in rows if r["acknowledged_at"]),
        "completed": sum(1 for r in rows if r["completed_at"]),
        "overdue": sum(1 for r in rows if r["is_overdue"]),
    }
    if task.kind == TaskKind.POPULATION_CHECK.value:
        summary["items"] = {o.value: sum(r["items"][o.value] for r in rows) for o in CheckOutcome}
        summary["discrepancies"] = sum(r["discrepancies"] for r in rows)
    return {"task": task, "summary": summary, "grids": rows}


def _item_counts(session: Session, target_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if not target_ids:
        return out
    stmt = (
        select(CheckItem.target_id, CheckItem.outcome, func.count())
        .where(CheckItem.target_id.in_(target_ids))
        .group_by(CheckItem.target_id, CheckItem.outcome)
    )
    for target_id, outcome, n in session.execute(stmt):
        out.setdefault(target_id, {})[outcome] = int(n)
    return out


def check_items_query(
    session: Session, actor: Actor, *, task_id: int, area_code: str | None = None, outcome: str | None = None
) -> Select[CheckItem, Resident]:
    """The residents to verify in a population check (in the actor's scope)."""
    task = get_task(session, actor, task_id)
    stmt = scoped(
        select(CheckItem, Resident)
        .join(Resident, Resident.id == CheckItem.resident_id)
        .join(TaskTarget, TaskTarget.id == CheckItem.target_id)
        .where(TaskTarget.task_id == task.id),
        CheckItem.area_code,
        actor,
        roles=READ_ROLES,
    ).order_by(CheckItem.id)
    if area_code is not None:
        stmt = stmt.where(CheckItem.area_code == area_code)
    if outcome is not None:
        stmt = stmt.where(CheckItem.outcome == outcome)
    return stmt


def check_resident(
    session: Session,
    actor: Actor,
    *,
    item_id: int,
    outcome: str,
    corrections: dict[str, Any] | None = None,
    note: str = "",
) -> CheckItem:
    """Verify one resident: confirmed, corrected (with the corrections applied) or moved out."""
    item = session.get(CheckItem, item_id)
    if item is None:
        raise NotFound("check item not found", field="item_id")
    target = session.get(TaskTarget, item.target_id)
    assert target is not None
    _target(session, actor, target.task_id, target.area_code)
    if outcome not in {
        CheckOutcome.CONFIRMED.value,
        CheckOutcome.CORRECTED.value,
        CheckOutcome.MOVED_OUT.value,
    }:
        raise ValidationFailed("outcome must be confirmed, corrected or moved_out", field="outcome")
    if target.completed_at is not None:
        raise Conflict("this grid has already completed the check", field="item_id")
    if outcome == CheckOutcome.CORRECTED.value:
        if not corrections:
            raise ValidationFailed("a correction needs the corrected fields", field="corrections")
        update_resident(session, actor, resident_id=item.resident_id, changes=corrections, source="check")
    elif outcome == CheckOutcome.MOVED_OUT.value:
        move_out_resident(session, actor, resident_id=item.resident_id, source="check")
    item.outcome = outcome
    item.note = clean_text(note, field="note", max_len=2000, required=False)
    item.checked_at = utcnow()
    item.checked_by = actor.username
    session.flush()
    return item
