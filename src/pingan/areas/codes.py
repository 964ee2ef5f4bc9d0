"""Area code rules (GB/T 2260, GB/T 10114, NBS 12-digit statistical codes, CJ/T 213 unit grids).

district 6 digits (330108) → street 9 (330108001) → community 12 (330108001001) → grid 14 or 15
(33010800100101, Beijing DB11 style 330108001001001). Province and city codes are 6 digits padded with
zeros (330000, 330100).
"""

from __future__ import annotations

import re

from pingan.areas.models import AreaLevel

_PATTERNS: dict[AreaLevel, re.Pattern[str]] = {
    AreaLevel.PROVINCE: re.compile(r"^\d{2}0000$"),
    AreaLevel.CITY: re.compile(r"^\d{4}00$"),
    AreaLevel.DISTRICT: re.compile(r"^\d{6}$"),
    AreaLevel.STREET: re.compile(r"^\d{9}$"),
    AreaLevel.COMMUNITY: re.compile(r"^\d{12}$"),
    AreaLevel.GRID: re.compile(r"^\d{14,15}$"),
}

_PARENT_LEVEL = {
    AreaLevel.CITY: AreaLevel.PROVINCE,
    AreaLevel.DISTRICT: AreaLevel.CITY,
    AreaLevel.STREET: AreaLevel.DISTRICT,
    AreaLevel.COMMUNITY: AreaLevel.STREET,
    AreaLevel.GRID: AreaLevel.COMMUNITY,
}


def infer_level(code: str) -> AreaLevel | None:
    """The level a code's shape implies (6-digit codes: province/city by padding, else district)."""
    if not code.isdigit():
        return None
    if len(code) == 6:
        if code.endswith("0000"):
            return AreaLevel.PROVINCE
        if code.endswith("00"):
            return AreaLevel.CITY
        return AreaLevel.DISTRICT
    return {9: AreaLevel.STREET, 12: AreaLevel.COMMUNITY, 14: AreaLevel.GRID, 15: AreaLevel.GRID}.get(
        len(code)
    )


def code_matches_level(code: str, level: AreaLevel) -> bool:
    return bool(_PATTERNS[level].match(code))


def parent_level(level: AreaLevel) -> AreaLevel | None:
    return _PARENT_LEVEL.get(level)


def significant(code: str) -> str:
    """The part of a code its descendants start with (330000 → 33, 330100 → 3301)."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def code_fits_parent(code: str, parent_code: str) -> bool:
    """A child's code must start with its parent's significant code."""
    return code.startswith(significant(parent_code)) and code != parent_code


def implied_parent(code: str, level: AreaLevel) -> str | None:
    """The parent code implied by a code's shape (None for a province)."""
    if level is AreaLevel.GRID:
        return code[:12]
    if level is AreaLevel.COMMUNITY:
        return code[:9]
    if level is AreaLevel.STREET:
        return code[:6]
    if level is AreaLevel.DISTRICT:
        return code[:4] + "00"
    if level is AreaLevel.CITY:
        return code[:2] + "0000"
    return None
