"""Shift plans, bookings without double booking, check-in/out and the coverage plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.security import Actor
from pingan.patrols import shifts
from pingan.patrols.models import Activity, PatrolEvent, PatrolVolunteer
from tests.factories import actor
from tests.patrols.conftest import Place, register

SYSTEM = Actor.system("test")
FUTURE = datetime(2031, 5, 1, 0, tzinfo=UTC)


class TestCreateShift:
    def test_grid_only(self, session: Session, place: Place) -> None:
        with pytest.raises(ValidationFailed) as exc:
            shifts.create_shift(
                session,
                SYSTEM,
                grid_code=place.community,
                starts_at=FUTURE,
                ends_at=FUTURE + timedelta(hours=2),
            )
        assert exc.value.field == "grid_code"

    def test_end_after_start(self, session: Session, place: Place) -> None:
        with pytest.raises(ValidationFailed) as exc:
            shifts.create_shift(session, SYSTEM, grid_code=place.grid, starts_at=FUTURE, ends_at=FUTURE)
        assert exc.value.field == "ends_at"

    def test_out_of_scope_grid_is_not_found(self, session: Session, place: Place) -> None:
        with pytest.raises(NotFound):
            shifts.create_shift(
                session,
                actor(session, "gridworker"),
                grid_code=place.far_grid,
                starts_at=FUTURE,
                ends_at=FUTURE + timedelta(hours=2),
            )


class TestBookVolunteer:
    def _shift(self, session: Session, grid: str, start: datetime = FUTURE, headcount: int = 2) -> int:
        return shifts.create_shift(
            session,
            SYSTEM,
            grid_code=grid,
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            headcount=headcount,
        ).id

    def test_double_booking_is_refused(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        first = self._shift(session, place.grid)
        overlapping = self._shift(session, place.other_grid, FUTURE + timedelta(hours=2))
        later = self._shift(session, place.other_grid, FUTURE + timedelta(hours=4))
        shifts.book_volunteer(session, SYSTEM, shift_id=first, volunteer_id=volunteer.id)
        with pytest.raises(Conflict) as exc:
            shifts.book_volunteer(session, SYSTEM, shift_id=overlapping, volunteer_id=volunteer.id)
        assert "double booking" in exc.value.message
        assert (
            shifts.book_volunteer(session, SYSTEM, shift_id=later, volunteer_id=volunteer.id).status
            == "planned"
        )

    def test_full_shift(self, session: Session, place: Place) -> None:
        shift = self._shift(session, place.grid, headcount=1)
        a, b = register(session, place.team_id), register(session, place.team_id)
        shifts.book_volunteer(session, SYSTEM, shift_id=shift, volunteer_id=a.id)
        with pytest.raises(Conflict) as exc:
            shifts.book_volunteer(session, SYSTEM, shift_id=shift, volunteer_id=b.id)
        assert "full" in exc.value.message

    def test_volunteer_signs_up_themself(self, session: Session, place: Place) -> None:
        me = actor(session, "volunteer")
        shift = self._shift(session, place.grid, FUTURE + timedelta(days=3))
        booking = shifts.book_volunteer(session, me, shift_id=shift)
        own = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == me.account_id))
        assert own is not None and booking.volunteer_id == own.id and booking.how == "signup"

    def test_volunteer_cannot_assign_others(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        with pytest.raises(Forbidden):
            shifts.book_volunteer(
                session,
                actor(session, "volunteer"),
                shift_id=self._shift(session, place.grid),
                volunteer_id=volunteer.id,
            )

    def test_paused_volunteer(self, session: Session, volunteer: PatrolVolunteer, place: Place) -> None:
        volunteer.status = "paused"
        with pytest.raises(Conflict):
            shifts.book_volunteer(
                session, SYSTEM, shift_id=self._shift(session, place.grid), volunteer_id=volunteer.id
            )

    def test_cancelled_booking_frees_the_slot(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        first = self._shift(session, place.grid)
        other = self._shift(session, place.other_grid)
        booking = shifts.book_volunteer(session, SYSTEM, shift_id=first, volunteer_id=volunteer.id)
        shifts.cancel_booking(session, SYSTEM, assignment_id=booking.id)
        assert (
            shifts.book_volunteer(session, SYSTEM, shift_id=other, volunteer_id=volunteer.id).status
            == "planned"
        )


class TestCheckInOut:
    def test_turnout_and_hours_are_recorded(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        start = utcnow() - timedelta(minutes=5)
        shift = shifts.create_shift(
            session, SYSTEM, grid_code=place.grid, starts_at=start, ends_at=start + timedelta(hours=4)
        )
        booking = shifts.book_volunteer(session, SYSTEM, shift_id=shift.id, volunteer_id=volunteer.id)
        with pytest.raises(Conflict):
            shifts.check_out(session, SYSTEM, assignment_id=booking.id)
        shifts.check_in(session, SYSTEM, assignment_id=booking.id, at=start)
        shifts.check_out(session, SYSTEM, assignment_id=booking.id, at=start + timedelta(hours=3, minutes=30))
        activity = session.scalar(select(Activity).where(Activity.shift_id == shift.id))
        assert activity is not None and activity.hours == 3.5 and activity.kind == "patrol"
        kinds = set(session.scalars(select(PatrolEvent.kind).where(PatrolEvent.shift_id == shift.id)))
        assert kinds == {"check_in", "check_out"}

    def test_check_in_window(self, session: Session, volunteer: PatrolVolunteer, place: Place) -> None:
        start = utcnow() + timedelta(hours=5)
        shift = shifts.create_shift(
            session, SYSTEM, grid_code=place.grid, starts_at=start, ends_at=start + timedelta(hours=2)
        )
        booking = shifts.book_volunteer(session, SYSTEM, shift_id=shift.id, volunteer_id=volunteer.id)
        with pytest.raises(Conflict) as exc:
            shifts.check_in(session, SYSTEM, assignment_id=booking.id)
        assert exc.value.field == "at"


class TestCoveragePlan:
    def test_cells_without_anyone_planned(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        since = datetime(2032, 3, 1, 0, tzinfo=UTC)
        shift = shifts.create_shift(
            session,
            SYSTEM,
            grid_code=place.grid,
            starts_at=since + timedelta(hours=1),
            ends_at=since + timedelta(hours=3),
        )
        shifts.book_volunteer(session, SYSTEM, shift_id=shift.id, volunteer_id=volunteer.id)
        plan = shifts.coverage_plan(session, actor(session, "gridworker"), since=since, hours=4)
        assert plan["grids"] == [place.grid]
        assert plan["planned"] == [[0, 1, 1, 0]] and plan["required"] == [[0, 2, 2, 0]]
        assert plan["uncovered_cells"] == 2
        assert [u["hour"] for u in plan["uncovered"]] == [
            since.isoformat(),
            (since + timedelta(hours=3)).isoformat(),
        ]
