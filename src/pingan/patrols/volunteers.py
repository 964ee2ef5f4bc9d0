"""Teams and the volunteer registry: personal data encrypted, blind-indexed, masked, reveals audited."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Text, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.audit import pii_service
from pingan.audit import service as audit
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.pii import (
    Protector,
    get_protector,
    id_number_facts,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
)
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role
from pingan.patrols.common import (
    BATCH_ROLES,
    MANAGE_ROLES,
    READ_ROLES,
    REVEAL_ROLES,
    within_actor,
)
from pingan.patrols.models import PatrolTeam, PatrolVolunteer, VolunteerStatus

SKILLS = ("first_aid", "fire", "driving", "language", "mediation", "medical", "cycling", "swimming")
# the Chinese name of each skill (the roster template and imports use them; codes are stored)
SKILL_NAMES_ZH = {
    "first_aid": "急救",
    "fire": "消防",
    "driving": "驾驶",
    "language": "外语",
    "mediation": "调解",
    "medical": "医疗",
    "cycling": "骑行",
    "swimming": "游泳",
}
STATUS_NAMES_ZH = {"active": "在岗", "paused": "暂停", "left": "退出"}
_SKILL_WORDS = {**{code: code for code in SKILLS}, **{zh: code for code, zh in SKILL_NAMES_ZH.items()}}
_DEVICE = re.compile(r"^[A-Za-z0-9_.:-]{3,64}$")


# --- teams --------------------------------------------------------------------------------------------


def create_team(session: Session, actor: Actor, *, area_code: str, name: str) -> PatrolTeam:
    """A patrol team of one community."""
    require_role(actor, *MANAGE_ROLES)
    area = areas.get_area(session, area_code)
    if area.level != "community":
        raise ValidationFailed("a team belongs to a community (社区)", field="area_code")
    ensure_in_scope(actor, area_code, what="community", roles=MANAGE_ROLES)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("team name must have 1–100 characters", field="name")
    if session.scalar(
        select(PatrolTeam.id).where(PatrolTeam.area_code == area_code, PatrolTeam.name == name)
    ):
        raise Conflict(f"the community already has a team named {name}", field="name")
    team = PatrolTeam(area_code=area_code, name=name)
    session.add(team)
    session.flush()
    return team


def get_team(session: Session, actor: Actor, team_id: int) -> PatrolTeam:
    """One team in scope, or NotFound."""
    require_role(actor, *READ_ROLES)
    team = session.get(PatrolTeam, team_id)
    if team is None:
        raise NotFound("team not found", field="team_id")
    ensure_in_scope(actor, team.area_code, what="team", roles=READ_ROLES)
    return team


def list_teams(session: Session, actor: Actor, *, within: str | None = None) -> list[dict[str, Any]]:
    """Teams in scope with their member counts."""
    require_role(actor, *READ_ROLES)
    members = (
        select(PatrolVolunteer.team_id, func.count().label("n"))
        .where(PatrolVolunteer.status == VolunteerStatus.ACTIVE.value)
        .group_by(PatrolVolunteer.team_id)
        .subquery()
    )
    stmt = select(PatrolTeam, func.coalesce(members.c.n, 0)).outerjoin(
        members, members.c.team_id == PatrolTeam.id
    )
    stmt = in_scope(stmt, PatrolTeam.area_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, PatrolTeam.area_code, within_actor(within))
    rows = session.execute(stmt.order_by(PatrolTeam.area_code, PatrolTeam.name)).all()
    return [{"id": t.id, "name": t.name, "area_code": t.area_code, "active_members": n} for t, n in rows]


# --- volunteers ---------------------------------------------------------------------------------------


@dataclass
class VolunteerInput:
    """Validated registry fields, ready to encrypt."""

    name: str
    id_number: str
    phone: str
    skills: list[str]
    device_id: str | None
    status: str
    joined_on: date | None


def validate_input(
    *,
    name: str,
    id_number: str,
    phone: str,
    skills: list[str] | None = None,
    device_id: str | None = None,
    status: str = "active",
    joined_on: date | None = None,
) -> VolunteerInput:
    """Check every field; raise ValidationFailed naming the first bad one."""
    name = re.sub(r"\s+", "", name or "")
    if not 2 <= len(name) <= 30:
        raise ValidationFailed("name must have 2–30 characters", field="name")
    id18 = normalise_id_number(id_number, field="id_number")
    phone_n = normalise_phone(phone, field="phone")
    clean_skills = clean_skill_list(skills)
    device = clean_device_id(device_id)
    if status not in {s.value for s in VolunteerStatus}:
        raise ValidationFailed("status must be active, paused or left", field="status")
    return VolunteerInput(name, id18, phone_n, clean_skills, device, status, joined_on)


def clean_skill_list(skills: list[str] | None) -> list[str]:
    """Known skills given by code or Chinese name (急救 = first_aid), as codes, deduplicated and sorted."""
    words = [s.strip() for s in skills or [] if s and s.strip()]
    unknown = [w for w in words if _SKILL_WORDS.get(w.lower(), _SKILL_WORDS.get(w)) is None]
    if unknown:
        known = ", ".join(f"{SKILL_NAMES_ZH[c]} ({c})" for c in SKILLS)
        raise ValidationFailed(f"unknown skill {unknown[0]!r}; known: {known}", field="skills")
    return sorted({_SKILL_WORDS.get(w.lower(), _SKILL_WORDS.get(w, w)) for w in words})


def clean_status(status: str) -> str:
    """A volunteer status given by code or Chinese name (在岗 = active); empty means active."""
    word = (status or "").strip()
    if not word:
        return VolunteerStatus.ACTIVE.value
    by_zh = {zh: code for code, zh in STATUS_NAMES_ZH.items()}
    code = by_zh.get(word, word.lower())
    if code not in STATUS_NAMES_ZH:
        known = ", ".join(f"{zh} ({c})" for c, zh in STATUS_NAMES_ZH.items())
        raise ValidationFailed(f"unknown status {word!r}; known: {known}", field="status")
    return code


def clean_device_id(device_id: str | None) -> str | None:
    """A device id as the tracking app sends it, or None when empty."""
    device = (device_id or "").strip() or None
    if device is not None and not _DEVICE.match(device):
        raise ValidationFailed("device id: 3–64 letters, digits or . _ : -", field="device_id")
    return device


def new_device_key() -> str:
    """A fresh device key: 128 random bits, URL-safe (it travels in the app's server URL as ``key=``)."""
    return secrets.token_urlsafe(16)


def device_key_index(key: str, protector: Protector | None = None) -> str:
    """The blind index the receiver compares a fix's ``key`` with."""
    return (protector or get_protector()).blind_index("device-key:" + key)


def device_key_columns(key: str, protector: Protector | None = None) -> dict[str, Any]:
    """The stored form of a device key: encrypted (core.pii) and blind-indexed; never the key itself."""
    protector = protector or get_protector()
    return {"device_key_enc": protector.encrypt(key), "device_key_index": device_key_index(key, protector)}


def protected_row(
    data: VolunteerInput, protector: Protector, *, team: PatrolTeam, device_key: str | None = None
) -> dict[str, Any]:
    """The column values of one volunteer (encrypted, indexed, masked) for ORM or bulk insert. A volunteer
    with a device gets a device key (``device_key``, or a new one): every device has a key by default."""
    facts = id_number_facts(data.id_number)
    keyed: dict[str, Any] = {"device_key_enc": None, "device_key_index": None}
    if data.device_id:
        keyed = device_key_columns(device_key or new_device_key(), protector)
    return {
        **keyed,
        "team_id": team.id,
        "area_code": team.area_code,
        "name_enc": protector.encrypt(data.name),
        "name_masked": mask_name(data.name),
        "id_number_enc": protector.encrypt(data.id_number),
        "id_number_index": protector.blind_index(data.id_number),
        "id_number_masked": mask_id_number(data.id_number),
        "phone_enc": protector.encrypt(data.phone),
        "phone_index": protector.blind_index(data.phone),
        "phone_masked": mask_phone(data.phone),
        "sex": facts["sex"],
        "birth_year": int(facts["birth_date"][:4]),
        "skills": data.skills,
        "status": data.status,
        "device_id": data.device_id,
        "joined_on": data.joined_on,
    }


def register_volunteer(
    session: Session,
    actor: Actor,
    *,
    team_id: int,
    name: str,
    id_number: str,
    phone: str,
    skills: list[str] | None = None,
    device_id: str | None = None,
    status: str = "active",
    joined_on: date | None = None,
    account_id: int | None = None,
) -> PatrolVolunteer:
    """Add one volunteer to a team (the ID number must be new, the device id unused)."""
    require_role(actor, *MANAGE_ROLES)
    team = get_team(session, actor, team_id)
    ensure_in_scope(actor, team.area_code, what="team", roles=MANAGE_ROLES)
    data = validate_input(
        name=name,
        id_number=id_number,
        phone=phone,
        skills=skills,
        device_id=device_id,
        status=status,
        joined_on=joined_on,
    )
    protector = get_protector()
    key = new_device_key() if data.device_id else None
    row = protected_row(data, protector, team=team, device_key=key)
    if session.scalar(
        select(PatrolVolunteer.id).where(PatrolVolunteer.id_number_index == row["id_number_index"])
    ):
        raise Conflict("a volunteer with this ID number is already registered", field="id_number")
    _ensure_device_free(session, data.device_id)
    volunteer = PatrolVolunteer(**row, account_id=account_id)
    session.add(volunteer)
    session.flush()
    volunteer.new_device_key = key  # type: ignore[attr-defined]  # shown once to the registrar
    return volunteer


def rotate_device_key(session: Session, actor: Actor, *, volunteer_id: int) -> tuple[PatrolVolunteer, str]:
    """Give a volunteer's device a new key (the old one stops working at once); the new key, shown once."""
    require_role(actor, *MANAGE_ROLES)
    volunteer = get_volunteer(session, actor, volunteer_id)
    ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=MANAGE_ROLES)
    if not volunteer.device_id:
        raise ValidationFailed("the volunteer has no device; set its device id first", field="device_id")
    key = new_device_key()
    for column, value in device_key_columns(key).items():
        setattr(volunteer, column, value)
    volunteer.key_rejects = 0
    volunteer.key_rejected_at = None
    session.flush()
    audit.record(
        session,
        actor,
        action="patrols.device_key_rotated",
        subject_type="patrol_volunteer",
        subject_id=volunteer.id,
        area_code=volunteer.area_code,
        details={"device_id": volunteer.device_id},
    )
    return volunteer, key


