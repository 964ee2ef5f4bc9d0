"""Grid worker, cadre and district pages: day page, visits, tasks, residents list, register import."""

from __future__ import annotations

import base64
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.security import Actor
from pingan.grids import tasks, visits
from pingan.grids.models import Resident
from tests.factories import auth
from tests.grids.conftest import point_in
from tests.grids.test_io import _row, _xlsx

SYSTEM = Actor.system("test")


class TestMyGrids:
    def test_page_lists_tasks_and_households(self, client: TestClient, session: Session, grid_a: str) -> None:
        r = client.get("/gridwork", headers=auth(session, "gridworker"))
        assert r.status_code == 200
        assert "G20 前出租房瓶装燃气排查" in r.text and 'name="household_id"' in r.text

    def test_categories_are_named_in_the_pages_language(self, client: TestClient, session: Session) -> None:
        h = auth(session, "gridworker")
        zh = client.get("/gridwork", headers=h).text
        assert '<option value="0701">消防通道堵塞</option>' in zh and ">0701<" not in zh
        client.cookies.set("pingan_lang", "en")
        en = client.get("/gridwork", headers=h).text
        client.cookies.delete("pingan_lang")
        assert '<option value="0701">Blocked fire lane</option>' in en
        assert '<label class="check" for="v-raise"><input type="checkbox" id="v-raise"' in zh

    def test_visit_with_a_case_from_one_form(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        household = visits.never_visited(session, gridworker, limit=1)[0]
        before = len(
            list(session.scalars(visits.visits_query(session, gridworker, household_id=household.id)))
        )
        r = client.post(
            "/gridwork/visits",
            headers=auth(session, "gridworker"),
            data={
                "household_id": household.id,
                "notes": "入户",
                "issue": "楼道堆物",
                "category_code": "0701",
                "raise_case": "true",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and "msg=" in r.headers["location"]
        after = list(session.scalars(visits.visits_query(session, gridworker, household_id=household.id)))
        assert len(after) == before + 1 and after[0].issues[0]["case_number"]

    def test_acknowledge_a_task(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        task = tasks.create_task(session, SYSTEM, kind="task", title="页面签收测试", area_codes=[grid_a])
        r = client.post(
            f"/gridwork/tasks/{task.id}/{grid_a}/acknowledge",
            headers=auth(session, "gridworker"),
            follow_redirects=False,
        )
        assert r.status_code == 303
        board = tasks.task_progress(session, gridworker, task_id=task.id)
        assert board["grids"][0]["acknowledged_by"] == "gridworker"

    def test_other_grid_task_is_refused(self, client: TestClient, session: Session, grid_b: str) -> None:
        task = tasks.create_task(session, SYSTEM, kind="task", title="别的网格", area_codes=[grid_b])
        r = client.post(
            f"/gridwork/tasks/{task.id}/{grid_b}/acknowledge",
            headers=auth(session, "gridworker"),
            follow_redirects=False,
        )
        assert r.status_code == 303 and "msg=" in r.headers["location"]
        assert (
            "该任务无法签收或完成"
            in client.get(r.headers["location"], headers=auth(session, "gridworker")).text
        )
        assert tasks.task_progress(session, SYSTEM, task_id=task.id)["summary"]["acknowledged"] == 0

    def test_a_case_without_category_is_a_message_in_the_pages_language(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        household = visits.never_visited(session, gridworker, limit=1)[0]
        r = client.post(
            "/gridwork/visits",
            headers=auth(session, "gridworker"),
            data={"household_id": household.id, "issue": "楼道堆物", "raise_case": "true"},
        )
        assert r.status_code == 422 and "走访未保存：上报事件需要选择问题类别" in r.text
        assert not list(session.scalars(visits.visits_query(session, gridworker, household_id=household.id)))
        # the form keeps what was typed, and the error sits by the field
        assert 'value="楼道堆物"' in r.text and 'id="v-cat-error"' in r.text
        assert f'<option value="{household.id}" selected' in r.text

    def test_cadre_records_a_visit_with_a_case(
        self, client: TestClient, session: Session, cadre: Actor, grid_a: str
    ) -> None:
        household = visits.never_visited(session, cadre, area_code=grid_a, limit=1)[0]
        r = client.post(
            "/gridwork/visits",
            headers=auth(session, "cadre"),
            data={
                "household_id": household.id,
                "notes": "联系干部入户",
                "issue": "楼道堆物",
                "category_code": "0701",
                "raise_case": "true",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        saved = list(session.scalars(visits.visits_query(session, cadre, household_id=household.id)))
        assert len(saved) == 1 and saved[0].issues[0]["case_number"]
        page = client.get(r.headers["location"], headers=auth(session, "cadre")).text
        assert saved[0].issues[0]["case_number"] in page

    def test_a_case_that_fails_keeps_the_visit_and_says_so(
        self, client: TestClient, session: Session, cadre: Actor, grid_a: str
    ) -> None:
        household = visits.never_visited(session, cadre, area_code=grid_a, limit=1)[0]
        r = client.post(
            "/gridwork/visits",
            headers=auth(session, "cadre"),
            data={
                "household_id": household.id,
                "notes": "入户",
                "issue": "占道经营",
                "category_code": "9999",
                "raise_case": "true",
            },
        )
        saved = list(session.scalars(visits.visits_query(session, cadre, household_id=household.id)))
        assert len(saved) == 1 and saved[0].notes == "入户"
        assert "走访已保存" in r.text and 'id="v-cat-error"' in r.text and 'value="占道经营"' in r.text

    def test_anonymous_goes_to_sign_in(self, client: TestClient) -> None:
        r = client.get("/gridwork", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


class TestCoveragePage:
    def test_district_sees_streets_then_a_page_of_grids_and_the_cadres_with_no_visit(
        self, client: TestClient, session: Session
    ) -> None:
        r = client.get("/gridwork/coverage", headers=auth(session, "admin"))
        assert r.status_code == 200 and "239 个网格" in r.text
        groups = _table(r.text, "coverage-groups")
        from pingan.areas import service as areas
        from pingan.areas.models import AreaLevel

        streets = areas.list_areas(session, level=AreaLevel.STREET)
        assert groups.count("<tr>") == len(streets) + 1 and streets[0].name in groups  # a row per street
        grids = _table(r.text, "coverage-grids")
        assert grids.count("<tr>") == 50 + 1 and 'class="secondary">330108' in grids  # name, code secondary
        assert "?page=2" in r.text
        assert "本季度无走访" in r.text
        if 'id="coverage-cadres"' in r.text:  # the full-size demo's cadres may all have visited this quarter
            assert _table(r.text, "coverage-cadres").count("<tr>") <= 51
        all_cadres = client.get("/gridwork/coverage?cadres=all", headers=auth(session, "admin"))
        assert _table(all_cadres.text, "coverage-cadres").count("<tr>") == 25 + 1  # 25 a page
        assert '<th scope="col" class="num">' in grids

    def test_street_and_community_filters_stay_in_the_url(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        from pingan.areas import service as areas

        community = areas.get_area(session, grid_a).parent_code
        assert community is not None
        street = areas.get_area(session, community).parent_code
        h = auth(session, "admin")
        by_street = client.get(f"/gridwork/coverage?street={street}", headers=h)
        rows = re.findall(r'class="secondary">(\d+)<', _table(by_street.text, "coverage-grids"))
        assert rows and all(code.startswith(str(street)) for code in rows)
        assert "按社区" in by_street.text and f'href="/gridwork/coverage?street={street}&amp;community=' in (
            by_street.text
        )
        by_community = client.get(f"/gridwork/coverage?street={street}&community={community}", headers=h)
        rows = re.findall(r'class="secondary">(\d+)<', _table(by_community.text, "coverage-grids"))
        assert grid_a in rows and all(code.startswith(community) for code in rows)
        everyone = client.get(f"/gridwork/coverage?street={street}&cadres=all", headers=h)
        assert _table(everyone.text, "coverage-cadres").count("<tr>") > 1

    def test_an_area_outside_the_scope_is_404(self, client: TestClient, session: Session) -> None:
        from pingan.areas import service as areas
        from pingan.areas.models import AreaLevel
        from tests.factories import actor

        street = actor(session, "street").grants[0].area_code
        other = next(
            a.code
            for a in areas.list_areas(session, level=AreaLevel.COMMUNITY)
            if not a.code.startswith(street)
        )
        r = client.get(f"/gridwork/coverage?community={other}", headers=auth(session, "street"))
        assert r.status_code == 404
        mine = client.get("/gridwork/coverage", headers=auth(session, "street"))
        assert mine.status_code == 200 and other not in mine.text

    def test_resident_is_refused(self, client: TestClient, session: Session) -> None:
        assert client.get("/gridwork/coverage", headers=auth(session, "resident")).status_code == 403


def _table(html: str, table_id: str) -> str:
    """The markup of one table of a page."""
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


def _residents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resident)) or 0


def _upload(client: TestClient, session: Session, data: bytes, **form: str) -> object:
    return client.post(
        "/gridwork/import",
        headers=auth(session, "gridworker"),
        data={"kind": "residents", **form},
        files={"file": ("register.xlsx", data, "application/octet-stream")},
    )


class TestResidentsPage:
    def test_lists_masked_residents(self, client: TestClient, session: Session, grid_a: str) -> None:
        r = client.get(f"/gridwork/grids/{grid_a}/residents", headers=auth(session, "gridworker"))
        assert r.status_code == 200 and 'id="residents"' in r.text
        masked = session.scalars(select(Resident).where(Resident.area_code == grid_a).limit(1)).one()
        assert masked.id_number_masked in r.text

    def test_search_by_id_number(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        _upload(client, session, _xlsx([_row(grid_a, lon, lat, 71)]))
        wanted = _row(grid_a, lon, lat, 71)[7]
        r = client.post(
            f"/gridwork/grids/{grid_a}/residents", data={"q": wanted}, headers=auth(session, "gridworker")
        )
        assert r.status_code == 200 and r.text.count("<tr>") == 2  # header + the one person
        assert str(wanted) not in r.text

    def test_a_malformed_query_is_a_message(self, client: TestClient, session: Session, grid_a: str) -> None:
        r = client.post(
            f"/gridwork/grids/{grid_a}/residents", data={"q": "张三"}, headers=auth(session, "gridworker")
        )
        assert r.status_code == 200 and "请输入完整的 18 位身份证号" in r.text

    def test_out_of_scope_grid_is_404(self, client: TestClient, session: Session, grid_b: str) -> None:
        r = client.get(f"/gridwork/grids/{grid_b}/residents", headers=auth(session, "gridworker"))
        assert r.status_code == 404


class TestHouseholdsPage:
    def test_lists_households_with_visit_links(
        self, client: TestClient, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        r = client.get(f"/gridwork/grids/{grid_a}/households", headers=auth(session, "gridworker"))
        assert r.status_code == 200 and 'id="households"' in r.text
        never = visits.never_visited(session, gridworker, area_code=grid_a, limit=1)
        assert f'href="/gridwork?household={never[0].id}#h-visit"' in r.text
        assert "未走访" in r.text

    def test_out_of_scope_grid_is_404(self, client: TestClient, session: Session, grid_b: str) -> None:
        r = client.get(f"/gridwork/grids/{grid_b}/households", headers=auth(session, "gridworker"))
        assert r.status_code == 404


class TestImportPage:
    def test_page_offers_the_template(self, client: TestClient, session: Session) -> None:
        r = client.get("/gridwork/import", headers=auth(session, "gridworker"))
        assert r.status_code == 200 and "/gridwork/import/template?kind=residents" in r.text
        t = client.get(
            "/gridwork/import/template?kind=residents&fmt=xlsx", headers=auth(session, "gridworker")
        )
        header = [c.value for c in next(load_workbook(io.BytesIO(t.content)).worksheets[0].iter_rows())]
        assert "身份证号|id_number" in header

    def test_cadre_may_not_import(self, client: TestClient, session: Session) -> None:
        assert client.get("/gridwork/import", headers=auth(session, "cadre")).status_code == 403

    def test_a_file_that_is_not_a_register_is_a_message(self, client: TestClient, session: Session) -> None:
        before = _residents(session)
        r = _upload(client, session, b"PK\x03\x04 not a workbook")
        assert r.status_code == 422 and "不是可读取的 Excel 文件" in r.text
        assert _residents(session) == before

    def test_no_file_is_a_message(self, client: TestClient, session: Session) -> None:
        r = client.post("/gridwork/import", headers=auth(session, "gridworker"), data={"kind": "residents"})
        assert r.status_code == 422 and "请选择要上传的文件" in r.text

    def test_bad_row_imports_nothing_then_valid_rows_on_request(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        bad = _row(grid_a, lon, lat, 2)
        bad[7] = "330108198501010010"  # wrong check digit
        data = _xlsx([_row(grid_a, lon, lat, 1), bad, _row(grid_a, lon, lat, 3)])
        before = _residents(session)
        r = _upload(client, session, data)
        assert r.status_code == 422 and _residents(session) == before
        assert re.search(r"<td class=\"num\">3</td><td>身份证号</td><td>身份证号校验位不对", r.text)
        assert "只导入正确的 2 行" in r.text
        hidden = re.search(r'name="upload" value="([^"]+)"', r.text)
        assert hidden is not None
        r = client.post(
            "/gridwork/import",
            headers=auth(session, "gridworker"),
            data={"kind": "residents", "upload": hidden.group(1), "valid_rows_only": "true"},
        )
        assert r.status_code == 200 and "已导入 2 行" in r.text and _residents(session) == before + 2
        link = re.search(r'href="data:[^;]+;base64,([^"]+)"', r.text)
        assert link is not None
        rows = list(
            load_workbook(io.BytesIO(base64.b64decode(link.group(1))))
            .worksheets[0]
            .iter_rows(values_only=True)
        )
        assert len(rows) == 2 and "330108198501010010" in [str(v) for v in rows[1]]

    def test_a_kept_upload_is_only_for_its_uploader_and_only_once(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        r = _upload(client, session, _xlsx([_row(grid_a, lon, lat, 6), _row(grid_a, "x", lat, 7)]))
        hidden = re.search(r'name="upload" value="([^"]+)"', r.text)
        assert hidden is not None
        form = {"kind": "residents", "upload": hidden.group(1), "valid_rows_only": "true"}
        before = _residents(session)
        other = client.post("/gridwork/import", headers=auth(session, "admin"), data=form)
        assert other.status_code == 422 and "上传的文件已过期" in other.text and _residents(session) == before
        assert (
            client.post("/gridwork/import", headers=auth(session, "gridworker"), data=form).status_code == 200
        )
        again = client.post("/gridwork/import", headers=auth(session, "gridworker"), data=form)
        assert again.status_code == 422 and _residents(session) == before + 1

    def test_english_page_has_english_row_messages(
        self, client: TestClient, session: Session, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        client.cookies.set("pingan_lang", "en")
        r = _upload(client, session, _xlsx([_row(grid_a, "east", lat, 4)]))
        client.cookies.delete("pingan_lang")
        assert r.status_code == 422 and "<td>Longitude</td><td>must be a number</td>" in r.text

    def test_rows_outside_the_workers_grid_are_errors(
        self, client: TestClient, session: Session, grid_b: str
    ) -> None:
        lon, lat = point_in(session, grid_b)
        r = _upload(client, session, _xlsx([_row("", lon, lat, 5)]))
        assert r.status_code == 422 and "不在您的管辖范围内" in r.text


class TestCadrePage:
    def test_cadre_sees_grids_coverage_and_visit_links(
        self, client: TestClient, session: Session, cadre: Actor
    ) -> None:
        r = client.get("/gridwork/cadre", headers=auth(session, "cadre"))
        assert r.status_code == 200 and 'id="cadre-grids"' in r.text
        grids = {g.area_code for g in cadre.grants}
        rows = re.findall(r'<td[^>]*><a href="/grids/(\d+)">', r.text)
        assert set(rows) == grids
        never = visits.never_visited(session, cadre, limit=1)
        link = re.search(r'href="/gridwork\?household=(\d+)#h-visit"', r.text)
        assert (link is not None) == bool(never)
        if link:
            page = client.get(f"/gridwork?household={link.group(1)}", headers=auth(session, "cadre"))
            assert f'<option value="{link.group(1)}" selected>' in page.text

    def test_grid_worker_without_cadre_grids_goes_to_own_page(
        self, client: TestClient, session: Session
    ) -> None:
        r = client.get("/gridwork/cadre", headers=auth(session, "gridworker"), follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/gridwork"


class TestNavigation:
    def test_district_sees_the_coverage_link(self, client: TestClient, session: Session) -> None:
        r = client.get("/gridwork/coverage", headers=auth(session, "admin"))
        assert 'href="/gridwork/coverage"' in r.text and 'href="/gridwork">' not in r.text

    def test_grid_worker_sees_my_grids(self, client: TestClient, session: Session) -> None:
        r = client.get("/gridwork", headers=auth(session, "gridworker"))
        assert '<li><a href="/gridwork">' in r.text and 'href="/gridwork/coverage"' not in r.text
