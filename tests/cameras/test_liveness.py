"""Liveness: a platform pushes status in batches with its token; by the standard's rule a camera is offline
after 3 missed keepalives (180 s); an outage of an hour is one maintenance case, closed-loop when the camera
returns; a whole NVR down is ONE case; the online rate per day from the outage history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cameras import liveness, service
from pingan.cameras.module import CAMERA, MODULE, PARENT
from pingan.cases.models import Case, CaseEvent
from pingan.core.clock import utcnow
from pingan.devices import interface as devices
from tests.cameras.conftest import SYSTEM, MakeCamera, new_id
from tests.factories import actor, auth

KINDS = {kind.code: kind for kind in MODULE.device_kinds}


@pytest.fixture
def long_ago() -> datetime:
    """A month back: before any demo camera was last heard, so only the test's devices time out."""
    return utcnow() - timedelta(days=30)


def at(t: datetime, minutes: float) -> datetime:
    return t + timedelta(minutes=minutes)


def outage_cases(session: Session, kind: str, gb_id: str) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.dedupe_key == devices.outage_key(kind, gb_id))))


class TestOutageCases:
    def test_offline_by_the_keepalive_rule_one_case_after_an_hour_and_a_step_when_back(
        self, session: Session, make_camera: MakeCamera, long_ago: datetime
    ) -> None:
        camera = make_camera()
        service.record_heard(session, [camera.gb_id], long_ago)
        assert devices.sweep(session, at(long_ago, 2.9), KINDS).offline == 0  # 2 keepalives missed
        assert devices.sweep(session, at(long_ago, 3.1), KINDS).offline == 1  # the third: offline
        assert devices.sweep(session, at(long_ago, 59), KINDS).raised == 0
        assert devices.sweep(session, at(long_ago, 61), KINDS).raised == 1
        (case,) = outage_cases(session, CAMERA, camera.gb_id)
        assert case.category_code == "1501" and case.area_code == camera.area_code
        assert devices.sweep(session, at(long_ago, 90), KINDS).raised == 0  # deduplicated while it lasts
        service.record_heard(session, [camera.gb_id], at(long_ago, 95))
        assert devices.sweep(session, at(long_ago, 96), KINDS).back_online == 1
        steps = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "device_online")
        )
        assert len(list(steps)) == 1

    def test_a_whole_nvr_down_is_one_case(
        self, session: Session, make_camera: MakeCamera, long_ago: datetime
    ) -> None:
        nvr = make_camera("118")
        children = [make_camera(parent_gb_id=nvr.gb_id) for _ in range(4)]
        service.record_heard(session, [nvr.gb_id, *(c.gb_id for c in children)], long_ago)
        report = devices.sweep(session, at(long_ago, 61), KINDS)
        assert (report.raised, report.folded) == (1, 4)
        (case,) = outage_cases(session, PARENT, nvr.gb_id)
        assert "下级设备 4 台" in case.description
        assert all(outage_cases(session, CAMERA, c.gb_id) == [] for c in children)


class TestPush:
    @pytest.fixture
    def platform(self, session: Session) -> tuple[str, str]:
        found, token = service.create_platform(
            session,
            SYSTEM,
            code=f"vms{new_id()[-6:]}",
            name="测试平台",
            link_template="https://vms.example/p?id={gb_id}",
        )
        return found.code, token

    def test_a_batch_of_on_and_off_with_the_platforms_token(
        self, client: TestClient, session: Session, make_camera: MakeCamera, platform: tuple[str, str]
    ) -> None:
        code, token = platform
        up, down = make_camera(platform=code), make_camera(platform=code)
        other = make_camera()  # not this platform's
        when = (utcnow() - timedelta(minutes=1)).isoformat()
        body = {
            "at": when,
            "items": [
                {"gb_id": up.gb_id, "status": "ON"},
                {"gb_id": down.gb_id, "status": "ON"},
                {"gb_id": down.gb_id, "status": "OFF", "at": utcnow().isoformat()},
                {"gb_id": other.gb_id, "status": "ON"},
            ],
        }
        r = client.post("/api/v1/cameras/status", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        result = r.json()
        assert (result["online"], result["offline"], result["unknown"]) == (2, 1, [other.gb_id])
        states = devices.device_states(session, CAMERA, [up.gb_id, down.gb_id])
        assert (states[up.gb_id].status, states[down.gb_id].status) == ("online", "offline")

    @pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc"])
    def test_without_the_platforms_token_401(self, client: TestClient, header: str | None) -> None:
        headers = {"Authorization": header} if header else {}
        body = {"items": [{"gb_id": new_id(), "status": "ON"}]}
        assert client.post("/api/v1/cameras/status", json=body, headers=headers).status_code == 401

    def test_an_account_token_is_no_platform_token(self, client: TestClient, session: Session) -> None:
        body = {"items": [{"gb_id": new_id(), "status": "ON"}]}
        assert (
            client.post("/api/v1/cameras/status", json=body, headers=auth(session, "admin")).status_code
            == 401
        )

    @pytest.mark.parametrize(
        ("items", "field"),
        [
            ([], "items"),
            ([{"gb_id": "x", "status": "MAYBE"}], "status"),
            (
                [{"gb_id": "33010800001320000001", "status": "ON", "at": "2999-01-01T00:00:00Z"}],
                "items[0].at",
            ),
        ],
    )
    def test_bad_batches_are_refused_naming_the_field(
        self, client: TestClient, platform: tuple[str, str], items: list, field: str
    ) -> None:
        r = client.post(
            "/api/v1/cameras/status",
            json={"items": items},
            headers={"Authorization": f"Bearer {platform[1]}"},
        )
        assert r.status_code == 422 and field in r.json()["error"]["field"]


class TestOnlineRate:
    def test_an_outage_of_six_hours_yesterday_is_a_quarter_of_that_day(
        self, session: Session, make_camera: MakeCamera
    ) -> None:
        from pingan.core.clock import LOCAL_TZ

        owner = f"测试单位{new_id()[-6:]}"
        camera = make_camera(owner_unit=owner, install_date="2020-01-01")
        today = utcnow().astimezone(LOCAL_TZ).date()
        yesterday = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)
        devices.import_outages(
            session, CAMERA, [(camera.gb_id, yesterday + timedelta(hours=6), yesterday + timedelta(hours=12))]
        )
        service.record_heard(session, [camera.gb_id], utcnow())
        rates = liveness.online_rates(session, SYSTEM, by="owner", days=3)
        (group,) = [g for g in rates["groups"] if g["key"] == owner]
        assert group["cameras"] == 1 and group["rates"][0] == 1.0 and group["rates"][1] == 0.75

    def test_a_week_of_the_demo_by_street_is_realistic(self, session: Session) -> None:
        rates = liveness.online_rates(session, actor(session, "admin"), by="street", days=7)
        assert rates["cameras"] >= 4000 and len(rates["groups"]) == 3
        assert all(0.9 < r < 1.0 for r in rates["overall"] if r is not None)