def setup_url(base_url: str, device_key: str) -> str:
    """The server URL to give the phone app: our OsmAnd receiver with the device's key in the query."""
    return f"{base_url.rstrip('/')}/osmand?key={device_key}"


def setup_qr_svg(url: str) -> str:
    """A QR code of ``url`` as SVG text (segno), for the phone's camera or a QR reader."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True, title="Pingan")
    return out.getvalue().decode("utf-8")


def device_key_of(session: Session, device_id: str) -> str | None:
    """A device's key, decrypted (for the demo's simulator, which posts as the phones would; never served)."""
    token = session.scalar(
        select(PatrolVolunteer.device_key_enc).where(PatrolVolunteer.device_id == device_id)
    )
    return get_protector(demo=True).decrypt(token) if token else None


def _ensure_device_free(session: Session, device_id: str | None, *, except_id: int | None = None) -> None:
    if device_id is None:
        return
    owner = session.scalar(select(PatrolVolunteer.id).where(PatrolVolunteer.device_id == device_id))
    if owner is not None and owner != except_id:
        raise Conflict(f"device {device_id} is bound to another volunteer", field="device_id")


def get_volunteer(session: Session, actor: Actor, volunteer_id: int) -> PatrolVolunteer:
    """One volunteer in scope, or NotFound."""
    require_role(actor, *READ_ROLES)
    volunteer = session.get(PatrolVolunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found", field="volunteer_id")
    ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=READ_ROLES)
    return volunteer


def volunteer_for_account(session: Session, account_id: int) -> PatrolVolunteer | None:
    """The volunteer record linked to a sign-in account, if any."""
    return session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == account_id))


def list_volunteers(
    session: Session,
    actor: Actor,
    *,
    team_id: int | None = None,
    status: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
    within: str | None = None,
    device: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[PatrolVolunteer], int]:
    """Volunteers in scope (masked), filtered; exact phone/ID lookups go through the blind index; ``device``
    matches part of the device id."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(PatrolVolunteer), PatrolVolunteer.area_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, PatrolVolunteer.area_code, within_actor(within))
    if device:
        stmt = stmt.where(PatrolVolunteer.device_id.contains(device, autoescape=True))
    if team_id is not None:
        stmt = stmt.where(PatrolVolunteer.team_id == team_id)
    if status:
        stmt = stmt.where(PatrolVolunteer.status == status)
    if phone or id_number:
        protector = get_protector()
        masked: dict[str, str] = {}
        if phone:
            phone = normalise_phone(phone, field="phone")
            stmt = stmt.where(PatrolVolunteer.phone_index == protector.blind_index(phone))
            masked["phone"] = mask_phone(phone)
        if id_number:
            id_number = normalise_id_number(id_number, field="id_number")
            stmt = stmt.where(PatrolVolunteer.id_number_index == protector.blind_index(id_number))
            masked["id_number"] = mask_id_number(id_number)
        pii_service.audit_search(
            session, actor, subject_type="patrol_volunteer", fields=masked, area_code=within, masked=masked
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(PatrolVolunteer.id).offset(offset).limit(min(limit, 500)))
    return list(rows), total


