"""Addresses to points from the district's own register: exact, start of, contained; area names in front,
full-width forms and spaces ignored; unknown addresses not guessed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.grids.geocode import geocode, normalise_address
from pingan.grids.models import Building, Place


def _building(session: Session) -> Building:
    building = session.scalars(
        select(Building)
        .where(Building.is_active.is_(True), Building.address.like("%号%幢"))
        .order_by(Building.id)
    ).first()
    assert building is not None
    return building


def test_an_address_of_the_register_is_its_building(session: Session) -> None:
    b = _building(session)
    found = geocode(session, b.address)
    assert found is not None and found.how == "exact"
    assert (found.lon, found.lat) == (b.lon, b.lat)


def test_area_names_full_width_forms_and_spaces_are_ignored(session: Session) -> None:
    b = _building(session)
    number = b.address.replace("幢", "")
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number) + " 幢"
    text = f"浙江省杭州市 滨江区{wide}"
    assert normalise_address(session, text) == b.address
    found = geocode(session, text)
    assert found is not None and (found.lon, found.lat) == (b.lon, b.lat)


def test_a_street_number_is_the_middle_of_its_buildings(session: Session) -> None:
    b = _building(session)
    door = b.address[: b.address.index("号") + 1]  # 江南大道588号 without the building
    same = session.scalars(select(Building).where(Building.address.startswith(door))).all()
    found = geocode(session, door)
    assert found is not None and found.how == "prefix"
    assert abs(found.lon - sum(x.lon for x in same) / len(same)) < 1e-9


def test_words_around_an_address_find_it(session: Session) -> None:
    b = _building(session)
    found = geocode(session, f"{b.address}东门口的垃圾桶")
    assert found is not None and found.how == "contained" and found.address == b.address


def test_a_key_place_by_name(session: Session) -> None:
    place = session.scalars(select(Place).where(Place.status == "active").order_by(Place.id)).first()
    assert place is not None
    found = geocode(session, place.name)
    assert found is not None and (found.lon, found.lat) == (place.lon, place.lat)


def test_an_unknown_address_is_not_guessed(session: Session) -> None:
    assert geocode(session, "月球背面1号") is None
    assert geocode(session, "") is None and geocode(session, "号") is None


def test_a_road_named_like_a_city_is_still_read_whole(session: Session) -> None:
    b = _building(session)
    b.address = "滨江市场路12号1幢"  # 滨江市 … would be a city name in front
    session.flush()
    found = geocode(session, "杭州市滨江市场路12号1幢")
    assert found is not None and found.address == "滨江市场路12号1幢" and found.how == "exact"
