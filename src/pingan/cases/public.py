"""Closing the loop with the reporter: public tracking (no personal data), rating, "not fixed" reopens."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import workflow
from pingan.cases.intake import tracking_digest
from pingan.cases.models import RATINGS, Attachment, Case, Rating, State
from pingan.cases.shapes import attachment_dict, event_dict
from pingan.cases.timeline import add_event, attachments_of, timeline
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor

PUBLIC_STATE = {
    "reported": "已受理 received",
    "registered": "已立案 registered",
    "rejected": "不予立案 not accepted",
    "dispatched": "已派遣 dispatched",
    "in_progress": "处置中 being handled",
    "handled": "已反馈 handled, awaiting check",
    "verified": "已核查 checked",
    "closed": "已结案 closed",
    "returned": "重新派遣中 being re-dispatched",
    "suspended": "暂缓办理 on hold",
    "merged": "已合并 merged into another report",
}


def tracked_case(session: Session, *, number: str, token: str) -> Case:
    """The case with this number if the tracking token matches (else NotFound, never a hint)."""
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None or not token or not case.tracking_digest:
        raise NotFound("no case with this number and token", field="number")
    if not hmac.compare_digest(case.tracking_digest, tracking_digest(token)):
        raise NotFound("no case with this number and token", field="number")
    return case


def tracked_or_own_case(session: Session, actor: Actor | None, *, number: str, tracking_code: str) -> Case:
    """The case by number and tracking code, or — without a code — the signed-in reporter's own case."""
    if not tracking_code and actor is not None and actor.account_id is not None:
        case = session.scalar(select(Case).where(Case.number == number))
        if case is not None and case.reporter_account_id == actor.account_id:
            return case
    return tracked_case(session, number=number, token=tracking_code)


def public_attachment(session: Session, case: Case, *, attachment_id: int) -> tuple[Attachment, bytes]:
    """A public attachment of a tracked case with its bytes (NotFound for any other)."""
    from pingan.cases.storage import get_store
    from pingan.core.config import settings_of

    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id or not attachment.is_public:
        raise NotFound("no such attachment on this case", field="attachment_id")
    return attachment, get_store(settings_of(session)).get(attachment.storage_key)


def _public_attachment_dict(case: Case, a: Attachment, tracking_code: str) -> dict[str, Any]:
    data = attachment_dict(a)
    query = f"?{urlencode({'tracking_code': tracking_code})}" if tracking_code else ""
    data["url"] = f"/api/v1/public/cases/{case.number}/attachments/{a.id}{query}"
    return data


def public_view(session: Session, case: Case, *, tracking_code: str = "") -> dict[str, Any]:
    """What the reporter (or anyone with the tracking code) sees: state, public steps with their public text
    only, photos (links that the same code opens); no personal data."""
    events = timeline(session, Actor.system("public"), case_id=case.id, public_only=True)
    ratings = session.scalars(select(Rating).where(Rating.case_id == case.id).order_by(Rating.id)).all()
    return {
        "number": case.number,
        "category_code": case.category_code,
        "title": case.title,
        "state": case.state,
        "state_label": PUBLIC_STATE.get(case.state, case.state),
        "is_open": case.state not in (State.CLOSED, State.REJECTED, State.MERGED),
        "reported_at": case.reported_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "expected_at": case.close_due_at.isoformat() if case.close_due_at else None,
        "lon": case.lon,
        "lat": case.lat,
        "updates": [event_dict(e, public=True) for e in events],
        "attachments": [
            _public_attachment_dict(case, a, tracking_code)
            for a in attachments_of(session, case.id, public_only=True)
        ],
        "ratings": [
            {"is_fixed": r.is_fixed, "satisfaction": r.satisfaction, "at": r.created_at.isoformat()}
            for r in ratings
        ],
        "can_rate": case.state == State.CLOSED.value,
    }


def rate_case(
    session: Session,
    actor: Actor | None,
    *,
    number: str,
    token: str | None,
    is_fixed: bool,
    satisfaction: str | None,
    comment: str = "",
) -> Case:
    """The reporter's verdict after closure; "not fixed" reopens the case (its history stays)."""
    case = session.scalar(select(Case).where(Case.number == number))
    own = actor is not None and case is not None and case.reporter_account_id == actor.account_id
    if not own:
        case = tracked_case(session, number=number, token=token or "")
    assert case is not None
    if case.state != State.CLOSED.value:
        raise Conflict(f"case {case.number} is {case.state}; it can be rated once closed", field="number")
    if satisfaction is not None and satisfaction not in RATINGS:
        raise ValidationFailed(f"satisfaction must be one of {', '.join(RATINGS)}", field="satisfaction")
    if is_fixed and satisfaction is None:
        raise ValidationFailed("say how satisfied you are", field="satisfaction")
    if len(comment) > 1000:
        raise ValidationFailed("comment is longer than 1000 characters", field="comment")
    session.add(
        Rating(
            case_id=case.id,
            is_fixed=is_fixed,
            satisfaction=satisfaction,
            comment=comment,
            created_at=utcnow(),
        )
    )
    session.flush()
    reporter = Actor.system("reporter")
    if is_fixed:
        add_event(
            session,
            case,
            reporter,
            action="rate",
            note=f"{satisfaction}",
            is_public=True,
            details={"satisfaction": satisfaction},
        )
        return case
    return workflow.transition(
        session, reporter, case_id=case.id, action="reopen", note=comment.strip() or "reporter: not fixed"
    )