def update_volunteer(
    session: Session,
    actor: Actor,
    *,
    volunteer_id: int,
    status: str | None = None,
    skills: list[str] | None = None,
    device_id: str | None = None,
    clear_device: bool = False,
    team_id: int | None = None,
    phone: str | None = None,
) -> PatrolVolunteer:
    """Change status, skills, device binding, team or phone."""
    require_role(actor, *MANAGE_ROLES)
    volunteer = get_volunteer(session, actor, volunteer_id)
    ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=MANAGE_ROLES)
    if status is not None:
        if status not in {s.value for s in VolunteerStatus}:
            raise ValidationFailed("status must be active, paused or left", field="status")
        volunteer.status = status
    if skills is not None:
        volunteer.skills = clean_skill_list(skills)
    if clear_device:
        volunteer.device_id = None
        volunteer.device_key_enc = volunteer.device_key_index = None
    elif device_id is not None:
        device = clean_device_id(device_id)
        _ensure_device_free(session, device, except_id=volunteer.id)
        if device != volunteer.device_id:  # a new phone gets a new key (shown once)
            key = new_device_key()
            for column, value in device_key_columns(key).items():
                setattr(volunteer, column, value)
            volunteer.new_device_key = key  # type: ignore[attr-defined]
        volunteer.device_id = device
    if team_id is not None:
        team = get_team(session, actor, team_id)
        ensure_in_scope(actor, team.area_code, what="team", roles=MANAGE_ROLES)
        volunteer.team_id, volunteer.area_code = team.id, team.area_code
    if phone is not None:
        protector = get_protector()
        value = normalise_phone(phone, field="phone")
        volunteer.phone_enc = protector.encrypt(value)
        volunteer.phone_index = protector.blind_index(value)
        volunteer.phone_masked = mask_phone(value)
    session.flush()
    return volunteer


