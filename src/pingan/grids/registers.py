"""Registers per grid: buildings/addresses, households, residents (protected personal data), key places."""

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
from pingan.grids import history
from pingan.grids.common import (
    PLACE_READ_ROLES,
    READ_ROLES,
    WRITE_ROLES,
    check_read,
    check_write,
    clean_text,
    get_grid_code,
    grid_of_point,
    grids_under,
)
from pingan.grids.models import Building, CareTag, Household, Place, PlaceType, Resident, ResidentCategory
from pingan.grids.privacy import encrypt_optional

BUILDING_KINDS = ("residential", "rental", "commercial", "mixed", "public")
HOUSEHOLD_KINDS = ("registered", "rental", "vacant")
PLACE_STATUSES = ("active", "closed")
MAX_PAGE = 500
REVEAL_FIELDS = ("name", "id_number", "phone")


# --- buildings --------------------------------------------------------------------------------------------


def _choice(value: str, allowed: Iterable[str], *, field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of: {', '.join(allowed)}", field=field)
    return value


def create_building(
    session: Session,
    actor: Actor,
    *,
    address: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    area_code: str | None = None,
    kind: str = "residential",
    floors: int | None = None,
    source: str = "manual",
) -> Building:
    """Register a building/address; its point must lie in its grid (found by the locator)."""
    require_role(actor, *WRITE_ROLES)
    address = clean_text(address, field="address", max_len=200)
    _choice(kind, BUILDING_KINDS, field="kind")
    if floors is not None and not 0 < floors < 200:
        raise ValidationFailed("floors must be between 1 and 199", field="floors")
    if area_code is not None:
        get_grid_code(session, actor, area_code, roles=WRITE_ROLES)
    grid, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs, expected=area_code)
    check_write(actor, grid, what="grid")
    building = Building(area_code=grid, address=address, kind=kind, floors=floors, lon=wlon, lat=wlat)
    session.add(building)
    session.flush()
    history.record_change(
        session,
        actor,
        record_type="building",
        record_id=building.id,
        area_code=grid,
        action="create",
        changes={"address": [None, address], "kind": [None, kind], "point": [None, [wlon, wlat]]},
        source=source,
    )
    return building


def get_building(session: Session, actor: Actor, building_id: int) -> Building:
    """One building inside the actor's scope."""
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound("building not found", field="building_id")
    check_read(actor, building.area_code, what="building")
    return building


def update_building(session: Session, actor: Actor, *, building_id: int, changes: dict[str, Any]) -> Building:
    """Change a building's address, kind, floors or point (the point must stay in its grid)."""
    require_role(actor, *WRITE_ROLES)
    building = get_building(session, actor, building_id)
    check_write(actor, building.area_code, what="building")
    before: dict[str, Any] = {"address": building.address, "kind": building.kind, "floors": building.floors}
    before |= {"lon": building.lon, "lat": building.lat, "is_active": building.is_active}
    if "address" in changes:
        building.address = clean_text(changes["address"], field="address", max_len=200)
    if "kind" in changes:
        building.kind = _choice(changes["kind"], BUILDING_KINDS, field="kind")
    if "floors" in changes:
        floors = changes["floors"]
        if floors is not None and not 0 < int(floors) < 200:
            raise ValidationFailed("floors must be between 1 and 199", field="floors")
        building.floors = floors
    if "is_active" in changes:
        building.is_active = bool(changes["is_active"])
    if "lon" in changes or "lat" in changes:
        _, building.lon, building.lat = grid_of_point(
            session,
            lon=_given(changes, "lon", building.lon),
            lat=_given(changes, "lat", building.lat),
            crs=changes.get("crs", "wgs84"),
            expected=building.area_code,
        )
    after: dict[str, Any] = {"address": building.address, "kind": building.kind, "floors": building.floors}
    after |= {"lon": building.lon, "lat": building.lat, "is_active": building.is_active}
    _log_update(session, actor, "building", building.id, building.area_code, history.diff(before, after))
    return building


