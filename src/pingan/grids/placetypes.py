"""The kinds of place the one register of places holds: the grids module's own (built-in) types and those
every enabled module declares (``Module.place_types``), each with its Chinese and English name.

Cheap to import (no SQLAlchemy): the grids declaration (``module.py``) lists the built-in types from here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import lru_cache

from pingan.core.errors import ValidationFailed
from pingan.core.modules import Module, PlaceType, resolve


class PlaceTypeCode(StrEnum):
    """The built-in types' codes (``pingan.grids.models.PlaceType``, used by the demo)."""

    RENTAL_BUILDING = "rental_building"
    SMALL_VENUE = "small_venue"
    LPG_OUTLET = "lpg_outlet"
    SCHOOL = "school"
    SCHOOL_KITCHEN = "school_kitchen"
    PARCEL_OUTLET = "parcel_outlet"
    PHARMACY = "pharmacy"
    ENTERPRISE = "enterprise"
    MONITORING_STATION = "monitoring_station"
    RESIDENTIAL_ESTATE = "residential_estate"
    RESTAURANT = "restaurant"
    CONSTRUCTION_SITE = "construction_site"


_NAMES = {
    PlaceTypeCode.RENTAL_BUILDING: ("出租房/出租楼", "Rental building"),
    PlaceTypeCode.SMALL_VENUE: ("九小场所", "Small venue"),
    PlaceTypeCode.LPG_OUTLET: ("瓶装燃气供应点", "LPG outlet"),
    PlaceTypeCode.SCHOOL: ("学校", "School"),
    PlaceTypeCode.SCHOOL_KITCHEN: ("学校食堂", "School kitchen"),
    PlaceTypeCode.PARCEL_OUTLET: ("快递网点", "Parcel outlet"),
    PlaceTypeCode.PHARMACY: ("药店", "Pharmacy"),
    PlaceTypeCode.ENTERPRISE: ("企业", "Enterprise"),
    PlaceTypeCode.MONITORING_STATION: ("监测站点", "Monitoring station"),
    PlaceTypeCode.RESIDENTIAL_ESTATE: ("住宅小区", "Residential estate"),
    PlaceTypeCode.RESTAURANT: ("餐饮店", "Restaurant"),
    PlaceTypeCode.CONSTRUCTION_SITE: ("建筑工地", "Construction site"),
}

# The grids module declares these like any module declares its own (grids/module.py).
BUILTIN: tuple[PlaceType, ...] = tuple(PlaceType(code.value, *_NAMES[code]) for code in PlaceTypeCode)


def place_types(modules: Iterable[Module] | None = None) -> tuple[PlaceType, ...]:
    """Every known type: the grids module's built-in ones, then each enabled module's declared ones, in module
    order (``modules``; default: those ``PINGAN_MODULES`` enables). A code declared twice keeps its first
    declaration."""
    if modules is None:
        from pingan.core.config import get_settings

        modules = _configured(get_settings().modules, tuple(sys.path))
    found = {t.code: t for t in BUILTIN}
    for module in modules:
        for declared in module.place_types:
            found.setdefault(declared.code, declared)
    return tuple(found.values())


@lru_cache(maxsize=8)
def _configured(setting: str, _path: tuple[str, ...]) -> tuple[Module, ...]:
    """The modules PINGAN_MODULES enables, resolved once per setting and import path (finding the installed
    modules reads every distribution's entry points: tens of milliseconds, too slow for every check)."""
    return tuple(resolve(setting))


def by_code(types: Sequence[PlaceType] | None = None) -> dict[str, PlaceType]:
    """The known types by code."""
    return {t.code: t for t in (place_types() if types is None else types)}


def check_place_type(value: object, types: Sequence[PlaceType] | None = None) -> str:
    """The code of a known type (its code, or its Chinese or English name); 422 naming ``place_type``."""
    text = "" if value is None else str(value).strip()
    known = place_types() if types is None else types
    for t in known:
        if text in (t.code, t.name_zh) or text.casefold() == t.name_en.casefold():
            return t.code
    raise ValidationFailed(
        f"place_type {text!r} is not a known type; known: {', '.join(t.code for t in known)}",
        field="place_type",
    )


def type_name(code: str, lang: str, types: Sequence[PlaceType] | None = None) -> str:
    """A type's name in ``lang`` (the code itself for a type no enabled module declares any more)."""
    found = by_code(types).get(code)
    return found.name(lang) if found else code
