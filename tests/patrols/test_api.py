"""The patrols HTTP API: the OsmAnd receiver as the apps call it (in-process and over a real socket),
the batch API, volunteers, roster import, coverage and the wall."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from pingan.core.config import Settings
from pingan.core.db import transaction
from pingan.patrols.models import DeviceState, PatrolEvent, PatrolPosition, PatrolVolunteer, PositionFlag
from pingan.web.app import create_app
from tests.factories import auth
from tests.patrols.conftest import Place, centre_of, make_id_number, make_phone, register


def _count(session: Session, volunteer_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(PatrolPosition)
            .where(PatrolPosition.volunteer_id == volunteer_id)
        )
        or 0
    )


def _key(volunteer: PatrolVolunteer) -> str:
    """The device key the volunteer got at registration (shown once)."""
    key = getattr(volunteer, "new_device_key", None)
    assert key
    return str(key)


class TestOsmandReceiver:
    def test_legacy_android_post_with_query_and_empty_body(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        t = int(time.time()) - 120
        query = (
            f"id={volunteer.device_id}&key={_key(volunteer)}&timestamp={t}&lat={lat}&lon={lon}"
            "&speed=2.7&bearing=88.0&altitude=9.0&accuracy=0.0&batt=76.0"
        )
        r = client.post(f"/osmand?{query}", content=b"")
        assert r.status_code == 200 and r.content == b""
        again = client.post(f"/osmand?{query}", content=b"")  # the app's buffer re-sends: still 200, one row
        assert again.status_code == 200 and _count(session, volunteer.id) == 1
        row = session.scalar(select(PatrolPosition).where(PatrolPosition.volunteer_id == volunteer.id))
        assert row is not None and row.grid_code == place.grid and row.battery == pytest.approx(0.76)
        assert row.speed_mps == pytest.approx(2.7 * 0.514444)

    def test_get_with_iso_time_on_the_api_path(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        r = client.get(
            "/api/v1/patrols/osmand",
            params={
                "id": volunteer.device_id,
                "key": _key(volunteer),
                "lat": 30.2085,
                "lon": 120.2119,
                "timestamp": "2026-03-08T01:30:00Z",
            },
        )
        assert r.status_code == 200 and _count(session, volunteer.id) == 1

    def test_form_body(self, client: TestClient, session: Session, volunteer: PatrolVolunteer) -> None:
        r = client.post(
            "/osmand",
            content=f"id={volunteer.device_id}&key={_key(volunteer)}&lat=30.2&lon=120.2&timestamp=1772933400&mock=true".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200
        row = session.scalar(select(PatrolPosition).where(PatrolPosition.volunteer_id == volunteer.id))
        assert row is not None and row.flags & PositionFlag.MOCK

    def test_json_body_of_the_new_client(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        body: dict[str, Any] = {
            "device_id": volunteer.device_id,
            "location": {
                "timestamp": "2026-03-08T01:30:00.000Z",
                "coords": {
                    "latitude": 30.2085,
                    "longitude": 120.2119,
                    "accuracy": 4.8,
                    "speed": 1.4,
                    "heading": 88,
                },
                "is_moving": True,
                "battery": {"level": 0.5, "is_charging": False},
                "_": "&id=nobody&lat=0&lon=0&",
            },
        }
        r = client.post(f"/osmand?key={_key(volunteer)}", json=body)  # the key in the server URL
        assert r.status_code == 200
        row = session.scalar(select(PatrolPosition).where(PatrolPosition.volunteer_id == volunteer.id))
        assert row is not None and row.speed_mps == 1.4 and row.battery == 0.5

    def test_unknown_device_status_codes(self, client: TestClient) -> None:
        assert client.post("/osmand?id=no-such-phone&lat=30.2&lon=120.2").status_code == 400
        r = client.post(
            "/osmand",
            json={
                "device_id": "no-such-phone",
                "location": {"coords": {"latitude": 30.2, "longitude": 120.2}},
            },
        )
        assert r.status_code == 404

    def test_unreadable_fix_is_400_naming_the_field(
        self, client: TestClient, volunteer: PatrolVolunteer
    ) -> None:
        r = client.post(f"/osmand?id={volunteer.device_id}&lat=abc&lon=120.2")
        assert r.status_code == 400 and r.json()["error"]["field"] == "lat"
        bad = client.post("/osmand", content=b"{not json", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400

    def test_sos_opens_an_urgent_case(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        r = client.post(
            f"/osmand?id={volunteer.device_id}&key={_key(volunteer)}&timestamp={int(time.time())}"
            "&lat=30.2086&lon=120.212&alarm=sos"
        )
        assert r.status_code == 200
        event = session.scalar(
            select(PatrolEvent).where(PatrolEvent.volunteer_id == volunteer.id, PatrolEvent.kind == "sos")
        )
        assert event is not None and event.details["case_number"]


class TestBatchPositions:
    def test_batch_with_duplicates_and_unknown_devices(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        t = int(time.time() * 1000) - 3_600_000
        fixes = [
            {"device_id": volunteer.device_id, "t": t + i * 60_000, "lon": 120.2, "lat": 30.19}
            for i in range(50)
        ]
        fixes.append(dict(fixes[0]))
        fixes.append({"device_id": "ghost", "t": t, "lon": 120.2, "lat": 30.19})
        r = client.post(
            "/api/v1/patrols/positions", json={"positions": fixes}, headers=auth(session, "admin")
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"accepted": 50, "duplicates": 1, "unknown_devices": ["ghost"], "results": None}
        assert _count(session, volunteer.id) == 50

    def test_the_body_is_parsed_once(
        self,
        client: TestClient,
        session: Session,
        volunteer: PatrolVolunteer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The input rules parse the JSON body; the route takes their value (no second parse of 4.8 MB)."""
        import orjson

        body = orjson.dumps(
            {"positions": [{"device_id": volunteer.device_id, "t": 1772933400, "lon": 120.2, "lat": 30.19}]}
        )
        parsed: list[bytes] = []
        loads = orjson.loads

        def counting(data: Any) -> Any:
            parsed.append(bytes(data))
            return loads(data)

        monkeypatch.setattr(orjson, "loads", counting)
        headers = {**auth(session, "admin"), "Content-Type": "application/json"}
        r = client.post("/api/v1/patrols/positions", content=body, headers=headers)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        assert parsed.count(body) == 1

    def test_bad_item_names_its_index(self, client: TestClient, session: Session) -> None:
        r = client.post(
            "/api/v1/patrols/positions",
            json={"positions": [{"device_id": "x1y", "t": int(time.time()), "lon": 120.2, "lat": 300}]},
            headers=auth(session, "admin"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "positions[0].lat"

    def test_a_volunteer_posts_only_for_their_own_device(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        fix = {"device_id": volunteer.device_id, "t": 1772933400, "lon": 120.2, "lat": 30.19}
        r = client.post(
            "/api/v1/patrols/positions", json={"positions": [fix]}, headers=auth(session, "volunteer")
        )
        assert r.status_code == 403


class TestVolunteersApi:
    def test_register_shows_masked_and_reveal_is_audited(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        id_number, phone = make_id_number(), make_phone()
        r = client.post(
            "/api/v1/patrols/volunteers",
            json={"team_id": place.team_id, "name": "孙悟空", "id_number": id_number, "phone": phone},
            headers=auth(session, "street"),
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["name_masked"] == "孙*空" and id_number not in r.text and phone not in r.text
        shown = client.post(
            f"/api/v1/patrols/volunteers/{body['id']}/reveal",
            json={"fields": ["id_number"], "purpose": "verify_identity", "reason": "核对队员身份"},
            headers=auth(session, "street"),
        )
        assert shown.status_code == 200, shown.text
        assert shown.json()["id_number"] == id_number

    def test_bad_phone_is_422_with_field(self, client: TestClient, session: Session, place: Place) -> None:
        r = client.post(
            "/api/v1/patrols/volunteers",
            json={
                "team_id": place.team_id,
                "name": "孙悟空",
                "id_number": make_id_number(),
                "phone": "12345",
            },
            headers=auth(session, "admin"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "phone"

    def test_roster_import_multipart_and_template(self, client: TestClient, session: Session) -> None:
        template = client.get("/api/v1/patrols/roster/template", headers=auth(session, "street"))
        assert template.status_code == 200 and template.content[:2] == b"PK"
        csv_text = (
            f"姓名,身份证号,手机号,社区\n周八,{make_id_number()},{make_phone()},月明社区\n"
            f"吴九,bad,{make_phone()},月明社区\n"
        )
        r = client.post(
            "/api/v1/patrols/roster/import",
            files={"file": ("roster.csv", csv_text.encode(), "text/csv")},
            data={"valid_only": "true"},
            headers=auth(session, "street"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["imported"] == 1 and r.json()["errors"][0]["row"] == 3 and "error_file" in r.json()

    def test_export_csv(self, client: TestClient, session: Session, place: Place) -> None:
        r = client.get(
            "/api/v1/patrols/volunteers/export",
            params={"within": place.community},
            headers=auth(session, "street"),
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.text.count("\n") > 2 and "****" in r.text


class TestWallAndCoverageApi:
    def test_live_shows_the_demo_patrollers_on_duty(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/patrols/live", headers=auth(session, "admin"))
        assert r.status_code == 200
        assert r.json()["on_duty"] > 100  # the demo has two people on every grid's current shift
        street = client.get("/api/v1/patrols/live", headers=auth(session, "street")).json()
        assert 0 < street["on_duty"] < r.json()["on_duty"]

    def test_coverage_of_the_last_hours(self, client: TestClient, session: Session) -> None:
        r = client.get("/api/v1/patrols/coverage", params={"hours": 3}, headers=auth(session, "street"))
        assert r.status_code == 200
        body = r.json()
        assert body["positions"] > 0 and 0 < body["coverage_share"] <= 1


# --- a real server on a socket, as the phone app talks to it -------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[tuple[str, int, str]]:
    """A uvicorn server on 127.0.0.1 over the test database, with one committed volunteer (removed after)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with transaction(factory) as s:
        team_id = s.scalar(select(PatrolVolunteer.team_id).where(PatrolVolunteer.device_id == "31007745"))
        assert team_id is not None
        registered = register(s, team_id, device_id=f"HTTP{_free_port()}")
        volunteer_id, key = registered.id, _key(registered)
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", volunteer_id, key
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        with transaction(factory) as s:
            for table in (PatrolPosition, DeviceState, PatrolEvent):
                s.execute(delete(table).where(table.volunteer_id == volunteer_id))
            s.execute(delete(PatrolVolunteer).where(PatrolVolunteer.id == volunteer_id))


class TestOverRealHttp:
    def test_concurrent_phones_are_all_stored(
        self, live_server: tuple[str, int, str], engine: Engine
    ) -> None:
        base, volunteer_id, key = live_server
        factory = sessionmaker(bind=engine)
        with factory() as s:
            device = s.scalar(select(PatrolVolunteer.device_id).where(PatrolVolunteer.id == volunteer_id))
        t0 = int(time.time()) - 3600
        errors: list[int] = []

        def send(offset: int) -> None:
            with httpx.Client() as c:
                for i in range(offset, offset + 20):
                    r = c.post(
                        f"{base}/osmand?id={device}&key={key}&timestamp={t0 + i}"
                        "&lat=30.2085&lon=120.2119&batt=80"
                    )
                    if r.status_code != 200:
                        errors.append(r.status_code)

        threads = [threading.Thread(target=send, args=(k * 20,)) for k in range(5)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        json_fix = {
            "device_id": device,
            "location": {
                "timestamp": "2026-03-08T01:30:00Z",
                "coords": {"latitude": 30.2, "longitude": 120.2},
            },
        }
        assert httpx.post(f"{base}/osmand?key={key}", json=json_fix).status_code == 200
        assert httpx.post(f"{base}/osmand?id=ghost-phone&lat=30.2&lon=120.2").status_code == 400
        with factory() as s:
            stored = s.scalar(
                select(func.count())
                .select_from(PatrolPosition)
                .where(PatrolPosition.volunteer_id == volunteer_id)
            )
        assert stored == 101
