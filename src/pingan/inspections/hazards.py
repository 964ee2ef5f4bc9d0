"""Hazards (隐患): a failed item at or above the campaign's severity threshold becomes a hazard with a
responsible party and a rectification deadline, raised as a case through the cases spine (one category per
hazard type, routed by the ordinary rules). The case's verification (核查) is a re-inspection: the spine asks
:func:`verification_check` before it lets the case be verified, and a passing re-inspection verifies it (and
closes it, when the inspector may)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.grids import interface as places

from . import enforcement
from .checklists import SEVERITIES
from .common import INSPECTORS, check_visited_at, decode_photo
from .models import Campaign, Checklist, Hazard, Photo, Visit
from .module import HAZARD_CATEGORIES

if TYPE_CHECKING:
    from .schemas import ReinspectionCreate

# The rectification deadline by severity (整改期限)
DEADLINES = {"critical": timedelta(days=1), "major": timedelta(days=7), "minor": timedelta(days=15)}
PRIORITY = {"critical": "urgent", "major": "high", "minor": "normal"}
RANK = {s: n for n, s in enumerate(SEVERITIES)}


def raise_hazards(
    session: Session,
    actor: Actor,
    *,
    campaign: Campaign,
    visit: Visit,
    place: places.PlaceRef,
    checklist: Checklist,
) -> list[Hazard]:
    """The visit's failed items at or above the campaign's threshold, each a hazard raised as a case."""
    items = {i["code"]: i for i in checklist.items}
    threshold = RANK[campaign.severity_threshold]
    found = []
    for answer in visit.answers:
        item = items[answer["item"]]
        if answer["result"] != "fail" or RANK[item["severity"]] < threshold:
            continue
        found.append(
            _raise_one(
                session, actor, campaign=campaign, visit=visit, place=place, item=item, note=answer["note"]
            )
        )
    return found


def _raise_one(
    session: Session,
    actor: Actor,
    *,
    campaign: Campaign,
    visit: Visit,
    place: places.PlaceRef,
    item: dict[str, Any],
    note: str,
) -> Hazard:
    repeat = is_repeat(
        session, place_id=place.id, item=item["code"], at=visit.visited_at, days=campaign.repeat_days
    )
    due = visit.visited_at + DEADLINES[item["severity"]]
    category = HAZARD_CATEGORIES[item["hazard_type"]]
    flags = "【重复隐患】" if repeat else ""
    if enforcement.closed_site_near(
        session, place_id=place.id, address=place.address, lon=place.lon, lat=place.lat
    ):
        flags += "【曾取缔非法液化气点】"
    description = (
        f"{flags}{place.name}（{place.address or place.area_code}）排查发现：{item['text_zh']}。"
        f"依据：{item['basis']}。责任方：{place.name}经营者。整改期限：{due:%Y-%m-%d %H:%M} UTC。{note}"
    ).strip()
    case = cases.raise_case(
        session,
        actor,
        category_code=category.code,
        description=description[:2000],
        source="inspection",
        lon=place.lon,
        lat=place.lat,
        title=f"{place.name}：{item['text_zh']}"[:200],
        priority=PRIORITY[item["severity"]],
        dedupe_key=f"inspections:{place.id}:{item['code']}",
    )
    hazard = Hazard(
        campaign_id=campaign.id,
        visit_id=visit.id,
        place_id=place.id,
        place_type=place.place_type,
        area_code=place.area_code,
        item=item["code"],
        hazard_type=item["hazard_type"],
        severity=item["severity"],
        description=item["text_zh"],
        responsible=f"{place.name}经营者",
        found_at=visit.visited_at,
        due_at=due,
        case_id=case.id,
        status="open",
        is_repeat=repeat,
    )
    session.add(hazard)
    session.flush()
    return hazard


def is_repeat(session: Session, *, place_id: int, item: str, at: datetime, days: int) -> bool:
    """Whether the same item failed at the same place within ``days`` before ``at`` (a repeat hazard)."""
    since = at - timedelta(days=days)
    return (
        session.scalar(
            select(Hazard.id)
            .where(
                Hazard.place_id == place_id,
                Hazard.item == item,
                Hazard.found_at >= since,
                Hazard.found_at <= at,
            )
            .limit(1)
        )
        is not None
    )


def of_visit(session: Session, visit_id: int) -> list[Hazard]:
    """The hazards a visit raised."""
    return list(session.scalars(select(Hazard).where(Hazard.visit_id == visit_id).order_by(Hazard.id)))


def hazard_dict(session: Session, hazard: Hazard, *, now: datetime | None = None) -> dict[str, Any]:
    """A hazard as the API answers it, with its flags (repeat, overdue)."""
    now = now or utcnow()
    flags = []
    if hazard.is_repeat:
        flags.append("repeat")
    if enforcement.place_is_watched(session, hazard.place_id):
        flags.append(enforcement.WATCH_FLAG)
    if is_overdue(hazard, now):
        flags.append("overdue")
    return {c.key: getattr(hazard, c.key) for c in Hazard.__table__.columns if c.key != "visit_id"} | {
        "flags": flags
    }


def is_overdue(hazard: Hazard, now: datetime) -> bool:
    """Open past its deadline, or rectified after it."""
    if hazard.status == "open":
        return hazard.due_at < now
    return hazard.rectified_at is not None and hazard.rectified_at > hazard.due_at


def get_hazard(session: Session, actor: Actor, hazard_id: int) -> Hazard:
    """One hazard in the actor's scope; 404 naming ``hazard_id``."""
    require_role(actor, *INSPECTORS)
    hazard = session.get(Hazard, hazard_id)
    if hazard is None:
        raise NotFound(f"hazard {hazard_id} not found", field="hazard_id")
    ensure_in_scope(actor, hazard.area_code, what="hazard", roles=INSPECTORS)
    return hazard


