"""The rivers demo: 6 rivers of the district (one a lake), a segment and an automatic station each, river
chiefs at three levels, and a year of hourly readings (pH, DO, CODMn, NH3-N, TP) improving from 劣V to
III–IV. Deterministic from the seed; the readings go in with one driver ``executemany`` per chunk
(6 stations × 8,760 hours × 5 parameters ≈ 263,000 rows, a few seconds). Hourly, not the every-few-minutes
of a real automatic station, to keep the demo build short.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.security import Actor
from pingan.devices import interface as devices

from . import gb3838, registers
from .gb3838 import WaterClass
from .models import Reading, Station

RIVERS = (  # code, name, is a lake, target class, the class it reaches at the end of the year
    ("BJ-BTH", "北塘河", False, WaterClass.III, 2.8),
    ("BJ-GSH", "冠山河", False, WaterClass.IV, 3.2),
    ("BJ-PYH", "浦沿河", False, WaterClass.IV, 3.1),
    ("BJ-CH", "长河", False, WaterClass.III, 2.8),
    ("BJ-JNH", "江南河", False, WaterClass.IV, 3.2),
    ("BJ-BMH", "白马湖", True, WaterClass.III, 2.9),
)
PARAMETERS = ("pH", "DO", "CODMn", "NH3N", "TP")
HOURS = 365 * 24
CHUNK = 20_000


def generate(session: Session, *, seed: int, step: Callable[[str, float], None] | None = None) -> None:
    rng = np.random.default_rng(seed + 18)  # its own generator (issue 18)
    report = step or (lambda _label, _share: None)
    report("rivers", 0.0)
    system = Actor.system("demo")
    streets = areas.list_areas(session, level=AreaLevel.STREET)
    if not streets:
        return
    end = utcnow().replace(minute=0, second=0, microsecond=0)
    times = [end - timedelta(hours=HOURS - 1 - i) for i in range(HOURS)]
    for n, (code, name, lake, target, final) in enumerate(RIVERS):
        street = streets[n % len(streets)]
        station = _river(session, system, street, code, name, lake, target, n)
        values = _series(rng, final, lake)
        _insert(session, station, times, values)
        last = {p: float(values[p][-1]) for p in PARAMETERS}
        found = gb3838.classify(last, lake=lake)
        if found is not None:
            station.current_class, station.deciding = int(found.water_class), ",".join(found.deciding)
            station.classified_at = times[-1]
        report("rivers", (n + 1) / len(RIVERS))
    devices.heard(session, "water_station", {s: end for s in session.scalars(select(Station.code)).all()})
    session.flush()


def _river(
    session: Session, system: Actor, street: Any, code: str, name: str, lake: bool, target: WaterClass, n: int
) -> Station:
    shape = areas.geometry_of(street)
    if shape is not None:
        point = shape.representative_point()
        lon, lat = point.x, point.y
    else:
        lon, lat = 120.2 + 0.01 * n, 30.2
    river = registers.add_river(session, system, code=code, name=name, area_code=street.code, is_lake=lake)
    line = [[lon - 0.01, lat - 0.002], [lon, lat], [lon + 0.01, lat + 0.002]]
    segment = registers.add_segment(
        session,
        system,
        river_id=river.id,
        code=f"{code}-01",
        name=f"{name}{street.name}段",
        area_code=street.code,
        line=line,
        target_class=target,
    )
    for level, chief in (("district", "区级河长"), ("street", "街道河长"), ("community", "社区河长")):
        registers.set_chief(session, system, segment_id=segment.id, level=level, name=f"{chief}{n + 1}号")
    return registers.add_station(
        session,
        system,
        segment_id=segment.id,
        code=f"{code}-S1",
        name=f"{name}1号站",
        kind="automatic",
        lon=lon,
        lat=lat,
        parameters=PARAMETERS,
    )


def _series(rng: np.random.Generator, final: float, lake: bool) -> dict[str, np.ndarray]:
    """A pollution index per hour (6.4 = 劣V at the start, ``final`` at the end, with a daily cycle and noise)
    turned into each parameter's value by interpolating between its class limits."""
    t = np.linspace(0.0, 1.0, HOURS)
    base = 6.4 + (final - 6.4) * t + 0.12 * np.sin(np.arange(HOURS) * 2 * np.pi / 24)
    out: dict[str, np.ndarray] = {"pH": np.round(7.2 + rng.normal(0, 0.25, HOURS), 2)}
    for p in PARAMETERS[1:]:
        q = np.clip(base + rng.normal(0, 0.1, HOURS), 0.0, 7.0)
        key = "TP_lake" if lake and p == "TP" else p
        direction, limits = gb3838.LIMITS[key]
        if direction == gb3838.MIN:
            anchors = [9.0, *limits, 1.2, 0.8]
        else:
            anchors = [limits[0] * 0.5, *limits, limits[-1] * 1.5, limits[-1] * 2.0]
        out[p] = np.round(np.interp(q, np.arange(7.0 + 1), anchors), 4)
    return out


def _insert(session: Session, station: Station, times: list[Any], values: dict[str, np.ndarray]) -> None:
    connection = session.connection()
    dialect = connection.dialect
    table = cast(Table, Reading.__table__)
    names = ["station_id", "parameter", "observed_at", "value"]
    compiled = table.insert().compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or []) if compiled.positional else names
    to_db = table.c.observed_at.type._cached_bind_processor(dialect)
    stamps = [to_db(t) for t in times] if to_db is not None else times
    rows: list[Any] = []
    for p in PARAMETERS:
        for at, v in zip(stamps, values[p].tolist(), strict=True):
            row = {"station_id": station.id, "parameter": p, "observed_at": at, "value": v}
            rows.append(tuple(row[k] for k in order) if compiled.positional else row)
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(str(compiled), rows[start : start + CHUNK])
