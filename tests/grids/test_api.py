"""/api/v1/grids: a grid worker of grid A can neither read, list, count, export nor change grid B."""

from __future__ import annotations

import base64
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from pingan.core.security import Actor
from pingan.grids import buildings, households, residents
from tests.factories import auth
from tests.grids.conftest import id_number, point_in

P = "/api/v1/grids"
SYSTEM = Actor.system("test")


def _resident(session: Session, grid: str, n: int) -> int:
    lon, lat = point_in(session, grid)
    b = buildings.create_building(session, SYSTEM, address=f"接口路{n}号", lon=lon, lat=lat)
    hh = households.create_household(session, SYSTEM, building_id=b.id, room="101")
    return residents.create_resident(
        session, SYSTEM, household_id=hh.id, name="接口测试", id_number=id_number(n)
    ).id


class TestScope:
    def test_grid_b_is_invisible_to_the_grid_worker_of_a(
        self, client: TestClient, session: Session, grid_a: str, grid_b: str
    ) -> None:
        h = auth(session, "gridworker")
        other = _resident(session, grid_b, 1200)
        assert client.get(f"{P}/residents/{other}", headers=h).status_code == 404
        assert (
            client.patch(f"{P}/residents/{other}", headers=h, json={"phone": "13800000000"}).status_code
            == 404
        )
        assert (
            client.post(
                f"{P}/residents/{other}/reveal",
                headers=h,
                json={"fields": ["phone"], "purpose": "verify_identity", "reason": "看看是谁"},
            ).status_code
            == 404
        )
        assert client.get(f"{P}/history/resident/{other}", headers=h).status_code == 404
        listed = client.get(f"{P}/residents", headers=h, params={"area_code": grid_b}).json()
        assert listed["total"] == 0 and listed["items"] == []
        mine = client.get(f"{P}/residents", headers=h, params={"limit": 500}).json()
        assert mine["total"] > 0 and {r["area_code"] for r in mine["items"]} == {grid_a}
        coverage = client.get(f"{P}/coverage/grids", headers=h).json()
        assert [r["area_code"] for r in coverage] == [grid_a]
        export = client.get(f"{P}/export", headers=h, params={"kind": "residents", "format": "csv"})
        assert export.status_code == 200 and grid_b not in export.text and grid_a in export.text
        lon, lat = point_in(session, grid_b)
        made = client.post(f"{P}/buildings", headers=h, json={"address": "越界", "lon": lon, "lat": lat})
        assert made.status_code == 404

    def test_masked_in_every_read(self, client: TestClient, session: Session, grid_a: str) -> None:
        rid = _resident(session, grid_a, 1201)
        body = client.get(f"{P}/residents/{rid}", headers=auth(session, "gridworker")).json()
        assert body["name"] == "接**试" and "*" in body["id_number"] and id_number(1201) not in str(body)

    def test_anonymous_is_401(self, client: TestClient) -> None:
        assert client.get(f"{P}/residents").status_code == 401


