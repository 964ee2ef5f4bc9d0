"""The dict shapes of a case and its parts (the staff view, the reporter's view), shared by the API, the
pages, the intake writer, public tracking and Open311."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pingan.cases import sla
from pingan.cases.models import Attachment, Case, CaseEvent, Rating
from pingan.cases.worktime import WorkCalendar


def case_dict(
    case: Case,
    *,
    with_contact_masks: bool = True,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> dict[str, Any]:
    """The staff view of a case (masked contact, never the clear text); ``sla`` and ``sla_color`` are the
    time-limit status at ``now`` (``sla.status_of``), the same the pages show."""
    status = sla.status_of(case, now, calendar=calendar)
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
        "stage_due_at": iso(case.stage_due_at),
        "close_due_at": iso(case.close_due_at),
        "sla_color": status.color,
        "sla": status.to_dict(),
        "is_paused": case.paused_at is not None,
        "paused_seconds": case.paused_seconds,
        "reported_at": iso(case.reported_at),
        "registered_at": iso(case.registered_at),
        "dispatched_at": iso(case.dispatched_at),
        "handled_at": iso(case.handled_at),
        "verified_at": iso(case.verified_at),
        "closed_at": iso(case.closed_at),
        "updated_at": iso(case.updated_at),
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


# Steps whose note is written for the reporter (the handler's result, a refusal's reason, the reporter's own
# words, a council's Open311 update). Every other note is internal — routing reasons, merges, duplicates,
# supervision, comments — and never leaves the staff views, even on a public step.
PUBLIC_NOTE_ACTIONS = frozenset({"handle", "reject", "close", "reopen", "open311_update"})


def public_text(ev: CaseEvent) -> str:
    """The text of a public step that the public may read ("" when its note is internal)."""
    return ev.note if ev.action in PUBLIC_NOTE_ACTIONS else ""


def event_dict(ev: CaseEvent, *, public: bool = False) -> dict[str, Any]:
    """A timeline step; ``public``: the reporter's view (public text only, no actors or details)."""
    data: dict[str, Any] = {
        "id": ev.id,
        "at": iso(ev.at),
        "action": ev.action,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "note": public_text(ev) if public else ev.note,
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


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def rating_dict(r: Rating) -> dict[str, Any]:
    """A rating as staff see it: fixed or not, satisfaction and the reporter's comment."""
    return {
        "id": r.id,
        "is_fixed": r.is_fixed,
        "satisfaction": r.satisfaction,
        "comment": r.comment,
        "created_at": iso(r.created_at),
    }
