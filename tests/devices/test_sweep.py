"""The sweep: offline after the kind's time; ONE case per outage through the cases spine's machine signals
(a repeat counts on the open case, a snoozed key is suppressed and counted); a step when heard again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import service as cases_service
from pingan.cases.models import Case, CaseEvent, SnoozedKey
from pingan.core.clock import utcnow
from pingan.devices import interface as devices
from pingan.devices.models import Device, DeviceOutage
from tests.devices.conftest import KIND, OUTAGE, Register
from tests.factories import actor

KINDS = {KIND: OUTAGE}
PHONES = {KIND: OUTAGE.__class__(KIND, "巡防手机", "Patrol phone")}  # the declared kind: no outage category


@pytest.fixture
def long_ago() -> datetime:
    """A month back: no demo device was last heard before it, so only the test's devices time out."""
    return utcnow() - timedelta(days=30)


def device(session: Session, external_id: str) -> Device:
    found = session.scalar(select(Device).where(Device.kind == KIND, Device.external_id == external_id))
    assert found is not None
    session.refresh(found)
    return found


def outage_cases(session: Session, external_id: str) -> list[Case]:
    key = devices.outage_key(KIND, external_id)
    return list(session.scalars(select(Case).where(Case.dedupe_key == key)))


def at(t: datetime, minutes: float) -> datetime:
    return t + timedelta(minutes=minutes)


class TestOffline:
    def test_offline_after_the_kinds_time_and_no_case_without_an_outage_category(
        self, session: Session, register: Register, long_ago: datetime
    ) -> None:
        register("P1")
        devices.heard(session, KIND, {"P1": long_ago})
        assert devices.sweep(session, at(long_ago, 9), PHONES).offline == 0
        report = devices.sweep(session, at(long_ago, 11), PHONES)
        assert report.offline == 1 and device(session, "P1").status == "offline"
        assert devices.sweep(session, at(long_ago, 120), PHONES).raised == 0
        assert outage_cases(session, "P1") == []

    def test_a_kind_that_keeps_no_outages_goes_offline_without_history(
        self, session: Session, register: Register, long_ago: datetime
    ) -> None:
        register("P0")
        devices.heard(session, KIND, {"P0": long_ago})
        quiet = {KIND: OUTAGE.__class__(KIND, "巡防手机", "Patrol phone", keep_outages=False)}
        assert devices.sweep(session, at(long_ago, 11), quiet).offline == 1
        phone = device(session, "P0")
        assert phone.status == "offline"
        assert session.scalar(select(DeviceOutage).where(DeviceOutage.device_id == phone.id)) is None
        kept = device(session, "P0")
        devices.heard(session, KIND, {"P0": at(long_ago, 20)})
        devices.sweep(session, at(long_ago, 31), PHONES)
        assert session.scalar(select(DeviceOutage).where(DeviceOutage.device_id == kept.id)) is not None

    def test_never_heard_stays_unknown(
        self, session: Session, register: Register, long_ago: datetime
    ) -> None:
        register("P2")
        devices.sweep(session, at(long_ago, 120), KINDS)
        assert device(session, "P2").status == "unknown" and outage_cases(session, "P2") == []


class TestOutage:
    def test_one_case_per_outage_a_repeat_counts_and_back_online_is_a_step(
        self, session: Session, register: Register, long_ago: datetime
    ) -> None:
        register("C1")
        devices.heard(session, KIND, {"C1": long_ago})
        assert devices.sweep(session, at(long_ago, 20), KINDS).raised == 0  # offline, not yet an outage
        report = devices.sweep(session, at(long_ago, 31), KINDS)
        assert (report.raised, report.counted) == (1, 0)
        (case,) = outage_cases(session, "C1")
        assert device(session, "C1").outage_case_id == case.id and case.category_code == "1402"
        assert case.area_code == device(session, "C1").area_code
        assert devices.sweep(session, at(long_ago, 60), KINDS).raised == 0  # signalled once per outage

        devices.heard(session, KIND, {"C1": at(long_ago, 70)})
        assert devices.sweep(session, at(long_ago, 71), KINDS).back_online == 1
        steps = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "device_online")
        )
        (step,) = list(steps)
        assert "恢复在线" in step.note and step.details["back_online_at"] == at(long_ago, 70).isoformat()
        assert device(session, "C1").outage_case_id is None

        report = devices.sweep(session, at(long_ago, 110), KINDS)  # down again while the case is open
        assert (report.offline, report.raised, report.counted) == (1, 0, 1)
        assert [c.id for c in outage_cases(session, "C1")] == [case.id]
        session.refresh(case)
        assert case.signal_count == 2

    def test_a_snoozed_key_is_suppressed_and_counted_once_per_outage(
        self, session: Session, register: Register, long_ago: datetime
    ) -> None:
        register("C2")
        operator = actor(session, "admin")
        cases_service.snooze_key(session, operator, dedupe_key=devices.outage_key(KIND, "C2"), minutes=60)
        devices.heard(session, KIND, {"C2": long_ago})
        assert devices.sweep(session, at(long_ago, 31), KINDS).suppressed == 1
        assert devices.sweep(session, at(long_ago, 60), KINDS).suppressed == 0
        assert outage_cases(session, "C2") == []
        snooze = session.get(SnoozedKey, devices.outage_key(KIND, "C2"))
        assert snooze is not None and snooze.suppressed == 1

    def test_a_closed_case_then_a_snooze_opens_nothing(
        self, session: Session, register: Register, long_ago: datetime
    ) -> None:
        register("C3")
        devices.heard(session, KIND, {"C3": long_ago})
        devices.sweep(session, at(long_ago, 31), KINDS)
        (case,) = outage_cases(session, "C3")
        case.state = "closed"
        cases_service.snooze_key(
            session, actor(session, "admin"), dedupe_key=devices.outage_key(KIND, "C3"), minutes=60
        )
        devices.heard(session, KIND, {"C3": at(long_ago, 40)})
        devices.sweep(session, at(long_ago, 41), KINDS)
        report = devices.sweep(session, at(long_ago, 80), KINDS)
        assert report.suppressed == 1 and len(outage_cases(session, "C3")) == 1
        assert device(session, "C3").outage_case_id is None


class TestJob:
    def test_the_job_runs_under_its_lease(self, session_factory) -> None:  # type: ignore[no-untyped-def]
        from pingan.cases.jobs import acquire_lease
        from pingan.devices.sweep import JOB, sweep_job

        with session_factory() as session:
            assert acquire_lease(session, JOB, "another-server", timedelta(minutes=2), utcnow())
            session.commit()
        assert sweep_job(session_factory) is None  # another process holds it
        with session_factory() as session:
            acquire_lease(session, JOB, "another-server", timedelta(seconds=-1), utcnow())  # it let go
            session.commit()
        assert isinstance(sweep_job(session_factory), devices.SweepReport)
