"""The camera register in a real Chromium: the list with its online rate, one camera with its GB/T 28181 ID
explained, the online-rate and coverage board, and a camera-offline case whose page lists the cameras that
see it (the camera itself, with its video link); in Chinese and English, checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from pingan.core.geo import wgs84_to_gcj02
from tests.e2e.helpers import DESK, assert_accessible, sign_in

pytestmark = pytest.mark.e2e


class TestCameraPages:
    def test_register_camera_board_and_a_cases_cameras(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=DESK, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "admin", next_path="/cameras")
        expect(page.get_by_role("heading", name="视频监控（雪亮工程）")).to_be_visible()
        expect(page.locator("#online-rate")).to_have_text(re.compile(r"^\d+\.\d%$"))
        assert page.locator("#cameras tbody tr").count() == 100  # a page of the ~4,500
        assert_accessible(page)

        page.get_by_label("搜索", exact=True).fill("江南大道")
        page.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"q=%E6%B1%9F"))  # the filter stays in the URL
        page.locator("#cameras tbody tr a").first.click()
        expect(page.get_by_role("heading", name="国标编码解读")).to_be_visible()
        expect(page.locator("#gbid-explained")).to_contain_text("滨江区")
        assert_accessible(page)

        page.goto(f"{base_url}/cameras/board")
        expect(page.locator("#online-rates tbody tr")).to_have_count(3)  # the three streets
        expect(page.locator("#road-coverage tbody tr")).to_have_count(3)
        assert_accessible(page)

        offline = page.request.get(
            f"{base_url}/api/v1/devices", params={"kind": "camera", "status": "offline", "limit": 100}
        )
        case_id = next(d["outage_case_id"] for d in offline.json()["items"] if d["outage_case_id"])
        page.goto(f"{base_url}/work/cases/{case_id}")
        panel = page.locator("#camera-panel")
        expect(panel).to_contain_text("可视摄像机")
        expect(panel.get_by_role("link", name="查看视频").first).to_have_attribute(
            "href", re.compile(r"^https://vms\.")
        )
        context.close()

    def test_in_english(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=DESK, bypass_csp=True, locale="en", timezone_id="Asia/Shanghai"
        )
        context.add_cookies([{"name": "pingan_lang", "value": "en", "url": base_url}])
        page = context.new_page()
        sign_in(page, base_url, "street", next_path="/cameras/board?by=type")
        expect(page.get_by_role("heading", name=re.compile("Online rate"))).to_be_visible()
        expect(page.locator("#online-rates tbody")).to_contain_text("IP camera")
        assert_accessible(page)
        context.close()


class TestRegisterForm:
    def test_a_street_operator_registers_a_camera_from_the_page(
        self, browser: Browser, base_url: str
    ) -> None:
        context = browser.new_context(
            viewport=DESK, bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        sign_in(page, base_url, "street", next_path="/cameras")
        form = page.locator("#add-form")
        form.get_by_label("国标编码", exact=True).fill("33010802001320999001")
        form.get_by_label("名称", exact=True).fill("月明路口枪机")
        lon, lat = wgs84_to_gcj02(120.1813, 30.1557)  # 月明社区 (长河街道), entered as GCJ-02
        form.get_by_label("经度", exact=True).fill(f"{lon:.6f}")
        form.get_by_label("纬度", exact=True).fill(f"{lat:.6f}")
        form.get_by_label("坐标系", exact=True).select_option("gcj02")
        form.get_by_label("朝向(度)", exact=True).fill("400")
        form.get_by_role("button", name="登记").click()
        expect(page.locator("#err-direction_deg")).to_contain_text("朝向(度)")
        assert_accessible(page)
        page.locator("#add-form").get_by_label("朝向(度)", exact=True).fill("90")
        page.locator("#add-form").get_by_role("button", name="登记").click()
        expect(page).to_have_url(re.compile(r"/cameras/33010802001320999001$"))
        expect(page.locator("#gbid-explained")).to_contain_text("网络摄像机 IPC")
        expect(page.locator("#camera-status")).to_contain_text("未上报")
        context.close()
