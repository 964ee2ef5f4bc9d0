"""The grid worker's phone pages in a real Chromium: record a visit that raises a case, acknowledge a task,
import a register with a bad row; the cadre's page and a cadre's visit with a case; the district's coverage
page (grouped, filtered, paged); the tables on a 390×844 phone in zh and en (no horizontal overflow); the
party branches (网格+党建).
Checked with axe-core and photographed into docs/screenshots/."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect
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
        # one row per street, then a page of 50 grids named (code secondary), not 239 rows
        expect(page.locator("#coverage-groups tbody tr")).to_have_count(3)
        expect(page.locator("#coverage-grids tbody tr")).to_have_count(50)
        expect(page.locator("#coverage-grids tbody tr").first.locator(".secondary")).to_have_text(
            re.compile(r"^3301080\d+$")
        )
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 9000, f"the coverage page is {height} px tall"
        cell = page.locator("#coverage-grids tbody td.num").first
        assert cell.evaluate("e => getComputedStyle(e).textAlign") == "right"
        assert "tabular-nums" in cell.evaluate("e => getComputedStyle(e).fontVariantNumeric")
        header = page.locator("#coverage-grids thead th.num").first
        assert header.evaluate("e => getComputedStyle(e).textAlign") == "right"
        assert_accessible(page)
        shot(page, "gridwork-coverage")
        # filter by a street, then a community: the filters stay in the URL
        page.get_by_label("街道", exact=True).select_option(label="长河街道")
        page.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"street=330108002"))
        expect(page.get_by_role("heading", name="按社区")).to_be_visible()
        page.locator("#coverage-groups tbody a", has_text="月明社区").click()
        expect(page).to_have_url(re.compile(r"community=330108002002"))
        codes = page.locator("#coverage-grids tbody .secondary").all_inner_texts()
        assert codes and all(c.startswith("330108002002") for c in codes)
        # the cadres with no visit are a table with counts; all cadres one click away
        expect(page.locator("#cov-cadre-summary")).to_contain_text("名联系干部")
        page.get_by_role("link", name=re.compile("全部干部")).click()
        expect(page).to_have_url(re.compile(r"cadres=all"))
        expect(page.locator("#coverage-cadres tbody tr").first).to_be_visible()
        assert_accessible(page)
        context.close()


PHONE_390 = {"width": 390, "height": 844}


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_390["width"], f"{page.url} is {width} px wide on a 390 px phone"


class TestCadreVisit:
    def test_cadre_records_a_visit_that_raises_a_case(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=PHONE_390, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "cadre", next_path="/gridwork")
        page.goto(f"{base_url}/gridwork")
        expect(page.get_by_role("heading", name="我的网格")).to_be_visible()
        # categories by name; the checkbox sits with its label
        expect(page.locator("#v-cat option[value='0701']")).to_have_text("消防通道堵塞")
        box = page.locator("#v-raise").bounding_box()
        label = page.get_by_text("同时上报为事件").bounding_box()
        assert box and label and abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 12
        assert 0 <= label["x"] - (box["x"] + box["width"]) < 24
        page.get_by_label("走访情况").fill("联系干部入户走访")
        page.get_by_label("发现的问题（可选）").fill("楼道堆放杂物堵塞消防通道")
        page.get_by_label("问题类别").select_option(label="消防通道堵塞")
        page.get_by_label("同时上报为事件").check()
        page.get_by_role("button", name="保存走访").click()
        expect(page.get_by_role("status")).to_contain_text(re.compile(r"已保存，并上报事件 \w+"))
        expect(page.locator("#h-recent + ul li").first).to_contain_text("联系干部入户走访")
        # a visit asked to become a case without a category keeps what was typed, the error by the field
        page.get_by_label("走访情况").fill("第二户")
        page.get_by_label("发现的问题（可选）").fill("占道堆物")
        page.get_by_label("同时上报为事件").check()
        page.get_by_role("button", name="保存走访").click()
        expect(page.locator("#v-cat-error")).to_have_text("上报事件需要选择问题类别")
        expect(page.get_by_label("走访情况")).to_have_value("第二户")
        expect(page.get_by_label("发现的问题（可选）")).to_have_value("占道堆物")
        _no_horizontal_overflow(page)
        assert_accessible(page)
        shot(page, "gridwork-cadre-visit", full_page=True)
        context.close()


class TestPhoneTables:
    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_grid_pages_fit_a_390_px_phone(self, browser: Browser, base_url: str, lang: str) -> None:
        context = browser.new_context(
            viewport=PHONE_390, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        host = base_url.split("//")[1].split(":")[0]
        context.add_cookies([{"name": "pingan_lang", "value": lang, "domain": host, "path": "/"}])
        page = context.new_page()
        sign_in(page, base_url, "gridworker", next_path="/gridwork")
        for path in ("/gridwork", f"/gridwork/grids/{GRID}/residents", f"/gridwork/grids/{GRID}/households"):
            page.goto(base_url + path)
            _no_horizontal_overflow(page)
            assert_accessible(page)
        # residents: one card per person, the address readable (not one character a line)
        page.goto(f"{base_url}/gridwork/grids/{GRID}/residents")
        first = page.locator("#residents tbody tr").first
        address = first.locator("td").nth(3)
        assert (address.bounding_box() or {"width": 0})["width"] > 300
        row_height = (first.bounding_box() or {"height": 0})["height"]
        assert row_height < 400, f"a resident takes {row_height} px"
        assert address.evaluate("e => getComputedStyle(e, '::before').content") != "none"  # labelled cell
        shot(page, f"residents-phone-{lang}", full_page=False)
        page.goto(f"{base_url}/gridwork/grids/{GRID}/households")
        shot(page, f"households-phone-{lang}", full_page=False)
        page.goto(f"{base_url}/gridwork")
        shot(page, f"gridwork-phone-{lang}", full_page=True)
        context.close()

    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_coverage_and_party_pages_fit_a_390_px_phone(
        self, browser: Browser, base_url: str, lang: str
    ) -> None:
        context = browser.new_context(
            viewport=PHONE_390, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        host = base_url.split("//")[1].split(":")[0]
        context.add_cookies([{"name": "pingan_lang", "value": lang, "domain": host, "path": "/"}])
        page = context.new_page()
        sign_in(page, base_url, "street", next_path="/gridwork/coverage")
        for path in ("/gridwork/coverage", "/grids/party"):
            page.goto(base_url + path)
            _no_horizontal_overflow(page)
            assert_accessible(page)
        context.close()


class TestPartyBuilding:
    def test_branches_with_their_grids_coverage(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=DESK, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "street", next_path="/grids/party")
        page.goto(f"{base_url}/grids/party")
        expect(page.get_by_role("heading", name="网格+党建")).to_be_visible()
        expect(page.locator("#party-branches tbody tr").first).to_be_visible()
        assert_accessible(page)
        shot(page, "party-branches", full_page=True)
        page.locator("#party-branches tbody a").first.click()
        expect(page.locator("#branch-grids tbody tr").first).to_be_visible()
        expect(page.locator("#branch-members tbody tr").first).to_be_visible()
        expect(page.locator("#branch-summary")).to_contain_text("书记")
        assert_accessible(page)
        shot(page, "party-branch", full_page=True)
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
        # the full-size register lists the grid's households a page at a time: find the new flat's page
        listing = page.url.split("?")[0]
        flat = page.locator("#households tbody tr", has_text="明月路 9 号 101")
        for n in range(2, 40):
            if flat.count():
                break
            page.goto(f"{listing}?page={n}")
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
