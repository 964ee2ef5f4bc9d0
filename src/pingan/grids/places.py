"""The register of places (重点场所): the district's one list of places of every type — the grids module's
built-in types and those the enabled modules declare (``grids/placetypes.py``). Modules keep their own facts
about a place in their own tables, keyed by its id, and reach it through ``pingan.grids.interface``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.audit import pii_service
from pingan.core.errors import NotFound
from pingan.core.pii import get_protector, mask_name, mask_phone, normalise_phone
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.grids.common import (
    PLACE_READ_ROLES,
    WRITE_ROLES,
    check_read,
    check_write,
    clean_text,
    get_grid_code,
    grid_of_point,
)
from pingan.grids.models import Place
from pingan.grids.placetypes import check_place_type
from pingan.grids.privacy import encrypt_optional
from pingan.grids.records import choice, create_with_history, given, update_with_history, within
from pingan.grids.residents import person_name

PLACE_STATUSES = ("active", "closed")
PLACE_PROTECTED = ("responsible_name", "responsible_phone")


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
    """Register a place of a known type with its responsible person and a point inside its grid."""
    require_role(actor, *WRITE_ROLES)
    place_type = check_place_type(place_type)
    choice(status, PLACE_STATUSES, field="status")
    name = clean_text(name, field="name", max_len=120)
    address = clean_text(address, field="address", max_len=200, required=False)
    if area_code is not None:
        get_grid_code(session, actor, area_code, roles=WRITE_ROLES)
    grid, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs, expected=area_code)
    check_write(actor, grid, what="grid")
    person = person_name(responsible_name, "responsible_name") if responsible_name else None
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
    changes = {k: [None, v] for k, v in _view(place).items()}
    return create_with_history(session, actor, place, record_type="place", changes=changes, source=source)


def _view(p: Place) -> dict[str, Any]:
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


def _tokens(p: Place) -> dict[str, bytes | None]:
    return {"responsible_name": p.responsible_name_enc, "responsible_phone": p.responsible_phone_enc}


def get_place(session: Session, actor: Actor, place_id: int) -> Place:
    """One place inside the actor's scope."""
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound("place not found", field="place_id")
    check_read(actor, place.area_code, what="place", roles=PLACE_READ_ROLES)
    return place


def update_place(
    session: Session, actor: Actor, *, place_id: int, changes: dict[str, Any], source: str = "manual"
) -> Place:
    """Change a place (type, name, address, point inside its grid, responsible person, status, attributes)."""
    require_role(actor, *WRITE_ROLES)
    place = get_place(session, actor, place_id)
    check_write(actor, place.area_code, what="place")
    before, tokens_before = _view(place), _tokens(place)
    protector = get_protector()
    if changes.get("place_type") is not None:
        place.place_type = check_place_type(changes["place_type"])
    if "name" in changes:
        place.name = clean_text(changes["name"], field="name", max_len=120)
    if "address" in changes:
        place.address = clean_text(changes["address"], field="address", max_len=200, required=False)
    if "status" in changes:
        place.status = choice(changes["status"], PLACE_STATUSES, field="status")
    if "attributes" in changes:
        place.attributes = {**(place.attributes or {}), **dict(changes["attributes"] or {})}
    if "responsible_name" in changes:
        raw = changes["responsible_name"]
        person = person_name(raw, "responsible_name") if raw else None
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
            lon=given(changes, "lon", place.lon),
            lat=given(changes, "lat", place.lat),
            crs=changes.get("crs", "wgs84"),
            expected=place.area_code,
        )
    update_with_history(
        session,
        actor,
        place,
        record_type="place",
        before=before,
        after=_view(place),
        source=source,
        protector=protector,
        tokens_before=tokens_before,
        tokens_after=_tokens(place),
    )
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
    """Places visible to the actor, optionally of one type, area or status."""
    require_role(actor, *PLACE_READ_ROLES)
    stmt = in_scope(select(Place), Place.area_code, actor, roles=PLACE_READ_ROLES).order_by(Place.id)
    stmt = within(session, stmt, Place.area_code, area_code)
    if place_type:
        stmt = stmt.where(Place.place_type == check_place_type(place_type))
    if status:
        stmt = stmt.where(Place.status == choice(status, PLACE_STATUSES, field="status"))
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
    """Places as rows (e.g. list_places(session, actor, type="pharmacy")); other modules use
    ``pingan.grids.interface.list_places``."""
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