def list_buildings(
    session: Session, actor: Actor, *, area_code: str | None = None, q: str | None = None
) -> Select[Building]:
    """The buildings visible to the actor (a statement: the caller pages it)."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Building), Building.area_code, actor, roles=READ_ROLES).order_by(Building.id)
    stmt = _within(session, stmt, Building.area_code, area_code)
    if q:
        stmt = stmt.where(Building.address.contains(q, autoescape=True))
    return stmt


def _given(changes: dict[str, Any], key: str, current: float) -> float:
    value = changes.get(key)
    return current if value is None else float(value)


def _within(session: Session, stmt: Select[Any], column: Any, area_code: str | None) -> Select[Any]:
    if area_code is None:
        return stmt
    return stmt.where(column.in_(grids_under(session, area_code)))


def _log_update(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: int,
    area_code: str,
    changes: dict[str, Any],
    *,
    source: str = "manual",
    sealed: dict[str, list[str | None]] | None = None,
) -> None:
    if changes:
        history.record_change(
            session,
            actor,
            record_type=record_type,
            record_id=record_id,
            area_code=area_code,
            action="update",
            changes=changes,
            source=source,
            sealed=sealed,
        )
        session.flush()


# --- households -------------------------------------------------------------------------------------------


def create_household(
    session: Session,
    actor: Actor,
    *,
    building_id: int,
    room: str,
    kind: str = "registered",
    notes: str = "",
    source: str = "manual",
) -> Household:
    """Register a household at a room of a building (one household per room)."""
    require_role(actor, *WRITE_ROLES)
    building = get_building(session, actor, building_id)
    check_write(actor, building.area_code, what="building")
    room = clean_text(room, field="room", max_len=40)
    _choice(kind, HOUSEHOLD_KINDS, field="kind")
    exists = session.scalar(
        select(Household.id).where(Household.building_id == building.id, Household.room == room)
    )
    if exists is not None:
        raise Conflict(f"room {room} of this building already has household #{exists}", field="room")
    household = Household(
        area_code=building.area_code, building_id=building.id, room=room, kind=kind, notes=notes
    )
    session.add(household)
    session.flush()
    history.record_change(
        session,
        actor,
        record_type="household",
        record_id=household.id,
        area_code=household.area_code,
        action="create",
        changes={"building_id": [None, building.id], "room": [None, room], "kind": [None, kind]},
        source=source,
    )
    return household


def get_household(session: Session, actor: Actor, household_id: int) -> Household:
    """One household inside the actor's scope."""
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound("household not found", field="household_id")
    check_read(actor, household.area_code, what="household")
    return household


def update_household(
    session: Session, actor: Actor, *, household_id: int, changes: dict[str, Any], source: str = "manual"
) -> Household:
    """Change a household's room, kind, notes or active flag."""
    require_role(actor, *WRITE_ROLES)
    household = get_household(session, actor, household_id)
    check_write(actor, household.area_code, what="household")
    before: dict[str, Any] = {"room": household.room, "kind": household.kind, "notes": household.notes}
    before["is_active"] = household.is_active
    if "room" in changes:
        household.room = clean_text(changes["room"], field="room", max_len=40)
    if "kind" in changes:
        household.kind = _choice(changes["kind"], HOUSEHOLD_KINDS, field="kind")
    if "notes" in changes:
        household.notes = clean_text(changes["notes"], field="notes", max_len=2000, required=False)
    if "is_active" in changes:
        household.is_active = bool(changes["is_active"])
    after: dict[str, Any] = {"room": household.room, "kind": household.kind, "notes": household.notes}
    after["is_active"] = household.is_active
    _log_update(
        session,
        actor,
        "household",
        household.id,
        household.area_code,
        history.diff(before, after),
        source=source,
    )
    return household


