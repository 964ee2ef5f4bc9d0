"""The dispatch pages without a browser: the operator's 派遣巡防队员 panel on the case page and the
volunteer's phone page /patrol — forms with CSRF, messages next to the field, 404 outside the scope."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases import service as cases
from pingan.cases import workflow
from pingan.core.security import Actor
from pingan.patrols import dispatch
from pingan.patrols.common import get_protector
from pingan.patrols.models import Dispatch, PatrolVolunteer
from pingan.patrols.positions import Fix, ingest_fixes
from pingan.web.sessions import CSRF_COOKIE
from tests.factories import actor
from tests.patrols.conftest import Place, centre_of, on_shift, register
from tests.web.test_pages import HTML, sign_in

SYSTEM = Actor.system("test")


def _registered_case(session: Session, grid: str, *, dlon: float = 0.0) -> cases.Case:
    lon, lat = centre_of(session, grid)
    case = cases.raise_case(
        session,
        SYSTEM,
        category_code="0602",
        description="路口有人打架",
        source="patrol",
        lon=lon + dlon,
        lat=lat,
    )
    workflow.transition(session, SYSTEM, case_id=case.id, action="register")
    return case


def _on_duty_near(session: Session, place: Place, case: cases.Case, dlon: float) -> PatrolVolunteer:
    v = register(session, place.team_id, device_id=f"P{time.monotonic_ns() % 10**9}")
    on_shift(session, place.grid, v.id)
    assert case.lon is not None and case.lat is not None
    ingest_fixes(
        session,
        [
            Fix(
                device_id=v.device_id or "",
                fixed_ms=int(time.time() * 1000) - 20_000,
                lon=case.lon + dlon,
                lat=case.lat,
            )
        ],
    )
    return v


def _dispatches(session: Session, case_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Dispatch).where(Dispatch.case_id == case_id)) or 0
    )


def _post(client: TestClient, url: str, data: dict[str, str]) -> Response:
    return client.post(
        url, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]}, headers=HTML, follow_redirects=False
    )


class TestCasePatrolPanel:
    def test_nearest_listed_and_assigned_into_the_timeline(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        case = _registered_case(session, place.grid)
        near = _on_duty_near(session, place, case, 0.0005)
        far = _on_duty_near(session, place, case, 0.003)
        sign_in(client, "street")
        page = client.get(f"/work/cases/{case.id}", headers=HTML).text
        assert "派遣巡防队员" in page
        assert page.index(f'value="{near.id}"') < page.index(f'value="{far.id}"')
        r = _post(
            client, f"/work/cases/{case.id}/patrol", {"volunteer_id": str(near.id), "patrol_note": "先到路口"}
        )
        assert r.status_code == 303, r.text
        page = client.get(f"/work/cases/{case.id}?patrol=assigned", headers=HTML).text
        assert "已派遣巡防队员" in page and f"派巡防队员 {near.name_masked} 前往处置" in page
        assert f'value="{near.id}"' not in page  # busy now: no longer offered
        assert page.count("调度指令：先到路口") == 2  # in the list of volunteers sent and on the timeline
        (item,) = dispatch.case_dispatches(session, actor(session, "street"), case_id=case.id)
        assert item["volunteer_id"] == near.id
        assert (item["instruction"], item["outcome"]) == ("先到路口", "")
        (sent,) = [
            e for e in cases.timeline(session, SYSTEM, case_id=case.id) if e.action == "patrol_dispatched"
        ]
        assert sent.details["instruction"] == "先到路口"

    def test_a_volunteer_in_sos_is_not_offered_and_refused(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        case = _registered_case(session, place.grid)
        v = _on_duty_near(session, place, case, 0.0005)
        assert v.device_id and case.lon is not None and case.lat is not None
        ingest_fixes(
            session,
            [
                Fix(
                    device_id=v.device_id,
                    fixed_ms=int(time.time() * 1000) - 5_000,
                    lon=case.lon,
                    lat=case.lat,
                    alarm="sos",
                )
            ],
        )
        sign_in(client, "street")
        page = client.get(f"/work/cases/{case.id}", headers=HTML).text
        assert f'value="{v.id}"' not in page
        r = _post(client, f"/work/cases/{case.id}/patrol", {"volunteer_id": str(v.id)})
        assert r.status_code == 409 and "SOS" in r.text and 'id="err-volunteer_id"' in r.text
        assert _dispatches(session, case.id) == 0

    def test_english_panel_and_timeline(self, client: TestClient, session: Session, place: Place) -> None:
        case = _registered_case(session, place.grid)
        v = _on_duty_near(session, place, case, 0.0005)
        dispatch.assign_dispatch(session, actor(session, "street"), case_id=case.id, volunteer_id=v.id)
        client.get("/lang/en?next=/login")
        sign_in(client, "street")
        page = client.get(f"/work/cases/{case.id}", headers=HTML).text
        assert (
            "Send a patrol volunteer" in page
            and f"Patrol volunteer {v.name_masked} sent to the scene" in page
        )
        assert "派遣巡防队员" not in page and "前往处置" not in page

    def test_bad_input_is_explained_next_to_the_field(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        case = _registered_case(session, place.grid)
        v = _on_duty_near(session, place, case, 0.0005)
        sign_in(client, "street")
        r = _post(client, f"/work/cases/{case.id}/patrol", {"volunteer_id": "abc"})
        assert r.status_code == 422 and 'id="err-volunteer_id"' in r.text
        assert "请选择一名可派遣的巡防队员" in r.text
        r = _post(
            client, f"/work/cases/{case.id}/patrol", {"volunteer_id": str(v.id), "patrol_note": "长" * 501}
        )
        assert r.status_code == 422 and 'id="err-patrol_note"' in r.text
        assert 'aria-describedby="err-patrol_note"' in r.text
        r = _post(client, f"/work/cases/{case.id}/patrol", {"volunteer_id": "99999999"})
        assert r.status_code == 422 and 'id="err-volunteer_id"' in r.text
        assert _dispatches(session, case.id) == 0

    def test_a_busy_volunteer_is_refused(self, client: TestClient, session: Session, place: Place) -> None:
        case = _registered_case(session, place.grid)
        other = _registered_case(session, place.grid, dlon=0.001)
        v = _on_duty_near(session, place, case, 0.0005)
        dispatch.assign_dispatch(session, SYSTEM, case_id=other.id, volunteer_id=v.id)
        sign_in(client, "street")
        r = _post(client, f"/work/cases/{case.id}/patrol", {"volunteer_id": str(v.id)})
        assert r.status_code == 409 and "该队员已有其他任务" in r.text
        assert _dispatches(session, case.id) == 0

    def test_out_of_scope_case_is_404(self, client: TestClient, session: Session, place: Place) -> None:
        case = _registered_case(session, place.far_grid)
        v = _on_duty_near(session, place, case, 0.0)
        sign_in(client, "street")
        assert client.get(f"/work/cases/{case.id}", headers=HTML).status_code == 404
        r = _post(client, f"/work/cases/{case.id}/patrol", {"volunteer_id": str(v.id)})
        assert r.status_code == 404
        assert _dispatches(session, case.id) == 0

    def test_only_dispatching_roles_see_and_use_it(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        case = _registered_case(session, place.grid)
        sign_in(client, "handler")
        r = _post(client, f"/work/cases/{case.id}/patrol", {"volunteer_id": "1"})
        assert r.status_code == 403
        assert _dispatches(session, case.id) == 0

    def test_closed_states_offer_no_one(self, client: TestClient, session: Session, place: Place) -> None:
        lon, lat = centre_of(session, place.grid)
        case = cases.raise_case(
            session,
            SYSTEM,
            category_code="0602",
            description="刚上报的事件",
            source="patrol",
            lon=lon,
            lat=lat,
        )
        sign_in(client, "street")
        page = client.get(f"/work/cases/{case.id}", headers=HTML).text
        assert 'id="patrol-panel"' not in page


class TestPatrolPhonePage:
    def _mine(self, session: Session) -> PatrolVolunteer:
        me = actor(session, "volunteer")
        mine = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == me.account_id))
        assert mine is not None
        return mine

    def test_shift_dispatch_arrival_and_outcome_into_the_case(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        mine = self._mine(session)
        case = _registered_case(session, place.grid)
        item = dispatch.assign_dispatch(
            session,
            actor(session, "street"),
            case_id=case.id,
            volunteer_id=mine.id,
            note="带上急救包，先劝开双方",
        )
        sign_in(client, "volunteer")
        page = client.get("/patrol", headers=HTML).text
        assert "我的班次" in page and "值班中" in page  # the demo puts this volunteer on duty now
        full_name = get_protector().decrypt(mine.name_enc)
        assert full_name in page and mine.name_masked not in page  # their own name, in full
        assert case.number in page and "路口有人打架" in page and f"geo:{case.lat},{case.lon}" in page
        assert 'href="/patrol"' in page  # in the navigation
        assert "调度指令" in page and "带上急救包，先劝开双方" in page
        r = _post(client, f"/patrol/dispatches/{item.id}", {"status": "arrived", "outcome": "已到路口"})
        assert r.status_code == 303 and r.headers["location"] == "/patrol?saved=arrived"
        page = client.get("/patrol", headers=HTML).text
        assert "带上急救包，先劝开双方" in page  # the instruction stays after the volunteer's report
        session.refresh(item)
        assert (item.instruction, item.outcome) == ("带上急救包，先劝开双方", "已到路口")
        r = _post(client, f"/patrol/dispatches/{item.id}", {"status": "done", "outcome": "x"})
        assert r.status_code == 422 and 'id="err-outcome"' in r.text
        assert ">x</textarea>" in r.text  # the typed note is kept
        r = _post(client, f"/patrol/dispatches/{item.id}", {"status": "done", "outcome": "已劝散，无人受伤"})
        assert r.status_code == 303
        notes = {e.action: e for e in cases.timeline(session, SYSTEM, case_id=case.id)}
        assert {"patrol_dispatched", "patrol_arrived", "patrol_done"} <= set(notes)
        assert notes["patrol_done"].details["outcome"] == "已劝散，无人受伤"
        assert case.number not in client.get("/patrol", headers=HTML).text  # done: off the list

    def test_bad_step_is_explained(self, client: TestClient, session: Session, place: Place) -> None:
        mine = self._mine(session)
        case = _registered_case(session, place.grid)
        item = dispatch.assign_dispatch(session, SYSTEM, case_id=case.id, volunteer_id=mine.id)
        sign_in(client, "volunteer")
        r = _post(client, f"/patrol/dispatches/{item.id}", {"status": "teleported"})
        assert r.status_code == 422 and 'id="err-status"' in r.text
        r = _post(client, f"/patrol/dispatches/{item.id}", {"status": "done", "outcome": "提前完成"})
        assert r.status_code == 409 and "状态已变化" in r.text
        assert session.get(Dispatch, item.id).status == "assigned"  # type: ignore[union-attr]

    def test_someone_elses_dispatch_is_404(self, client: TestClient, session: Session, place: Place) -> None:
        case = _registered_case(session, place.grid)
        other = _on_duty_near(session, place, case, 0.0005)
        item = dispatch.assign_dispatch(session, SYSTEM, case_id=case.id, volunteer_id=other.id)
        sign_in(client, "volunteer")
        r = _post(client, f"/patrol/dispatches/{item.id}", {"status": "arrived"})
        assert r.status_code == 404
        assert session.get(Dispatch, item.id).status == "assigned"  # type: ignore[union-attr]

    def test_check_out_and_other_bookings_404(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        sign_in(client, "volunteer")
        page = client.get("/patrol", headers=HTML).text
        booking = int(page.split('action="/patrol/bookings/')[1].split("/")[0])
        v = register(session, place.team_id)
        other_booking = on_shift(session, place.grid, v.id)
        r = _post(client, f"/patrol/bookings/{other_booking}/check-in", {})
        assert r.status_code == 404
        r = _post(client, f"/patrol/bookings/{booking}/check-out", {})
        assert r.status_code == 303 and r.headers["location"] == "/patrol?saved=check_out"

    def test_staff_without_the_role_get_403_and_english_is_english(self, client: TestClient) -> None:
        sign_in(client, "street")
        assert client.get("/patrol", headers=HTML).status_code == 403
        client.get("/lang/en?next=/login")
        sign_in(client, "volunteer")
        page = client.get("/patrol", headers=HTML).text
        assert "My shifts" in page and "Tasks sent to me" in page and "我的班次" not in page
