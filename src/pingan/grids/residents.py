"""The register of residents: personal data (name, ID number, phone) encrypted, masked and blind-indexed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, Text, cast, select
from sqlalchemy.orm import Session

from pingan.audit import pii_service
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.pii import (
    Protector,
    get_protector,
    id_number_facts,
    id_number_index,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    phone_index,
    protect_id_number,
    protect_phone,
)
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.grids.common import READ_ROLES, WRITE_ROLES, check_read, check_write, clean_text, get_grid_code
from pingan.grids.households import get_household
from pingan.grids.models import CareTag, Resident, ResidentCategory
from pingan.grids.records import choice, create_with_history, update_with_history, within

RESIDENT_PROTECTED = ("name", "id_number", "phone")
REVEAL_FIELDS = RESIDENT_PROTECTED


def clean_care_tags(tags: Iterable[str]) -> list[str]:
    allowed = {t.value for t in CareTag}
    out = sorted({t.strip() for t in tags if t and t.strip()})
    for tag in out:
        if tag not in allowed:
            raise ValidationFailed(
                f"care tag must be one of: {', '.join(sorted(allowed))}", field="care_tags"
            )
    return out


def person_name(value: str, field: str = "name") -> str:
    return clean_text(value, field=field, max_len=40)


def protected_person_fields(
    protector: Protector, *, name: str, id_number: str, phone: str | None
) -> dict[str, Any]:
    """Column values of a resident's protected fields (ID number and phone validated here)."""
    id_p = protect_id_number(protector, id_number)
    phone_p = protect_phone(protector, phone) if phone else None
    facts = id_number_facts(normalise_id_number(id_number))
    return {
        "name_enc": protector.encrypt(name),
        "name_masked": mask_name(name),
        "id_number_enc": id_p.ciphertext,
        "id_number_index": id_p.blind_index,
        "id_number_masked": id_p.masked,
        "phone_enc": phone_p.ciphertext if phone_p else None,
        "phone_index": phone_p.blind_index if phone_p else None,
        "phone_masked": phone_p.masked if phone_p else "",
        "sex": facts["sex"],
        "birth_year": int(facts["birth_date"][:4]),
    }


def create_resident(
    session: Session,
    actor: Actor,
    *,
    name: str,
    id_number: str,
    household_id: int | None = None,
    area_code: str | None = None,
    phone: str | None = None,
    category: str = ResidentCategory.REGISTERED.value,
    care_tags: Sequence[str] = (),
    relation: str = "",
    source: str = "manual",
) -> Resident:
    """Register a person; the ID number is checked (GB 11643) and must not be registered yet."""
    require_role(actor, *WRITE_ROLES)
    if household_id is not None:
        household = get_household(session, actor, household_id)
        grid = household.area_code
    elif area_code is not None:
        grid = get_grid_code(session, actor, area_code, roles=(*READ_ROLES, *WRITE_ROLES))
    else:
        raise ValidationFailed(
            "give the household (or at least the grid) of the resident", field="household_id"
        )
    check_write(actor, grid, what="grid")
    name = person_name(name)
    id18 = normalise_id_number(id_number)
    phone_n = normalise_phone(phone) if phone else None
    choice(category, [c.value for c in ResidentCategory], field="category")
    protector = get_protector()
    fields = protected_person_fields(protector, name=name, id_number=id18, phone=phone_n)
    existing = session.scalar(
        select(Resident.id).where(Resident.id_number_index == fields["id_number_index"])
    )
    if existing is not None:
        raise Conflict(
            f"a resident with this ID number is already registered (#{existing})", field="id_number"
        )
    resident = Resident(
        area_code=grid,
        household_id=household_id,
        category=category,
        care_tags=clean_care_tags(care_tags),
        relation=clean_text(relation, field="relation", max_len=16, required=False),
        **fields,
    )
    changes = {k: [None, v] for k, v in _view(resident).items()}
    return create_with_history(
        session, actor, resident, record_type="resident", changes=changes, source=source
    )


def _tokens(r: Resident) -> dict[str, bytes | None]:
    return {"name": r.name_enc, "id_number": r.id_number_enc, "phone": r.phone_enc}


def _view(r: Resident) -> dict[str, Any]:
    """The masked, history-safe view of a resident's fields."""
    return {
        "name": r.name_masked,
        "id_number": r.id_number_masked,
        "phone": r.phone_masked,
        "household_id": r.household_id,
        "area_code": r.area_code,
        "category": r.category,
        "care_tags": list(r.care_tags or []),
        "relation": r.relation,
        "is_active": r.is_active,
    }


