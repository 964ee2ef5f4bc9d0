"""Map context without tiles: named roads, street and community names at readable zooms, and the grid and
community of a chosen point named on the report page and the case page (real Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import DESK, PHONE, WALL, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e

MAP_READY = "() => window.PinganMap && document.querySelector('#report-map .leaflet-pane')"
SPOT = {"longitude": 120.1813, "latitude": 30.1557}  # inside 月明社区1号网格, 长河街道


class TestReportPage:
    def test_tapped_point_names_its_grid_and_community(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=PHONE,
            bypass_csp=True,
            locale="zh-CN",
            is_mobile=True,
            geolocation=SPOT,
            permissions=["geolocation"],
        )
        page = context.new_page()
        page.goto(f"{base_url}/report")
        page.wait_for_function(
            "() => window.PinganMap && document.querySelector('#report-map .leaflet-pane')"
        )
        page.locator("#locate-me").click()
        expect(page.locator("#where-area")).to_have_text("所在网格：月明社区1号网格（月明社区 · 长河街道）")
        # a tap elsewhere on the map names that spot instead
        page.locator("#report-map").click(position={"x": 150, "y": 100})
        expect(page.locator("#where-area")).to_contain_text(
            re.compile(r"所在网格：.+网格（.+社区 · .+街道）|不在本区")
        )
        # the roads and the names came with the map, though there are no tiles
        page.wait_for_selector("#report-map .leaflet-pingan-roads-pane canvas", state="attached")
        expect(page.locator("#report-map .map-label.road").first).to_be_attached()
        page.locator("#where-area").scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, 200)")
        shot(page, "report-place")
        assert_accessible(page)
        context.close()

    def test_point_outside_the_district(self, page: Page, base_url: str) -> None:
        page.set_viewport_size(DESK)
        page.goto(f"{base_url}/report")
        page.wait_for_function(
            "() => window.PinganMap && document.querySelector('#report-map .leaflet-pane')"
        )
        page.evaluate("() => PinganMap.placeOf(121.5, 31.2, 'wgs84').then(p => { window.__outside = p; })")
        page.wait_for_function("() => window.__outside === null")


class TestWallAndCase:
    def test_wall_names_streets_and_draws_roads(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(viewport=WALL, bypass_csp=True, locale="zh-CN")
        page = context.new_page()
        sign_in(page, base_url, "admin")
        page.wait_for_selector("body[data-grids]", timeout=20_000)
        labels = page.locator("#map .map-label.street")
        expect(labels).to_have_count(3, timeout=20_000)
        names = sorted(labels.all_text_contents())
        assert names == sorted(["西兴街道", "长河街道", "浦沿街道"])
        size = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.map-label.street')).fontSize)"
        )
        assert size >= 20
        expect(page.locator("#map .leaflet-pingan-roads-pane canvas").first).to_be_attached()
        page.wait_for_timeout(500)
        shot(page, "wall-map-context")
        context.close()

    def test_case_map_names_the_place(self, page: Page, base_url: str) -> None:
        page.set_viewport_size(DESK)
        sign_in(page, base_url, "admin", next_path="/work")
        page.locator("a[href^='/work/cases/']").first.click()
        box = page.locator("#case-map")
        expect(box).to_have_attribute("data-place", re.compile(r".+网格 · .+社区 · .+街道"), timeout=15_000)
