"""Addresses to points from the district's own register (buildings/门牌 and key places), offline.

A report that gives only an address (an Open311 client's ``address_string``, a hotline caller's words) is
placed at the register's point for that address. The text is normalised (full-width forms, spaces, the
names of the province, city, district and street in front), then matched in this order:

1. exactly a building's or a key place's address, or a key place's name;
2. the start of building addresses ("江南大道588号" → the buildings 588号1幢, 2幢 …: their middle);
3. the longest building or place address the text contains ("江南大道588号3幢东门口" → 588号3幢).

Nothing else is guessed: a text that matches none of them is not located.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.grids.models import Building, Place

_PREFIX_LEVELS = (AreaLevel.PROVINCE, AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET)
_SPACES = re.compile(r"\s+")
_PROVINCE_OR_CITY = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?:省|自治区|市)")


@dataclass(frozen=True, slots=True)
class Geocoded:
    """Where an address is: a WGS-84 point, the register entry it matched and how."""

    lon: float
    lat: float
    address: str
    how: str  # exact, prefix or contained


def normalise_address(session: Session, text: str) -> str:
    """``text`` with full-width forms folded, spaces removed and leading area names dropped
    (浙江省杭州市滨江区西兴街道 …)."""
    return _readings(session, text)[0]


def _readings(session: Session, text: str) -> list[str]:
    """The ways to read ``text``, most stripped first: without the area names the database holds, then also
    without a leading province or city name it does not hold (浙江省, 杭州市 — unless that was the start of a
    road's name, like 滨江市场路: then the longer reading matches)."""
    value = _SPACES.sub("", unicodedata.normalize("NFKC", text or ""))
    names = areas.area_names(session, levels=_PREFIX_LEVELS)
    ordered = sorted({n for n in names if n}, key=len, reverse=True)

    def strip_known(v: str) -> str:
        stripped = True
        while stripped:
            stripped = False
            for name in ordered:
                if v.startswith(name) and len(v) > len(name):
                    v, stripped = v[len(name) :], True
                    break
        return v

    readings = [strip_known(value)]
    while (higher := _PROVINCE_OR_CITY.match(readings[0])) and len(readings[0]) > higher.end():
        readings.insert(0, strip_known(readings[0][higher.end() :]))
    return readings


def geocode(session: Session, text: str) -> Geocoded | None:
    """The register's point for the address ``text``, or None when the register does not know it."""
    for value in _readings(session, text):
        if len(value) >= 2:
            found = _match(session, value)
            if found is not None:
                return found
    return None


def _match(session: Session, value: str) -> Geocoded | None:
    active_buildings = Building.is_active.is_(True)
    active_places = Place.status == "active"
    exact = (
        session.execute(
            select(Building.lon, Building.lat, Building.address)
            .where(active_buildings, Building.address == value)
            .order_by(Building.id)
            .limit(1)
        ).first()
        or session.execute(
            select(Place.lon, Place.lat, Place.address)
            .where(active_places, or_(Place.address == value, Place.name == value))
            .order_by(Place.id)
            .limit(1)
        ).first()
    )
    if exact is not None:
        return Geocoded(float(exact[0]), float(exact[1]), exact[2] or value, "exact")
    prefix = session.execute(
        select(func.avg(Building.lon), func.avg(Building.lat), func.count()).where(
            active_buildings, Building.address.startswith(value, autoescape=True)
        )
    ).one()
    if prefix[2]:
        return Geocoded(float(prefix[0]), float(prefix[1]), value, "prefix")
    # the longest register address inside the text (a bound text with LIKE over the register's column)
    text_value = literal(value)
    best = None
    for lon, lat, address in (
        *session.execute(
            select(Building.lon, Building.lat, Building.address)
            .where(active_buildings, func.length(Building.address) >= 4)
            .where(text_value.contains(Building.address))
            .order_by(func.length(Building.address).desc(), Building.id)
            .limit(1)
        ),
        *session.execute(
            select(Place.lon, Place.lat, Place.address)
            .where(active_places, func.length(Place.address) >= 4)
            .where(text_value.contains(Place.address))
            .order_by(func.length(Place.address).desc(), Place.id)
            .limit(1)
        ),
    ):
        if best is None or len(address) > len(best[2]):
            best = (lon, lat, address)
    if best is None:
        return None
    return Geocoded(float(best[0]), float(best[1]), best[2], "contained")


def locate_address(session: Session, text: str) -> tuple[float, float] | None:
    """(lon, lat) of an address of the register: the cases module's address locator (``pingan.grids``
    registers it)."""
    found = geocode(session, text)
    return None if found is None else (found.lon, found.lat)
