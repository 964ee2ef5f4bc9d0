"""Nearest on-duty patrollers, dispatching to a case, reporting back into it, and the wall's live view."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import service as cases
from pingan.core.errors import Conflict, ValidationFailed
from pingan.core.security import Actor
from pingan.patrols import dispatch
from pingan.patrols.models import PatrolVolunteer
from pingan.patrols.positions import Fix, ingest_fixes
from tests.factories import actor
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
