"""Cases: intake from every channel (``raise_case`` is the one way a problem becomes a case), reading, search.

The workflow (register, dispatch, handle, verify, close …) lives in :mod:`pingan.cases.workflow`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit import pii_service
from pingan.cases import intake
from pingan.cases.access import OPERATOR_ROLES, ROLES_REVEAL, ensure_visible, visible
from pingan.cases.models import (
    OPEN_STATES,
    SOURCES,
    Attachment,
    Case,
    CaseLink,
    Rating,
    SnoozedKey,
    State,
)

# The timeline (cases.timeline) and the dict shapes (cases.shapes) have their own files, so that intake, the
# workflow, the jobs and public tracking need not import this one; re-exported for the API, pages and CLI.
from pingan.cases.shapes import PUBLIC_NOTE_ACTIONS as PUBLIC_NOTE_ACTIONS
from pingan.cases.shapes import attachment_dict as attachment_dict
from pingan.cases.shapes import case_dict as case_dict
from pingan.cases.shapes import event_dict as event_dict
from pingan.cases.shapes import public_text as public_text
from pingan.cases.shapes import rating_dict as rating_dict
from pingan.cases.timeline import add_event as add_event
from pingan.cases.timeline import attach_file as attach_file
from pingan.cases.timeline import attachments_of as attachments_of
from pingan.cases.timeline import timeline as timeline
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.pagination import check_window
from pingan.core.pii import get_protector, mask_phone, normalise_phone
from pingan.core.security import Actor, require_role

MAX_DESCRIPTION = intake.MAX_DESCRIPTION


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
    reporter_account_id: int | None = None,
) -> Case:
    """Open a case (or add a signal to the open case of ``dedupe_key``); never commits.
    ``reporter_account_id``: the resident the case is raised for (they follow it as its reporter)."""
    report = intake.Report(
        category_code=category_code,
        description=description,
        source=source,
        lon=lon,
        lat=lat,
        crs=crs,
        area_code=area_code,
        title=title,
        priority=priority,
        source_ref=source_ref,
        dedupe_key=dedupe_key,
        reporter_account_id=reporter_account_id,
    )
    return _open(session, actor, report)


def _open(session: Session, actor: Actor, report: intake.Report) -> Case:
    """Draft and write one report in the session's transaction; the new case, loaded."""
    now = utcnow()
    drafted = intake.draft(session, actor, report, now=now)
    if report.dedupe_key:
        existing = _signal_existing(session, report.dedupe_key, now)
        if existing is not None:
            return existing
    intake.write(session, [drafted], now=now)
    case = session.get(Case, drafted.case.id)
    assert case is not None  # just inserted in this transaction
    case.tracking_token = drafted.tracking_token  # type: ignore[attr-defined]  # shown once to the reporter
    return case


def public_actor(session: Session, *, client_ip: str | None = None) -> Actor:
    """The actor of an anonymous resident using the public report form."""
    return intake.public_actor(session, client_ip=client_ip)


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
    report = intake.Report(
        category_code=category_code,
        description=description,
        source=source,
        lon=lon,
        lat=lat,
        crs=crs,
        title=title,
        source_ref=source_ref,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        is_anonymous_public=is_anonymous_public,
        on_behalf=on_behalf,
        attributes=attributes,
        media_url=media_url,
        files=files,
    )
    return _open(session, actor, report)


def _given(**values: str | None) -> list[str]:
    return [k for k, v in values.items() if v]


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
    escalation_level: str | None = None  # street | district (上报区级)
    is_supervised: bool | None = None  # 督办


ESCALATION_LEVELS = ("street", "district")
SLA_COLOURS = ("green", "yellow", "red", "grey")


def check_filter(f: CaseFilter) -> None:
    """Refuse filter values that match nothing by construction (a typo must not show everything)."""
    states = {s.value for s in State}
    for value in f.state or ():
        if value not in states:
            raise ValidationFailed(
                f"state {value!r} is not one of {', '.join(sorted(states))}", field="state"
            )
    if f.source is not None and f.source not in SOURCES:
        raise ValidationFailed(f"source must be one of {', '.join(SOURCES)}", field="source")
    if f.sla_color is not None and f.sla_color not in SLA_COLOURS:
        raise ValidationFailed(f"sla_color must be one of {', '.join(SLA_COLOURS)}", field="sla_color")
    if f.escalation_level is not None and f.escalation_level not in ESCALATION_LEVELS:
        raise ValidationFailed("escalation_level must be street or district", field="escalation_level")


def list_cases(
    session: Session, actor: Actor, *, filters: CaseFilter | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Case], int]:
    """Cases the actor may see, newest first, filtered; ``limit`` rows after ``offset``; (items, total)."""
    f = filters or CaseFilter()
    check_filter(f)
    check_window(limit=limit, offset=offset)
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
    if f.escalation_level:
        stmt = stmt.where(Case.escalation_level == f.escalation_level)
    if f.is_supervised is not None:
        stmt = stmt.where(Case.is_supervised.is_(f.is_supervised))
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
        pii_service.audit_search(
            session,
            actor,
            subject_type="case_reporter",
            fields=["phone"],
            masked={"phone": mask_phone(phone)},
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    items = session.scalars(
        stmt.order_by(Case.reported_at.desc(), Case.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(items), total


def get_attachment(session: Session, actor: Actor, *, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment of a visible case with its bytes."""
    from pingan.cases.storage import get_store
    from pingan.core.config import settings_of

    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("attachment not found", field="attachment_id")
    get_case(session, actor, case_id=attachment.case_id)
    return attachment, get_store(settings_of(session)).get(attachment.storage_key)


def ratings_of(session: Session, case_id: int) -> list[Rating]:
    """The reporter's verdicts on the case, oldest first (each "not fixed" reopened it)."""
    return list(session.scalars(select(Rating).where(Rating.case_id == case_id).order_by(Rating.id)))


def links_of(session: Session, case_id: int) -> list[CaseLink]:
    return list(
        session.scalars(
            select(CaseLink)
            .where((CaseLink.case_id == case_id) | (CaseLink.other_case_id == case_id))
            .order_by(CaseLink.id)
        )
    )


def reveal_reporter(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    reason: str,
    purpose: str | None = None,
    fields: Sequence[str] | None = None,
) -> dict[str, str | None]:
    """The reporter's name and/or phone in clear (only the fields asked), for operators/handlers of the case,
    with a purpose and a reason; audited as ``pii.reveal``."""
    from pingan.cases.access import capacities, require_capacity

    case = ensure_visible(actor, session.get(Case, case_id), roles=ROLES_REVEAL)
    require_capacity(capacities(session, actor, case), ("operator", "handler"), "reveal reporter")
    return pii_service.reveal_fields(
        session,
        actor,
        protector=get_protector(),
        subject_type="case_reporter",
        subject_id=case.id,
        area_code=case.area_code,
        columns={"name": case.reporter_name_enc, "phone": case.reporter_phone_enc},
        fields=fields,
        purpose=purpose,
        reason=reason,
        details={"number": case.number},
    )


def snooze_key(
    session: Session, actor: Actor, *, dedupe_key: str, minutes: int, reason: str = ""
) -> SnoozedKey:
    """Stop a machine signal from opening cases for a while (operators)."""

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

    require_role(actor, *OPERATOR_ROLES)
    row = session.get(SnoozedKey, dedupe_key)
    if row is None:
        raise NotFound(f"{dedupe_key} is not snoozed", field="dedupe_key")
    session.delete(row)
    session.flush()
