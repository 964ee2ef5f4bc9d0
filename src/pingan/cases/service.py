"""Cases: intake from every channel (``raise_case`` is the one way a problem becomes a case), reading, search.

The workflow (register, dispatch, handle, verify, close …) lives in :mod:`pingan.cases.workflow`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.audit import service as audit
from pingan.cases import live, routing, sla
from pingan.cases.access import OPERATOR_ROLES, ROLES_REVEAL, ensure_visible, visible
from pingan.cases.config import get_cases_settings, get_protector
from pingan.cases.models import (
    INTERNAL_SOURCES,
    OPEN_STATES,
    PRIORITIES,
    SOURCES,
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    CaseLink,
    Category,
    SnoozedKey,
    State,
)
from pingan.cases.storage import save_upload
from pingan.core import geo
from pingan.core.clock import to_local, utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.pii import mask_name, mask_phone, normalise_phone
from pingan.core.security import Actor, Grant, Role, require_role

MAX_DESCRIPTION = 4000


def raise_case(
    session: Session,
    actor: Actor,
    *,
    category_code: str,
    description: str,
    source: str,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    area_code: str | None = None,
    title: str | None = None,
    priority: str | None = None,
    source_ref: str | None = None,
    dedupe_key: str | None = None,
) -> Case:
    """Open a case (or add a signal to the open case of ``dedupe_key``); never commits."""
    if source not in SOURCES:
        raise ValidationFailed(f"source must be one of {', '.join(SOURCES)}", field="source")
    now = utcnow()
    # On SQLite take the write lock first: a transaction that has read cannot be upgraded once another
    # writer has committed (SQLITE_BUSY_SNAPSHOT), so the number is drawn before anything is read.
    number = _next_number(session, now) if _is_sqlite(session) else None
    internal = actor.is_system or source in INTERNAL_SOURCES
    if source == "hotline":
        require_role(actor, *OPERATOR_ROLES)
    elif source == "grid_worker":
        require_role(actor, Role.GRID_WORKER)
    category = routing.get_category(session, category_code)
    if len(category.code) != 4:
        raise ValidationFailed(
            "choose a minor class (4-digit code), not a major class", field="category_code"
        )
    description = (description or "").strip()
    if not description:
        raise ValidationFailed("description is required", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    if title is not None and len(title) > 200:
        raise ValidationFailed("title is longer than 200 characters", field="title")
    priority = priority or category.default_priority
    if priority not in PRIORITIES:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
    if dedupe_key:
        existing = _signal_existing(session, dedupe_key, now)
        if existing is not None:
            return existing
    place = _place(session, lon, lat, crs, area_code, internal)
    case = Case(
        number=number or _next_number(session, now),
        category_code=category.code,
        title=(title or "").strip() or _default_title(category, description),
        description=description,
        lon=place.lon,
        lat=place.lat,
        source_crs=geo.parse_crs(crs).value if place.lon is not None else "wgs84",
        area_code=place.area_code,
        community_code=place.community_code,
        street_code=place.street_code,
        source=source,
        source_ref=source_ref,
        dedupe_key=dedupe_key,
        signal_count=1,
        last_signal_at=now,
        priority=priority,
        state=State.REPORTED.value,
        escalation_level="district" if place.street_code is None else "street",
        reported_at=now,
        updated_at=now,
        attributes={},
        paused_seconds=0,
        return_count=0,
        rework_count=0,
        reopen_count=0,
        is_supervised=False,
        is_anonymous_public=False,
        reporter_name_masked="",
        reporter_phone_masked="",
        address="",
        public_note="",
        sla_color="green",
    )
    route = routing.route_case(
        session,
        category_code=category.code,
        area_code=place.area_code,
        street_code=place.street_code,
        community_code=place.community_code,
    )
    case.routed_unit_id = case.owner_unit_id = route.unit.id if route.unit else None
    sla.start_stage(case, category, now)
    sla.plan_close_due(case, category, now, from_stage="register")
    token = secrets.token_urlsafe(12)
    case.tracking_digest = _digest(token)
    session.add(case)
    session.flush()
    case.tracking_token = token  # type: ignore[attr-defined]  # shown once to the reporter
    add_event(
        session,
        case,
        actor,
        action="report",
        to_state=State.REPORTED.value,
        note=f"{source}; {route.reason}",
        is_public=True,
        details={"source": source, "routed_unit_id": case.routed_unit_id},
    )
    if get_cases_settings().auto_link and place.lon is not None and not dedupe_key:
        _auto_link(session, case, category, now)
    live.queue_change(session, case, "reported")
    return case


@dataclass(frozen=True)
class _Place:
    lon: float | None
    lat: float | None
    area_code: str
    community_code: str | None
    street_code: str | None


def _place(
    session: Session, lon: float | None, lat: float | None, crs: str, area_code: str | None, internal: bool
) -> _Place:
    if (lon is None) != (lat is None):
        raise ValidationFailed("lon and lat must be sent together", field="lon" if lon is None else "lat")
    if lon is not None and lat is not None:
        parsed = geo.parse_crs(crs)
        geo.validate_lonlat(lon, lat)
        wlon, wlat = geo.to_wgs84(lon, lat, parsed)
        found = areas.locate(session, lon=wlon, lat=wlat)
        if found is None:
            raise ValidationFailed(
                f"lon/lat ({lon}, {lat}) in {parsed.value} lies outside the district's grids",
                code="outside_district",
                field="lon",
            )
        return _Place(
            round(wlon, 7),
            round(wlat, 7),
            found.grid.code,
            found.community.code if found.community else None,
            found.street.code if found.street else None,
        )
    if not internal:
        raise ValidationFailed("a location is required: send lon and lat", field="lon")
    if area_code:
        try:
            chain = areas.ancestors(session, area_code)
        except NotFound:
            chain = []
        if not chain:
            raise ValidationFailed(f"no area with code {area_code}", field="area_code")
        levels = {a.level: a.code for a in chain}
        return _Place(
            None, None, area_code, levels.get(AreaLevel.COMMUNITY.value), levels.get(AreaLevel.STREET.value)
        )
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    if not districts:
        raise ValidationFailed("no district is configured", field="area_code")
    return _Place(None, None, districts[0].code, None, None)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def public_actor(session: Session, *, client_ip: str | None = None) -> Actor:
    """The actor of an anonymous resident using the public report form."""
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    grants = (Grant(Role.RESIDENT, districts[0].code),) if districts else ()
    return Actor(account_id=None, username="public", grants=grants, client_ip=client_ip, display_name="市民")


def _default_title(category: Category, description: str) -> str:
    first = description.splitlines()[0][:40]
    return f"{category.name_zh}：{first}" if first else category.name_zh


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _next_number(session: Session, now: datetime) -> str:
    """BJ + local date + a district-wide running number (PostgreSQL sequence; a counter row on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        n = int(session.scalar(text("SELECT nextval('case_number_seq')")) or 0)
    else:
        n = int(
            session.scalar(
                update(CaseCounter)
                .where(CaseCounter.name == "case")
                .values(last=CaseCounter.last + 1)
                .returning(CaseCounter.last)
            )
            or 0
        )
        if n == 0:
            session.add(CaseCounter(name="case", last=1))
            session.flush()
            n = 1
    return f"BJ{to_local(now):%Y%m%d}{n:04d}"


def _signal_existing(session: Session, dedupe_key: str, now: datetime) -> Case | None:
    """A machine signal: count it on the open case with this key, or swallow it while the key is snoozed."""
    case = session.scalar(
        select(Case)
        .where(Case.dedupe_key == dedupe_key, Case.state.in_([s.value for s in OPEN_STATES]))
        .order_by(Case.id.desc())
        .limit(1)
    )
    if case is not None:
        case.signal_count += 1
        case.last_signal_at = now
        case.updated_at = now
        session.flush()
        return case
    snooze = session.get(SnoozedKey, dedupe_key)
    if snooze is not None and snooze.until > now:
        snooze.suppressed += 1
        latest = session.scalar(
            select(Case).where(Case.dedupe_key == dedupe_key).order_by(Case.id.desc()).limit(1)
        )
        session.flush()
        if latest is not None:
            return latest
        raise Conflict(
            f"signals with key {dedupe_key} are snoozed until {snooze.until.isoformat()}",
            code="snoozed",
            field="dedupe_key",
        )
    return None


def _auto_link(session: Session, case: Case, category: Category, now: datetime) -> None:
    from pingan.cases.dedupe import nearby_cases

    near = nearby_cases(
        session,
        category_code=category.code,
        lon=case.lon or 0.0,
        lat=case.lat or 0.0,
        include_closed=False,
        exclude_id=case.id,
        now=now,
        limit=1,
    )
    if not near:
        return
    target, distance = near[0]
    case.duplicate_of_id = target.id
    session.add(
        CaseLink(
            case_id=case.id, other_case_id=target.id, kind="duplicate", distance_m=distance, created_by="auto"
        )
    )
    add_event(
        session,
        case,
        None,
        action="link",
        note=f"possible duplicate of {target.number} ({distance:.0f} m away); an operator may merge or split",
        details={"other_case_id": target.id},
    )
    session.flush()


def add_event(
    session: Session,
    case: Case,
    actor: Actor | None,
    *,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    unit_id: int | None = None,
    is_public: bool = False,
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one step to the case timeline."""
    entry = CaseEvent(
        case_id=case.id,
        at=utcnow(),
        account_id=actor.account_id if actor else None,
        actor_name=(actor.display_name or actor.username) if actor else "system",
        action=action,
        from_state=from_state,
        to_state=to_state,
        unit_id=unit_id,
        note=note,
        is_public=is_public,
        details=details or {},
    )
    session.add(entry)
    return entry


# --- channel intake (resident web, hotline, grid-worker app, Open311) ------------------------------------


def submit_report(
    session: Session,
    actor: Actor,
    *,
    category_code: str,
    description: str,
    source: str,
    lon: float | None,
    lat: float | None,
    crs: str = "wgs84",
    title: str | None = None,
    address: str = "",
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    is_anonymous_public: bool = False,
    on_behalf: bool = False,
    attributes: dict[str, Any] | None = None,
    media_url: str | None = None,
    source_ref: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> Case:
    """A report from a person: resident, hotline operator for a caller, grid worker, Open311 client."""
    phone = normalise_phone(reporter_phone, field="reporter_phone") if reporter_phone else None
    name = (reporter_name or "").strip() or None
    if name is not None and len(name) > 40:
        raise ValidationFailed("reporter name is longer than 40 characters", field="reporter_name")
    if on_behalf and phone is None:
        raise ValidationFailed("a hotline report needs the caller's phone", field="reporter_phone")
    if len(address) > 200:
        raise ValidationFailed("address is longer than 200 characters", field="address")
    if files and len(files) > get_cases_settings().max_attachments:
        raise ValidationFailed(f"at most {get_cases_settings().max_attachments} files", field="media")
    case = raise_case(
        session,
        actor,
        category_code=category_code,
        description=description,
        source=source,
        lon=lon,
        lat=lat,
        crs=crs,
        title=title,
        source_ref=source_ref,
    )
    if on_behalf:
        case.entered_by_id = actor.account_id
    elif actor.account_id is not None:
        case.reporter_account_id = actor.account_id
    case.address = address.strip()
    case.is_anonymous_public = is_anonymous_public
    case.attributes = attributes or {}
    case.media_url = media_url
    if name or phone:
        protector = get_protector()
        if name:
            case.reporter_name_enc = protector.encrypt(name)
            case.reporter_name_masked = mask_name(name)
        if phone:
            case.reporter_phone_enc = protector.encrypt(phone)
            case.reporter_phone_index = protector.blind_index("phone:" + phone)
            case.reporter_phone_masked = mask_phone(phone)
    if on_behalf and (name or phone):
        audit.record(
            session,
            actor,
            action="pii_collect",
            subject_type="case_reporter",
            subject_id=case.id,
            area_code=case.area_code,
            reason="hotline report entered for a caller",
            details={"number": case.number, "fields": _given(name=name, phone=phone)},
        )
    for filename, data in files or ():
        attach_file(session, actor, case, filename=filename, data=data, kind="report")
    session.flush()
    return case


def _given(**values: str | None) -> list[str]:
    return [k for k, v in values.items() if v]


def attach_file(
    session: Session,
    actor: Actor | None,
    case: Case,
    *,
    filename: str,
    data: bytes,
    kind: str = "report",
    event: CaseEvent | None = None,
) -> Attachment:
    """Store a photo/document for the case (validated by content, size-limited)."""
    stored = save_upload(case.number, filename, data)
    attachment = Attachment(
        case_id=case.id,
        event_id=event.id if event else None,
        kind=kind,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        is_public=True,
        uploaded_by=actor.account_id if actor else None,
        created_at=utcnow(),
    )
    session.add(attachment)
    session.flush()
    return attachment


# --- reading --------------------------------------------------------------------------------------------


def get_case(session: Session, actor: Actor, *, case_id: int) -> Case:
    """One case the actor may see, or NotFound."""
    return ensure_visible(actor, session.get(Case, case_id))


def get_case_by_number(session: Session, actor: Actor, *, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    return ensure_visible(actor, case)


@dataclass
class CaseFilter:
    state: list[str] | None = None
    category_prefix: str | None = None
    area_code: str | None = None
    owner_unit_id: int | None = None
    source: str | None = None
    sla_color: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    q: str | None = None
    is_open: bool | None = None
    reporter_phone: str | None = None


def list_cases(
    session: Session, actor: Actor, *, filters: CaseFilter | None = None, page: int = 1, page_size: int = 50
) -> tuple[list[Case], int]:
    """Cases the actor may see, newest first, filtered and paged; returns (items, total)."""
    f = filters or CaseFilter()
    if page < 1:
        raise ValidationFailed("page starts at 1", field="page")
    if not 1 <= page_size <= 500:
        raise ValidationFailed("page_size must be 1–500", field="page_size")
    stmt = visible(select(Case), actor)
    if f.state:
        stmt = stmt.where(Case.state.in_(f.state))
    if f.is_open is not None:
        opens = [s.value for s in OPEN_STATES]
        stmt = stmt.where(Case.state.in_(opens) if f.is_open else Case.state.not_in(opens))
    if f.category_prefix:
        stmt = stmt.where(Case.category_code.startswith(f.category_prefix, autoescape=True))
    if f.area_code:
        stmt = stmt.where(
            Case.area_code.startswith(f.area_code, autoescape=True)  # lint-scope: ok (a filter, not a scope)
        )
    if f.owner_unit_id is not None:
        stmt = stmt.where(Case.owner_unit_id == f.owner_unit_id)
    if f.source:
        stmt = stmt.where(Case.source == f.source)
    if f.sla_color:
        stmt = stmt.where(Case.sla_color == f.sla_color)
    if f.reported_from:
        stmt = stmt.where(Case.reported_at >= f.reported_from)
    if f.reported_to:
        stmt = stmt.where(Case.reported_at < f.reported_to)
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(Case.title.like(like) | Case.number.like(like) | Case.description.like(like))
    if f.reporter_phone:
        phone = normalise_phone(f.reporter_phone, field="reporter_phone")
        stmt = stmt.where(Case.reporter_phone_index == get_protector().blind_index("phone:" + phone))
        audit.record(
            session,
            actor,
            action="pii_search",
            subject_type="case_reporter",
            reason="cases looked up by reporter phone",
            details={"phone": mask_phone(phone)},
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    items = session.scalars(
        stmt.order_by(Case.reported_at.desc(), Case.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(items), total


def timeline(session: Session, actor: Actor, *, case_id: int, public_only: bool = False) -> list[CaseEvent]:
    """The case's steps in order."""
    case = get_case(session, actor, case_id=case_id) if not actor.is_system else session.get(Case, case_id)
    if case is None:
        raise NotFound("case not found", field="case_id")
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    if public_only:
        stmt = stmt.where(CaseEvent.is_public.is_(True))
    return list(session.scalars(stmt))


def attachments_of(session: Session, case_id: int, *, public_only: bool = False) -> list[Attachment]:
    stmt = select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
    if public_only:
        stmt = stmt.where(Attachment.is_public.is_(True))
    return list(session.scalars(stmt))


def get_attachment(session: Session, actor: Actor, *, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment of a visible case with its bytes."""
    from pingan.cases.storage import get_store

    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("attachment not found", field="attachment_id")
    get_case(session, actor, case_id=attachment.case_id)
    return attachment, get_store().get(attachment.storage_key)


def links_of(session: Session, case_id: int) -> list[CaseLink]:
    return list(
        session.scalars(
            select(CaseLink)
            .where((CaseLink.case_id == case_id) | (CaseLink.other_case_id == case_id))
            .order_by(CaseLink.id)
        )
    )


def reveal_reporter(session: Session, actor: Actor, *, case_id: int, reason: str) -> dict[str, str | None]:
    """The reporter's name and phone in clear, for operators/handlers of the case; audited."""
    from pingan.cases.access import capacities, require_capacity

    case = ensure_visible(actor, session.get(Case, case_id), roles=ROLES_REVEAL)
    require_capacity(capacities(session, actor, case), ("operator", "handler"), "reveal reporter")
    if not (reason or "").strip():
        raise ValidationFailed("say why you need the reporter's contact", field="reason")
    protector = get_protector()
    name = protector.decrypt(case.reporter_name_enc) if case.reporter_name_enc else None
    phone = protector.decrypt(case.reporter_phone_enc) if case.reporter_phone_enc else None
    audit.record(
        session,
        actor,
        action="reveal",
        subject_type="case_reporter",
        subject_id=case.id,
        area_code=case.area_code,
        reason=reason,
        details={"number": case.number, "fields": [k for k, v in (("name", name), ("phone", phone)) if v]},
    )
    return {"name": name, "phone": phone}


def case_dict(case: Case, *, with_contact_masks: bool = True) -> dict[str, Any]:
    """The staff view of a case (masked contact, never the clear text)."""
    data: dict[str, Any] = {
        "id": case.id,
        "number": case.number,
        "category_code": case.category_code,
        "title": case.title,
        "description": case.description,
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "source_crs": case.source_crs,
        "area_code": case.area_code,
        "community_code": case.community_code,
        "street_code": case.street_code,
        "source": case.source,
        "source_ref": case.source_ref,
        "dedupe_key": case.dedupe_key,
        "signal_count": case.signal_count,
        "priority": case.priority,
        "state": case.state,
        "owner_unit_id": case.owner_unit_id,
        "routed_unit_id": case.routed_unit_id,
        "escalation_level": case.escalation_level,
        "is_supervised": case.is_supervised,
        "duplicate_of_id": case.duplicate_of_id,
        "stage": case.stage,
        "stage_due_at": _iso(case.stage_due_at),
        "close_due_at": _iso(case.close_due_at),
        "sla_color": case.sla_color,
        "is_paused": case.paused_at is not None,
        "paused_seconds": case.paused_seconds,
        "reported_at": _iso(case.reported_at),
        "registered_at": _iso(case.registered_at),
        "dispatched_at": _iso(case.dispatched_at),
        "handled_at": _iso(case.handled_at),
        "verified_at": _iso(case.verified_at),
        "closed_at": _iso(case.closed_at),
        "updated_at": _iso(case.updated_at),
        "is_closed_on_time": case.is_closed_on_time,
        "return_count": case.return_count,
        "rework_count": case.rework_count,
        "reopen_count": case.reopen_count,
        "is_anonymous_public": case.is_anonymous_public,
        "attributes": case.attributes,
        "media_url": case.media_url,
    }
    if with_contact_masks:
        data["reporter_name_masked"] = case.reporter_name_masked
        data["reporter_phone_masked"] = case.reporter_phone_masked
    return data


def event_dict(ev: CaseEvent, *, public: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ev.id,
        "at": _iso(ev.at),
        "action": ev.action,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "note": ev.note,
        "unit_id": ev.unit_id,
    }
    if not public:
        data.update({"actor": ev.actor_name, "account_id": ev.account_id, "details": ev.details})
    return data


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "event_id": a.event_id,
        "url": f"/api/v1/cases/attachments/{a.id}",
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snooze_key(
    session: Session, actor: Actor, *, dedupe_key: str, minutes: int, reason: str = ""
) -> SnoozedKey:
    """Stop a machine signal from opening cases for a while (operators)."""
    from pingan.cases.access import OPERATOR_ROLES

    require_role(actor, *OPERATOR_ROLES)
    if not dedupe_key or len(dedupe_key) > 120:
        raise ValidationFailed("dedupe_key is required (≤120 characters)", field="dedupe_key")
    if not 1 <= minutes <= 60 * 24 * 90:
        raise ValidationFailed("minutes must be 1–129600 (90 days)", field="minutes")
    row = session.get(SnoozedKey, dedupe_key) or SnoozedKey(dedupe_key=dedupe_key, suppressed=0)
    row.until = utcnow() + timedelta(minutes=minutes)
    row.reason, row.created_by = reason, actor.username
    session.add(row)
    session.flush()
    return row


def unsnooze_key(session: Session, actor: Actor, *, dedupe_key: str) -> None:
    from pingan.cases.access import OPERATOR_ROLES

    require_role(actor, *OPERATOR_ROLES)
    row = session.get(SnoozedKey, dedupe_key)
    if row is None:
        raise NotFound(f"{dedupe_key} is not snoozed", field="dedupe_key")
    session.delete(row)
    session.flush()
