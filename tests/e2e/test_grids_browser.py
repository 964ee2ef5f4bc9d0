"""The grid worker's phone page in a real Chromium: record a visit that raises a case, acknowledge a task;
the district's coverage page. Checked with axe-core and photographed into docs/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.helpers import DESK, PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


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
