"""Batch ingestion: normalised, refused with reasons counted per station, idempotent, classified, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.cases.models import Case
from pingan.devices import interface as devices
from pingan.rivers import ingest
from pingan.rivers.gb3838 import WaterClass
from pingan.rivers.ingest import Measure
from pingan.rivers.models import Reading, ReadingRefusal
from tests.rivers.conftest import SYSTEM, Made, sample

GOOD = {"pH": 7.2, "DO": 6.5, "CODMn": 3.0, "NH3N": 0.4, "TP": 0.08}  # class II
BAD = {"pH": 7.2, "DO": 2.5, "CODMn": 12.0, "NH3N": 1.8, "TP": 0.35}  # class V


def _readings(session: Session, made: Made) -> int:
    return int(session.scalar(select(func.count()).where(Reading.station_id == made.station.id)) or 0)


def _cases(session: Session, key: str) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.dedupe_key == key)))


class TestStore:
    def test_a_sample_is_stored_and_classified(self, session: Session, made: Made, t0: datetime) -> None:
        report = ingest.ingest(session, sample(made.station.code, t0, **GOOD))
        assert report.accepted == 5 and report.duplicates == 0 and not report.refused
        assert _readings(session, made) == 5
        assert made.station.current_class == WaterClass.II and made.station.classified_at == t0
        assert made.station.deciding == "CODMn,DO,NH3N,TP"

    def test_repeats_are_ignored(self, session: Session, made: Made, t0: datetime) -> None:
        ingest.ingest(session, sample(made.station.code, t0, **GOOD))
        again = ingest.ingest(session, sample(made.station.code, t0, **GOOD) * 2)
        assert again.accepted == 0 and again.duplicates == 10
        assert _readings(session, made) == 5

    def test_units_are_normalised(self, session: Session, made: Made, t0: datetime) -> None:
        code = made.station.code
        report = ingest.ingest(
            session,
            [
                Measure(code, "NH3N", 400.0, "ug/L", t0),
                Measure(code, "conductivity", 0.0412, "D10", t0),
                Measure(code, "O2", 8.1, "M1", t0),  # the NGSI attribute name
            ],
        )
        assert report.accepted == 3
        values = dict(
            session.execute(
                select(Reading.parameter, Reading.value).where(Reading.station_id == made.station.id)
            ).all()
        )
        assert values["NH3N"] == 0.4 and round(values["conductivity"], 6) == 412.0 and values["DO"] == 8.1

    def test_refusals_have_reasons_and_are_counted_per_station(
        self, session: Session, made: Made, t0: datetime
    ) -> None:
        code = made.station.code
        report = ingest.ingest(
            session,
            [
                Measure(code, "pH", 15.0, None, t0),
                Measure(code, "DO", 5.0, "furlongs", t0),
                Measure(code, "salinity", 5.0, None, t0),
                Measure(code, "TN", 1.0, None, t0),  # not one of the station's parameters
                Measure("NOPE-1", "pH", 7.0, None, t0),
                Measure(code, "pH", 7.0, None, t0 + timedelta(days=3)),
                Measure(code, "pH", 16.0, None, t0),
                Measure(code, "pH", 7.0, None, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8)))),
                Measure(code, "pH", 7.0, None, datetime(1970, 1, 1, tzinfo=UTC)),
            ],
        )
        reasons = [r.reason for r in report.refused]
        assert reasons == [
            "out_of_range",
            "unknown_unit",
            "unknown_parameter",
            "not_measured",
            "unknown_station",
            "future_time",
            "out_of_range",
            "bad_time",
            "bad_time",
        ]
        assert report.accepted == 0 and report.refused[0].index == 0 and "pH" in report.refused[0].detail
        counts = dict(
            session.execute(
                select(ReadingRefusal.reason, ReadingRefusal.count).where(ReadingRefusal.station_code == code)
            ).all()
        )
        assert counts["out_of_range"] == 2 and counts["unknown_unit"] == 1
        ingest.ingest(session, [Measure(code, "pH", -1.0, None, t0)])
        session.expire_all()
        again = session.get(ReadingRefusal, (code, "out_of_range"))
        assert again is not None and again.count == 3
        assert session.get(ReadingRefusal, ("NOPE-1", "unknown_station")) is not None

    def test_the_station_is_heard(self, session: Session, made: Made, t0: datetime) -> None:
        device = devices.get_device(session, SYSTEM, kind="water_station", external_id=made.station.code)
        assert device.status == "unknown" and device.last_seen_at is None
        ingest.ingest(session, sample(made.station.code, t0, **GOOD))
        session.expire_all()
        device = devices.get_device(session, SYSTEM, kind="water_station", external_id=made.station.code)
        assert device.last_seen_at is not None and device.status == "online"


class TestAlerts:
    def test_worse_than_target_for_n_samples_opens_one_case_per_episode(
        self, session: Session, made: Made, t0: datetime
    ) -> None:
        code, key = made.station.code, f"rivers:quality:{made.station.code}"
        for hour in range(2):
            assert not ingest.ingest(session, sample(code, t0 + timedelta(hours=hour), **BAD)).alerts
        assert made.station.worse_streak == 2 and not _cases(session, key)
        third = ingest.ingest(session, sample(code, t0 + timedelta(hours=2), **BAD))
        assert third.alerts == [key]
        opened = _cases(session, key)
        assert len(opened) == 1 and opened[0].category_code == "1001" and opened[0].state in cases.OPEN_STATES
        for hour in range(3, 6):  # the same episode: no second signal
            assert not ingest.ingest(session, sample(code, t0 + timedelta(hours=hour), **BAD)).alerts
        ingest.ingest(session, sample(code, t0 + timedelta(hours=6), **GOOD))
        assert made.station.worse_streak == 0 and made.station.current_class == WaterClass.II
        for hour in range(7, 10):  # a new episode while the case is open: counted on it, still one case
            ingest.ingest(session, sample(code, t0 + timedelta(hours=hour), **BAD))
        assert len(_cases(session, key)) == 1

    def test_one_batch_of_many_samples_evaluates_them_in_order(
        self, session: Session, made: Made, t0: datetime
    ) -> None:
        code = made.station.code
        batch = [m for h in range(4) for m in sample(code, t0 + timedelta(hours=h), **BAD)]
        report = ingest.ingest(session, list(reversed(batch)))
        assert report.alerts == [f"rivers:quality:{code}"] and made.station.worse_streak == 4

    def test_late_samples_are_stored_not_evaluated(self, session: Session, made: Made, t0: datetime) -> None:
        code = made.station.code
        ingest.ingest(session, sample(code, t0, **GOOD))
        late = ingest.ingest(session, sample(code, t0 - timedelta(hours=1), **BAD))
        assert (
            late.accepted == 5
            and made.station.current_class == WaterClass.II
            and made.station.classified_at == t0
        )

    def test_a_sample_in_parts_is_classified_once_complete_and_counted_once(
        self, session: Session, made: Made, t0: datetime
    ) -> None:
        code = made.station.code
        for hour in range(3):
            at = t0 + timedelta(hours=hour)
            ingest.ingest(session, sample(code, at, DO=6.5))  # II: within target so far
            assert made.station.current_class == WaterClass.II
            ingest.ingest(session, sample(code, at, NH3N=1.8))  # the rest of the sample: V
            assert made.station.current_class == WaterClass.V and made.station.classified_at == at
            ingest.ingest(session, sample(code, at, TP=0.35))  # still V: the same step of the streak
            assert made.station.worse_streak == hour + 1
        assert len(_cases(session, f"rivers:quality:{code}")) == 1

    def test_a_sudden_jump(self, session: Session, made: Made, t0: datetime) -> None:
        code = made.station.code
        ingest.ingest(session, sample(code, t0, NH3N=0.3))
        report = ingest.ingest(session, sample(code, t0 + timedelta(hours=1), NH3N=1.4))  # II -> IV
        assert report.alerts == [f"rivers:jump:{code}:NH3N"]
        assert len(_cases(session, f"rivers:jump:{code}:NH3N")) == 1
        calm = ingest.ingest(session, sample(code, t0 + timedelta(hours=2), NH3N=1.45))
        assert not calm.alerts
