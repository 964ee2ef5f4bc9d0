"""Staff and coverage, visits (one entry: visit + case + register change + opinion), tasks, opinions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.security import Actor
from pingan.grids import buildings, households, opinions, registers, residents, staff, tasks, visits
from pingan.grids.models import StaffLink, StaffMember, StaffRole
from tests.grids.conftest import id_number, point_in

SYSTEM = Actor.system("test")


def _household(session: Session, grid: str) -> int:
    lon, lat = point_in(session, grid)
    b = buildings.create_building(session, SYSTEM, address="走访路1号", lon=lon, lat=lat)
    return households.create_household(session, SYSTEM, building_id=b.id, room="101").id


class TestDemoStaff:
    def test_about_300_cadres_and_every_grid_covered(self, session: Session, admin: Actor) -> None:
        cadres = session.scalar(
            select(func.count(func.distinct(StaffLink.staff_id))).where(
                StaffLink.role == StaffRole.LIAISON_CADRE.value
            )
        )
        assert cadres == 300
        assert staff.coverage_gaps(session, admin) == []

    def test_yandafang_has_a_liaison_cadre(self, session: Session, admin: Actor) -> None:
        from pingan.areas import service as areas

        community = areas.find_areas(session, name="岩大房社区")[0]
        links = list(
            session.execute(staff.links_query(session, admin, area_code=community.code, role="liaison_cadre"))
        )
        assert links

    def test_demo_cadre_account_is_a_staff_member(self, session: Session, cadre: Actor, grid_a: str) -> None:
        member = staff.staff_for_account(session, cadre.account_id)
        assert member is not None
        rows = list(session.execute(select(StaffLink.area_code).where(StaffLink.staff_id == member.id)))
        assert (grid_a,) in [tuple(r) for r in rows]


class TestCoverageGaps:
    def test_unlinking_the_cadres_opens_a_gap(self, session: Session, admin: Actor, grid_a: str) -> None:
        for link, _member in session.execute(
            staff.links_query(session, admin, area_code=grid_a, role="liaison_cadre")
        ):
            staff.unlink_staff(session, admin, link_id=link.id)
        gaps = staff.coverage_gaps(session, admin, area_code=grid_a[:12])
        assert [g.area_code for g in gaps] == [grid_a] and gaps[0].missing == ["liaison_cadre"]

    def test_grid_worker_cannot_manage_staff(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        with pytest.raises(Forbidden):
            staff.create_staff(session, gridworker, name="x", home_area_code=grid_a)


class TestLinkStaff:
    def test_cadre_with_two_grids(self, session: Session, admin: Actor, grid_a: str, grid_b: str) -> None:
        member = staff.create_staff(
            session, admin, name="测试干部", home_area_code="330108", organisation="区统计局"
        )
        staff.link_staff(session, admin, staff_id=member.id, area_code=grid_a, role="liaison_cadre")
        staff.link_staff(session, admin, staff_id=member.id, area_code=grid_b, role="liaison_cadre")
        with pytest.raises(Conflict):
            staff.link_staff(session, admin, staff_id=member.id, area_code=grid_b, role="liaison_cadre")
        rows = [r for r in visits.cadre_coverage(session, admin) if r["staff_id"] == member.id]
        assert rows[0]["grids"] == sorted([grid_a, grid_b]) and rows[0]["visits"] == 0


class TestRecordVisit:
    def test_one_entry_visit_case_register_change_and_opinion(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        hh = _household(session, grid_a)
        r = residents.create_resident(
            session, SYSTEM, household_id=hh, name="走访对象", id_number=id_number(900)
        )
        result = visits.record_visit(
            session,
            gridworker,
            household_id=hh,
            notes="入户走访",
            issues=[
                {"description": "楼道电动车充电", "category_code": "0702", "raise_case": True},
                {"description": "邻里噪音，已调解"},
            ],
            resident_changes=[{"resident_id": r.id, "care_tags": ["elderly_alone"], "phone": "13812341234"}],
            opinions=[{"content": "希望增设充电桩", "tags": ["消防"]}],
        )
        assert len(result.cases) == 1 and result.cases[0]["number"]
        assert result.visit.issues[0]["case_number"] == result.cases[0]["number"]
        assert result.changed_residents == [r.id] and r.care_tags == ["elderly_alone"]
        assert result.opinions[0].visit_id == result.visit.id
        history = registers.record_history(session, gridworker, record_type="resident", record_id=r.id)
        assert history[-1].source == "visit"
        assert result.visit.staff_id is not None  # the demo grid worker is a staff member

    def test_case_needs_a_category(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, grid_a)
        with pytest.raises(ValidationFailed) as err:
            visits.record_visit(
                session, gridworker, household_id=hh, issues=[{"description": "x", "raise_case": True}]
            )
        assert err.value.field == "issues.0.category_code"
        assert not list(session.scalars(visits.visits_query(session, gridworker, household_id=hh)))

    def test_future_visit_refused(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, grid_a)
        with pytest.raises(ValidationFailed):
            visits.record_visit(session, gridworker, household_id=hh, visited_at=utcnow() + timedelta(days=1))

    def test_other_grid_not_found(self, session: Session, gridworker: Actor, grid_b: str) -> None:
        hh = _household(session, grid_b)
        with pytest.raises(NotFound):
            visits.record_visit(session, gridworker, household_id=hh)

    def test_cadre_records_a_visit_that_raises_a_case(
        self, session: Session, cadre: Actor, grid_a: str
    ) -> None:
        hh = _household(session, grid_a)
        result = visits.record_visit(
            session,
            cadre,
            household_id=hh,
            notes="联系干部入户",
            issues=[{"description": "楼道电动车充电", "category_code": "0702", "raise_case": True}],
        )
        assert len(result.cases) == 1 and result.visit.issues[0]["case_number"] == result.cases[0]["number"]
        assert result.visit.staff_id == staff.staff_for_account(session, cadre.account_id).id  # type: ignore[union-attr]

    def test_cadre_cannot_visit_outside_their_liaison_grids(
        self, session: Session, cadre: Actor, grid_b: str
    ) -> None:
        hh = _household(session, grid_b)
        with pytest.raises(NotFound):
            visits.record_visit(session, cadre, household_id=hh)

    def test_a_failing_case_keeps_the_visit_when_asked(
        self, session: Session, cadre: Actor, grid_a: str
    ) -> None:
        hh = _household(session, grid_a)
        result = visits.record_visit(
            session,
            cadre,
            household_id=hh,
            notes="入户",
            issues=[{"description": "占道", "category_code": "9999", "raise_case": True}],
            keep_visit_on_case_error=True,
        )
        assert result.cases == [] and result.case_errors and result.case_errors[0]["field"]
        assert result.visit.issues[0]["description"] == "占道" and "case_error" in result.visit.issues[0]
        assert [v.id for v in session.scalars(visits.visits_query(session, cadre, household_id=hh))] == [
            result.visit.id
        ]


class TestGridCoverage:
    def test_a_visit_counts_this_quarter(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, grid_a)
        before = visits.grid_coverage(session, gridworker)[0]
        assert before["area_code"] == grid_a and before["never_visited"] >= 1
        visits.record_visit(session, gridworker, household_id=hh)
        after = visits.grid_coverage(session, gridworker)[0]
        assert after["visited"] == before["visited"] + 1
        assert after["never_visited"] == before["never_visited"] - 1
        assert after["share"] == round(after["visited"] / after["households"], 4)
        assert hh not in [h.id for h in visits.never_visited(session, gridworker)]

    def test_district_sees_every_grid(self, session: Session, admin: Actor) -> None:
        rows = visits.grid_coverage(session, admin)
        assert len(rows) == 239 and sum(r["visited"] for r in rows) > 0


class TestTasks:
    def test_push_acknowledge_complete_and_board(
        self, session: Session, admin: Actor, gridworker: Actor, grid_a: str
    ) -> None:
        task = tasks.create_task(
            session,
            admin,
            kind="task",
            title="出租房瓶装燃气排查",
            area_codes=[grid_a[:12]],
            due_at=utcnow() + timedelta(days=3),
        )
        board = tasks.task_progress(session, admin, task_id=task.id)
        n = board["summary"]["grids"]
        assert n >= 1 and board["summary"]["acknowledged"] == 0
        tasks.acknowledge_task(session, gridworker, task_id=task.id, area_code=grid_a)
        tasks.complete_task(session, gridworker, task_id=task.id, area_code=grid_a, note="已排查 12 户")
        board = tasks.task_progress(session, admin, task_id=task.id)
        assert board["summary"]["acknowledged"] == 1 and board["summary"]["completed"] == 1
        mine = tasks.task_progress(session, gridworker, task_id=task.id)
        assert [g["area_code"] for g in mine["grids"]] == [grid_a]
        with pytest.raises(Conflict):
            tasks.complete_task(session, gridworker, task_id=task.id, area_code=grid_a)

    def test_street_cannot_push_outside_its_street(self, session: Session, grid_b: str) -> None:
        from tests.factories import actor

        with pytest.raises(NotFound):
            tasks.create_task(
                session, actor(session, "street"), kind="notice", title="x", area_codes=[grid_b]
            )

    def test_grid_worker_cannot_push(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        with pytest.raises(Forbidden):
            tasks.create_task(session, gridworker, kind="task", title="x", area_codes=[grid_a])

    def test_population_check(self, session: Session, admin: Actor, gridworker: Actor, grid_a: str) -> None:
        task = tasks.create_task(
            session, admin, kind="population_check", title="人口核对", area_codes=[grid_a]
        )
        items = [
            i for i, _r in session.execute(tasks.check_items_query(session, gridworker, task_id=task.id))
        ]
        assert len(items) >= 3
        tasks.check_resident(session, gridworker, item_id=items[0].id, outcome="confirmed")
        tasks.check_resident(
            session,
            gridworker,
            item_id=items[1].id,
            outcome="corrected",
            corrections={"phone": "13600001111"},
        )
        tasks.check_resident(session, gridworker, item_id=items[2].id, outcome="moved_out")
        with pytest.raises(Conflict):
            tasks.complete_task(session, gridworker, task_id=task.id, area_code=grid_a)
        for item in items[3:]:
            tasks.check_resident(session, gridworker, item_id=item.id, outcome="confirmed")
        tasks.complete_task(session, gridworker, task_id=task.id, area_code=grid_a)
        summary = tasks.task_progress(session, admin, task_id=task.id)["summary"]
        assert summary["discrepancies"] == 2 and summary["items"]["pending"] == 0
        moved = residents.get_resident(session, gridworker, items[2].resident_id)
        assert moved.is_active is False

    def test_correction_needs_fields(
        self, session: Session, admin: Actor, gridworker: Actor, grid_a: str
    ) -> None:
        task = tasks.create_task(session, admin, kind="population_check", title="核对", area_codes=[grid_a])
        item, _ = session.execute(tasks.check_items_query(session, gridworker, task_id=task.id)).first()  # type: ignore[misc]
        with pytest.raises(ValidationFailed):
            tasks.check_resident(session, gridworker, item_id=item.id, outcome="corrected")


class TestOpinions:
    def test_collect_tag_answer_and_case(self, session: Session, cadre: Actor, grid_a: str) -> None:
        hh = _household(session, grid_a)
        op = opinions.submit_opinion(session, cadre, content="小区路灯坏了", household_id=hh, tags=["路灯"])
        assert op.channel == "cadre" and op.area_code == grid_a
        opinions.tag_opinion(session, cadre, opinion_id=op.id, tags=["路灯", "基础设施"])
        opinions.answer_opinion(session, cadre, opinion_id=op.id, answer="已报修")
        assert op.state == "answered"
        opinions.opinion_to_case(session, cadre, opinion_id=op.id, category_code="1402")
        assert op.state == "case" and op.case_number
        with pytest.raises(Conflict):
            opinions.opinion_to_case(session, cadre, opinion_id=op.id)
        tagged = list(session.scalars(opinions.opinions_query(session, cadre, tag="基础设施")))
        assert op in tagged

    def test_resident_submits_with_a_point_and_sees_only_theirs(self, session: Session, grid_a: str) -> None:
        from tests.factories import actor

        resident = actor(session, "resident")
        lon, lat = point_in(session, grid_a)
        op = opinions.submit_opinion(session, resident, content="希望多些健身器材", lon=lon, lat=lat)
        assert op.area_code == grid_a and op.channel == "resident"
        assert list(session.scalars(opinions.opinions_query(session, resident))) == [op]
        with pytest.raises(Forbidden):
            opinions.get_opinion(session, resident, op.id)

    def test_empty_content(self, session: Session, cadre: Actor, grid_a: str) -> None:
        with pytest.raises(ValidationFailed) as err:
            opinions.submit_opinion(session, cadre, content=" ", area_code=grid_a)
        assert err.value.field == "content"


def test_staff_member_rows_exist(session: Session) -> None:
    assert (session.scalar(select(func.count()).select_from(StaffMember)) or 0) > 700
