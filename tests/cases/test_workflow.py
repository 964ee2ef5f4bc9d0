"""The state machine: legal paths, refusals, capacities, SLA pauses, rework, merge and split."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from pingan.cases import service, workflow
from pingan.cases.models import Case
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.security import Actor
from pingan.units import service as units
from tests.cases.helpers import point_in
from tests.factories import actor

SYSTEM = Actor.system("test")


def new_case(session: Session, code: str = "0102") -> Case:
    lon, lat = point_in(session)
    return service.raise_case(
        session, SYSTEM, category_code=code, description="x", source="app", lon=lon, lat=lat
    )


def step(session: Session, who: str, case: Case, action: str, note: str = "", **kw: object) -> Case:
    return workflow.transition(session, actor(session, who), case_id=case.id, action=action, note=note, **kw)  # type: ignore[arg-type]


class TestTransition:
    def test_reject_needs_a_reason(self, session: Session) -> None:
        case = new_case(session)
        with pytest.raises(ValidationFailed) as err:
            step(session, "street", case, "reject")
        assert err.value.field == "note"
        assert step(session, "street", case, "reject", "重复上报").state == "rejected"

    def test_illegal_transition_lists_allowed_actions(self, session: Session) -> None:
        case = new_case(session)
        with pytest.raises(Conflict) as err:
            step(session, "street", case, "verify")
        assert err.value.details["state"] == "reported"
        assert set(err.value.details["allowed_actions"]) >= {"register", "reject"}

    def test_unknown_action(self, session: Session) -> None:
        with pytest.raises(ValidationFailed):
            step(session, "street", new_case(session), "teleport")

    def test_handler_only_for_own_unit(self, session: Session) -> None:
        case = new_case(session, "0601")  # routed to 公安, not the demo handler's 城管
        step(session, "street", case, "register")
        step(session, "street", case, "dispatch")
        with pytest.raises(NotFound):
            step(session, "handler", case, "start")

    def test_grid_worker_cannot_dispatch(self, session: Session) -> None:
        case = new_case(session)
        step(session, "street", case, "register")
        with pytest.raises(Forbidden):
            step(session, "gridworker", case, "dispatch")

    def test_return_then_redispatch_elsewhere(self, session: Session) -> None:
        case = new_case(session)
        step(session, "street", case, "register")
        step(session, "street", case, "dispatch")
        returned = step(session, "handler", case, "return", "不属于城管职责")
        assert returned.state == "returned" and returned.return_count == 1
        zj = units.get_unit_by_code(session, "330108-ZJ")
        again = step(session, "street", case, "dispatch", unit_id=zj.id)
        assert again.state == "dispatched" and again.owner_unit_id == zj.id

    def test_failed_verification_is_rework(self, session: Session) -> None:
        case = new_case(session)
        for who, action, note in (
            ("street", "register", ""),
            ("street", "dispatch", ""),
            ("handler", "handle", "ok"),
        ):
            step(session, who, case, action, note)
        reworked = step(session, "gridworker", case, "rework", "现场仍有垃圾")
        assert reworked.state == "in_progress" and reworked.rework_count == 1

    def test_suspend_pauses_the_clock(self, session: Session) -> None:
        case = new_case(
            session, "0401"
        )  # natural clock: deadlines move by calendar time (working: test_sla_calendar)
        step(session, "street", case, "register")
        due_before = case.stage_due_at
        close_before = case.close_due_at
        assert due_before is not None and close_before is not None
        start = utcnow()
        workflow.transition(
            session,
            actor(session, "street"),
            case_id=case.id,
            action="suspend",
            note="等待产权认定",
            now=start,
        )
        assert case.state == "suspended" and case.paused_at is not None
        resumed = workflow.transition(
            session,
            actor(session, "street"),
            case_id=case.id,
            action="resume",
            now=start + timedelta(hours=3),
        )
        assert resumed.state == "registered" and resumed.paused_seconds == 3 * 3600
        assert resumed.close_due_at == close_before + timedelta(hours=3)

    def test_start_keeps_the_handle_deadline_set_at_dispatch(self, session: Session) -> None:
        """The handler's "start" must not restart the stage clock: it runs from dispatch."""
        case = new_case(session)  # 0102, routed to the demo handler's unit (城管)
        step(session, "street", case, "register")
        dispatched_at = utcnow()
        workflow.transition(
            session, actor(session, "street"), case_id=case.id, action="dispatch", now=dispatched_at
        )
        due, started = case.stage_due_at, case.stage_started_at
        assert due is not None and started == dispatched_at
        workflow.transition(
            session,
            actor(session, "handler"),
            case_id=case.id,
            action="start",
            now=dispatched_at + timedelta(hours=5),
        )
        assert case.state == "in_progress" and case.stage == "handle"
        assert case.stage_started_at == started and case.stage_due_at == due

    def test_escalate_once_to_district(self, session: Session) -> None:
        case = new_case(session)
        assert (
            step(session, "gridworker", case, "escalate", "超出街道处置能力").escalation_level == "district"
        )
        with pytest.raises(Conflict):
            step(session, "gridworker", case, "escalate", "again")

    def test_supervise_is_district_only(self, session: Session) -> None:
        case = new_case(session)
        with pytest.raises(Forbidden):
            step(session, "street", case, "supervise", "督办")
        assert step(session, "admin", case, "supervise", "督办").is_supervised


class TestMergeAndSplit:
    def test_merge_moves_signals(self, session: Session) -> None:
        a, b = new_case(session, "0501"), new_case(session, "0501")
        merged = step(session, "street", b, "merge", into_case_id=a.id)
        assert merged.state == "merged" and a.signal_count == 2

    def test_split_unlinks_a_duplicate(self, session: Session) -> None:
        a = new_case(session, "0501")
        b = new_case(session, "0501")
        assert b.duplicate_of_id == a.id
        split = workflow.split_case(session, actor(session, "street"), case_id=b.id)
        assert split.id == b.id and split.duplicate_of_id is None

    def test_split_off_a_new_problem(self, session: Session) -> None:
        a = new_case(session, "0501")
        new = workflow.split_case(
            session, actor(session, "street"), case_id=a.id, description="旁边还有违停", category_code="0502"
        )
        assert new.id != a.id and new.category_code == "0502"


class TestPreview:
    def test_preview_names_unit_and_rule(self, session: Session) -> None:
        lon, lat = point_in(session)
        result = workflow.preview_route(session, category_code="0701", area_code=None, lon=lon, lat=lat)
        assert result["unit"]["code"] == "330108-XF" and result["rule"]["category_prefix"] == "0701"
