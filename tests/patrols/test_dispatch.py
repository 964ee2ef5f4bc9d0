"""Nearest on-duty patrollers, dispatching to a case, reporting back into it, and the wall's live view."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import service as cases
from pingan.core.errors import Conflict, ValidationFailed
from pingan.core.security import Actor
from pingan.patrols import dispatch
from pingan.patrols.models import PatrolVolunteer
from pingan.patrols.positions import Fix, ingest_fixes
from tests.factories import actor, auth
from tests.patrols.conftest import Place, centre_of, on_shift, register

SYSTEM = Actor.system("test")


def _on_duty_at(
    session: Session, place: Place, lon: float, lat: float, *, age_s: int = 30
) -> PatrolVolunteer:
    v = register(session, place.team_id, device_id=f"D{time.monotonic_ns() % 10**9}")
    on_shift(session, place.grid, v.id)
    ingest_fixes(
        session,
        [Fix(device_id=v.device_id or "", fixed_ms=int(time.time() * 1000) - age_s * 1000, lon=lon, lat=lat)],
    )
    return v


class TestNearestPatrollers:
    def test_ordered_by_distance_fresh_and_free(self, session: Session, place: Place) -> None:
        lon, lat = centre_of(session, place.grid)
        near = _on_duty_at(session, place, lon + 0.001, lat)
        far = _on_duty_at(session, place, lon + 0.004, lat)
        stale = _on_duty_at(session, place, lon, lat, age_s=3600)
        found = dispatch.nearest_patrollers(session, actor(session, "street"), lon=lon, lat=lat, limit=50)
        ids = [c["volunteer_id"] for c in found["candidates"]]
        assert ids.index(near.id) < ids.index(far.id)
        assert stale.id not in ids
        assert found["candidates"][ids.index(near.id)]["distance_m"] == pytest.approx(96, abs=5)

    def test_needs_a_point_or_a_case(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as exc:
            dispatch.nearest_patrollers(session, SYSTEM)
        assert exc.value.field == "lon"


class TestAssignDispatch:
    def test_dispatch_arrive_and_finish_into_the_case(self, session: Session, place: Place) -> None:
        lon, lat = centre_of(session, place.grid)
        v = _on_duty_at(session, place, lon, lat)
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑包裹", source="patrol", lon=lon, lat=lat
        )
        found = dispatch.nearest_patrollers(session, SYSTEM, case_id=case.id, limit=50)
        assert v.id in [c["volunteer_id"] for c in found["candidates"]]
        item = dispatch.assign_dispatch(session, actor(session, "street"), case_id=case.id, volunteer_id=v.id)
        assert item.status == "assigned" and item.distance_m is not None and item.distance_m < 1
        busy = dispatch.nearest_patrollers(session, SYSTEM, case_id=case.id, limit=50)
        assert v.id not in [c["volunteer_id"] for c in busy["candidates"]]
        with pytest.raises(Conflict):
            dispatch.assign_dispatch(session, SYSTEM, case_id=case.id, volunteer_id=v.id)
        dispatch.report_dispatch(session, SYSTEM, dispatch_id=item.id, status="arrived")
        with pytest.raises(ValidationFailed):
            dispatch.report_dispatch(session, SYSTEM, dispatch_id=item.id, status="done")
        done = dispatch.report_dispatch(
            session, SYSTEM, dispatch_id=item.id, status="done", outcome="已移交民警"
        )
        assert done.status == "done" and done.arrived_at is not None
        actions = [e.action for e in cases.timeline(session, SYSTEM, case_id=case.id)]
        assert {"patrol_dispatched", "patrol_arrived", "patrol_done"} <= set(actions)

    def test_the_volunteer_reports_on_their_own_dispatch(self, session: Session, place: Place) -> None:
        me = actor(session, "volunteer")
        own = dispatch.my_dispatches(session, me)
        assert own == []
        mine = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == me.account_id))
        assert mine is not None
        lon, lat = centre_of(session, place.grid)
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑", source="patrol", lon=lon, lat=lat
        )
        item = dispatch.assign_dispatch(session, SYSTEM, case_id=case.id, volunteer_id=mine.id)
        assert [d.id for d in dispatch.my_dispatches(session, me)] == [item.id]
        assert (
            dispatch.report_dispatch(session, me, dispatch_id=item.id, status="accepted").status == "accepted"
        )


class TestInstructionAndSos:
    def test_the_instruction_is_kept_apart_from_the_outcome(self, session: Session, place: Place) -> None:
        lon, lat = centre_of(session, place.grid)
        v = _on_duty_at(session, place, lon, lat)
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑包裹", source="patrol", lon=lon, lat=lat
        )
        item = dispatch.assign_dispatch(
            session, actor(session, "street"), case_id=case.id, volunteer_id=v.id, note="勿触碰，先拉警戒"
        )
        assert (item.instruction, item.outcome) == ("勿触碰，先拉警戒", "")
        dispatch.report_dispatch(session, SYSTEM, dispatch_id=item.id, status="arrived", outcome="已到场")
        dispatch.report_dispatch(session, SYSTEM, dispatch_id=item.id, status="done", outcome="已移交民警")
        shown = dispatch.dispatch_dict(item)
        assert (shown["instruction"], shown["outcome"]) == ("勿触碰，先拉警戒", "已移交民警")
        steps = {e.action: e for e in cases.timeline(session, SYSTEM, case_id=case.id)}
        assert steps["patrol_dispatched"].details["instruction"] == "勿触碰，先拉警戒"
        assert "勿触碰，先拉警戒" in steps["patrol_dispatched"].note
        assert steps["patrol_done"].details["outcome"] == "已移交民警"

    def test_a_volunteer_in_sos_is_neither_nearest_nor_dispatched(
        self, session: Session, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        v = _on_duty_at(session, place, lon, lat)
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑包裹", source="patrol", lon=lon, lat=lat
        )
        found = dispatch.nearest_patrollers(session, SYSTEM, case_id=case.id, limit=50)
        assert v.id in [c["volunteer_id"] for c in found["candidates"]]
        sos = Fix(
            device_id=v.device_id or "", fixed_ms=int(time.time() * 1000), lon=lon, lat=lat, alarm="sos"
        )
        ingest_fixes(session, [sos])
        found = dispatch.nearest_patrollers(session, SYSTEM, case_id=case.id, limit=50)
        assert v.id not in [c["volunteer_id"] for c in found["candidates"]]
        with pytest.raises(Conflict) as exc:
            dispatch.assign_dispatch(session, SYSTEM, case_id=case.id, volunteer_id=v.id)
        assert (exc.value.code, exc.value.field) == ("volunteer_in_sos", "volunteer_id")
        assert "SOS" in exc.value.message
        assert dispatch.case_dispatches(session, SYSTEM, case_id=case.id) == []

    def test_the_api_answers_409_naming_the_sos(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        v = _on_duty_at(session, place, lon, lat)
        ingest_fixes(
            session,
            [
                Fix(
                    device_id=v.device_id or "",
                    fixed_ms=int(time.time() * 1000),
                    lon=lon,
                    lat=lat,
                    alarm="sos",
                )
            ],
        )
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑包裹", source="patrol", lon=lon, lat=lat
        )
        r = client.post(
            "/api/v1/patrols/dispatches",
            json={"case_id": case.id, "volunteer_id": v.id, "note": "去看看"},
            headers=auth(session, "street"),
        )
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert (error["code"], error["field"]) == ("volunteer_in_sos", "volunteer_id") and "SOS" in error[
            "message"
        ]
        mine = client.get("/api/v1/patrols/dispatches/mine", headers=auth(session, "volunteer"))
        assert mine.status_code == 200

    def test_the_api_shows_instruction_and_outcome(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        me = actor(session, "volunteer")
        mine = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == me.account_id))
        assert mine is not None
        lon, lat = centre_of(session, place.grid)
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑", source="patrol", lon=lon, lat=lat
        )
        r = client.post(
            "/api/v1/patrols/dispatches",
            json={"case_id": case.id, "volunteer_id": mine.id, "note": "从北门进"},
            headers=auth(session, "street"),
        )
        assert r.status_code == 201, r.text
        item = r.json()
        assert (item["instruction"], item["outcome"]) == ("从北门进", "")
        r = client.post(
            f"/api/v1/patrols/dispatches/{item['id']}/report",
            json={"status": "accepted", "outcome": "马上到"},
            headers=auth(session, "volunteer"),
        )
        assert r.status_code == 200 and (r.json()["instruction"], r.json()["outcome"]) == (
            "从北门进",
            "马上到",
        )
        (listed,) = client.get("/api/v1/patrols/dispatches/mine", headers=auth(session, "volunteer")).json()
        assert listed["instruction"] == "从北门进"


class TestLiveDispatch:
    def test_the_volunteer_alone_is_told_of_a_new_dispatch(self, session: Session, place: Place) -> None:
        from pingan.cases.api import may_see_message

        me = actor(session, "volunteer")
        mine = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == me.account_id))
        assert mine is not None
        lon, lat = centre_of(session, place.grid)
        case = cases.raise_case(
            session, SYSTEM, category_code="0602", description="可疑", source="patrol", lon=lon, lat=lat
        )
        session.info.pop("pingan_live_pending", None)
        item = dispatch.assign_dispatch(
            session, actor(session, "street"), case_id=case.id, volunteer_id=mine.id
        )
        (message,) = [m for m in session.info.get("pingan_live_pending", []) if m.get("type") == "dispatch"]
        assert message["dispatch"] == {
            "id": item.id,
            "status": "assigned",
            "case_number": case.number,
            "account_id": me.account_id,
        }
        assert may_see_message(me, message)
        assert not may_see_message(actor(session, "street"), message)
        assert not may_see_message(actor(session, "admin"), message)
        assert not may_see_message(SYSTEM, message)


class TestOnDutyNow:
    def test_counts_and_positions_in_scope(self, session: Session, place: Place) -> None:
        lon, lat = centre_of(session, place.grid)
        v = _on_duty_at(session, place, lon, lat)
        wall = dispatch.on_duty_now(session, actor(session, "admin"))
        assert wall["on_duty"] >= 1 and sum(wall["counts"].values()) == wall["on_duty"]
        (me,) = [p for p in wall["patrollers"] if p["volunteer_id"] == v.id]
        assert me["status"] == "online" and me["in_assigned_grid"] and me["name"].endswith("员")
        gcj = dispatch.on_duty_now(session, actor(session, "admin"), crs="gcj02")
        (moved,) = [p for p in gcj["patrollers"] if p["volunteer_id"] == v.id]
        assert moved["lon"] != me["lon"]
        xixing = dispatch.on_duty_now(session, actor(session, "admin"), within="330108001")
        assert v.id not in [p["volunteer_id"] for p in xixing["patrollers"]]
