"""The example module end to end, installed through the ``pingan.modules`` entry point: enabled by
PINGAN_MODULES its routes answer, its page and navigation link show, its demo generator runs, its tile is on
the wall, and a broken light raises a case through the cases spine."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.cases import routing
from pingan.core.modules import installed, resolve
from pingan.demo.generate import generate_modules
from tests.factories import auth
from tests.modules.conftest import BuildApp
from tests.web.test_pages import sign_in

HTML = {"accept": "text/html"}
pytestmark = pytest.mark.usefixtures("streetlights_installed")


@pytest.fixture
def lights(session: Session) -> None:
    """The module's demo data, made by the demo the way `pingan demo-data` makes it."""
    generate_modules(session, seed=2016, modules=[installed()["streetlights"]])
    session.commit()  # a savepoint of the test's transaction, rolled back after the test


class TestInstalled:
    def test_the_entry_point_installs_it(self, streetlights_installed: Path) -> None:
        module = installed()["streetlights"]
        assert module.title_en == "Street lights" and module.depends == ("cases", "grids")

    def test_default_runs_every_installed_module(self) -> None:
        assert "streetlights" in [m.name for m in resolve(None)]


class TestDemo:
    def test_the_generator_makes_its_category_and_lights(self, session: Session, lights: None) -> None:
        from tests.modules.streetlights import service
        from tests.modules.streetlights.module import CATEGORY

        assert routing.get_category(session, CATEGORY).name_en == "Street light broken (register)"
        from pingan.core.security import Actor

        made = service.list_lights(session, Actor.system("test"))
        assert len(made) == 30 and not any(light.is_broken for light in made)


class TestCabinets:
    """A device kind with an outage category: the spine's sweep turns an outage into one snoozable case."""

    def test_a_silent_cabinet_becomes_one_case_then_a_step_when_heard_again(
        self, session: Session, lights: None
    ) -> None:
        from pingan.cases import service as cases
        from pingan.core.clock import utcnow
        from pingan.core.security import Actor
        from pingan.devices import interface as devices
        from tests.modules.streetlights import service
        from tests.modules.streetlights.module import CABINET, CATEGORY

        light = service.list_lights(session, Actor.system("test"))[0]
        cabinets = [
            {"external_id": f"CAB-{n}", "area_code": light.area_code, "lon": light.lon, "lat": light.lat}
            for n in (1, 2)
        ]
        devices.register_devices(session, CABINET, cabinets)
        t0 = utcnow() - timedelta(days=30)  # long before any other device was heard
        devices.heard(session, CABINET, {"CAB-1": t0, "CAB-2": t0})
        cases.snooze_key(
            session, Actor.system("test"), dedupe_key=devices.outage_key(CABINET, "CAB-2"), minutes=60
        )

        report = devices.sweep(session, t0 + timedelta(minutes=31))  # stopped reporting 31 minutes ago
        assert (report.raised, report.suppressed) == (1, 1)  # CAB-1 a case; CAB-2 snoozed: suppressed
        case = devices.get_device(session, Actor.system("test"), kind=CABINET, external_id="CAB-1")
        assert case.outage_case_id is not None
        opened = cases.get_case(session, Actor.system("test"), case_id=case.outage_case_id)
        assert opened.category_code == CATEGORY
        assert devices.sweep(session, t0 + timedelta(minutes=45)).raised == 0  # a repeat opens no second case

        devices.heard(session, CABINET, {"CAB-1": t0 + timedelta(minutes=50)})
        assert devices.sweep(session, t0 + timedelta(minutes=51)).back_online == 1
        assert [e.action for e in cases.timeline(session, Actor.system("test"), case_id=opened.id)][
            -1
        ] == "device_online"


class TestEndToEnd:
    def test_a_broken_light_raises_a_case_and_shows_on_the_wall(
        self, build_app: BuildApp, session: Session, lights: None
    ) -> None:
        app = build_app("grids,patrols,streetlights")
        with TestClient(app, raise_server_exceptions=False) as client:
            client.headers.update(auth(session, "admin"))
            found = client.get("/api/v1/streetlights")
            assert found.status_code == 200 and len(found.json()) == 30
            light = found.json()[0]
            reported = client.post(f"/api/v1/streetlights/{light['id']}/broken", json={"note": "灯杆倾斜"})
            assert reported.status_code == 200, reported.text
            case_id = reported.json()["case_id"]
            case = client.get(f"/api/v1/cases/{case_id}").json()
            assert case["category_code"] == "1409" and case["source"] == "inspection"
            assert light["code"] in case["title"]
            again = client.post(f"/api/v1/streetlights/{light['id']}/broken", json={})
            assert again.json()["case_id"] == case_id  # one open case per light (deduplicated by the spine)
            del client.headers["Authorization"]
            sign_in(client, "admin")  # the pages: signed in with a cookie session
            tile = client.get("/wall/data.json").json()["kpis"]["streetlights"]
            assert tile == {"value": "1", "sub": "30 lights"}
            wall = client.get("/wall", headers=HTML).text
            assert 'id="kpi-streetlights"' in wall and "故障路灯" in wall
            page = client.get("/streetlights", headers=HTML)
            assert page.status_code == 200 and f'href="/work/cases/{case_id}"' in page.text
            assert 'href="/streetlights"' in page.text  # its navigation link, in the shared layout
            assert "/api/v1/streetlights" in client.get("/openapi.json").json()["paths"]

    def test_bad_input_is_a_4xx_naming_the_field(
        self, build_app: BuildApp, session: Session, lights: None
    ) -> None:
        with TestClient(build_app("grids,streetlights"), raise_server_exceptions=False) as client:
            client.headers.update(auth(session, "admin"))
            missing = client.post("/api/v1/streetlights/999999/broken", json={})
            assert missing.status_code == 404 and missing.json()["error"]["field"] == "light_id"
            long = client.post("/api/v1/streetlights/1/broken", json={"note": "x" * 501})
            assert long.status_code == 422 and long.json()["error"]["field"] == "note"

    def test_not_enabled_it_is_not_served(self, build_app: BuildApp) -> None:
        with TestClient(build_app("grids,patrols"), raise_server_exceptions=False) as client:
            sign_in(client, "admin")
            assert client.get("/api/v1/streetlights").status_code == 404
            assert "streetlights" not in client.get("/wall/data.json").json()["kpis"]
            assert 'href="/streetlights"' not in client.get("/work", headers=HTML).text
