"""GET /api/v1/devices and /summary (scoped, paginated, 4xx naming the field), the /devices page, the CLI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.devices import interface as devices
from pingan.web.i18n import LANG_COOKIE
from tests.devices.conftest import KIND, Register
from tests.factories import auth
from tests.web.test_pages import HTML, sign_in


class TestList:
    def test_filters_and_pages_in_scope(
        self, client: TestClient, session: Session, register: Register, grids: tuple[str, str], t0
    ) -> None:
        register("A1", "A2", "A3", grid=0)
        register("A4", grid=1)
        devices.heard(session, KIND, {"A1": t0})
        r = client.get(
            "/api/v1/devices",
            params={"kind": KIND, "area": grids[0], "status": "unknown", "limit": 1},
            headers=auth(session, "gridworker"),
        )
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["limit"] == 1 and page["offset"] == 0 and len(page["items"]) == 1
        assert page["total"] >= 2 and page["items"][0]["status"] == "unknown"
        everything = client.get(
            "/api/v1/devices", params={"area": grids[1], "limit": 500}, headers=auth(session, "gridworker")
        )
        assert everything.status_code == 200 and everything.json()["total"] == 0  # outside the worker's grid

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "asleep"}, "status"),
            ({"kind": "toaster"}, "kind"),
            ({"area": "abc"}, "area"),
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"offset": -1}, "offset"),
        ],
    )
    def test_bad_input_is_a_4xx_naming_the_field(
        self, client: TestClient, session: Session, params: dict, field: str
    ) -> None:
        r = client.get("/api/v1/devices", params=params, headers=auth(session, "admin"))
        assert 400 <= r.status_code < 500 and r.json()["error"]["field"] == field


class TestSummary:
    def test_counts_by_status_and_kind(
        self, client: TestClient, session: Session, register: Register, grids: tuple[str, str], t0
    ) -> None:
        register("M1", "M2", grid=0)
        devices.heard(session, KIND, {"M1": t0})
        r = client.get("/api/v1/devices/summary", params={"area": grids[0]}, headers=auth(session, "admin"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["online"] >= 1 and body["unknown"] >= 1
        assert body["total"] == body["online"] + body["offline"] + body["unknown"]
        # every kind in the grid (the demo's cameras stand there too) adds up to the total
        assert sum(k["total"] for k in body["by_kind"].values()) == body["total"]
        assert body["by_kind"][KIND]["total"] >= 2

    def test_anonymous_and_residents_are_refused(self, client: TestClient, session: Session) -> None:
        assert client.get("/api/v1/devices/summary").status_code == 401
        assert client.get("/api/v1/devices/summary", headers=auth(session, "volunteer")).status_code == 403


class TestPage:
    @pytest.mark.parametrize(("lang", "title"), [("zh", "设备"), ("en", "Devices")])
    def test_lists_the_scope_s_devices(
        self, client: TestClient, session: Session, register: Register, lang: str, title: str
    ) -> None:
        register("PG1", grid=0)
        register("PG2", grid=1)
        sign_in(client, "gridworker")
        client.cookies.set(LANG_COOKIE, lang)
        r = client.get("/devices", params={"kind": KIND, "status": "unknown"}, headers=HTML)
        assert r.status_code == 200 and f"<h1>{title}</h1>" in r.text
        assert "PG1" in r.text and "PG2" not in r.text

    def test_a_bad_filter_is_a_4xx_page(self, client: TestClient, session: Session) -> None:
        sign_in(client, "admin")
        r = client.get("/devices?status=asleep", headers=HTML)
        assert r.status_code == 422
