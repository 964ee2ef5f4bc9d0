"""The register: upsert, heard (one statement per call), summary and list in scope, bad input named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from pingan.core.errors import NotFound, PinganError, ValidationFailed
from pingan.core.security import Actor
from pingan.devices import interface as devices
from pingan.devices.models import Device
from tests.devices.conftest import KIND, Register
from tests.factories import actor

SYSTEM = Actor.system("test")


def row(session: Session, external_id: str) -> Device:
    found = session.scalar(select(Device).where(Device.kind == KIND, Device.external_id == external_id))
    assert found is not None
    session.refresh(found)
    return found


class TestRegister:
    def test_adds_then_updates_by_external_id(self, session: Session, grids: tuple[str, str]) -> None:
        first = devices.register_devices(session, KIND, [{"external_id": "R1", "area_code": grids[0]}])
        again = devices.register_devices(
            session, KIND, [{"external_id": "R1", "name": "东门", "lon": 120.2, "lat": 30.2}]
        )
        assert first == {"added": 1, "updated": 0} and again == {"added": 0, "updated": 1}
        device = row(session, "R1")
        assert (device.name, device.area_code, device.lon, device.status) == (
            "东门",
            grids[0],
            120.2,
            "unknown",
        )

    @pytest.mark.parametrize(
        ("kind", "rows", "field"),
        [
            ("no_such_kind", [{"external_id": "X", "area_code": "330108"}], "kind"),
            (KIND, [{"external_id": "", "area_code": "330108"}], "external_id"),
            (KIND, [{"external_id": "x" * 65, "area_code": "330108"}], "external_id"),
            (KIND, [{"external_id": "NEW-NO-AREA"}], "area_code"),
            (KIND, [{"external_id": "X", "area_code": "330108", "lon": 500, "lat": 30}], "lon"),
            (KIND, [{"external_id": "X", "area_code": "330108", "lon": 120.0}], "lon"),
        ],
    )
    def test_bad_input_names_the_field(self, session: Session, kind: str, rows: list, field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            devices.register_devices(session, kind, rows)
        assert caught.value.field == field
        assert session.scalar(select(Device).where(Device.external_id.in_(("X", "NEW-NO-AREA")))) is None


class TestHeard:
    def test_marks_online_keeps_the_latest_time_and_ignores_unknown_ids(
        self, session: Session, register: Register, t0
    ) -> None:
        register("H1", "H2")
        assert devices.heard(session, KIND, {"H1": t0, "H2": t0, "NOT-REGISTERED": t0}) == 2
        devices.heard(session, KIND, {"H1": t0 - timedelta(minutes=5)})  # an older hearing does not go back
        h1 = row(session, "H1")
        assert (h1.status, h1.last_seen_at, h1.status_since) == ("online", t0, t0)
        devices.heard(session, KIND, {"H1": t0 + timedelta(minutes=1)})
        h1 = row(session, "H1")
        assert h1.last_seen_at == t0 + timedelta(minutes=1) and h1.status_since == t0  # online since t0

    def test_one_statement_for_a_batch_heard_at_one_time(
        self, session: Session, register: Register, t0
    ) -> None:
        ids = [f"B{i}" for i in range(300)]
        register(*ids)
        statements: list[str] = []
        bind = session.connection()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            assert devices.heard(session, KIND, dict.fromkeys(ids, t0)) == 300
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        assert len(statements) == 1 and statements[0].lstrip().upper().startswith("UPDATE")

    def test_nothing_heard_costs_nothing(self, session: Session) -> None:
        assert devices.heard(session, KIND, {}) == 0


class TestReading:
    def test_summary_and_list_stay_in_the_actors_scope(
        self, session: Session, register: Register, grids: tuple[str, str], t0
    ) -> None:
        register("S1", "S2", grid=0)
        register("S3", grid=1)
        devices.heard(session, KIND, {"S1": t0, "S3": t0})
        worker = actor(session, "gridworker")  # scoped to grids[0]
        mine = devices.summary(session, worker, KIND)
        everything = devices.summary(session, SYSTEM, KIND)
        assert everything["total"] >= mine["total"] + 1
        items, total = devices.list_devices(session, worker, kind=KIND, area=grids[0])
        ids = {d.external_id for d in items}
        assert {"S1", "S2"} <= ids and "S3" not in ids
        assert all(d.area_code.startswith(grids[0]) for d in items) and total == len(items)
        with pytest.raises(NotFound):
            devices.get_device(session, worker, kind=KIND, external_id="S3")
        assert devices.get_device(session, SYSTEM, kind=KIND, external_id="S3").area_code == grids[1]

    def test_offline_first(self, session: Session, register: Register, grids: tuple[str, str], t0) -> None:
        register("O1", "O2", "O3", grid=1)
        devices.heard(session, KIND, {"O1": t0, "O2": t0})
        session.execute(Device.__table__.update().where(Device.external_id == "O2").values(status="offline"))
        items, _ = devices.list_devices(session, SYSTEM, kind=KIND, area=grids[1], limit=500)
        order = [d.external_id for d in items if d.external_id in ("O1", "O2", "O3")]
        assert order == ["O2", "O3", "O1"]

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"status": "asleep"}, "status"),
            ({"kind": "toaster"}, "kind"),
            ({"area": "33'"}, "area"),
            ({"limit": 0}, "limit"),
            ({"offset": -1}, "offset"),
        ],
    )
    def test_bad_filters_name_the_field(self, session: Session, kwargs: dict, field: str) -> None:
        with pytest.raises(PinganError) as caught:
            devices.list_devices(session, SYSTEM, **kwargs)
        assert caught.value.field == field
        assert caught.value.status == 422 or caught.value.status == 400

    def test_a_volunteer_reads_no_devices(self, session: Session) -> None:
        with pytest.raises(PinganError) as caught:
            devices.summary(session, actor(session, "volunteer"))
        assert caught.value.status == 403
