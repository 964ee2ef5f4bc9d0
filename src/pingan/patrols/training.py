"""Training courses → sessions → certificates with expiry; the versioned handbook; activities and hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.patrols.common import MANAGE_ROLES, READ_ROLES, within_actor
from pingan.patrols.models import (
    Activity,
    Certificate,
    HandbookAck,
    HandbookVersion,
    PatrolTeam,
    PatrolVolunteer,
    TrainingCourse,
    TrainingSession,
    VolunteerStatus,
)
from pingan.patrols.volunteers import get_volunteer

ACTIVITY_KINDS = ("patrol", "training", "event", "other")


def create_course(
    session: Session, actor: Actor, *, code: str, title: str, validity_months: int = 24
) -> TrainingCourse:
    """A training course (e.g. the police branch's patrol basics)."""
    require_role(actor, *MANAGE_ROLES)
    code = code.strip()
    if not code or not title.strip():
        raise ValidationFailed("a course needs a code and a title", field="code" if not code else "title")
    if not 1 <= validity_months <= 120:
        raise ValidationFailed("validity must be 1–120 months", field="validity_months")
    if session.scalar(select(TrainingCourse.id).where(TrainingCourse.code == code)):
        raise Conflict(f"course {code} exists", field="code")
    course = TrainingCourse(code=code, title=title.strip(), validity_months=validity_months)
    session.add(course)
    session.flush()
    return course


def list_courses(session: Session) -> list[TrainingCourse]:
    return list(session.scalars(select(TrainingCourse).order_by(TrainingCourse.code)))


def schedule_session(
    session: Session,
    actor: Actor,
    *,
    course_id: int,
    area_code: str,
    held_on: date,
    trainer: str = "",
    place: str = "",
) -> TrainingSession:
    """One session of a course, held for an area."""
    require_role(actor, *MANAGE_ROLES)
    if session.get(TrainingCourse, course_id) is None:
        raise NotFound("course not found", field="course_id")
    areas.get_area(session, area_code)
    ensure_in_scope(actor, area_code, what="area", roles=MANAGE_ROLES)
    item = TrainingSession(
        course_id=course_id, area_code=area_code, held_on=held_on, trainer=trainer, place=place
    )
    session.add(item)
    session.flush()
    return item


def issue_certificates(
    session: Session, actor: Actor, *, session_id: int, volunteer_ids: list[int]
) -> list[Certificate]:
    """Certificates for the volunteers who passed a session; expiry from the course's validity."""
    require_role(actor, *MANAGE_ROLES)
    training = session.get(TrainingSession, session_id)
    if training is None:
        raise NotFound("training session not found", field="session_id")
    ensure_in_scope(actor, training.area_code, what="training session", roles=MANAGE_ROLES)
    course = session.get(TrainingCourse, training.course_id)
    assert course is not None
    months = course.validity_months
    expires = _add_months(training.held_on, months)
    issued = []
    for vid in dict.fromkeys(volunteer_ids):
        get_volunteer(session, actor, vid)
        exists = session.scalar(
            select(Certificate.id).where(
                Certificate.volunteer_id == vid, Certificate.session_id == session_id
            )
        )
        if exists:
            raise Conflict(f"volunteer {vid} already holds this session's certificate", field="volunteer_ids")
        cert = Certificate(
            volunteer_id=vid,
            course_id=course.id,
            session_id=session_id,
            issued_on=training.held_on,
            expires_on=expires,
        )
        session.add(cert)
        issued.append(cert)
    session.flush()
    return issued


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    target = date(day.year + year, month + 1, 1)
    last = (date(target.year + (target.month // 12), target.month % 12 + 1, 1) - timedelta(days=1)).day
    return target.replace(day=min(day.day, last))


def volunteer_certificates(
    session: Session, actor: Actor, *, volunteer_id: int, today: date | None = None
) -> list[dict[str, Any]]:
    """A volunteer's certificates with their state (valid, expiring within 30 days, expired)."""
    get_volunteer(session, actor, volunteer_id)
    today = today or utcnow().date()
    rows = session.execute(
        select(Certificate, TrainingCourse.code, TrainingCourse.title)
        .join(TrainingCourse, TrainingCourse.id == Certificate.course_id)
        .where(Certificate.volunteer_id == volunteer_id)
        .order_by(Certificate.expires_on.desc())
    ).all()
    out = []
    for cert, code, title in rows:
        state = (
            "expired"
            if cert.expires_on < today
            else "expiring"
            if cert.expires_on <= today + timedelta(30)
            else "valid"
        )
        out.append(
            {
                "id": cert.id,
                "course_code": code,
                "course_title": title,
                "issued_on": cert.issued_on.isoformat(),
                "expires_on": cert.expires_on.isoformat(),
                "state": state,
            }
        )
    return out


# --- handbook -----------------------------------------------------------------------------------------


def publish_handbook(
    session: Session, actor: Actor, *, version: str, title: str, body: str
) -> HandbookVersion:
    """Publish a new handbook version; every volunteer must acknowledge it."""
    require_role(actor, *MANAGE_ROLES[:1])
    version = version.strip()
    if not version or not title.strip() or not body.strip():
        raise ValidationFailed(
            "version, title and body are required", field="version" if not version else "body"
        )
    if session.scalar(select(HandbookVersion.id).where(HandbookVersion.version == version)):
        raise Conflict(f"handbook version {version} exists", field="version")
    item = HandbookVersion(version=version, title=title.strip(), body=body)
    session.add(item)
    session.flush()
    return item


def current_handbook(session: Session) -> HandbookVersion:
    """The latest published handbook version."""
    item = session.scalar(
        select(HandbookVersion).order_by(HandbookVersion.published_at.desc(), HandbookVersion.id.desc())
    )
    if item is None:
        raise NotFound("no handbook has been published", field="version")
    return item


def acknowledge_handbook(
    session: Session, actor: Actor, *, volunteer_id: int, version: str, at: datetime | None = None
) -> HandbookAck:
    """Record that a volunteer read and accepted a handbook version (idempotent)."""
    volunteer = session.get(PatrolVolunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found", field="volunteer_id")
    if actor.is_system or actor.account_id is None or volunteer.account_id != actor.account_id:
        require_role(actor, *MANAGE_ROLES)
        ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=MANAGE_ROLES)
    item = session.scalar(select(HandbookVersion).where(HandbookVersion.version == version))
    if item is None:
        raise NotFound(f"no handbook version {version}", field="version")
    ack = session.scalar(
        select(HandbookAck).where(HandbookAck.volunteer_id == volunteer_id, HandbookAck.version_id == item.id)
    )
    if ack is None:
        ack = HandbookAck(volunteer_id=volunteer_id, version_id=item.id, acknowledged_at=at or utcnow())
        session.add(ack)
        session.flush()
    return ack


def handbook_status(session: Session, actor: Actor, *, within: str | None = None) -> dict[str, Any]:
    """How many active volunteers in scope acknowledged the current version."""
    require_role(actor, *READ_ROLES)
    item = current_handbook(session)
    base = in_scope(
        select(func.count(PatrolVolunteer.id)).where(PatrolVolunteer.status == VolunteerStatus.ACTIVE.value),
        PatrolVolunteer.area_code,
        actor,
        roles=READ_ROLES,
    )
    if within:
        base = in_scope(base, PatrolVolunteer.area_code, within_actor(within))
    total = session.scalar(base) or 0
    acked = (
        session.scalar(
            base.join(HandbookAck, HandbookAck.volunteer_id == PatrolVolunteer.id).where(
                HandbookAck.version_id == item.id
            )
        )
        or 0
    )
    return {"version": item.version, "title": item.title, "active_volunteers": total, "acknowledged": acked}


# --- activities (turn-outs and hours) -----------------------------------------------------------------


def record_activity(
    session: Session,
    actor: Actor,
    *,
    volunteer_id: int,
    kind: str,
    started_at: datetime,
    hours: float,
    shift_id: int | None = None,
    note: str = "",
) -> Activity:
    """One turn-out with its hours."""
    require_role(actor, *MANAGE_ROLES)
    volunteer = get_volunteer(session, actor, volunteer_id)
    ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=MANAGE_ROLES)
    if kind not in ACTIVITY_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(ACTIVITY_KINDS)}", field="kind")
    if not 0 < hours <= 24:
        raise ValidationFailed("hours must be more than 0 and at most 24", field="hours")
    item = Activity(
        volunteer_id=volunteer_id,
        area_code=volunteer.area_code,
        kind=kind,
        started_at=started_at,
        hours=round(hours, 2),
        shift_id=shift_id,
        note=note[:200],
    )
    session.add(item)
    session.flush()
    return item


def activity_totals(
    session: Session,
    actor: Actor,
    *,
    group_by: str = "team",
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    within: str | None = None,
) -> list[dict[str, Any]]:
    """Turn-outs (人次) and hours per volunteer, team, community or street over a period."""
    require_role(actor, *READ_ROLES)
    keys = {
        "volunteer": (Activity.volunteer_id,),
        "team": (PatrolVolunteer.team_id, PatrolTeam.name),
        "community": (Activity.area_code,),
        "street": (func.substr(Activity.area_code, 1, 9),),
    }
    if group_by not in keys:
        raise ValidationFailed("group_by must be volunteer, team, community or street", field="group_by")
    cols = keys[group_by]
    stmt = (
        select(*cols, func.count(Activity.id), func.coalesce(func.sum(Activity.hours), 0.0))
        .join(PatrolVolunteer, PatrolVolunteer.id == Activity.volunteer_id)
        .join(PatrolTeam, PatrolTeam.id == PatrolVolunteer.team_id)
        .group_by(*cols)
        .order_by(*cols)
    )
    stmt = in_scope(stmt, Activity.area_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, Activity.area_code, within_actor(within))
    if since is not None:
        stmt = stmt.where(Activity.started_at >= since)
    if until is not None:
        stmt = stmt.where(Activity.started_at < until)
    if kind:
        stmt = stmt.where(Activity.kind == kind)
    out = []
    for row in session.execute(stmt):
        *key, turnouts, hours = row
        item: dict[str, Any] = {
            "key": str(key[0]),
            "turnouts": int(turnouts),
            "hours": round(float(hours), 2),
        }
        if group_by == "team":
            item["name"] = key[1]
        out.append(item)
    return out