def list_households(
    session: Session, actor: Actor, *, area_code: str | None = None, building_id: int | None = None
) -> Select[Household]:
    """The households visible to the actor."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Household), Household.area_code, actor, roles=READ_ROLES).order_by(Household.id)
    stmt = _within(session, stmt, Household.area_code, area_code)
    if building_id is not None:
        stmt = stmt.where(Household.building_id == building_id)
    return stmt


# --- residents --------------------------------------------------------------------------------------------


def _care_tags(tags: Iterable[str]) -> list[str]:
    allowed = {t.value for t in CareTag}
    out = sorted({t.strip() for t in tags if t and t.strip()})
    for tag in out:
        if tag not in allowed:
            raise ValidationFailed(
                f"care tag must be one of: {', '.join(sorted(allowed))}", field="care_tags"
            )
    return out


def _name(value: str, field: str = "name") -> str:
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
    name = _name(name)
    id18 = normalise_id_number(id_number)
    phone_n = normalise_phone(phone) if phone else None
    _choice(category, [c.value for c in ResidentCategory], field="category")
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
        care_tags=_care_tags(care_tags),
        relation=clean_text(relation, field="relation", max_len=16, required=False),
        **fields,
    )
    session.add(resident)
    session.flush()
    history.record_change(
        session,
        actor,
        record_type="resident",
        record_id=resident.id,
        area_code=grid,
        action="create",
        changes={k: [None, v] for k, v in _resident_view(resident).items()},
        source=source,
    )
    return resident


RESIDENT_PROTECTED = ("name", "id_number", "phone")
PLACE_PROTECTED = ("responsible_name", "responsible_phone")


def _resident_tokens(r: Resident) -> dict[str, bytes | None]:
    return {"name": r.name_enc, "id_number": r.id_number_enc, "phone": r.phone_enc}


def _place_tokens(p: Place) -> dict[str, bytes | None]:
    return {"responsible_name": p.responsible_name_enc, "responsible_phone": p.responsible_phone_enc}


def _changes(
    protector: Protector,
    before: dict[str, Any],
    after: dict[str, Any],
    tokens_before: dict[str, bytes | None],
    tokens_after: dict[str, bytes | None],
) -> tuple[dict[str, list[Any]], dict[str, list[str | None]]]:
    """Every changed field: plain fields by value, personal fields by their real (decrypted) value."""
    plain = history.diff(
        {k: v for k, v in before.items() if k not in tokens_after},
        {k: v for k, v in after.items() if k not in tokens_after},
    )
    protected, sealed = history.protected_diff(protector, tokens_before, tokens_after, before, after)
    return plain | protected, sealed


def _resident_view(r: Resident) -> dict[str, Any]:
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
    before, tokens_before = _resident_view(resident), _resident_tokens(resident)
    protector = get_protector()
    if "name" in changes:
        name = _name(changes["name"])
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
        resident.category = _choice(
            changes["category"], [c.value for c in ResidentCategory], field="category"
        )
    if "care_tags" in changes:
        resident.care_tags = _care_tags(changes["care_tags"] or [])
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
    diff, sealed = _changes(
        protector, before, _resident_view(resident), tokens_before, _resident_tokens(resident)
    )
    _log_update(
        session, actor, "resident", resident.id, resident.area_code, diff, source=source, sealed=sealed
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
    stmt = _within(session, stmt, Resident.area_code, area_code)
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
        _care_tags([care_tag])
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


# --- key places -------------------------------------------------------------------------------------------


def _place_type(value: str) -> str:
    return _choice(value, [t.value for t in PlaceType], field="place_type")


def create_place(
    session: Session,
    actor: Actor,
    *,
    place_type: str,
    name: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    area_code: str | None = None,
    address: str = "",
    responsible_name: str | None = None,
    responsible_phone: str | None = None,
    status: str = "active",
    attributes: dict[str, Any] | None = None,
    source: str = "manual",
) -> Place:
    """Register a key place of one type with its responsible person and a point inside its grid."""
    require_role(actor, *WRITE_ROLES)
    _place_type(place_type)
    _choice(status, PLACE_STATUSES, field="status")
    name = clean_text(name, field="name", max_len=120)
    address = clean_text(address, field="address", max_len=200, required=False)
    if area_code is not None:
        get_grid_code(session, actor, area_code, roles=WRITE_ROLES)
    grid, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs, expected=area_code)
    check_write(actor, grid, what="grid")
    person = _name(responsible_name, "responsible_name") if responsible_name else None
    phone = normalise_phone(responsible_phone, field="responsible_phone") if responsible_phone else None
    protector = get_protector()
    place = Place(
        area_code=grid,
        place_type=place_type,
        name=name,
        address=address,
        lon=wlon,
        lat=wlat,
        responsible_name_enc=encrypt_optional(protector, person),
        responsible_name_masked=mask_name(person),
        responsible_phone_enc=encrypt_optional(protector, phone),
        responsible_phone_masked=mask_phone(phone),
        status=status,
        attributes=dict(attributes or {}),
    )
    session.add(place)
    session.flush()
    history.record_change(
        session,
        actor,
        record_type="place",
        record_id=place.id,
        area_code=grid,
        action="create",
        changes={k: [None, v] for k, v in _place_view(place).items()},
        source=source,
    )
    return place


def _place_view(p: Place) -> dict[str, Any]:
    return {
        "place_type": p.place_type,
        "name": p.name,
        "address": p.address,
        "lon": p.lon,
        "lat": p.lat,
        "responsible_name": p.responsible_name_masked,
        "responsible_phone": p.responsible_phone_masked,
        "status": p.status,
        "attributes": dict(p.attributes or {}),
    }


def get_place(session: Session, actor: Actor, place_id: int) -> Place:
    """One key place inside the actor's scope."""
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound("place not found", field="place_id")
    check_read(actor, place.area_code, what="place", roles=PLACE_READ_ROLES)
    return place


