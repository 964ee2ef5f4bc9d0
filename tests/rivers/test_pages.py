"""The /rivers page (segments coloured by class, stations, a station's chart), its script, the wall tile."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.rivers import views
from pingan.web import i18n
from tests.factories import actor
from tests.rivers.conftest import SYSTEM
from tests.web.test_pages import sign_in


class TestPage:
    def test_the_demo_rivers_coloured_and_a_chart(self, client: TestClient, session: Session) -> None:
        sign_in(client, "admin")
        r = client.get("/rivers")
        assert r.status_code == 200, r.text
        assert r.text.count('class="segment"') >= 6 and "北塘河1号站" in r.text
        assert 'id="river-chart-data"' in r.text and "/static/vendor/echarts/echarts.min.js" in r.text
        script = client.get("/rivers/rivers.js")
        assert script.status_code == 200 and "echarts.init" in script.text
        assert script.headers["content-type"].startswith("text/javascript")

    def test_a_bad_station_is_a_4xx_not_a_500(self, client: TestClient, session: Session) -> None:
        sign_in(client, "admin")
        assert client.get("/rivers", params={"station": "x"}).status_code == 422
        assert client.get("/rivers", params={"station": 10**12}).status_code == 200  # unknown: no chart

    def test_residents_may_not(self, client: TestClient, session: Session) -> None:
        sign_in(client, "resident")
        assert client.get("/rivers").status_code == 403


class TestWallTile:
    def test_counts_stations_meeting_their_target(self, session: Session) -> None:
        tile = views.wall_tile(session, SYSTEM, "", i18n.translator("zh"))
        meeting, total = (int(x) for x in tile["value"].split("/"))
        assert total >= 6 and 0 <= meeting <= total and tile["sub"].startswith("劣V")
        english = views.wall_tile(session, SYSTEM, "", i18n.translator("en"))
        assert english["sub"].endswith("of inferior class V")
        worker = views.wall_tile(session, actor(session, "gridworker"), "", lambda key, **kw: key)
        assert worker["value"] == "–" or int(worker["value"].split("/")[1]) <= total