def get_resident(session: Session, actor: Actor, resident_id: int) -> Resident:
    """One resident inside the actor's scope (protected fields stay masked)."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound("resident not found", field="resident_id")
    check_read(actor, resident.area_code, what="resident")
    return resident


def update_resident(
    session: Session, actor: Actor, *, resident_id: int, changes: dict[str, Any], source: str = "manual"
) -> Resident:
    """Correct a resident's data (name, ID number, phone, category, care tags, relation, household)."""
    require_role(actor, *WRITE_ROLES)
    resident = get_resident(session, actor, resident_id)
    check_write(actor, resident.area_code, what="resident")
    before, tokens_before = _view(resident), _tokens(resident)
    protector = get_protector()
    if "name" in changes:
        name = person_name(changes["name"])
        resident.name_enc, resident.name_masked = protector.encrypt(name), mask_name(name)
    if "id_number" in changes:
        fields = protected_person_fields(protector, name="-", id_number=changes["id_number"], phone=None)
        other = session.scalar(
            select(Resident.id).where(
                Resident.id_number_index == fields["id_number_index"], Resident.id != resident.id
            )
        )
        if other is not None:
            raise Conflict(
                f"a resident with this ID number is already registered (#{other})", field="id_number"
            )
        for key in ("id_number_enc", "id_number_index", "id_number_masked", "sex", "birth_year"):
            setattr(resident, key, fields[key])
    if "phone" in changes:
        phone_p = protect_phone(protector, changes["phone"]) if changes["phone"] else None
        resident.phone_enc = phone_p.ciphertext if phone_p else None
        resident.phone_index = phone_p.blind_index if phone_p else None
        resident.phone_masked = phone_p.masked if phone_p else ""
    if "category" in changes:
        resident.category = choice(changes["category"], [c.value for c in ResidentCategory], field="category")
    if "care_tags" in changes:
        resident.care_tags = clean_care_tags(changes["care_tags"] or [])
    if "relation" in changes:
        resident.relation = clean_text(changes["relation"], field="relation", max_len=16, required=False)
    if "household_id" in changes and changes["household_id"] is None:
        raise ValidationFailed(
            "a resident stays in a household (move them out instead)", field="household_id"
        )
    if "household_id" in changes and changes["household_id"] != resident.household_id:
        household = get_household(session, actor, int(changes["household_id"]))
        check_write(actor, household.area_code, what="household")
        resident.household_id, resident.area_code = household.id, household.area_code
    if "is_active" in changes:
        resident.is_active = bool(changes["is_active"])
    update_with_history(
        session,
        actor,
        resident,
        record_type="resident",
        before=before,
        after=_view(resident),
        source=source,
        protector=protector,
        tokens_before=tokens_before,
        tokens_after=_tokens(resident),
    )
    return resident


def move_out_resident(
    session: Session, actor: Actor, *, resident_id: int, source: str = "manual"
) -> Resident:
    """Mark a resident as moved out (kept in the register for history)."""
    return update_resident(
        session, actor, resident_id=resident_id, changes={"is_active": False}, source=source
    )


def list_residents(
    session: Session,
    actor: Actor,
    *,
    area_code: str | None = None,
    household_id: int | None = None,
    category: str | None = None,
    care_tag: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    active: bool | None = True,
) -> Select[Resident]:
    """Residents visible to the actor; ID number and phone search by blind index (exact match)."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Resident), Resident.area_code, actor, roles=READ_ROLES).order_by(Resident.id)
    stmt = within(session, stmt, Resident.area_code, area_code)
    if household_id is not None:
        stmt = stmt.where(Resident.household_id == household_id)
    if category:
        stmt = stmt.where(Resident.category == category)
    if active is not None:
        stmt = stmt.where(Resident.is_active.is_(active))
    protector = get_protector() if (id_number or phone) else None
    if id_number and protector:
        stmt = stmt.where(Resident.id_number_index == id_number_index(protector, id_number))
    if phone and protector:
        stmt = stmt.where(Resident.phone_index == phone_index(protector, phone))
    if protector:
        masked = {
            **({"id_number": mask_id_number(id_number)} if id_number else {}),
            **({"phone": mask_phone(phone)} if phone else {}),
        }
        pii_service.audit_search(
            session, actor, subject_type="grid_resident", fields=masked, area_code=area_code, masked=masked
        )
    if care_tag:
        clean_care_tags([care_tag])
        # JSON arrays are stored as text on SQLite and as json on PostgreSQL: compare on the text form.
        stmt = stmt.where(cast(Resident.care_tags, Text).contains(json.dumps(care_tag), autoescape=True))
    return stmt


def reveal_resident(
    session: Session,
    actor: Actor,
    *,
    resident_id: int,
    reason: str,
    purpose: str | None = None,
    fields: Sequence[str] | None = None,
) -> dict[str, str | None]:
    """Full values of the asked fields of a resident (``name``, ``id_number``, ``phone``), for a purpose and
    a stated reason (audit.pii_service.reveal_fields)."""
    require_role(actor, *WRITE_ROLES)
    resident = get_resident(session, actor, resident_id)
    ensure_in_scope(actor, resident.area_code, what="resident", roles=WRITE_ROLES)
    return pii_service.reveal_fields(
        session,
        actor,
        protector=get_protector(),
        subject_type="grid_resident",
        subject_id=resident.id,
        area_code=resident.area_code,
        columns={"name": resident.name_enc, "id_number": resident.id_number_enc, "phone": resident.phone_enc},
        fields=fields,
        purpose=purpose,
        reason=reason,
    )
