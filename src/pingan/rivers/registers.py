"""Rivers, their segments, chiefs and stations: add and read, in the actor's area scope. A station is also a
device of the kind ``water_station`` in the devices register (its liveness and outage cases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core import pagination
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role
from pingan.devices import interface as devices

from .gb3838 import WaterClass
from .models import Reading, ReadingRefusal, River, RiverChief, RiverSegment, Station
from .module import STATION_KIND
from .parameters import PARAMETERS

READ = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE, Role.SECTOR_CLERK)
MANAGE = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
CHIEF_LEVELS = ("district", "street", "community")
MAX_ID = 2**31 - 1  # the registers' ids are 32-bit on PostgreSQL: a larger id names no row (and no query)
STATION_KINDS = ("automatic", "manual")


T = TypeVar("T", RiverSegment, Station)


def _area(session: Session, actor: Actor, code: str, *, field: str = "area_code") -> str:
    try:
        areas.get_area(session, code)
    except NotFound:
        raise ValidationFailed(f"no area with code {code}", field=field) from None
    ensure_in_scope(actor, code, what="area", roles=MANAGE)
    return code


def _unique(session: Session, model: Any, code: str) -> None:
    if session.scalar(select(model.id).where(model.code == code)) is not None:
        raise Conflict(f"code {code} is already taken", field="code")


def add_river(
    session: Session, actor: Actor, *, code: str, name: str, area_code: str, is_lake: bool
) -> River:
    require_role(actor, *MANAGE)
    _area(session, actor, area_code)
    _unique(session, River, code)
    river = River(code=code, name=name, area_code=area_code, is_lake=is_lake)
    session.add(river)
    session.flush()
    return river


def get_river(session: Session, actor: Actor, river_id: int) -> River:
    require_role(actor, *READ)
    river = session.get(River, river_id) if river_id <= MAX_ID else None
    if river is None:
        raise NotFound(f"river {river_id} not found", field="river_id")
    ensure_in_scope(actor, river.area_code, what="river", roles=READ)
    return river


def river_rows(actor: Actor) -> Select[Any]:
    require_role(actor, *READ)
    return in_scope(select(River), River.area_code, actor, roles=READ).order_by(River.code)


def add_segment(
    session: Session,
    actor: Actor,
    *,
    river_id: int,
    code: str,
    name: str,
    area_code: str,
    line: Sequence[Sequence[float]],
    target_class: WaterClass,
) -> RiverSegment:
    require_role(actor, *MANAGE)
    river = get_river(session, actor, river_id)
    _area(session, actor, area_code)
    _unique(session, RiverSegment, code)
    segment = RiverSegment(
        river_id=river.id,
        code=code,
        name=name,
        area_code=area_code,
        line=[[float(lon), float(lat)] for lon, lat in line],
        target_class=int(target_class),
    )
    session.add(segment)
    session.flush()
    return segment


def _readable(session: Session, actor: Actor, model: type[T], record_id: int, what: str) -> T:
    """The segment or station with that id in the actor's scope, or NotFound naming ``<what>_id``."""
    require_role(actor, *READ)
    found = session.get(model, record_id) if record_id <= MAX_ID else None
    if found is None:
        raise NotFound(f"{what} {record_id} not found", field=f"{what}_id")
    ensure_in_scope(actor, found.area_code, what=what, roles=READ)
    return found


def get_segment(session: Session, actor: Actor, segment_id: int) -> RiverSegment:
    return _readable(session, actor, RiverSegment, segment_id, "segment")


def segment_rows(actor: Actor, *, river_id: int | None = None) -> Select[Any]:
    require_role(actor, *READ)
    stmt = in_scope(select(RiverSegment), RiverSegment.area_code, actor, roles=READ)
    if river_id is not None:
        stmt = stmt.where(RiverSegment.river_id == river_id if river_id <= MAX_ID else false())
    return stmt.order_by(RiverSegment.code)


def set_chief(
    session: Session, actor: Actor, *, segment_id: int, level: str, name: str, title: str = ""
) -> RiverChief:
    """The segment's river chief at ``level`` (one per level; a new one replaces the old)."""
    require_role(actor, *MANAGE)
    segment = get_segment(session, actor, segment_id)
    ensure_in_scope(actor, segment.area_code, what="segment", roles=MANAGE)
    if level not in CHIEF_LEVELS:
        raise ValidationFailed(f"level must be one of {', '.join(CHIEF_LEVELS)}", field="level")
    chief = session.scalar(
        select(RiverChief).where(RiverChief.segment_id == segment.id, RiverChief.level == level)
    )
    if chief is None:
        chief = RiverChief(segment_id=segment.id, level=level, name=name, title=title)
        session.add(chief)
    else:
        chief.name, chief.title = name, title
    session.flush()
    return chief