def reveal_volunteer(
    session: Session,
    actor: Actor,
    *,
    volunteer_id: int,
    reason: str,
    purpose: str | None = None,
    fields: Sequence[str] | None = None,
) -> dict[str, str | None]:
    """The asked fields (``name``, ``id_number``, ``phone``) of one volunteer in full; needs a purpose and a
    reason and is audited (audit.pii_service.reveal_fields)."""
    require_role(actor, *REVEAL_ROLES)
    volunteer = get_volunteer(session, actor, volunteer_id)
    ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=REVEAL_ROLES)
    return pii_service.reveal_fields(
        session,
        actor,
        protector=get_protector(),
        subject_type="patrol_volunteer",
        subject_id=volunteer.id,
        area_code=volunteer.area_code,
        columns={
            "name": volunteer.name_enc,
            "id_number": volunteer.id_number_enc,
            "phone": volunteer.phone_enc,
        },
        fields=fields,
        purpose=purpose,
        reason=reason,
    )


def export_roster(
    session: Session, actor: Actor, *, within: str | None = None, full: bool = False, reason: str = ""
) -> list[dict[str, Any]]:
    """Every volunteer in scope as rows (masked, or in full with a reason); always audited as a bulk read."""
    require_role(actor, *(REVEAL_ROLES if full else MANAGE_ROLES))
    if full:
        reason = pii_service.check_reason(reason)  # the same rule as every reveal
    # columns, not entities: loading 21,863 ORM objects with their encrypted blobs took ~2 s
    v = PatrolVolunteer
    shown = (
        (v.name_enc, v.id_number_enc, v.phone_enc)
        if full
        else (v.name_masked, v.id_number_masked, v.phone_masked)
    )
    stmt = in_scope(
        select(
            v.id, *shown, v.area_code, PatrolTeam.name, type_coerce(v.skills, Text), v.status, v.device_id
        ).join(PatrolTeam, PatrolTeam.id == v.team_id),
        v.area_code,
        actor,
        roles=REVEAL_ROLES if full else MANAGE_ROLES,
    )
    if within:
        stmt = in_scope(stmt, v.area_code, within_actor(within))
    open_ = get_protector().decrypt if full else str
    skills_texts: dict[str, str] = {}  # a roster repeats a few dozen skill lists: each decoded once

    def skills_text(raw: str | list[str] | None) -> str:
        if not isinstance(raw, str):
            return _skills_text(raw)
        text = skills_texts.get(raw)
        if text is None:
            text = skills_texts[raw] = _skills_text(raw)
        return text

    rows = [
        {
            "id": vid,
            "name": open_(name),
            "id_number": open_(id_number),
            "phone": open_(phone),
            "community": community,
            "team": team_name,
            "skills": skills_text(skills),
            "status": status,
            "device_id": device or "",
        }
        for vid, name, id_number, phone, community, team_name, skills, status, device in session.execute(
            stmt.order_by(v.id)
        )
    ]
    audit.record(
        session,
        actor,
        action="pii.export" if full else "bulk.export",
        subject_type="patrol_volunteer",
        area_code=within,
        reason=reason.strip() or None,
        details={"rows": len(rows), "full": full},
    )
    return rows


def _skills_text(raw: str | list[str] | None) -> str:
    """The stored JSON list of skill codes as the export shows it (first_aid、fire); SQLite hands over the
    JSON text, psycopg the decoded list."""
    if isinstance(raw, list):
        return "、".join(raw)
    if not raw or raw in ("[]", "null"):
        return ""
    return "、".join(json.loads(raw))


def bulk_insert_volunteers(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert prepared (already protected) rows with SQLAlchemy Core; returns the count."""
    if rows:
        for start in range(0, len(rows), 5000):
            session.execute(insert(PatrolVolunteer), rows[start : start + 5000])
    return len(rows)


def batch_device_scope(session: Session, actor: Actor) -> str | None:
    """Who may post positions in batches: managers any device (None), a volunteer only their own device."""
    require_role(actor, *BATCH_ROLES)
    if actor.has_role(Role.DISTRICT_ADMIN):
        return None
    own = volunteer_for_account(session, actor.account_id) if actor.account_id else None
    if own is None or not own.device_id:
        raise Forbidden("your account has no volunteer record with a device", field="positions")
    return own.device_id
