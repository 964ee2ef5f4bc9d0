"""A silent station: the devices spine's sweep turns its outage into one case in 1004 (dedupe key
device-outage:water_station:<code>), counted on that case while it is open; heard again, a step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases.models import Case
from pingan.core.modules import installed
from pingan.devices import interface as devices
from pingan.rivers import ingest
from pingan.rivers.module import STATION_CATEGORY, STATION_KIND
from tests.rivers.conftest import Made, sample

KINDS = {k.code: k for k in installed()["rivers"].device_kinds}


def test_a_silent_station_raises_one_case(session: Session, made: Made) -> None:
    code = made.station.code
    start = datetime(2026, 6, 1, tzinfo=UTC)
    ingest.ingest(session, sample(code, start, DO=6.0), now=start)
    assert devices.sweep(session, start + timedelta(hours=1), KINDS).raised == 0  # still online
    report = devices.sweep(session, start + timedelta(hours=7), KINDS)  # offline 2 h, outage 6 h
    assert report.raised == 1
    key = devices.outage_key(STATION_KIND, code)
    (case,) = session.scalars(select(Case).where(Case.dedupe_key == key))
    assert case.category_code == STATION_CATEGORY and case.area_code == made.station.area_code
    assert devices.sweep(session, start + timedelta(hours=9), KINDS).raised == 0  # once per outage
    back = start + timedelta(hours=10)
    ingest.ingest(session, sample(code, back, DO=6.1), now=back)
    assert devices.sweep(session, back + timedelta(minutes=1), KINDS).back_online == 1
