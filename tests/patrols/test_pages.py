"""The dispatch pages without a browser: the operator's 派遣巡防队员 panel on the case page and the
volunteer's phone page /patrol — forms with CSRF, messages next to the field, 404 outside the scope."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.cases import service as cases
from pingan.cases import workflow
from pingan.core.pii import get_protector
from pingan.core.security import Actor
from pingan.patrols import dispatch, volunteers
from pingan.patrols.models import Dispatch, PatrolTeam, PatrolVolunteer
from pingan.patrols.positions import Fix, ingest_fixes
from pingan.patrols.volunteers import device_key_of
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


def _far_team(session: Session) -> int:
    """A team of a community of 西兴街道 (outside the street operator's 长河街道)."""
    community = areas.list_areas(session, level=AreaLevel.COMMUNITY, within="330108001")[0]
    team = session.scalar(select(PatrolTeam.id).where(PatrolTeam.area_code == community.code))
    if team is None:
        team = volunteers.create_team(session, SYSTEM, area_code=community.code, name="西兴测试队").id
    return int(team)


def _roster_row(page: str, volunteer_id: int) -> str:
    return page.split(f'id="v-{volunteer_id}"')[1].split("</tr>")[0]


class TestRoster:
    def test_lists_only_the_scope_masked_with_the_key_state(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        tag = f"R{time.monotonic_ns() % 10**9}"
        mine = register(session, place.team_id, device_id=f"{tag}A")
        keyless = register(session, place.team_id)
        theirs = register(session, _far_team(session), device_id=f"{tag}B")
        mine.key_rejects, mine.key_rejected_at = 3, datetime(2026, 12, 1, 2, 5, tzinfo=UTC)
        session.commit()
        sign_in(client, "street")
        page = client.get(f"/patrols/roster?q={tag}", headers=HTML)
        assert page.status_code == 200, page.text
        assert 'href="/patrols/roster"' in page.text  # the navigation link
        assert f'id="v-{mine.id}"' in page.text and f'id="v-{theirs.id}"' not in page.text
        row = _roster_row(page.text, mine.id)
        assert mine.name_masked in row and mine.phone_masked in row and f"{tag}A" in row
        assert "已设置" in row and "3" in row and "2026-12-01 10:05" in row  # Asia/Shanghai
        name = get_protector().decrypt(mine.name_enc)
        phone = get_protector().decrypt(mine.phone_enc)
        assert name not in page.text and phone not in page.text
        whole = client.get(f"/patrols/roster?community={place.community}", headers=HTML).text
        assert f'id="v-{keyless.id}"' in whole or "下一页" in whole
        assert f'id="v-{theirs.id}"' not in whole

    def test_paginates_and_bounds_the_page(self, client: TestClient, session: Session, place: Place) -> None:
        tag = f"P{time.monotonic_ns() % 10**9}"
        made = [register(session, place.team_id, device_id=f"{tag}-{i:02d}") for i in range(51)]
        session.commit()
        sign_in(client, "street")
        first = client.get(f"/patrols/roster?q={tag}", headers=HTML).text
        assert first.count('id="v-') == 50 and "1 / 2" in first and "下一页" in first
        second = client.get(f"/patrols/roster?q={tag}&page=2", headers=HTML).text
        assert second.count('id="v-') == 1 and f'id="v-{made[-1].id}"' in second
        assert client.get("/patrols/roster?page=0", headers=HTML).status_code == 422
        assert client.get("/patrols/roster?page=99999999999", headers=HTML).status_code == 422

    def test_a_new_key_is_shown_once_and_replaces_the_old(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        device = f"K{time.monotonic_ns() % 10**9}"
        v = register(session, place.team_id, device_id=device)
        old = device_key_of(session, device)
        session.commit()
        sign_in(client, "street")
        client.get("/patrols/roster", headers=HTML)
        r = _post(client, f"/patrols/roster/{v.id}/device-key", {"back": f"/patrols/roster?q={device}"})
        assert r.status_code == 200, r.text
        session.expire_all()
        new = device_key_of(session, device)
        assert new and new != old
        assert f"/osmand?key={new}" in r.text and device in r.text
        assert "<svg" in r.text and "只显示这一次" in r.text and "原密钥已立即失效" in r.text
        assert r.headers["cache-control"] == "no-store"
        assert _osmand_status(client, device, old) in (400, 401, 403)
        assert _osmand_status(client, device, new) == 200
        again = client.get(f"/patrols/roster?q={device}", headers=HTML).text
        assert new not in again  # shown once

    def test_no_device_is_a_message_by_the_button(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        v = register(session, place.team_id)
        session.commit()
        sign_in(client, "street")
        client.get("/patrols/roster", headers=HTML)
        r = _post(client, f"/patrols/roster/{v.id}/device-key", {"back": "/patrols/roster?page=1"})
        assert r.status_code == 422
        assert f'id="err-key-{v.id}"' in r.text or "下一页" in r.text  # by its button when on this page
        alert = r.text.split('id="roster-alert">')[1].split("</p>")[0]
        assert v.name_masked in alert and "尚未绑定设备号" in alert

    def test_needs_csrf_scope_and_a_managing_role(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        device = f"C{time.monotonic_ns() % 10**9}"
        v = register(session, place.team_id, device_id=device)
        far = register(session, _far_team(session), device_id=f"{device}F")
        session.commit()
        old = device_key_of(session, device)
        sign_in(client, "street")
        r = client.post(f"/patrols/roster/{v.id}/device-key", data={}, headers=HTML, follow_redirects=False)
        assert r.status_code == 403
        assert _post(client, f"/patrols/roster/{far.id}/device-key", {}).status_code == 404
        sign_in(client, "volunteer")
        assert client.get("/patrols/roster", headers=HTML).status_code == 403
        assert _post(client, f"/patrols/roster/{v.id}/device-key", {}).status_code == 403
        assert 'href="/patrols/roster"' not in client.get("/patrol", headers=HTML).text
        session.expire_all()
        assert device_key_of(session, device) == old
        client.cookies.clear()
        r = client.get("/patrols/roster", headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def _osmand_status(client: TestClient, device: str, key: str | None) -> int:
    query = f"id={device}&timestamp={int(time.time()) - 60}&lat=30.2&lon=120.2" + (
        f"&key={key}" if key else ""
    )
    return client.post(f"/osmand?{query}", content=b"").status_code