def chiefs_of(session: Session, actor: Actor, segment_id: int) -> list[RiverChief]:
    segment = get_segment(session, actor, segment_id)
    order = {level: i for i, level in enumerate(CHIEF_LEVELS)}
    chiefs = session.scalars(select(RiverChief).where(RiverChief.segment_id == segment.id))
    return sorted(chiefs, key=lambda c: order.get(c.level, 9))


def add_station(
    session: Session,
    actor: Actor,
    *,
    segment_id: int,
    code: str,
    name: str,
    kind: str,
    lon: float,
    lat: float,
    parameters: Sequence[str],
    target_class: WaterClass | None = None,
) -> Station:
    """A station on a segment (its target class defaults to the segment's), registered as a device."""
    require_role(actor, *MANAGE)
    segment = get_segment(session, actor, segment_id)
    ensure_in_scope(actor, segment.area_code, what="segment", roles=MANAGE)
    if kind not in STATION_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(STATION_KINDS)}", field="kind")
    unknown = [p for p in parameters if p not in PARAMETERS]
    if unknown or not parameters:
        known = ", ".join(PARAMETERS)
        raise ValidationFailed(f"parameters must be some of {known}", field="parameters")
    _unique(session, Station, code)
    located = areas.locate(session, lon=lon, lat=lat)
    area_code = located.grid.code if located is not None else segment.area_code
    station = Station(
        code=code,
        name=name,
        segment_id=segment.id,
        area_code=area_code,
        kind=kind,
        lon=lon,
        lat=lat,
        parameters=list(dict.fromkeys(parameters)),
        target_class=int(target_class or segment.target_class),
    )
    session.add(station)
    session.flush()
    devices.register_devices(
        session,
        STATION_KIND,
        [{"external_id": code, "name": name, "area_code": area_code, "lon": lon, "lat": lat}],
    )
    return station


def get_station(session: Session, actor: Actor, station_id: int) -> Station:
    return _readable(session, actor, Station, station_id, "station")


def station_rows(actor: Actor, *, segment_id: int | None = None) -> Select[Any]:
    require_role(actor, *READ)
    stmt = in_scope(select(Station), Station.area_code, actor, roles=READ)
    if segment_id is not None:
        stmt = stmt.where(Station.segment_id == segment_id if segment_id <= MAX_ID else false())
    return stmt.order_by(Station.code)


def page(session: Session, stmt: Any, *, limit: int, offset: int) -> tuple[list[Any], int]:
    return pagination.page(session, stmt, limit=limit, offset=offset)


def parse_class(text: str, *, field: str = "target_class") -> WaterClass:
    try:
        return WaterClass.parse(text)
    except ValueError:
        raise ValidationFailed("must be a GB 3838 class: I, II, III, IV, V or 劣V", field=field) from None


def reading_rows(
    session: Session,
    actor: Actor,
    station_id: int,
    *,
    parameter: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[str, datetime, float]:
    """A station's readings, newest first."""
    station = get_station(session, actor, station_id)
    stmt = select(Reading.parameter, Reading.observed_at, Reading.value).where(
        Reading.station_id == station.id
    )
    if parameter is not None:
        if parameter not in station.parameters:
            raise ValidationFailed(f"station {station.code} does not measure {parameter}", field="parameter")
        stmt = stmt.where(Reading.parameter == parameter)
    if since is not None:
        stmt = stmt.where(Reading.observed_at >= since)
    if until is not None:
        stmt = stmt.where(Reading.observed_at < until)
    return stmt.order_by(Reading.observed_at.desc(), Reading.parameter)


def station_refusals(session: Session, actor: Actor, station_id: int) -> list[ReadingRefusal]:
    station = get_station(session, actor, station_id)
    return list(
        session.scalars(
            select(ReadingRefusal)
            .where(ReadingRefusal.station_code == station.code)
            .order_by(ReadingRefusal.reason)
        )
    )


def refusal_rows(actor: Actor) -> Select[Any]:
    """Every refusal count, unknown station codes included: district administrators only."""
    require_role(actor, Role.DISTRICT_ADMIN)
    return select(ReadingRefusal).order_by(ReadingRefusal.last_at.desc(), ReadingRefusal.station_code)
