"""The cases API end to end: report with a photo → register → dispatch → handle with evidence → verify →
close → the resident follows and rates it → KPIs count it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.grids.models import Building
from pingan.units import service as units
from tests.cases.conftest import JPEG, PNG
from tests.cases.helpers import GRID, point_in, report_with_photo
from tests.factories import auth


def _act(client: TestClient, headers: dict[str, str], case_id: int, action: str, **body: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=headers)


class TestEndToEnd:
    def test_resident_report_to_rating(self, client: TestClient, session: Session) -> None:
        r = report_with_photo(client, session, JPEG)
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["area_code"] == GRID
        assert created["state"] == "reported"
        assert created["reporter_phone_masked"] == "138****5678"
        assert "13812345678" not in r.text
        token = created["tracking_token"]
        case_id = created["id"]
        cg = units.get_unit_by_code(session, "330108-CG")
        assert created["owner_unit_id"] == cg.id

        street = auth(session, "street")
        handler = auth(session, "handler")
        assert _act(client, street, case_id, "register").status_code == 200
        r = _act(client, street, case_id, "dispatch")
        assert r.status_code == 200 and r.json()["state"] == "dispatched"
        assert _act(client, handler, case_id, "start").status_code == 200
        r = client.post(
            f"/api/v1/cases/{case_id}/actions/handle/form",
            data={"note": "已清运"},
            files=[("media", ("after.png", PNG, "image/png"))],
            headers=handler,
        )
        assert r.status_code == 200, r.text
        assert [a["kind"] for a in r.json()["attachments"]] == ["report", "evidence"]
        assert _act(client, street, case_id, "verify").status_code == 200
        r = _act(client, street, case_id, "close")
        assert r.status_code == 200 and r.json()["state"] == "closed"
        assert r.json()["is_closed_on_time"] is True
        actions = [e["action"] for e in r.json()["timeline"]]
        assert actions == ["report", "register", "dispatch", "start", "handle", "verify", "close"]

        number = created["number"]
        r = client.get(f"/api/v1/public/cases/{number}", params={"token": token})
        assert r.status_code == 200
        view = r.json()
        assert view["state"] == "closed" and view["can_rate"]
        assert "张" not in r.text and "13812345678" not in r.text and "****" not in r.text
        assert client.get(f"/api/v1/public/cases/{number}", params={"token": "wrong"}).status_code == 404

        r = client.post(
            f"/api/v1/public/cases/{number}/rating",
            json={"token": token, "is_fixed": True, "satisfaction": "satisfied"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["ratings"][0]["satisfaction"] == "satisfied"

        r = client.get("/api/v1/case-kpis", params={"group_by": "total"}, headers=auth(session, "admin"))
        assert r.status_code == 200
        total = r.json()["groups"][0]
        assert total["closed"] >= 1 and total["satisfaction"]["satisfied"] >= 1

    def test_not_fixed_reopens_keeping_history(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases",
            json={
                "category_code": "1402",
                "description": "路灯不亮",
                "lon": lon,
                "lat": lat,
                "reporter_phone": "13900001111",
            },
        )
        assert r.status_code == 201, r.text
        case_id, number, token = r.json()["id"], r.json()["number"], r.json()["tracking_token"]
        street, handler = auth(session, "street"), auth(session, "handler")
        for headers, action, note in (
            (street, "register", ""),
            (street, "dispatch", ""),
            (handler, "handle", "换了灯泡"),
            (street, "verify", ""),
            (street, "close", ""),
        ):
            assert _act(client, headers, case_id, action, note=note).status_code == 200, action
        r = client.post(
            f"/api/v1/public/cases/{number}/rating",
            json={"token": token, "is_fixed": False, "comment": "还是不亮"},
        )
        assert r.status_code == 200
        assert r.json()["state"] == "dispatched"
        detail = client.get(f"/api/v1/cases/{case_id}", headers=street).json()
        assert detail["reopen_count"] == 1
        assert [e["action"] for e in detail["timeline"]][-2:] == ["close", "reopen"]


class TestIntakeErrors:
    def test_a_body_that_is_not_a_report_names_the_field(self, client: TestClient, session: Session) -> None:
        """The endpoint validates its body itself (no FastAPI body parameter): the answers are the same."""
        headers = auth(session, "gridworker")
        cases = [
            ({"description": "x", "source": "app"}, "category_code", "Field required"),
            ({"category_code": "0102", "description": "x", "lon": "east"}, "lon", "valid number"),
            ({"category_code": "0102", "description": "x", "source": "fax"}, "source", "resident_web"),
        ]
        for body, field, words in cases:
            r = client.post("/api/v1/cases", json=body, headers=headers)
            assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
            assert words in r.json()["error"]["message"]
        for raw in (b"", b"{not json", b"[1, 2]"):
            r = client.post(
                "/api/v1/cases", content=raw, headers={**headers, "Content-Type": "application/json"}
            )
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", r.text

    def test_the_report_body_and_sign_in_are_documented(self, client: TestClient) -> None:
        operation = client.get("/openapi.json").json()["paths"]["/api/v1/cases"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert {"category_code", "description"} <= set(schema["required"])
        assert {"lon", "lat", "source", "reporter_phone"} <= set(schema["properties"])
        assert {"HTTPBearer": []} in operation["security"]

    def test_an_address_alone_is_placed_from_the_register(self, client: TestClient, session: Session) -> None:
        building = session.scalars(
            select(Building).where(Building.address.like("%号%幢")).order_by(Building.id)
        ).first()
        assert building is not None
        headers = auth(session, "gridworker")
        body = {"category_code": "0102", "description": "x", "source": "app", "address": building.address}
        r = client.post("/api/v1/cases", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert (r.json()["lon"], r.json()["lat"]) == (round(building.lon, 7), round(building.lat, 7))
        assert r.json()["area_code"] == building.area_code
        r = client.post("/api/v1/cases", json={**body, "address": "月球背面1号"}, headers=headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == "lon"
        assert "月球背面1号" in r.json()["error"]["message"]

    def test_outside_district_names_lon_lat(self, client: TestClient, session: Session) -> None:
        r = client.post(
            "/api/v1/cases",
            json={
                "category_code": "0102",
                "description": "x",
                "lon": 116.4,
                "lat": 39.9,
                "reporter_phone": "13900001111",
            },
        )
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "lon"
        assert "116.4" in r.json()["error"]["message"]

    def test_unknown_category(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "9999", "description": "x", "lon": lon, "lat": lat},
            headers=auth(session, "resident"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "category_code"

    def test_bad_phone_changes_nothing(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        admin = auth(session, "admin")
        before = client.get("/api/v1/cases", params={"limit": 1}, headers=admin).json()["total"]
        r = client.post(
            "/api/v1/cases",
            json={
                "category_code": "0102",
                "description": "x",
                "lon": lon,
                "lat": lat,
                "reporter_phone": "12345",
            },
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "reporter_phone"
        assert client.get("/api/v1/cases", params={"limit": 1}, headers=admin).json()["total"] == before

    def test_fake_photo_refused(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases/form",
            data={"category_code": "0102", "description": "x", "lon": str(lon), "lat": str(lat)},
            files=[("media", ("evil.jpg", b"<script>alert(1)</script>", "image/jpeg"))],
            headers=auth(session, "resident"),
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "media"

    def test_anonymous_needs_phone(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases", json={"category_code": "0102", "description": "x", "lon": lon, "lat": lat}
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "reporter_phone"

    def test_gcj02_point_is_normalised(self, client: TestClient, session: Session) -> None:
        from pingan.core.geo import wgs84_to_gcj02

        lon, lat = point_in(session)
        glon, glat = wgs84_to_gcj02(lon, lat)
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "0102", "description": "x", "lon": glon, "lat": glat, "crs": "gcj02"},
            headers=auth(session, "resident"),
        )
        assert r.status_code == 201
        assert abs(r.json()["lon"] - lon) < 1e-6 and r.json()["source_crs"] == "gcj02"


class TestTransitions:
    def test_illegal_transition_is_409_with_allowed_actions(
        self, client: TestClient, session: Session
    ) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "0102", "description": "x", "lon": lon, "lat": lat},
            headers=auth(session, "resident"),
        )
        r = _act(client, auth(session, "street"), r.json()["id"], "close")
        assert r.status_code == 409
        err = r.json()["error"]
        assert err["details"]["state"] == "reported"
        assert "register" in err["details"]["allowed_actions"]
        assert "reported" in err["message"]

    def test_handler_of_other_unit_sees_404(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "0601", "description": "可疑", "lon": lon, "lat": lat},
            headers=auth(session, "resident"),
        )
        case_id = r.json()["id"]
        assert client.get(f"/api/v1/cases/{case_id}", headers=auth(session, "handler")).status_code == 404

    def test_resident_cannot_register(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        resident = auth(session, "resident")
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "0102", "description": "x", "lon": lon, "lat": lat},
            headers=resident,
        )
        r = _act(client, resident, r.json()["id"], "register")
        assert r.status_code == 403


class TestNearby:
    def test_form_sees_nearby_open_case(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "0701", "description": "消防通道被堵", "lon": lon, "lat": lat},
            headers=auth(session, "resident"),
        )
        number = r.json()["number"]
        near = client.get(
            "/api/v1/cases/nearby", params={"category_code": "0701", "lon": lon + 0.0001, "lat": lat}
        )
        assert near.status_code == 200
        assert number in [n["number"] for n in near.json()]
        second = client.post(
            "/api/v1/cases",
            json={"category_code": "0701", "description": "又堵了", "lon": lon + 0.0001, "lat": lat},
            headers=auth(session, "resident"),
        ).json()
        assert second["duplicate_of_id"] == r.json()["id"]
