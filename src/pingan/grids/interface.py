"""What other capability modules may use of the grids package: the one register of places.

The grids module's places (table ``grid_places``) are the district's one list of places — shops, LPG outlets,
restaurants, school kitchens, pharmacies, parcel outlets, rental buildings, construction sites … A module that
needs places declares the types it adds (``Module(place_types=(PlaceType(code, name_zh, name_en), ...))``),
finds or adds its places here, and keeps its own facts about a place in its own tables keyed by the place id.
It keeps no place table of its own. Nothing else of ``pingan.grids`` is theirs to import (import-linter's
"modules reach grids only through its interface" contract).

Places are handed out as :class:`PlaceRef` (frozen; no personal data: the responsible person's name and phone
stay in the register, protected, revealed only through its audited reveal).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.modules import Module, PlaceType
from pingan.core.security import Actor, in_scope, require_role
from pingan.grids import places
from pingan.grids.common import PLACE_READ_ROLES, check_read, clean_text, grid_of_point, grids_under
from pingan.grids.models import Place
from pingan.grids.placetypes import check_place_type
from pingan.grids.placetypes import place_types as _place_types
from pingan.grids.records import choice

# Two records of one type are one place when their names (normalised) are the same and either their
# addresses are too (within ADDRESS_METRES) or they stand within NEAR_METRES of each other.
NEAR_METRES = 30.0
ADDRESS_METRES = 1000.0
MAX_LIMIT = 500
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class PlaceRef:
    """One place of the register as other modules see it (WGS-84 point; no personal data)."""

    id: int
    area_code: str
    place_type: str
    name: str
    address: str
    lon: float
    lat: float
    status: str
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @classmethod
    def of(cls, p: Place) -> PlaceRef:
        return cls(
            id=p.id,
            area_code=p.area_code,
            place_type=p.place_type,
            name=p.name,
            address=p.address,
            lon=p.lon,
            lat=p.lat,
            status=p.status,
            attributes=MappingProxyType(dict(p.attributes or {})),
        )


class FoundPlace(NamedTuple):
    """What :func:`find_or_add_place` did: the place, and whether it was added just now."""

    place: PlaceRef
    added: bool


def place_types(modules: Iterable[Module] | None = None) -> tuple[PlaceType, ...]:
    """Every known place type with its zh/en names: the grids module's built-in ones, then those each enabled
    module declares (``modules``; default: those ``PINGAN_MODULES`` enables)."""
    return _place_types(modules)


def get_place(session: Session, place_id: int, actor: Actor | None = None) -> PlaceRef:
    """One place; with ``actor``, only inside the actor's scope (404 outside it, as for a missing one)."""
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound("place not found", field="place_id")
    if actor is not None:
        check_read(actor, place.area_code, what="place", roles=PLACE_READ_ROLES)
    return PlaceRef.of(place)


def list_places(
    session: Session,
    *,
    actor: Actor | None = None,
    types: Sequence[str] | None = None,
    area_codes: Sequence[str] | None = None,
    status: str | None = "active",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[PlaceRef], int]:
    """A page of places (by id) and how many there are: of the given types, at or below the given area codes,
    in one status (``None``: any); with ``actor``, only those inside the actor's scope."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise ValidationFailed("offset must not be negative", field="offset")
    stmt = _visible(actor)
    if types:
        stmt = stmt.where(Place.place_type.in_([check_place_type(t) for t in types]))
    if area_codes:
        grids = {grid for code in area_codes for grid in grids_under(session, str(code))}
        stmt = stmt.where(Place.area_code.in_(sorted(grids)))
    if status is not None:
        stmt = stmt.where(Place.status == choice(status, places.PLACE_STATUSES, field="status"))
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(stmt.order_by(Place.id).limit(limit).offset(offset))
    return [PlaceRef.of(p) for p in rows], total


def find_or_add_place(
    session: Session,
    actor: Actor,
    *,
    place_type: str,
    name: str,
    address: str = "",
    lon: float,
    lat: float,
    crs: str = "wgs84",
    area_code: str | None = None,
    responsible_name: str | None = None,
    responsible_phone: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    source: str = "module",
) -> FoundPlace:
    """The register's place of this type with the same name and address, or the same name within 30 m; else a
    new place (its grid found by the locator when ``area_code`` is not given; the responsible person's name
    and phone protected; a ``create`` entry in the register's history with ``source``). Places found during a
    campaign are added to the register once."""
    require_role(actor, *PLACE_READ_ROLES)
    code = check_place_type(place_type)
    name = clean_text(name, field="name", max_len=120)
    address = clean_text(address, field="address", max_len=200, required=False)
    source = clean_text(source, field="source", max_len=24)
    _, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs, expected=area_code)
    existing = _same_place(session, actor, code=code, name=name, address=address, lon=wlon, lat=wlat)
    if existing is not None:
        return FoundPlace(PlaceRef.of(existing), added=False)
    added = places.create_place(
        session,
        actor,
        place_type=code,
        name=name,
        address=address,
        lon=wlon,
        lat=wlat,
        area_code=area_code,
        responsible_name=responsible_name,
        responsible_phone=responsible_phone,
        attributes=dict(attributes or {}),
        source=source,
    )
    return FoundPlace(PlaceRef.of(added), added=True)


def _visible(actor: Actor | None) -> Select[Any]:
    if actor is None:
        return select(Place)
    require_role(actor, *PLACE_READ_ROLES)
    return in_scope(select(Place), Place.area_code, actor, roles=PLACE_READ_ROLES)


def normalised(text: str) -> str:
    """A name or address as compared: full-width forms folded (NFKC), case folded, without spaces and
    punctuation (``江南大道 100 号（滨江店）`` is ``江南大道100号滨江店``)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat2 - lat1) * _METRES_PER_DEGREE


def _same_place(
    session: Session, actor: Actor, *, code: str, name: str, address: str, lon: float, lat: float
) -> Place | None:
    """The nearest place of the type that is the same one (see NEAR_METRES), among those the actor sees."""
    dlat = ADDRESS_METRES / _METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    stmt = _visible(actor).where(
        Place.place_type == code,
        Place.lon.between(lon - dlon, lon + dlon),
        Place.lat.between(lat - dlat, lat + dlat),
    )
    key, where = normalised(name), normalised(address)
    best: tuple[float, int, Place] | None = None
    for place in session.scalars(stmt):
        if normalised(place.name) != key:
            continue
        metres = _metres(lon, lat, place.lon, place.lat)
        same_address = bool(where) and normalised(place.address) == where
        if (same_address or metres <= NEAR_METRES) and (best is None or (metres, place.id) < best[:2]):
            best = (metres, place.id, place)
    return best[2] if best else None


__all__ = [
    "ADDRESS_METRES",
    "NEAR_METRES",
    "FoundPlace",
    "PlaceRef",
    "PlaceType",
    "find_or_add_place",
    "get_place",
    "list_places",
    "normalised",
    "place_types",
]
