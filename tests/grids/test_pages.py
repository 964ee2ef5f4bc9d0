"""Grid worker and district pages: the day page, a visit with a case from one form, a task acknowledgement."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.core.security import Actor
from pingan.grids import tasks, visits
from tests.factories import auth

SYSTEM = Actor.system("test")


class TestMyGrids:
    def test_page_lists_tasks_and_households(self, client: TestClient, session: Session, grid_a: str) -> None:
        r = client.get("/gridwork", headers=auth(session, "gridworker"))
        assert r.status_code == 200
        assert "G20 前出租房瓶装燃气排查" in r.text and 'name="household_id"' in r.text

    def test_visit_with_a_case_from_one_form(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        household = visits.never_visited(session, gridworker, limit=1)[0]
        before = len(
            list(session.scalars(visits.visits_query(session, gridworker, household_id=household.id)))
        )
        r = client.post(
            "/gridwork/visits",
            headers=auth(session, "gridworker"),
            data={
                "household_id": household.id,
                "notes": "入户",
                "issue": "楼道堆物",
                "category_code": "0701",
                "raise_case": "true",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and "msg=" in r.headers["location"]
        after = list(session.scalars(visits.visits_query(session, gridworker, household_id=household.id)))
        assert len(after) == before + 1 and after[0].issues[0]["case_number"]

    def test_acknowledge_a_task(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        task = tasks.create_task(session, SYSTEM, kind="task", title="页面签收测试", area_codes=[grid_a])
        r = client.post(
            f"/gridwork/tasks/{task.id}/{grid_a}/acknowledge",
            headers=auth(session, "gridworker"),
            follow_redirects=False,
        )
        assert r.status_code == 303
        board = tasks.task_progress(session, gridworker, task_id=task.id)
        assert board["grids"][0]["acknowledged_by"] == "gridworker"

    def test_other_grid_task_is_refused(self, client: TestClient, session: Session, grid_b: str) -> None:
        task = tasks.create_task(session, SYSTEM, kind="task", title="别的网格", area_codes=[grid_b])
        r = client.post(
            f"/gridwork/tasks/{task.id}/{grid_b}/acknowledge",
            headers=auth(session, "gridworker"),
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert tasks.task_progress(session, SYSTEM, task_id=task.id)["summary"]["acknowledged"] == 0

    def test_anonymous_goes_to_sign_in(self, client: TestClient) -> None:
        r = client.get("/gridwork", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


class TestCoveragePage:
    def test_district_sees_grids_and_cadres(self, client: TestClient, session: Session) -> None:
        r = client.get("/gridwork/coverage", headers=auth(session, "admin"))
        assert r.status_code == 200 and r.text.count("<tr>") > 239 + 300

    def test_resident_is_refused(self, client: TestClient, session: Session) -> None:
        assert client.get("/gridwork/coverage", headers=auth(session, "resident")).status_code == 403