def update_place(
    session: Session, actor: Actor, *, place_id: int, changes: dict[str, Any], source: str = "manual"
) -> Place:
    """Change a key place (name, address, point inside its grid, responsible person, status, attributes)."""
    require_role(actor, *WRITE_ROLES)
    place = get_place(session, actor, place_id)
    check_write(actor, place.area_code, what="place")
    before, tokens_before = _place_view(place), _place_tokens(place)
    protector = get_protector()
    if "name" in changes:
        place.name = clean_text(changes["name"], field="name", max_len=120)
    if "address" in changes:
        place.address = clean_text(changes["address"], field="address", max_len=200, required=False)
    if "status" in changes:
        place.status = _choice(changes["status"], PLACE_STATUSES, field="status")
    if "attributes" in changes:
        place.attributes = {**(place.attributes or {}), **dict(changes["attributes"] or {})}
    if "responsible_name" in changes:
        person = (
            _name(changes["responsible_name"], "responsible_name") if changes["responsible_name"] else None
        )
        place.responsible_name_enc = encrypt_optional(protector, person)
        place.responsible_name_masked = mask_name(person)
    if "responsible_phone" in changes:
        raw = changes["responsible_phone"]
        phone = normalise_phone(raw, field="responsible_phone") if raw else None
        place.responsible_phone_enc = encrypt_optional(protector, phone)
        place.responsible_phone_masked = mask_phone(phone)
    if "lon" in changes or "lat" in changes:
        _, place.lon, place.lat = grid_of_point(
            session,
            lon=_given(changes, "lon", place.lon),
            lat=_given(changes, "lat", place.lat),
            crs=changes.get("crs", "wgs84"),
            expected=place.area_code,
        )
    diff, sealed = _changes(protector, before, _place_view(place), tokens_before, _place_tokens(place))
    _log_update(session, actor, "place", place.id, place.area_code, diff, source=source, sealed=sealed)
    return place


