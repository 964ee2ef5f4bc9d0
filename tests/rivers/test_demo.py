"""The demo's rivers: 6 stations with a year of hourly readings improving from 劣V to III–IV, the same for the
same seed."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.rivers import demo, gb3838
from pingan.rivers.gb3838 import WaterClass
from pingan.rivers.models import Reading, River, RiverChief, Station


def _classes(values: dict[str, np.ndarray], hours: range, lake: bool) -> set[WaterClass]:
    found = set()
    for h in hours:
        sample = {p: float(values[p][h]) for p in demo.PARAMETERS}
        result = gb3838.classify(sample, lake=lake)
        assert result is not None
        found.add(result.water_class)
    return found


@pytest.mark.parametrize(("code", "name", "lake", "target", "final"), demo.RIVERS)
def test_a_year_from_inferior_v_to_iii_or_iv(
    code: str, name: str, lake: bool, target: WaterClass, final: float
) -> None:
    values = demo._series(np.random.default_rng(7), final, lake)
    assert all(len(v) == demo.HOURS for v in values.values())
    assert _classes(values, range(24 * 7), lake) == {WaterClass.INFERIOR_V}
    assert _classes(values, range(demo.HOURS - 24 * 7, demo.HOURS), lake) <= {WaterClass.III, WaterClass.IV}


def test_the_same_seed_gives_the_same_readings() -> None:
    a = demo._series(np.random.default_rng(3), 3.0, False)
    b = demo._series(np.random.default_rng(3), 3.0, False)
    assert all(np.array_equal(a[p], b[p]) for p in demo.PARAMETERS)


def test_the_demo_database_holds_the_rivers(session: Session) -> None:
    codes = [r[0] for r in demo.RIVERS]
    assert session.scalar(select(func.count()).where(River.code.in_(codes))) == 6
    stations = list(session.scalars(select(Station).where(Station.code.in_([f"{c}-S1" for c in codes]))))
    assert len(stations) == 6 and all(s.current_class is not None for s in stations)
    one = stations[0]
    assert session.scalar(select(func.count()).where(Reading.station_id == one.id)) == demo.HOURS * 5
    assert session.scalar(select(func.count()).where(RiverChief.segment_id == one.segment_id)) == 3
