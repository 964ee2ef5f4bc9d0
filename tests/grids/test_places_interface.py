"""The one register of places as other modules use it (pingan.grids.interface): the known types (built-in and
declared by enabled modules), find-or-add once, refusal of unknown types (422 naming place_type), scope; and
the example module attaching its facts to a place by its id."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.config import Settings
from pingan.core.errors import NotFound, PinganError, ValidationFailed
from pingan.core.modules import installed, resolve
from pingan.core.pii import generating_demo
from pingan.core.security import Actor
from pingan.grids import interface, registers
from pingan.grids.models import Place, RecordChange
from pingan.web.app import create_app
from tests.factories import auth
from tests.grids.conftest import point_in
from tests.modules.conftest import streetlights_installed  # noqa: F401  (the example module, installed)
from tests.web.test_pages import sign_in

P = "/api/v1/grids"


def _moved(lon: float, lat: float, metres_east: float) -> tuple[float, float]:
    return lon + metres_east / (111_320.0 * math.cos(math.radians(lat))), lat


class TestPlaceTypes:
    def test_built_in_types_have_their_names(self) -> None:
        names = {t.code: (t.name_zh, t.name_en) for t in interface.place_types(resolve("grids"))}
        assert names["restaurant"] == ("餐饮店", "Restaurant")
        assert names["construction_site"] == ("建筑工地", "Construction site")
        assert {"lpg_outlet", "school_kitchen", "pharmacy", "parcel_outlet", "rental_building"} <= set(names)

    def test_an_enabled_module_adds_its_declared_types(self, streetlights_installed: Path) -> None:  # noqa: F811
        with_it = {t.code: t for t in interface.place_types(resolve("grids,streetlights"))}
        assert with_it["lighting_cabinet"].name("zh") == "路灯控制箱"
        assert "lighting_cabinet" not in {t.code for t in interface.place_types(resolve("grids"))}
        assert "lighting_cabinet" in {
            t.code for t in interface.place_types()
        }  # PINGAN_MODULES: all installed
        assert installed()["streetlights"].place_types[0].code == "lighting_cabinet"

    def test_the_demo_has_restaurants_and_construction_sites(self, session: Session) -> None:
        counts = dict(
            session.execute(
                select(Place.place_type, func.count())
                .where(Place.place_type.in_(["restaurant", "construction_site"]))
                .group_by(Place.place_type)
            ).all()
        )
        assert 300 <= counts["restaurant"] <= 600 and 30 <= counts["construction_site"] <= 120


class TestFindOrAdd:
    def test_a_demo_generator_adds_places_without_a_pii_key(
        self, session: Session, admin: Actor, grid_a: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``pingan demo-data`` runs outside demo mode, without PINGAN_PII_KEY: the services a module's demo
        generator calls encrypt with the demo's derived key (core.pii.generating_demo), like the bulk rows."""
        plain = settings.model_copy(update={"demo_mode": False, "pii_key": ""})
        monkeypatch.setattr("pingan.core.config.get_settings", lambda: plain)
        lon, lat = point_in(session, grid_a)
        place = {"place_type": "restaurant", "name": "演示餐馆", "lon": lon, "lat": lat}
        with pytest.raises(PinganError) as refused:
            interface.find_or_add_place(session, admin, **place, responsible_phone="13912345678")
        assert refused.value.code == "pii_key_missing"
        with generating_demo():
            assert interface.find_or_add_place(session, admin, **place, responsible_phone="13912345678").added

    def test_a_place_found_twice_is_added_once(self, session: Session, admin: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        first = interface.find_or_add_place(
            session,
            admin,
            place_type="restaurant",
            name="老杭帮菜馆（滨江店）",
            address="江南大道 100 号",
            lon=lon,
            lat=lat,
            responsible_name="王小明",
            responsible_phone="13912345678",
            source="inspections",
        )
        assert first.added and first.place.area_code == grid_a and first.place.place_type == "restaurant"
        again = interface.find_or_add_place(
            session,
            admin,
            place_type="餐饮店",  # the type's name is as good as its code
            name="老杭帮菜馆(滨江店)",  # half-width brackets, same name
            address="江南大道100号",
            lon=lon + 0.003,  # ~300 m off (another GPS fix), same address
            lat=lat,
        )
        assert not again.added and again.place.id == first.place.id
        history = registers.record_history(session, admin, record_type="place", record_id=first.place.id)
        assert [(h.action, h.source) for h in history] == [("create", "inspections")]
        stored = session.get(Place, first.place.id)
        assert stored is not None and stored.responsible_name_masked == "王*明"
        assert stored.responsible_name_enc and b"\xe7\x8e\x8b" not in stored.responsible_name_enc
        assert "王小明" not in str(history[0].changes) and "13912345678" not in str(history[0].changes)

    def test_same_name_within_30_m_is_the_same_place(
        self, session: Session, admin: Actor, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        kw = {"place_type": "construction_site", "name": "测试工地一标段"}
        first = interface.find_or_add_place(session, admin, **kw, address="滨安路1号", lon=lon, lat=lat)
        near = interface.find_or_add_place(
            session, admin, **kw, address="", lon=_moved(lon, lat, 20)[0], lat=lat
        )
        assert near.place.id == first.place.id and not near.added
        far_lon = _moved(lon, lat, 60)[0]
        far = interface.find_or_add_place(session, admin, **kw, address="滨安路9号", lon=far_lon, lat=lat)
        assert far.added and far.place.id != first.place.id
        other_type = interface.find_or_add_place(
            session,
            admin,
            place_type="restaurant",
            name="测试工地一标段",
            address="滨安路1号",
            lon=lon,
            lat=lat,
        )
        assert other_type.added

    def test_an_unknown_type_is_refused_naming_place_type(
        self, session: Session, admin: Actor, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        before = session.scalar(select(func.count()).select_from(Place))
        with pytest.raises(ValidationFailed) as err:
            interface.find_or_add_place(
                session, admin, place_type="spaceport", name="x", address="", lon=lon, lat=lat
            )
        assert err.value.field == "place_type" and err.value.status == 422
        assert session.scalar(select(func.count()).select_from(Place)) == before

    def test_a_module_attaches_its_facts_to_a_place_of_its_type(
        self,
        session: Session,
        admin: Actor,
        grid_a: str,
        streetlights_installed: Path,  # noqa: F811
    ) -> None:
        from tests.modules.streetlights import service
        from tests.modules.streetlights.models import StreetLight

        lon, lat = point_in(session, grid_a)
        lights = [StreetLight(code=f"T-{n}", area_code=grid_a, lon=lon, lat=lat) for n in range(2)]
        session.add_all(lights)
        session.flush()
        cabinets = [
            service.attach_cabinet(
                session,
                admin,
                light_id=light.id,
                name="江南大道3号控制箱",
                address="江南大道3号",
                lon=lon,
                lat=lat,
            )
            for light in lights
        ]
        assert cabinets[0].id == cabinets[1].id and cabinets[0].place_type == "lighting_cabinet"
        assert [light.cabinet_place_id for light in lights] == [cabinets[0].id] * 2
        assert interface.get_place(session, cabinets[0].id, admin).name == "江南大道3号控制箱"
        assert (
            session.scalar(
                select(func.count()).where(
                    RecordChange.record_type == "place", RecordChange.record_id == cabinets[0].id
                )
            )
            == 1
        )


class TestScope:
    def test_reads_and_finds_only_inside_the_actors_scope(
        self, session: Session, admin: Actor, gridworker: Actor, grid_a: str, grid_b: str
    ) -> None:
        lon, lat = point_in(session, grid_b)
        theirs = interface.find_or_add_place(
            session, admin, place_type="pharmacy", name="别处药店", address="", lon=lon, lat=lat
        ).place
        assert interface.get_place(session, theirs.id).id == theirs.id  # no actor: the module's own job
        with pytest.raises(NotFound):
            interface.get_place(session, theirs.id, gridworker)
        with pytest.raises(NotFound):  # not visible, so neither found nor added by the grid worker
            interface.find_or_add_place(
                session, gridworker, place_type="pharmacy", name="别处药店", address="", lon=lon, lat=lat
            )
        mine, total = interface.list_places(session, actor=gridworker, types=["pharmacy", "restaurant"])
        assert total == len(mine) and {p.area_code for p in mine} <= {grid_a}
        everywhere, total_all = interface.list_places(session, types=["pharmacy"], area_codes=[grid_b[:9]])
        assert theirs.id in {p.id for p in everywhere} or total_all > len(everywhere)
        assert all(p.place_type == "pharmacy" and p.area_code.startswith(grid_b[:9]) for p in everywhere)

    def test_list_places_checks_its_arguments(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as err:
            interface.list_places(session, types=["spaceport"])
        assert err.value.field == "place_type"
        with pytest.raises(ValidationFailed) as err:
            interface.list_places(session, limit=0)
        assert err.value.field == "limit"


class TestTheRegistersOwnEdits:
    def test_api_accepts_a_module_type_and_refuses_an_unknown_one(
        self,
        session: Session,
        settings: object,
        engine: object,
        session_factory: object,
        grid_a: str,
        streetlights_installed: Path,  # noqa: F811
    ) -> None:
        app = create_app(settings.model_copy(update={"modules": "grids,streetlights"}), engine=engine)  # type: ignore[attr-defined]
        app.state.session_factory = session_factory
        lon, lat = point_in(session, grid_a)
        with TestClient(app, raise_server_exceptions=False) as client:
            h = auth(session, "admin")
            client.headers.update(h)
            types = {t["code"]: t for t in client.get(f"{P}/place-types", headers=h).json()}
            assert types["lighting_cabinet"]["module"] == "streetlights"
            assert types["restaurant"] == {
                "code": "restaurant",
                "name_zh": "餐饮店",
                "name_en": "Restaurant",
                "module": "grids",
            }
            body = {"place_type": "lighting_cabinet", "name": "控制箱A", "lon": lon, "lat": lat}
            made = client.post(f"{P}/places", headers=h, json=body)
            assert made.status_code == 201 and made.json()["place_type"] == "lighting_cabinet"
            refused = client.post(f"{P}/places", headers=h, json={**body, "place_type": "spaceport"})
            assert refused.status_code == 422 and refused.json()["error"]["field"] == "place_type"
            changed = client.patch(f"{P}/places/{made.json()['id']}", headers=h, json={"place_type": "nope"})
            assert changed.status_code == 422 and changed.json()["error"]["field"] == "place_type"
            assert (
                client.get(f"{P}/places/{made.json()['id']}", headers=h).json()["place_type"]
                == "lighting_cabinet"
            )
            del client.headers["Authorization"]
            sign_in(client, "admin")  # the grid page names the places' types, in the page's language
            page = client.get(f"/grids/{grid_a}", headers={"accept": "text/html"})
            assert page.status_code == 200 and "路灯控制箱 1" in page.text
            client.cookies.set("pingan_lang", "en")
            assert (
                "Street-light cabinet 1"
                in client.get(f"/grids/{grid_a}", headers={"accept": "text/html"}).text
            )

    def test_import_takes_a_types_name_and_export_shows_it(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        h = auth(session, "admin")
        header = "场所类型|place_type,名称|name,经度|lon,纬度|lat\n"
        good = f"{header}餐饮店,导入测试餐馆,{lon},{lat}\n".encode()
        done = client.post(f"{P}/import?kind=places", headers=h, files={"file": ("p.csv", good, "text/csv")})
        assert done.status_code == 200, done.text
        bad = f"{header}spaceport,导入测试二,{lon},{lat}\n".encode()
        refused = client.post(
            f"{P}/import?kind=places", headers=h, files={"file": ("p.csv", bad, "text/csv")}
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["field"] == "place_type"
        exported = client.get(f"{P}/export?kind=places&type=restaurant&area_code={grid_a}", headers=h)
        assert exported.status_code == 200, exported.text
        sheet = load_workbook(io.BytesIO(exported.content)).active
        assert sheet is not None
        rows = [[str(c.value) for c in row] for row in sheet.iter_rows()]
        assert rows[0][1:4] == [
            "场所类型|place_type",
            "场所类型名称|place_type_zh",
            "place type name|place_type_en",
        ]
        assert ["restaurant", "餐饮店", "Restaurant", "导入测试餐馆"] in [r[1:5] for r in rows]
