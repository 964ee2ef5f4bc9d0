"""Module routers are included behind a prefix check: a request outside their routes' shared literal prefix
skips them; nothing else changes."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Scope

from pingan.web.routing import PrefixRouter, include, literal_prefix


def _app() -> tuple[FastAPI, APIRouter, list[str]]:  # as the application includes module routers
    calls: list[str] = []
    things = APIRouter(prefix="/api/v1/things")

    @things.get("")
    def list_things() -> list[int]:
        calls.append("list")
        return [1]

    @things.get("/{thing_id}")
    def one_thing(thing_id: int) -> dict[str, int]:
        calls.append("one")
        return {"id": thing_id}

    mixed = APIRouter()

    @mixed.get("/api/v1/thing-kinds")
    def kinds() -> list[str]:
        return ["a"]

    @mixed.post("/api/v1/thing-kinds/{kind}/ping")
    def ping(kind: str) -> dict[str, str]:
        return {"kind": kind}

    app = FastAPI()
    include(app, things)
    include(app, mixed)

    @app.get("/last")
    def last() -> dict[str, bool]:
        return {"ok": True}

    return app, things, calls


class TestLiteralPrefix:
    def test_shared_beginning_before_parameters(self) -> None:
        _, things, _ = _app()
        assert literal_prefix(things.routes) == "/api/v1/things"

    def test_no_routes_no_prefix(self) -> None:
        assert literal_prefix([]) == ""


class TestRouting:
    def test_outside_the_prefix_no_route_is_tried(self, monkeypatch: pytest.MonkeyPatch) -> None:
        app, _, _ = _app()
        tried: list[str] = []
        original = APIRoute.matches

        def spy(route: APIRoute, scope: Scope) -> tuple[Match, Scope]:
            tried.append(route.path)
            return original(route, scope)

        monkeypatch.setattr(APIRoute, "matches", spy)
        with TestClient(app) as client:
            assert client.get("/last").json() == {"ok": True}
            assert not [p for p in tried if p.startswith("/api/")], tried
            tried.clear()
            assert client.get("/api/v1/thing-kinds").json() == ["a"]
            assert not [p for p in tried if p.startswith("/api/v1/things")], tried

    def test_every_kind_of_route_still_answers(self) -> None:
        app, _, calls = _app()
        with TestClient(app) as client:
            assert client.get("/api/v1/things").json() == [1]
            assert client.get("/api/v1/things/7").json() == {"id": 7}
            assert client.get("/api/v1/thing-kinds").json() == ["a"]
            assert client.post("/api/v1/thing-kinds/x/ping").json() == {"kind": "x"}
            assert client.get("/last").json() == {"ok": True}
            assert client.get("/api/v1/things/not-a-number").status_code == 422
            assert client.post("/api/v1/things").status_code == 405  # a partial match is kept
            assert client.get("/api/v1/nothing").status_code == 404
            redirected = client.get("/api/v1/things/7/", follow_redirects=False)
            assert redirected.status_code == 307 and redirected.headers["location"].endswith(
                "/api/v1/things/7"
            )
        assert calls == ["list", "one"]

    def test_root_path_is_taken_off(self) -> None:
        app, _, _ = _app()
        with TestClient(app, root_path="/pingan") as client:
            assert client.get("/pingan/api/v1/things/3").json() == {"id": 3}


def test_every_router_of_the_application_skips_by_prefix(app: FastAPI) -> None:
    """Each module's router is included through ``include``: one included directly would make every request
    behind it slower."""
    included = [r for r in app.router.routes if hasattr(r, "original_router")]
    assert included, "the application includes module routers"
    for route in included:
        assert isinstance(route.original_router, PrefixRouter), route.original_router
