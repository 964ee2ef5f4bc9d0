"""The cameras API and pages: register, ID explanation, import/export with row errors, coverage, the
cameras that see a case (API and case page), the wall tile, the pages in Chinese and English."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from pingan.cameras import coverage, service
from pingan.cases import service as cases
from pingan.web.i18n import LANG_COOKIE
from tests.cameras.conftest import SYSTEM, MakeCamera, new_id
from tests.factories import actor, auth
from tests.grids.conftest import point_in
from tests.web.test_pages import HTML, sign_in

P = "/api/v1/cameras"


class TestRegister:
    def test_create_read_update_list(
        self, client: TestClient, session: Session, grids: tuple[str, str]
    ) -> None:
        lon, lat = point_in(session, grids[0])
        gb = new_id()
        body = {
            "gb_id": gb,
            "name": "东信大道口",
            "lon": lon,
            "lat": lat,
            "direction_deg": 45,
            "fov_deg": 90,
            "range_m": 60,
            "owner_unit": "滨江公安分局",
            "contract_expires_on": "2027-12-31",
            "sip_password": "a-secret-1",
        }
        headers = auth(session, "street")
        r = client.post(P, json=body, headers=headers)
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["area_code"] == grids[0] and made["status"] == "unknown" and made["has_sip_password"]
        assert "sip_password" not in made and "a-secret-1" not in r.text
        r = client.patch(f"{P}/{gb}", json={"road": "东信大道"}, headers=headers)
        assert r.status_code == 200 and r.json()["road"] == "东信大道"
        page = client.get(P, params={"q": "东信大道口", "limit": 1}, headers=headers).json()
        assert page["total"] == 1 and page["items"][0]["gb_id"] == gb
        assert client.post(P, json=body, headers=headers).status_code == 409

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"gb_id": "33010800009990000001"}, "gb_id"),
            ({"direction_deg": -5}, "direction_deg"),
            ({"lon": "east"}, "lon"),
            ({"install_date": "yesterday"}, "install_date"),
            ({"platform": "nope"}, "platform"),
        ],
    )
    def test_bad_input_is_a_4xx_naming_the_field(
        self, client: TestClient, session: Session, grids: tuple[str, str], change: dict, field: str
    ) -> None:
        lon, lat = point_in(session, grids[0])
        body = {"gb_id": new_id(), "name": "x", "lon": lon, "lat": lat, **change}
        r = client.post(P, json=body, headers=auth(session, "admin"))
        assert r.status_code == 422 and field in r.json()["error"]["field"], r.text

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"role": "toaster"}, "role"),
            ({"type": "999"}, "type"),
            ({"area": "x"}, "area"),
            ({"limit": 0}, "limit"),
        ],
    )
    def test_bad_filters(self, client: TestClient, session: Session, params: dict, field: str) -> None:
        r = client.get(P, params=params, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == field

    def test_explain_an_id(self, client: TestClient, session: Session) -> None:
        r = client.get(f"{P}/gbid/33010802001180000007", headers=auth(session, "gridworker"))
        assert r.status_code == 200 and r.json()["type_zh"] == "网络视频录像机 NVR"
        bad = client.get(f"{P}/gbid/3301080200118", headers=auth(session, "gridworker"))
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "gb_id"
        assert "20 digits" in bad.json()["error"]["message"]


class TestImportExport:
    def _csv(self, session: Session, grids: tuple[str, str], cam: str, *extra: str) -> tuple[bytes, str]:
        lon, lat = point_in(session, grids[0])
        nvr = new_id("118")
        lines = [
            "国标编码|gb_id,名称|name,上级设备国标编码|parent_gb_id,经度|lon,纬度|lat,朝向(度)|direction_deg,安装日期|install_date",
            f"{cam},路口枪机,{nvr},{lon},{lat},90,2020-03-01",
            f"{nvr},路口NVR,,{lon},{lat},,2020-03-01",
            *extra,
        ]
        return "\n".join(lines).encode(), nvr

    def test_every_row_checked_and_nothing_written_on_errors(
        self, client: TestClient, session: Session, grids: tuple[str, str], make_camera: MakeCamera
    ) -> None:
        taken, cam = make_camera().gb_id, new_id()
        data, _nvr = self._csv(
            session,
            grids,
            cam,
            f"{cam},重复,,,,,",
            "12345,坏编码,,,,,",
            f"{taken},已登记,,120.2,30.2,,",
            f"{new_id()},坏朝向,,120.2,30.2,720,",
        )
        r = client.post(
            f"{P}/import", content=data, headers={**auth(session, "admin"), "content-type": "text/csv"}
        )
        assert r.status_code == 422, r.text
        problems = {(d["row"], d["field"]) for d in r.json()["error"]["details"]}
        assert problems == {(4, "gb_id"), (5, "gb_id"), (6, "gb_id"), (7, "direction_deg")}
        assert client.get(f"{P}/{cam}", headers=auth(session, "admin")).status_code == 404

        r = client.post(
            f"{P}/import",
            params={"valid_rows_only": "true"},
            content=data,
            headers={**auth(session, "admin"), "content-type": "text/csv"},
        )
        assert r.status_code == 200 and (r.json()["imported"], r.json()["rejected"]) == (2, 4)
        made = client.get(f"{P}/{cam}", headers=auth(session, "admin")).json()
        assert made["parent_gb_id"] is not None and made["direction_deg"] == 90

    def test_an_export_imports_again(
        self, client: TestClient, session: Session, make_camera: MakeCamera, grids: tuple[str, str]
    ) -> None:
        camera = make_camera(owner_unit="导出测试单位")
        r = client.get(f"{P}/export", params={"area": grids[0]}, headers=auth(session, "admin"))
        assert r.status_code == 200
        sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "国标编码|gb_id" and any(row[0] == camera.gb_id for row in rows[1:])
        # the same file imported: every row is a duplicate now
        r = client.post(
            f"{P}/import", files={"file": ("cameras.xlsx", r.content)}, headers=auth(session, "admin")
        )
        assert r.status_code == 422 and all(d["field"] == "gb_id" for d in r.json()["error"]["details"])


class TestCoverage:
    def test_the_cameras_that_see_a_point_nearest_first(
        self, session: Session, make_camera: MakeCamera
    ) -> None:
        far = make_camera(direction_deg=0, fov_deg=90, range_m=100)
        assert far.lon is not None and far.lat is not None
        north = far.lat + 40 / 111_320  # 40 m north: in view of a north-facing camera
        near = make_camera(lon=far.lon, lat=far.lat + 30 / 111_320, fov_deg=360, range_m=50)
        away = make_camera(
            lon=far.lon, lat=far.lat, direction_deg=180, fov_deg=60, range_m=100
        )  # faces south
        seen = [s.camera.gb_id for s in coverage.covering(session, SYSTEM, lon=far.lon, lat=north)]
        assert seen.index(near.gb_id) < seen.index(far.gb_id) and away.gb_id not in seen

    def test_a_case_lists_the_cameras_that_see_it_in_the_api_and_on_its_page(
        self, client: TestClient, session: Session, make_camera: MakeCamera
    ) -> None:
        platform, _ = service.create_platform(
            session,
            SYSTEM,
            code=f"v{new_id()[-6:]}",
            name="平台",
            link_template="https://vms.example/play?id={gb_id}",
        )
        camera = make_camera(fov_deg=360, range_m=80, platform=platform.code, name="案发点球机")
        assert camera.lon is not None and camera.lat is not None
        case = cases.submit_report(
            session,
            SYSTEM,
            category_code="0102",
            description="垃圾暴露",
            source="resident_web",
            lon=camera.lon + 0.0001,
            lat=camera.lat,
        )
        r = client.get(f"{P}/for-case/{case.id}", headers=auth(session, "admin"))
        assert r.status_code == 200, r.text
        first = r.json()[0]
        assert first["camera"]["gb_id"] == camera.gb_id and first["distance_m"] < 20
        assert first["camera"]["video_url"] == f"https://vms.example/play?id={camera.gb_id}"
        sign_in(client, "admin")
        page = client.get(f"/work/cases/{case.id}", headers=HTML)
        assert page.status_code == 200 and 'id="camera-panel"' in page.text and "案发点球机" in page.text

    def test_coverage_per_street_and_the_gaps(self, client: TestClient, session: Session) -> None:
        rows = client.get(f"{P}/coverage", headers=auth(session, "admin")).json()
        assert len(rows) == 3 and all(0 < r["share"] <= 1 for r in rows)
        gaps = client.get(f"{P}/coverage/roads", headers=auth(session, "admin")).json()
        assert gaps and all(g["unseen_m"] > 0 for g in gaps)
        street = client.get(f"{P}/coverage", headers=auth(session, "street")).json()
        assert [r["area_code"] for r in street] == ["330108002"]


class TestPages:
    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_register_camera_and_board_pages(
        self, client: TestClient, session: Session, make_camera: MakeCamera, lang: str
    ) -> None:
        camera = make_camera(name="页面测试机")
        client.cookies.set(LANG_COOKIE, lang)
        sign_in(client, "street")
        listing = client.get("/cameras", params={"q": "页面测试机"}, headers=HTML)
        assert listing.status_code == 200 and camera.gb_id in listing.text
        assert ("Cameras registered" if lang == "en" else "建档摄像机") in listing.text
        one = client.get(f"/cameras/{camera.gb_id}", headers=HTML)
        assert one.status_code == 200 and ("IP camera" if lang == "en" else "网络摄像机 IPC") in one.text
        board = client.get("/cameras/board", params={"by": "owner", "days": 3}, headers=HTML)
        assert board.status_code == 200 and 'id="online-rates"' in board.text
        assert client.get("/cameras/33010800009990000001", headers=HTML).status_code in (404, 422)

    def test_residents_and_anonymous_get_no_page(self, client: TestClient) -> None:
        assert client.get("/cameras", headers=HTML, follow_redirects=False).status_code in (302, 303)

    def test_the_walls_online_rate_tile(self, client: TestClient, session: Session) -> None:
        sign_in(client, "admin")
        data = client.get("/wall/data.json").json()
        tile = data["kpis"]["cameras"]
        assert tile["value"].endswith("%") and 90 < float(tile["value"][:-1]) < 100
        points = data["cameras"]  # the map layer behind the tile's toggle
        assert points and all(p["status"] == "offline" for p in points)
        _ = actor(session, "admin")


class TestPageForms:
    def test_register_a_camera_from_the_page_and_errors_by_field(
        self, client: TestClient, session: Session, grids: tuple[str, str]
    ) -> None:
        from tests.web.test_pages import csrf

        sign_in(client, "street")
        lon, lat = point_in(session, grids[0])
        gb = new_id()
        form = {
            "csrf_token": csrf(client),
            "gb_id": gb,
            "name": "表单登记机",
            "lon": str(lon),
            "lat": str(lat),
            "direction_deg": "720",
        }
        bad = client.post("/cameras/new", data=form, headers=HTML, follow_redirects=False)
        assert bad.status_code == 422 and 'id="err-direction_deg"' in bad.text and "朝向(度)" in bad.text
        form["direction_deg"] = "90"
        good = client.post("/cameras/new", data=form, headers=HTML, follow_redirects=False)
        assert good.status_code == 303 and good.headers["location"] == f"/cameras/{gb}"

    def test_import_from_the_page_lists_the_row_errors(self, client: TestClient, session: Session) -> None:
        from tests.web.test_pages import csrf

        sign_in(client, "admin")
        data = "国标编码|gb_id,名称|name,经度|lon,纬度|lat\n12345,坏编码,120.2,30.2\n".encode()
        r = client.post(
            "/cameras/import",
            data={"csrf_token": csrf(client)},
            files={"file": ("c.csv", data)},
            headers=HTML,
        )
        assert r.status_code == 422 and 'id="import-report"' in r.text and "20 digits" in r.text


class TestPlatformsPage:
    def test_an_administrator_registers_a_platform_and_sees_its_token_once(
        self, client: TestClient, session: Session
    ) -> None:
        from tests.web.test_pages import csrf

        sign_in(client, "admin")
        code = f"p{new_id()[-6:]}"
        form = {
            "csrf_token": csrf(client),
            "code": code,
            "name": "测试平台",
            "link_template": "ftp://x/{gb_id}",
        }
        bad = client.post("/cameras/platforms", data=form, headers=HTML)
        assert bad.status_code == 422 and 'id="err-link_template"' in bad.text
        form["link_template"] = "https://vms.example/play?id={gb_id}"
        made = client.post("/cameras/platforms", data=form, headers=HTML)
        assert made.status_code == 201 and 'id="platform-token"' in made.text
        token = made.text.split('id="platform-token">')[1].split("<")[0]
        assert service.platform_by_token(session, token) is not None
        listing = client.get("/cameras/platforms", headers=HTML)
        assert code in listing.text and token not in listing.text and "binjiang-vms" in listing.text

    def test_a_street_operator_reads_but_registers_none(self, client: TestClient, session: Session) -> None:
        from tests.web.test_pages import csrf

        sign_in(client, "street")
        page = client.get("/cameras/platforms", headers=HTML)
        assert page.status_code == 200 and 'id="platform-form"' not in page.text
        form = {"csrf_token": csrf(client), "code": "nope", "name": "x"}
        assert client.post("/cameras/platforms", data=form, headers=HTML).status_code == 403
