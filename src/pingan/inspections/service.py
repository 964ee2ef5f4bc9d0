"""Checklists (versioned data), campaigns and visits. Every visit is checked whole before anything is written
(unknown place, wrong checklist version, a fail without a photo: a 4xx naming the field, nothing written),
and a resent visit (same ``visit_uid``) answers the visit already received."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role
from pingan.grids import interface as places

from . import enforcement, hazards
from .checklists import BUILTIN
from .common import INSPECTORS, MANAGERS, check_visited_at, decode_photo
from .models import Campaign, Checklist, Photo, Visit
from .schemas import Answer, CampaignCreate, ChecklistCreate, VisitCreate

NEARBY_SCAN = 2000  # places looked at when sorting a campaign's places by distance


# ---- checklists ----
def install_builtin_checklists(session: Session) -> list[Checklist]:
    """Version 1 of each shipped checklist, where its place type has none yet."""
    have = set(session.scalars(select(Checklist.place_type)))
    added = []
    for place_type, (title_zh, title_en, items) in BUILTIN.items():
        if place_type not in have:
            added.append(
                Checklist(place_type=place_type, version=1, title_zh=title_zh, title_en=title_en, items=items)
            )
    session.add_all(added)
    session.flush()
    return added


def publish_checklist(session: Session, actor: Actor, body: ChecklistCreate) -> Checklist:
    """A new version of a place type's checklist (campaigns created later use it; visits keep theirs)."""
    require_role(actor, Role.DISTRICT_ADMIN)
    place_type = _place_type(body.place_type)
    codes = [i.code for i in body.items]
    if len(set(codes)) != len(codes):
        raise ValidationFailed("items: each code once", field="items")
    last = session.scalar(select(func.max(Checklist.version)).where(Checklist.place_type == place_type)) or 0
    checklist = Checklist(
        place_type=place_type,
        version=last + 1,
        title_zh=body.title_zh,
        title_en=body.title_en,
        items=[i.model_dump() for i in body.items],
    )
    session.add(checklist)
    session.flush()
    return checklist


def latest_checklist(session: Session, place_type: str) -> Checklist | None:
    """The newest version of a place type's checklist."""
    return session.scalar(
        select(Checklist)
        .where(Checklist.place_type == place_type)
        .order_by(Checklist.version.desc())
        .limit(1)
    )


def list_checklists(session: Session, *, place_type: str | None = None) -> list[Checklist]:
    """Every checklist version, by place type and version."""
    stmt = select(Checklist).order_by(Checklist.place_type, Checklist.version)
    if place_type:
        stmt = stmt.where(Checklist.place_type == place_type)
    return list(session.scalars(stmt))


def get_checklist(session: Session, checklist_id: int) -> Checklist:
    """One checklist version; 404 naming ``checklist_id``."""
    found = session.get(Checklist, checklist_id)
    if found is None:
        raise NotFound(f"checklist {checklist_id} not found", field="checklist_id")
    return found


def _place_type(value: str) -> str:
    known = {t.code for t in places.place_types()}
    if value not in known:
        raise ValidationFailed(f"place_type {value!r} is not a known type", field="place_type")
    return value


# ---- campaigns ----
def create_campaign(session: Session, actor: Actor, body: CampaignCreate) -> Campaign:
    """A campaign over areas in the actor's scope and place types that have a checklist (the newest)."""
    require_role(actor, *MANAGERS)
    if body.ends_at <= body.starts_at:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    for code in body.area_codes:
        if not areas.ancestors(session, code):
            raise ValidationFailed(f"no area with code {code}", field="area_codes")
        ensure_in_scope(actor, code, what="area", roles=MANAGERS)
    install_builtin_checklists(session)
    checklist_ids: dict[str, int] = {}
    for value in body.place_types:
        place_type = _place_type(value)
        checklist = latest_checklist(session, place_type)
        if checklist is None:
            raise ValidationFailed(f"place type {place_type} has no checklist yet", field="place_types")
        checklist_ids[place_type] = checklist.id
    if session.scalar(select(Campaign.id).where(Campaign.code == body.code)) is not None:
        raise Conflict(f"campaign {body.code} exists", field="code", code="exists")
    campaign = Campaign(
        code=body.code,
        name=body.name,
        area_codes=list(dict.fromkeys(body.area_codes)),
        checklist_ids=checklist_ids,
        teams=body.teams,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        severity_threshold=body.severity_threshold,
        repeat_days=body.repeat_days,
        created_by=actor.username,
    )
    session.add(campaign)
    session.flush()
    return campaign


def _visible_campaigns(actor: Actor) -> Any:
    """Campaigns any of whose areas the actor sees (an area code is a prefix of its sub-areas' codes)."""
    return select(Campaign).order_by(Campaign.starts_at.desc(), Campaign.id.desc())


def list_campaigns(session: Session, actor: Actor) -> list[Campaign]:
    """The campaigns touching the actor's scope, newest first."""
    require_role(actor, *INSPECTORS)
    return [c for c in session.scalars(_visible_campaigns(actor)) if _touches(actor, c)]


