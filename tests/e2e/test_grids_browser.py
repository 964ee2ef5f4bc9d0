"""The grid worker's phone pages in a real Chromium: record a visit that raises a case, acknowledge a task,
import a register with a bad row; the cadre's page; the district's coverage page.
Checked with axe-core and photographed into docs/screenshots/."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import Browser, expect
from shapely.geometry import shape

from pingan.core.pii import mask_id_number, mask_name
from pingan.grids.api import XLSX
from pingan.grids.io import COLUMNS
from tests.e2e.helpers import DESK, PHONE, assert_accessible, shot, sign_in
from tests.grids.conftest import id_number

pytestmark = pytest.mark.e2e
GRID = "33010800200201"  # the demo grid worker's grid in 月明社区


class TestGridWorkerPhone:
    def test_visit_with_case_and_task_acknowledgement(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=PHONE, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "gridworker", next_path="/gridwork")
        expect(page).to_have_url(re.compile(r"/gridwork$"))
        expect(page.get_by_role("heading", name="我的网格")).to_be_visible()
        assert_accessible(page)
        shot(page, "gridwork-phone", full_page=True)
        # a visit that raises a case, in one form
        page.get_by_label("走访情况").fill("入户走访，了解独居老人情况")
        page.get_by_label("发现的问题（可选）").fill("楼道堆放杂物堵塞消防通道")
        page.get_by_label("问题类别").select_option("0701")
        page.get_by_label("同时上报为事件").check()
        page.get_by_role("button", name="保存走访").click()
        expect(page.get_by_role("status")).to_contain_text(re.compile(r"已保存，并上报事件 \w+"))
        # acknowledge the summit task pushed down to every grid
        task = page.locator(".task", has_text="G20 前出租房瓶装燃气排查")
        task.get_by_role("button", name="签收").click()
        expect(page.get_by_role("status")).to_have_text("已签收。")
        expect(page.locator(".task", has_text="G20 前出租房瓶装燃气排查")).to_contain_text("已签收")
        context.close()

    def test_district_coverage(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=DESK, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "admin", next_path="/gridwork/coverage")
        expect(page.get_by_role("heading", name="按联系干部")).to_be_visible()
        expect(page.locator("#coverage-grids tbody tr")).to_have_count(239)
        assert_accessible(page)
        shot(page, "gridwork-coverage")
        context.close()


def _register(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([f"{label}|{key}" for key, label in COLUMNS["residents"]])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class TestRegisterImportPhone:
    def test_import_with_a_bad_row_then_the_valid_rows(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=PHONE,
            bypass_csp=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        page = context.new_page()
        sign_in(page, base_url, "gridworker", next_path="/gridwork")
        grid = GRID
        area = page.request.get(f"{base_url}/api/v1/areas/{grid}?geometry=true").json()
        point = shape(area["geometry"]).representative_point()
        good, bad = id_number(9101, 1977), id_number(9102, 1977)
        bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # a wrong check digit
        rows = [
            [
                grid,
                "明月路 9 号",
                point.x,
                point.y,
                "101",
                "registered",
                "浏览器甲",
                good,
                "13900139001",
                "floating",
                "elderly_alone",
                "户主",
            ],
            [
                grid,
                "明月路 9 号",
                point.x,
                point.y,
                "102",
                "registered",
                "浏览器乙",
                bad,
                "",
                "registered",
                "",
                "户主",
            ],
        ]
        # the navigation leads from the day page to the import page
        page.get_by_role("link", name="导入名册").click()
        expect(page.get_by_role("heading", name="导入名册", exact=True)).to_be_visible()
        assert_accessible(page)
        page.get_by_label("文件（xlsx 或 csv，最大 20 MB）").set_input_files(
            files=[{"name": "居民名册.xlsx", "mimeType": XLSX, "buffer": _register(rows)}]
        )
        page.get_by_role("button", name="检查并导入").click()
        expect(page.locator("#import-result h2")).to_have_text("2 行中有 1 行有错误，未导入任何数据。")
        error_row = page.locator("#import-errors tbody tr")
        expect(error_row).to_have_count(1)
        expect(error_row).to_contain_text("3")
        expect(error_row).to_contain_text("身份证号校验位不对")
        assert_accessible(page)
        shot(page, "register-import", full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="下载错误行文件").click()
        assert download.value.suggested_filename == "residents-errors.xlsx"
        page.get_by_role("button", name="只导入正确的 1 行").click()
        expect(page.locator("#import-result h2")).to_have_text(
            "已导入 1 行；1 行有错误未导入，见下方和错误行文件。"
        )
        # the new resident is in the grid's list, masked; found by the ID number's blind index
        page.get_by_role("link", name=re.compile("查看居民名册")).first.click()
        page.get_by_label("按身份证号或手机号查找").fill(good)
        page.get_by_role("button", name="查找").click()
        row = page.locator("#residents tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(mask_name("浏览器甲"))
        expect(row).to_contain_text(mask_id_number(good))
        expect(row).to_contain_text("独居老人")
        assert good not in page.content() and "浏览器甲" not in page.content()
        assert_accessible(page)
        # the households of the grid: the new flat is there, never visited, with a link to record a visit
        page.get_by_role("link", name="住户", exact=True).click()
        flat = page.locator("#households tbody tr", has_text="明月路 9 号 101")
        expect(flat).to_contain_text("未走访")
        assert_accessible(page)
        flat.get_by_role("link", name="记录走访").click()
        expect(page.get_by_label("走访户")).to_have_value(re.compile(r"\d+"))
        expect(page.locator("#v-household option:checked")).to_contain_text("明月路 9 号 101")
        context.close()


class TestCadrePage:
    def test_cadre_sees_coverage_of_their_grids(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=PHONE, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "cadre", next_path="/gridwork")
        page.get_by_role("link", name="我联系的网格").click()
        expect(page.get_by_role("heading", name="我联系的网格", exact=True)).to_be_visible()
        expect(page.locator("#cadre-grids tbody tr").first).to_be_visible()
        expect(page.locator("#cadre-summary")).to_contain_text("本季度已走访")
        assert_accessible(page)
        shot(page, "cadre", full_page=True)
        record = page.get_by_role("link", name="记录走访")
        if record.count():
            record.first.click()
            expect(page.get_by_label("走访户")).not_to_have_value("")
        context.close()
