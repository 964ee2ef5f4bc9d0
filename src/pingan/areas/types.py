"""The area levels, shared with every package that speaks of areas (import them from here, not from the
tables in ``areas.models``)."""

from __future__ import annotations

from enum import StrEnum


class AreaLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


LEVEL_ORDER = [
    AreaLevel.PROVINCE,
    AreaLevel.CITY,
    AreaLevel.DISTRICT,
    AreaLevel.STREET,
    AreaLevel.COMMUNITY,
    AreaLevel.GRID,
]