def _touches(actor: Actor, campaign: Campaign) -> bool:
    if actor.is_system:
        return True
    prefixes = actor.area_prefixes(INSPECTORS)
    return any(code.startswith(p) or p.startswith(code) for code in campaign.area_codes for p in prefixes)


def get_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """One campaign touching the actor's scope; 404 naming ``campaign_id`` otherwise."""
    require_role(actor, *INSPECTORS)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not _touches(actor, campaign):
        raise NotFound(f"campaign {campaign_id} not found", field="campaign_id")
    return campaign


def campaign_places(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    *,
    lon: float | None = None,
    lat: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The register's places in the campaign's scope and types that the actor sees, nearest the phone first
    (given ``lon``/``lat``), else by id; with whether the campaign has inspected each."""
    types = list(campaign.checklist_ids)
    if lon is None or lat is None:
        refs, total = places.list_places(
            session, actor=actor, types=types, area_codes=campaign.area_codes, limit=limit, offset=offset
        )
        distances: dict[int, float | None] = {}
    else:
        refs, total = places.list_places(
            session, actor=actor, types=types, area_codes=campaign.area_codes, limit=500, offset=0
        )
        seen = 500
        while seen < min(total, NEARBY_SCAN):
            more, _ = places.list_places(
                session, actor=actor, types=types, area_codes=campaign.area_codes, limit=500, offset=seen
            )
            refs += more
            seen += 500
        distances = {p.id: metres(lon, lat, p.lon, p.lat) for p in refs}
        refs = sorted(refs, key=lambda p: (distances[p.id], p.id))[offset : offset + limit]
    done = inspected_place_ids(session, campaign.id, [p.id for p in refs])
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "address": p.address,
            "place_type": p.place_type,
            "area_code": p.area_code,
            "lon": p.lon,
            "lat": p.lat,
            "distance_m": _rounded(distances.get(p.id)),
            "inspected": p.id in done,
            "checklist_id": campaign.checklist_ids[p.place_type],
        }
        for p in refs
    ]
    return rows, total


def _rounded(metres: float | None) -> float | None:
    return None if metres is None else round(metres, 1)


def inspected_place_ids(session: Session, campaign_id: int, place_ids: list[int]) -> set[int]:
    """Which of these places the campaign has inspected."""
    if not place_ids:
        return set()
    return set(
        session.scalars(
            select(Visit.place_id).where(
                Visit.campaign_id == campaign_id, Visit.kind == "inspection", Visit.place_id.in_(place_ids)
            )
        )
    )


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The distance between two WGS-84 points in metres (equirectangular; exact enough within a district)."""
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat2 - lat1) * 111_320.0


# ---- visits ----
def find_visit(session: Session, visit_uid: str) -> Visit | None:
    """The visit the phone sent under this id, if received."""
    return session.scalar(select(Visit).where(Visit.visit_uid == visit_uid))


def record_visit(
    session: Session, actor: Actor, body: VisitCreate, *, now: datetime | None = None
) -> dict[str, Any]:
    """One checklist answered at a place, signed off: checked whole, then the visit, its photos and its
    hazards (each a case) written; a resend of a received ``visit_uid`` answers that visit (``replayed``)."""
    require_role(actor, *INSPECTORS)
    now = now or utcnow()
    existing = find_visit(session, body.visit_uid)
    if existing is not None:
        return visit_dict(session, existing, replayed=True)
    campaign = get_campaign(session, actor, body.campaign_id)
    visited_at = check_visited_at(body.visited_at, campaign.starts_at, campaign.ends_at, now)
    place, found_new = _place_of(session, actor, body, campaign)
    checklist = _checklist_for(session, campaign, place.place_type, body.checklist_id, body.checklist_version)
    photos = _check_answers(checklist, body.answers)
    visit = Visit(
        visit_uid=body.visit_uid,
        kind="inspection",
        campaign_id=campaign.id,
        place_id=place.id,
        place_type=place.place_type,
        area_code=place.area_code,
        checklist_id=checklist.id,
        inspector=actor.username,
        team=body.team,
        visited_at=visited_at,
        received_at=now,
        lon=body.lon,
        lat=body.lat,
        signed_by=body.signed_by.strip(),
        answers=[],
        failed=sum(1 for a in body.answers if a.result == "fail"),
    )
    try:
        with session.begin_nested():
            session.add(visit)
            session.flush()
    except IntegrityError:  # the same visit arrived twice at once: the other send wrote it
        again = find_visit(session, body.visit_uid)
        if again is None:
            raise
        return visit_dict(session, again, replayed=True)
    visit.answers = _store_answers(session, visit, body.answers, photos)
    found = hazards.raise_hazards(
        session, actor, campaign=campaign, visit=visit, place=place, checklist=checklist
    )
    session.flush()
    return visit_dict(session, visit, hazards_found=found, place_added=found_new)


