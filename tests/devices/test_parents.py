"""A device's parent (generic, any kind): while the parent is out, its children's outages fold into the
parent's one case; once it is back, a child still silent raises its own. The outage history; devices
reported down by whoever relays them; device states."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases.models import Case
from pingan.core.clock import utcnow
from pingan.core.errors import ValidationFailed
from pingan.devices import interface as devices
from tests.devices.conftest import KIND, OUTAGE

KINDS = {KIND: OUTAGE}


@pytest.fixture
def long_ago() -> datetime:
    return utcnow() - timedelta(days=30)


def at(t: datetime, minutes: float) -> datetime:
    return t + timedelta(minutes=minutes)


def cases_of(session: Session, external_id: str) -> list[Case]:
    key = devices.outage_key(KIND, external_id)
    return list(session.scalars(select(Case).where(Case.dedupe_key == key)))


@pytest.fixture
def family(session: Session, grids: tuple[str, str]) -> None:
    """NVR1 with children K1..K3 (and an unrelated L1)."""
    row = {"area_code": grids[0]}
    devices.register_devices(session, KIND, [{"external_id": "NVR1", **row}, {"external_id": "L1", **row}])
    devices.register_devices(
        session, KIND, [{"external_id": f"K{i}", "parent_external_id": "NVR1", **row} for i in (1, 2, 3)]
    )


class TestFolding:
    def test_a_parent_down_is_one_case_and_its_children_fold_into_it(
        self, session: Session, family: None, long_ago: datetime
    ) -> None:
        ids = ("NVR1", "K1", "K2", "K3", "L1")
        devices.heard(session, KIND, dict.fromkeys(ids, long_ago))
        report = devices.sweep(session, at(long_ago, 31), KINDS)
        assert (report.raised, report.folded) == (2, 3)  # NVR1 and the unrelated L1; K1–K3 folded
        (case,) = cases_of(session, "NVR1")
        assert "下级设备 3 台随之离线" in case.description
        assert all(cases_of(session, f"K{i}") == [] for i in (1, 2, 3))

        devices.heard(session, KIND, {"NVR1": at(long_ago, 40), "K1": at(long_ago, 40)})  # K2, K3 stay dark
        report = devices.sweep(session, at(long_ago, 41), KINDS)
        assert (
            report.back_online == 1 and report.raised == 2
        )  # the parent's case closed-loop; K2, K3 own cases
        assert len(cases_of(session, "K2")) == 1 and cases_of(session, "K1") == []

    def test_an_unknown_parent_refuses_the_batch(self, session: Session, grids: tuple[str, str]) -> None:
        with pytest.raises(ValidationFailed) as caught:
            devices.register_devices(
                session, KIND, [{"external_id": "X1", "area_code": grids[0], "parent_external_id": "NOPE"}]
            )
        assert caught.value.field == "parent_external_id"


class TestHistory:
    def test_outages_open_when_marked_offline_and_close_when_heard(
        self, session: Session, family: None, long_ago: datetime
    ) -> None:
        devices.heard(session, KIND, {"L1": long_ago})
        devices.sweep(session, at(long_ago, 11), KINDS)
        (open_one,) = devices.outages(
            session, KIND, since=long_ago, until=at(long_ago, 60), external_ids=["L1"]
        )
        assert open_one.started_at == long_ago and open_one.ended_at is None
        devices.heard(session, KIND, {"L1": at(long_ago, 20)})
        devices.sweep(session, at(long_ago, 21), KINDS)
        (closed,) = devices.outages(
            session, KIND, since=long_ago, until=at(long_ago, 60), external_ids=["L1"]
        )
        assert closed.ended_at == at(long_ago, 20)

    def test_reported_down_goes_offline_unless_heard_later(
        self, session: Session, family: None, long_ago: datetime
    ) -> None:
        devices.heard(session, KIND, {"K1": at(long_ago, 5), "K2": at(long_ago, 5)})
        assert (
            devices.went_offline(
                session, KIND, {"K1": at(long_ago, 6), "K2": at(long_ago, 4), "??": long_ago}
            )
            == 1
        )
        states = devices.device_states(session, KIND, ["K1", "K2"])
        assert (states["K1"].status, states["K2"].status) == ("offline", "online")
        assert states["K1"].status_since == at(long_ago, 6)
        assert (
            len(devices.outages(session, KIND, since=long_ago, until=at(long_ago, 60), external_ids=["K1"]))
            == 1
        )

    def test_an_older_history_is_loaded_and_checked(
        self, session: Session, family: None, long_ago: datetime
    ) -> None:
        assert devices.import_outages(session, KIND, [("K3", long_ago, at(long_ago, 30))]) == 1
        with pytest.raises(ValidationFailed):
            devices.import_outages(session, KIND, [("K3", at(long_ago, 30), long_ago)])
        with pytest.raises(ValidationFailed):
            devices.import_outages(session, KIND, [("NOPE", long_ago, None)])