class TestResidentsApi:
    def test_bad_id_number_names_the_field(self, client: TestClient, session: Session, grid_a: str) -> None:
        rid = _resident(session, grid_a, 1202)
        hh = residents.get_resident(session, SYSTEM, rid).household_id
        bad = id_number(1203)[:-1] + ("0" if id_number(1203)[-1] != "0" else "1")
        r = client.post(
            f"{P}/residents",
            headers=auth(session, "gridworker"),
            json={"household_id": hh, "name": "错误", "id_number": bad},
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "id_number"

    def test_reveal_returns_full_values(self, client: TestClient, session: Session, grid_a: str) -> None:
        rid = _resident(session, grid_a, 1204)
        r = client.post(
            f"{P}/residents/{rid}/reveal",
            headers=auth(session, "gridworker"),
            json={"fields": ["id_number"], "purpose": "verify_identity", "reason": "核对身份信息"},
        )
        assert r.status_code == 200 and r.json() == {"id_number": id_number(1204)}


class TestImportApi:
    def test_multipart_valid_rows_with_error_file(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        good = id_number(1301)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        csv = (
            "网格编码,地址,经度,纬度,房号,姓名,身份证号,手机号\n"
            f"{grid_a},接口导入路1号,{lon},{lat},201,甲,{id_number(1300)},13800001300\n"
            f"{grid_a},接口导入路1号,{lon},{lat},202,乙,{bad},13800001301\n"
        )
        r = client.post(
            f"{P}/import",
            headers=auth(session, "gridworker"),
            files={"file": ("r.csv", csv.encode(), "text/csv")},
            data={"kind": "residents", "valid_rows_only": "true"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["imported"], body["rejected"]) == (1, 1) and body["errors"][0]["field"] == "id_number"
        ws = load_workbook(io.BytesIO(base64.b64decode(body["error_file_base64"]))).active
        assert ws is not None and list(ws.iter_rows(values_only=True))[1][0] == 3

    def test_all_or_nothing_is_422(self, client: TestClient, session: Session, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        csv = f"地址,经度,纬度,房号,姓名,身份证号\n路,{lon},{lat},1,丙,123\n"
        r = client.post(
            f"{P}/import",
            headers=auth(session, "gridworker"),
            content=csv.encode(),
            params={"kind": "residents"},
        )
        assert r.status_code == 422 and r.json()["error"]["details"][0]["row"] == 2

    def test_template_download(self, client: TestClient, session: Session) -> None:
        r = client.get(f"{P}/template", headers=auth(session, "gridworker"), params={"kind": "places"})
        assert r.status_code == 200 and r.content[:2] == b"PK"


class TestVisitAndTaskApi:
    def test_grid_worker_records_a_visit_and_acknowledges_a_task(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        rid = _resident(session, grid_a, 1400)
        hh = residents.get_resident(session, SYSTEM, rid).household_id
        h = auth(session, "gridworker")
        visit = client.post(
            f"{P}/visits",
            headers=h,
            json={
                "household_id": hh,
                "notes": "走访",
                "issues": [{"description": "消防通道堵塞", "category_code": "0701", "raise_case": True}],
            },
        )
        assert visit.status_code == 201, visit.text
        assert visit.json()["cases"][0]["number"]
        admin = auth(session, "admin")
        task = client.post(
            f"{P}/tasks",
            headers=admin,
            json={"title": "G20 前出租房瓶装燃气排查", "area_codes": [grid_a[:9]]},
        )
        assert task.status_code == 201
        tid = task.json()["id"]
        ack = client.post(f"{P}/tasks/{tid}/grids/{grid_a}/acknowledge", headers=h)
        assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "gridworker"
        board = client.get(f"{P}/tasks/{tid}", headers=admin).json()
        assert board["summary"]["acknowledged"] == 1 and board["summary"]["grids"] > 1
        mine = client.get(f"{P}/tasks/{tid}", headers=h).json()
        assert [g["area_code"] for g in mine["grids"]] == [grid_a]

    def test_district_coverage_by_cadre(self, client: TestClient, session: Session) -> None:
        rows = client.get(f"{P}/coverage/cadres", headers=auth(session, "admin")).json()
        assert len(rows) == 300 and any(r["visits"] == 0 for r in rows) is not None
        assert all(0 <= r["share"] <= 1 for r in rows)


class TestOpinionApi:
    def test_resident_submits_staff_turn_it_into_a_case(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        op = client.post(
            f"{P}/opinions",
            headers=auth(session, "resident"),
            json={"content": "路灯坏了", "lon": lon, "lat": lat},
        )
        assert op.status_code == 201
        oid = op.json()["id"]
        case = client.post(
            f"{P}/opinions/{oid}/case", headers=auth(session, "gridworker"), json={"category_code": "1402"}
        )
        assert case.status_code == 200 and case.json()["state"] == "case" and case.json()["case_number"]
        mine = client.get(f"{P}/opinions", headers=auth(session, "resident")).json()
        assert [o["id"] for o in mine["items"]] == [oid]


class TestBadInput:
    def test_never_a_500(self, client: TestClient, session: Session, grid_a: str) -> None:
        h = auth(session, "gridworker")
        rid = _resident(session, grid_a, 1500)
        resident = residents.get_resident(session, SYSTEM, rid)
        hh = households.get_household(session, SYSTEM, resident.household_id or 0)
        bid = hh.building_id
        assert (
            client.patch(f"{P}/buildings/{bid}", headers=h, json={"floors": -1}).json()["error"]["field"]
            == "floors"
        )
        assert (
            client.patch(f"{P}/buildings/{bid}", headers=h, json={"lon": None, "floors": 6}).status_code
            == 200
        )
        r = client.patch(f"{P}/residents/{rid}", headers=h, json={"household_id": None})
        assert r.status_code == 422 and r.json()["error"]["field"] == "household_id"
        r = client.post(f"{P}/visits", headers=h, json={"household_id": hh.id, "lon": 120.2})
        assert r.status_code == 422 and r.json()["error"]["field"] == "lat"
        r = client.post(f"{P}/tasks", headers=auth(session, "admin"), json={"title": "x", "area_codes": []})
        assert r.status_code == 422 and r.json()["error"]["field"] == "area_codes"
        r = client.get(f"{P}/residents", headers=h, params={"id_number": "123"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "id_number"
        r = client.get(f"{P}/places", headers=h, params={"type": "casino"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "place_type"
        r = client.post(f"{P}/import", headers=h, content=b"", params={"kind": "residents"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "file"
        r = client.post(f"{P}/import", headers=h, content=b"PK\x03\x04garbage", params={"kind": "residents"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "file"


class TestHistoryReveal:
    def test_history_lists_what_may_be_revealed_and_the_reveal_shows_old_and_new(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        h = auth(session, "gridworker")
        rid = _resident(session, grid_a, 1300)
        assert (
            client.patch(f"{P}/residents/{rid}", headers=h, json={"phone": "13800001111"}).status_code == 200
        )
        assert (
            client.patch(f"{P}/residents/{rid}", headers=h, json={"phone": "13899991111"}).status_code == 200
        )
        entries = client.get(f"{P}/history/resident/{rid}", headers=h).json()
        last = entries[-1]
        assert last["changes"] == {"phone": ["138****1111", "138****1111"]} and last["revealable"] == [
            "phone"
        ]
        url = f"{P}/history/changes/{last['id']}/reveal"
        asked = {"fields": ["phone"], "purpose": "data_correction"}
        no_reason = client.post(url, headers=h, json={**asked, "reason": ""})
        assert no_reason.status_code == 422
        not_changed = client.post(url, headers=h, json={**asked, "fields": ["name"], "reason": "核对号码"})
        assert not_changed.status_code == 422 and not_changed.json()["error"]["field"] == "fields"
        shown = client.post(url, headers=h, json={**asked, "reason": "核对号码"})
        assert shown.json() == {"phone": {"old": "13800001111", "new": "13899991111"}}