def _place_of(
    session: Session, actor: Actor, body: VisitCreate, campaign: Campaign
) -> tuple[places.PlaceRef, bool]:
    if (body.place_id is None) == (body.new_place is None):
        raise ValidationFailed("send place_id or new_place (one of them)", field="place_id")
    if body.place_id is not None:
        place = places.get_place(session, body.place_id, actor)
        added = False
    else:
        new = body.new_place
        assert new is not None
        if new.place_type not in campaign.checklist_ids:
            raise ValidationFailed(
                f"the campaign does not cover {new.place_type}", field="new_place.place_type"
            )
        found = places.find_or_add_place(
            session,
            actor,
            place_type=new.place_type,
            name=new.name,
            address=new.address,
            lon=new.lon,
            lat=new.lat,
            source="inspections",
        )
        place, added = found.place, found.added
    if place.place_type not in campaign.checklist_ids:
        raise ValidationFailed(
            f"the campaign does not cover places of type {place.place_type}", field="place_id"
        )
    codes = campaign.area_codes
    if not any(place.area_code.startswith(c) for c in codes):  # lint-scope: ok (the campaign's areas)
        raise ValidationFailed("the place lies outside the campaign's areas", field="place_id")
    return place, added


def _checklist_for(
    session: Session, campaign: Campaign, place_type: str, checklist_id: int, version: int
) -> Checklist:
    expected = session.get(Checklist, campaign.checklist_ids[place_type])
    assert expected is not None
    if checklist_id != expected.id or version != expected.version:
        raise Conflict(
            f"the campaign inspects {place_type} with checklist {expected.id} version {expected.version}; "
            f"this visit answered checklist {checklist_id} version {version}: reload the checklist",
            code="checklist_version_mismatch",
            field="checklist_version",
            details={"checklist_id": expected.id, "checklist_version": expected.version},
        )
    return expected


def _check_answers(checklist: Checklist, answers: list[Answer]) -> list[list[tuple[str, bytes]]]:
    """Every item answered once, a photo with every fail; the photos decoded and judged by content."""
    items = {i["code"] for i in checklist.items}
    seen: set[str] = set()
    decoded: list[list[tuple[str, bytes]]] = []
    for n, answer in enumerate(answers):
        if answer.item not in items:
            raise ValidationFailed(f"item {answer.item!r} is not on the checklist", field=f"answers.{n}.item")
        if answer.item in seen:
            raise ValidationFailed(f"item {answer.item!r} answered twice", field=f"answers.{n}.item")
        seen.add(answer.item)
        if answer.result == "fail" and not answer.photos:
            raise ValidationFailed(
                f"item {answer.item!r} failed: a photo is required", field=f"answers.{n}.photos"
            )
        decoded.append([decode_photo(p, field=f"answers.{n}.photos") for p in answer.photos])
    missing = sorted(items - seen)
    if missing:
        raise ValidationFailed(f"items not answered: {', '.join(missing)}", field="answers")
    return decoded


def _store_answers(
    session: Session, visit: Visit, answers: list[Answer], photos: list[list[tuple[str, bytes]]]
) -> list[dict[str, Any]]:
    stored = []
    for answer, files in zip(answers, photos, strict=True):
        ids = []
        for content_type, data in files:
            photo = Photo(visit_id=visit.id, item=answer.item, content_type=content_type, data=data)
            session.add(photo)
            session.flush()
            ids.append(photo.id)
        stored.append({"item": answer.item, "result": answer.result, "note": answer.note, "photo_ids": ids})
    return stored


def visit_dict(
    session: Session,
    visit: Visit,
    *,
    replayed: bool = False,
    hazards_found: list[Any] | None = None,
    place_added: bool = False,
) -> dict[str, Any]:
    """A visit as the API answers it, with the hazards it raised."""
    found = hazards_found if hazards_found is not None else hazards.of_visit(session, visit.id)
    watched = enforcement.place_is_watched(session, visit.place_id)
    return {
        "flags": [enforcement.WATCH_FLAG] if watched else [],
        "id": visit.id,
        "visit_uid": visit.visit_uid,
        "kind": visit.kind,
        "campaign_id": visit.campaign_id,
        "place_id": visit.place_id,
        "place_added": place_added,
        "area_code": visit.area_code,
        "checklist_id": visit.checklist_id,
        "visited_at": visit.visited_at,
        "failed": visit.failed,
        "hazards": [hazards.hazard_dict(session, h) for h in found],
        "replayed": replayed,
    }


def get_photo(session: Session, actor: Actor, photo_id: int) -> Photo:
    """One photo of a visit in the actor's scope."""
    require_role(actor, *INSPECTORS)
    photo = session.get(Photo, photo_id)
    visit = session.get(Visit, photo.visit_id) if photo else None
    if photo is None or visit is None:
        raise NotFound("photo not found", field="photo_id")
    ensure_in_scope(actor, visit.area_code, what="photo", roles=INSPECTORS)
    return photo


def list_visits(session: Session, actor: Actor, *, campaign_id: int | None = None) -> Any:
    """A statement of the visits in the actor's scope, newest first (paged by the caller)."""
    require_role(actor, *INSPECTORS)
    stmt = in_scope(select(Visit), Visit.area_code, actor, roles=INSPECTORS)
    if campaign_id is not None:
        stmt = stmt.where(Visit.campaign_id == campaign_id)
    return stmt.order_by(Visit.visited_at.desc(), Visit.id.desc())