def places_query(
    session: Session,
    actor: Actor,
    *,
    place_type: str | None = None,
    area_code: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Select[Place]:
    """Key places visible to the actor, optionally of one type, area or status."""
    require_role(actor, *PLACE_READ_ROLES)
    stmt = in_scope(select(Place), Place.area_code, actor, roles=PLACE_READ_ROLES).order_by(Place.id)
    stmt = _within(session, stmt, Place.area_code, area_code)
    if place_type:
        stmt = stmt.where(Place.place_type == _place_type(place_type))
    if status:
        stmt = stmt.where(Place.status == _choice(status, PLACE_STATUSES, field="status"))
    if q:
        stmt = stmt.where(Place.name.contains(q, autoescape=True))
    return stmt


def list_places(
    session: Session,
    actor: Actor,
    *,
    type: str | None = None,  # noqa: A002 - the public name other modules call with
    area_code: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[Place]:
    """Key places for other modules (e.g. list_places(session, actor, type="pharmacy"))."""
    stmt = places_query(session, actor, place_type=type, area_code=area_code, status=status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def reveal_place(
    session: Session,
    actor: Actor,
    *,
    place_id: int,
    reason: str,
    purpose: str | None = None,
    fields: Sequence[str] | None = None,
) -> dict[str, str | None]:
    """The responsible person's full name and/or phone (only the fields asked), for a purpose and a stated
    reason (audit.pii_service.reveal_fields)."""
    require_role(actor, *WRITE_ROLES)
    place = get_place(session, actor, place_id)
    ensure_in_scope(actor, place.area_code, what="place", roles=WRITE_ROLES)
    return pii_service.reveal_fields(
        session,
        actor,
        protector=get_protector(),
        subject_type="grid_place",
        subject_id=place.id,
        area_code=place.area_code,
        columns={
            "responsible_name": place.responsible_name_enc,
            "responsible_phone": place.responsible_phone_enc,
        },
        fields=fields,
        purpose=purpose,
        reason=reason,
    )


# --- history ----------------------------------------------------------------------------------------------

_RECORDS: dict[str, Any] = {
    "building": get_building,
    "household": get_household,
    "resident": get_resident,
    "place": get_place,
}


def record_history(session: Session, actor: Actor, *, record_type: str, record_id: int) -> list[Any]:
    """The change history of one register record inside the actor's scope."""
    getter = _RECORDS.get(record_type)
    if getter is None:
        raise ValidationFailed(f"record_type must be one of: {', '.join(_RECORDS)}", field="record_type")
    getter(session, actor, record_id)
    return history.list_changes(session, record_type=record_type, record_id=record_id)


def reveal_change(
    session: Session,
    actor: Actor,
    *,
    change_id: int,
    fields: Sequence[str] | None = None,
    purpose: str | None,
    reason: str,
) -> dict[str, dict[str, str | None]]:
    """Full old and new values of the personal fields of one history entry (only ``fields`` when given): a
    reveal with a purpose and a reason, audited per value."""
    require_role(actor, *WRITE_ROLES)
    entry = history.get_change(session, change_id)
    getter = _RECORDS.get(entry.record_type) if entry is not None else None
    if entry is None or getter is None:
        raise NotFound("history entry not found", field="change_id")
    getter(session, actor, entry.record_id)  # 404 outside the actor's scope
    if not entry.sealed:
        raise ValidationFailed("this history entry changed no personal data", field="change_id")
    unknown = sorted(set(fields or ()) - set(entry.sealed))
    if unknown:
        raise ValidationFailed(
            f"this history entry changed no {', '.join(unknown)}; "
            f"revealable: {', '.join(sorted(entry.sealed))}",
            field="fields",
        )
    protector = get_protector()
    out: dict[str, dict[str, str | None]] = {}
    for name, (old, new) in sorted(entry.sealed.items()):
        if fields and name not in fields:
            continue
        out[name] = {}
        for side, token in (("old", old), ("new", new)):
            out[name][side] = None
            if token:
                out[name][side] = pii_service.reveal(
                    session,
                    actor,
                    protector=protector,
                    subject_type=f"grid_{entry.record_type}",
                    subject_id=entry.record_id,
                    area_code=entry.area_code,
                    field=f"{name}.{side}",
                    ciphertext=history.unseal(token),
                    reason=reason,
                    purpose=purpose,
                    roles=WRITE_ROLES,
                )
    return out
