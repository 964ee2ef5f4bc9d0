"""The wall's data (/wall/data.json): figures that add up and count like the KPI API, a cost that does not
grow with the open cases, one shared snapshot per scope refreshed by the live feed, and a full connection
pool answered with 503 quickly."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, update
from sqlalchemy.orm import Session

from bench.open_cases import add_open_cases
from pingan.cases.models import OPEN_STATES, Case
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.config import Settings
from pingan.core.db import create_db_engine
from pingan.core.events import bus
from pingan.web.app import create_app
from pingan.web.pages import wall_data
from tests.factories import actor, auth
from tests.web.test_pages import HTML, sign_in


def _data(client: TestClient) -> dict[str, Any]:
    r = client.get("/wall/data.json")
    assert r.status_code == 200, r.text
    return r.json()


def _statements(session: Session, fn: Any) -> tuple[int, Any]:
    """How many SQL statements ``fn`` sends, and its result."""
    seen: list[str] = []
    conn = session.connection()

    def count(*_args: Any) -> None:
        seen.append("x")

    event.listen(conn, "before_cursor_execute", count)
    try:
        result = fn()
    finally:
        event.remove(conn, "before_cursor_execute", count)
    return len(seen), result


class TestCounts:
    def test_today_counts_cases_as_the_kpi_api_does(self, client: TestClient, session: Session) -> None:
        """A merged case reported today is not a case received today, on the wall as in the KPI API."""
        today = utcnow().astimezone(LOCAL_TZ).date()
        (case_id,) = session.execute(
            select(Case.id).where(Case.state.in_([s.value for s in OPEN_STATES])).limit(1)
        ).one()
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(state="merged", reported_at=utcnow() - timedelta(minutes=5))
        )
        session.flush()
        kpi = client.get(
            "/api/v1/case-kpis",
            params={"from": today.isoformat(), "to": today.isoformat()},
            headers=auth(session, "admin"),
        ).json()["groups"]
        received = sum(g["received"] for g in kpi)
        sign_in(client)
        assert _data(client)["kpis"]["today_received"]["value"] == str(received)

    def test_patrol_tile_adds_up(self, client: TestClient) -> None:
        """On duty = online + unknown + offline + SOS: every bucket is shown."""
        sign_in(client)
        tile = _data(client)["kpis"]["patrols"]
        parts = [int(n) for n in re.findall(r"\d+", tile["sub"])]
        assert len(parts) == 4 and sum(parts) == int(tile["value"]) > 0

    def test_year_on_year_text_has_data_when_the_chart_does(
        self, client: TestClient, session: Session
    ) -> None:
        """Early in a month, before anything this month counts, last year's same days are still a base."""
        month_start = utcnow().astimezone(LOCAL_TZ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        session.execute(update(Case).where(Case.reported_at >= month_start).values(state="merged"))
        session.flush()
        sign_in(client)
        yoy = _data(client)["trends"]["yoy"]
        assert yoy["last_year"][-1] > 0
        assert "无数据" not in yoy["summary"] and re.search(r"（\d+ → 0）", yoy["summary"])

    def test_the_current_month_is_not_drawn_as_a_cliff(self, client: TestClient) -> None:
        """Month-to-date is never plotted against whole months: the point is projected and labelled."""
        sign_in(client)
        yoy = _data(client)["trends"]["yoy"]
        today = utcnow().astimezone(LOCAL_TZ).date()
        assert f"1–{today.day}日" in yoy["labels"][-1]
        if today.day > 1:
            assert yoy["this_year"][-1] is not None and yoy["projected_note"]
            assert yoy["this_year"][-1] >= 0.4 * min(yoy["this_year"][:-1])


class TestCost:
    def test_statements_do_not_grow_with_open_cases(self, session: Session) -> None:
        admin = actor(session, "admin")
        before, small = _statements(session, lambda: wall_data.build(session, admin, "330108", "zh"))
        add_open_cases(session, 1200)
        after, big = _statements(session, lambda: wall_data.build(session, admin, "330108", "zh"))
        assert after == before
        assert int(big["kpis"]["open"]["value"]) == int(small["kpis"]["open"]["value"]) + 1200
        assert len(big["markers"]) == wall_data.MARKERS and big["markers_note"]
        assert sum(g["open"] for g in big["grids"].values()) == int(big["kpis"]["open"]["value"])

    def test_markers_are_the_most_urgent(self, session: Session) -> None:
        add_open_cases(session, 900)
        data = wall_data.build(session, actor(session, "admin"), "330108", "zh")
        colours = [m["sla_color"] for m in data["markers"]]
        rank = {"red": 0, "yellow": 1, "green": 2}
        assert colours == sorted(colours, key=rank.__getitem__)


class TestSnapshots:
    def test_walls_of_a_scope_share_one_build(self, client: TestClient) -> None:
        sign_in(client)
        first = client.get("/wall/data.json").content
        snapshots = client.app.state.wall_snapshots  # type: ignore[attr-defined]
        builds = snapshots.builds
        for _ in range(5):
            assert client.get("/wall/data.json").content == first
        assert snapshots.builds == builds

    def test_a_live_change_in_scope_refreshes_it(self, client: TestClient) -> None:
        sign_in(client)
        client.get("/wall/data.json")
        snapshots = client.app.state.wall_snapshots  # type: ignore[attr-defined]
        snapshots.min_interval = 0.0
        builds = snapshots.builds
        bus.publish("cases", {"type": "case", "case": {"area_code": "99999900000000"}})  # another district
        client.get("/wall/data.json")
        assert snapshots.builds == builds
        bus.publish("cases", {"type": "case", "case": {"area_code": "33010800200201"}})
        client.get("/wall/data.json")
        assert snapshots.builds == builds + 1

    def test_languages_and_scopes_are_kept_apart(self, client: TestClient) -> None:
        sign_in(client, "street")
        street = _data(client)
        assert street["ranking_level"] == "community"
        client.get("/lang/en", headers=HTML)
        assert _data(client)["kpis"]["open"]["sub"] != street["kpis"]["open"]["sub"]


class TestPage:
    def test_a_street_wall_names_its_street(self, client: TestClient) -> None:
        sign_in(client, "street")
        header = client.get("/wall", headers=HTML).text.split("</header>")[0]
        assert "长河街道" in header

    def test_place_names_for_live_items(self, client: TestClient) -> None:
        """The page knows every community's name, so a pushed item shows the same place as a loaded one."""
        sign_in(client, "street")
        page = client.get("/wall", headers=HTML).text
        config = json.loads(page.split('id="wall-config" type="application/json">')[1].split("</script>")[0])
        assert config["places"]["330108002002"] == "月明社区" and config["places"]["330108002"] == "长河街道"


class TestFullPool:
    def test_a_full_pool_answers_503_quickly(self, settings: Settings, engine: Engine) -> None:
        small = create_db_engine(
            settings.resolved_database_url(), pool_size=1, max_overflow=0, pool_timeout=0.5
        )
        app = create_app(settings, engine=small)
        held = small.connect()
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                started = time.monotonic()
                r = client.get("/open311/v2/services.json")
                took = time.monotonic() - started
        finally:
            held.close()
            small.dispose()
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "busy" and int(r.headers["retry-after"]) >= 1
        assert took < 5

    def test_the_default_pool_timeout_is_a_few_seconds(self, settings: Settings) -> None:
        made = create_db_engine(settings.resolved_database_url())
        try:
            assert made.pool.timeout() <= 5  # type: ignore[attr-defined]
        finally:
            made.dispose()


class TestFavicon:
    def test_favicon_is_served_and_linked(self, client: TestClient) -> None:
        r = client.get("/favicon.ico")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert client.get("/static/app/favicon.svg").status_code == 200
        assert '<link rel="icon" href="/static/app/favicon.svg"' in client.get("/login", headers=HTML).text
