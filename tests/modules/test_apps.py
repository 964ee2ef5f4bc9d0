"""The app with several sets of modules (spine only; spine + grids; spine + patrols; everything): its pages
render, its navigation and wall show the enabled modules only, and its OpenAPI document holds exactly the
enabled modules' paths."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.cases.models import Case
from pingan.core.modules import Module, load
from tests.modules.conftest import BuildApp
from tests.web.test_pages import sign_in

HTML = {"accept": "text/html"}
SUBSETS = {
    "spine": ("cases", set()),
    "grids": ("grids", {"grids"}),
    "patrols": ("patrols", {"patrols"}),
    "cameras": ("grids,cameras", {"grids", "cameras"}),
    "inspections": ("grids,inspections", {"grids", "inspections"}),
    "rivers": ("rivers", {"rivers"}),
    "everything": ("", {"grids", "patrols", "cameras", "inspections", "rivers"}),
}


def documented_paths(modules: tuple[Module, ...]) -> set[str]:
    """The paths the modules' routers put in the OpenAPI document, and the app's own health check."""
    paths = {"/healthz"}
    for module in modules:
        for declared in (*module.api_routers, *module.page_routers):
            for route in load(declared.ref).routes:
                if getattr(route, "include_in_schema", False):
                    paths.add(re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))  # OpenAPI drops converters
    return paths


@pytest.fixture(params=list(SUBSETS))
def subset(request: pytest.FixtureRequest, build_app: BuildApp) -> Iterator[tuple[FastAPI, set[str]]]:
    modules, capabilities = SUBSETS[request.param]
    yield build_app(modules), capabilities


def client_of(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


class TestSubsets:
    def test_the_app_runs_the_spine_and_the_chosen_modules(self, subset: tuple[FastAPI, set[str]]) -> None:
        app, capabilities = subset
        names = {m.name for m in app.state.modules}
        assert names == {"areas", "units", "accounts", "audit", "cases", "devices"} | capabilities

    def test_openapi_holds_exactly_the_enabled_modules_paths(self, subset: tuple[FastAPI, set[str]]) -> None:
        app, capabilities = subset
        with client_of(app) as client:
            document = client.get("/openapi.json").json()
        paths = set(document["paths"])
        assert paths == documented_paths(app.state.modules)
        # the links a module declares (Module.api_links) are there exactly when it runs
        places = document["paths"].get("/api/v1/grids/places", {}).get("post", {}).get("responses", {})
        assert ("grids" in capabilities) == bool(places.get("201", {}).get("links"))
        cases = document["paths"]["/api/v1/cases"]["post"]["responses"]["201"]["links"]
        assert any("cases" in link["operationRef"] for link in cases.values())
        assert any(p.startswith("/api/v1/grids/") for p in paths) == ("grids" in capabilities)
        assert any(p.startswith("/api/v1/patrols/") for p in paths) == ("patrols" in capabilities)
        assert any(p.startswith("/api/v1/cases") for p in paths)

    def test_pages_wall_and_navigation_show_the_enabled_modules(
        self, subset: tuple[FastAPI, set[str]], session: Session
    ) -> None:
        app, capabilities = subset
        grid = areas.list_areas(session, level=AreaLevel.GRID)[0]
        case_id = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
        with client_of(app) as client:
            sign_in(client, "admin")
            wall = client.get("/", headers=HTML)  # the admin lands on the wall
            assert wall.status_code == 200 and wall.url.path == "/wall"
            assert ('id="kpi-patrols"' in wall.text) == ("patrols" in capabilities)
            assert ('id="toggle-patrols"' in wall.text) == ("patrols" in capabilities)
            assert 'id="kpi-devices"' in wall.text  # the devices spine's tile, with any set of modules
            work = client.get("/work", headers=HTML)
            assert work.status_code == 200
            assert ('href="/gridwork/coverage"' in work.text) == ("grids" in capabilities)
            assert ('href="/patrols/roster"' in work.text) == ("patrols" in capabilities)
            data = client.get("/wall/data.json").json()
            assert ("patrols" in data["kpis"]) == ("patrols" in capabilities)
            assert ("patrollers" in data) == ("patrols" in capabilities)
            for page in (
                "/work",
                f"/work/cases/{case_id}",
                f"/grids/{grid.code}",
                "/report",
                "/audit",
                "/devices",
            ):
                assert client.get(page, headers=HTML).status_code in (200, 403), page
            # the grids module's area panel: registered households, key places and staff
            area_page = client.get(f"/grids/{grid.code}", headers=HTML).text
            assert ("登记户数" in area_page) == ("grids" in capabilities)
            assert (client.get("/gridwork/coverage", headers=HTML).status_code == 200) == (
                "grids" in capabilities
            )
            assert (client.get("/patrols/roster", headers=HTML).status_code == 200) == (
                "patrols" in capabilities
            )

    def test_a_module_role_lands_on_its_module_page_only_when_enabled(
        self, subset: tuple[FastAPI, set[str]]
    ) -> None:
        app, capabilities = subset
        with client_of(app) as client:
            sign_in(client, "gridworker")
            landed = client.get("/", follow_redirects=False).headers["location"]
            assert landed == ("/gridwork" if "grids" in capabilities else "/report")
        with client_of(app) as client:
            sign_in(client, "volunteer")
            landed = client.get("/", follow_redirects=False).headers["location"]
            assert landed == ("/patrol" if "patrols" in capabilities else "/report")