def list_hazards(
    session: Session, actor: Actor, *, campaign_id: int | None = None, status: str | None = None
) -> Any:
    """A statement of the hazards in the actor's scope, the soonest deadline first (paged by the caller)."""
    require_role(actor, *INSPECTORS)
    stmt = in_scope(select(Hazard), Hazard.area_code, actor, roles=INSPECTORS)
    if campaign_id is not None:
        stmt = stmt.where(Hazard.campaign_id == campaign_id)
    if status is not None:
        stmt = stmt.where(Hazard.status == status)
    return stmt.order_by(Hazard.due_at, Hazard.id)


def reinspect(
    session: Session, actor: Actor, *, hazard_id: int, body: ReinspectionCreate, now: datetime | None = None
) -> dict[str, Any]:
    """A re-inspection of a hazard's failed item, with photos. Passing: the hazard is rectified and its case,
    once handled, verified (and closed when the inspector may close it); failing: a handled case goes back
    to rework. A resent re-inspection (same ``visit_uid``) answers the one received."""
    now = now or utcnow()
    existing = session.scalar(select(Visit).where(Visit.visit_uid == body.visit_uid))
    if existing is not None:
        hazard = get_hazard(session, actor, existing.hazard_id or 0)
        return {"hazard": hazard_dict(session, hazard, now=now), "visit_id": existing.id, "replayed": True}
    hazard = get_hazard(session, actor, hazard_id)
    if hazard.status != "open":
        raise Conflict("the hazard is rectified already", field="hazard_id", code="rectified")
    visited_at = check_visited_at(body.visited_at, hazard.found_at, now + timedelta(days=1), now)
    files = [decode_photo(p, field="photos") for p in body.photos]
    original = session.get(Visit, hazard.visit_id)
    assert original is not None
    visit = Visit(
        visit_uid=body.visit_uid,
        kind="reinspection",
        campaign_id=hazard.campaign_id,
        hazard_id=hazard.id,
        place_id=hazard.place_id,
        place_type=hazard.place_type,
        area_code=hazard.area_code,
        checklist_id=original.checklist_id,
        inspector=actor.username,
        visited_at=visited_at,
        received_at=now,
        signed_by=body.signed_by.strip(),
        answers=[],
        failed=0 if body.result == "pass" else 1,
    )
    session.add(visit)
    session.flush()
    ids = []
    for content_type, data in files:
        photo = Photo(visit_id=visit.id, item=hazard.item, content_type=content_type, data=data)
        session.add(photo)
        session.flush()
        ids.append(photo.id)
    visit.answers = [{"item": hazard.item, "result": body.result, "note": body.note, "photo_ids": ids}]
    if body.result == "pass":
        hazard.status, hazard.rectified_at, hazard.reinspection_visit_id = "rectified", visited_at, visit.id
    session.flush()
    _move_case(session, actor, hazard, passed=body.result == "pass", note=body.note)
    return {"hazard": hazard_dict(session, hazard, now=now), "visit_id": visit.id, "replayed": False}


def _move_case(session: Session, actor: Actor, hazard: Hazard, *, passed: bool, note: str) -> None:
    if hazard.case_id is None:
        return
    case = cases.get_case(session, actor, case_id=hazard.case_id)
    what = "复查通过" if passed else "复查未通过"
    if case.state != "handled":  # the handler has not reported it done: the result waits on the timeline
        cases.add_event(
            session, case, actor, action="comment", note=f"{what}（隐患 {hazard.id}）{note}".strip()
        )
        return
    if not passed:
        note = f"{what}：{note or hazard.description}"
        cases.transition(session, actor, case_id=case.id, action="rework", note=note)
        return
    cases.transition(session, actor, case_id=case.id, action="verify", note=f"{what}（隐患 {hazard.id}）")
    if "close" in cases.allowed_actions(session, actor, case):
        cases.transition(session, actor, case_id=case.id, action="close", note=what)


def verification_check(session: Session, case: Any) -> str | None:
    """The cases spine asks this before verifying a case of a hazard category: every hazard on the case must
    have passed its re-inspection."""
    open_ = session.scalar(
        select(Hazard.id).where(Hazard.case_id == case.id, Hazard.status == "open").limit(1)
    )
    if open_ is not None:
        return f"hazard {open_} needs a passing re-inspection (复查) of its failed item"
    return None
