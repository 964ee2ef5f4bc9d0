"""The wall in Chromium at 1920×1080: every ranking row reachable, feed titles with room, text of 20 px and
more, the district clear of the map's controls, a favicon, a street user's own scope in the header, and live
items named like loaded ones. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import WALL, shot, sign_in

pytestmark = pytest.mark.e2e


def _wall(browser: Browser, base_url: str, username: str = "admin") -> Page:
    context = browser.new_context(viewport=WALL, bypass_csp=True, timezone_id="Asia/Shanghai", locale="zh-CN")
    page = context.new_page()
    sign_in(page, base_url, username)
    expect(page).to_have_url(re.compile(r"/wall$"))
    page.wait_for_selector("body[data-loaded='1'][data-grids][data-fitted='1']", timeout=20_000)
    page.wait_for_selector("body[data-charts='1']", timeout=20_000)
    return page


def _visible_rows(page: Page) -> list[str]:
    """Names of the ranking rows drawn entirely inside the ranking panel."""
    return list(
        page.evaluate(
            """() => { const panel = document.querySelector('.rank-panel').getBoundingClientRect();
                return [...document.querySelectorAll('#ranking tbody tr')].filter(tr => {
                    const r = tr.getBoundingClientRect();
                    return r.height > 0 && r.top >= panel.top && r.bottom <= panel.bottom + 0.5;
                }).map(tr => tr.querySelector('td.name').textContent); }"""
        )
    )


class TestRanking:
    def test_every_row_is_reachable(self, browser: Browser, base_url: str) -> None:
        """A street's wall ranks its 20 communities: the pages turn until every one has been shown whole."""
        page = _wall(browser, base_url, "street")
        data = page.evaluate("() => window.PinganWall.data.ranking.map(r => r.name)")
        assert len(data) >= 15
        pages = int(page.locator("#ranking").get_attribute("data-pages") or 1)
        assert pages > 1
        seen: list[str] = []
        for n in range(pages):
            expect(page.locator("#ranking")).to_have_attribute("data-page", str(n + 1), timeout=20_000)
            rows = _visible_rows(page)
            assert rows and len(rows) == page.locator("#ranking tbody tr").count()  # no row cut off
            seen += rows
            if n == 0:
                expect(page.locator("#rank-page")).to_contain_text(f"1/{pages}")
                shot(page, "wall-street")
        assert sorted(seen) == sorted(data)
        page.context.close()


class TestFeedAndText:
    def test_titles_have_the_room(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url)
        items = page.locator("#feed li:not([hidden])")
        assert items.count() >= 4
        widths = page.evaluate(
            """() => [...document.querySelectorAll('#feed li:not([hidden])')].map(li => {
                const a = li.querySelector('.what a'), w = li.querySelector('.what');
                return {line: li.getBoundingClientRect().width, what: w.getBoundingClientRect().width,
                        full: a.scrollWidth <= w.clientWidth + 1, text: a.textContent}; })"""
        )
        for w in widths:
            assert w["what"] >= 0.6 * w["line"], w  # the title has most of the line
            assert w["full"], f"title cut off: {w['text']}"  # the demo's titles fit whole
        assert not re.search(r"BJ\d+", page.locator("#feed li .what").first.inner_text())
        shot(page, "wall")

    def test_no_text_is_smaller_than_20_px(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url)
        small = page.evaluate(
            """() => { const out = [];
                for (const e of document.querySelectorAll('body *')) {
                    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                    if (!own || e.closest('.sr-only')) continue;
                    const r = e.getBoundingClientRect();
                    if (!r.width || !r.height) continue;
                    const px = parseFloat(getComputedStyle(e).fontSize);
                    const what = e.tagName + '.' + e.className + ' ' + px + 'px: ';
                    if (px < 20) out.push(what + e.textContent.trim().slice(0, 30));
                }
                return out; }"""
        )
        assert not small, "text under 20 px:\n" + "\n".join(small)
        page.context.close()

    def test_a_live_item_is_named_like_a_loaded_one(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url)
        page.wait_for_selector("#live[data-state='on']", timeout=20_000)
        first = page.locator("#feed li").first
        loaded = first.locator(".meta").inner_text()
        case = page.evaluate("() => window.PinganWall.data.feed[0]")
        # the same case arrives from the live feed (as cases.live.case_payload sends it)
        page.evaluate(
            """(c) => window.PinganWall.onLive(
                new MessageEvent('message', {data: JSON.stringify({type: 'case', case: c})}))""",
            case,
        )
        expect(page.locator(f"#feed li[data-case='{case['id']}']")).to_have_count(1)
        assert page.locator("#feed li").first.locator(".meta").inner_text() == loaded
        page.context.close()


class TestMapAndHeader:
    def test_controls_do_not_cover_the_district(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url)
        overlap = page.evaluate(
            """() => { const w = window.PinganWall, b = w.gridLayer.getBounds();
                const m = document.getElementById('map').getBoundingClientRect();
                const nw = w.map.latLngToContainerPoint(b.getNorthWest());
                const se = w.map.latLngToContainerPoint(b.getSouthEast());
                const box = {l: m.left + nw.x, t: m.top + nw.y, r: m.left + se.x, b: m.top + se.y};
                const hit = (s) => [...document.querySelectorAll(s)].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width && r.left < box.r && r.right > box.l && r.top < box.b && r.bottom > box.t;
                }).length;
                return hit('.map-tools > *') + hit('.leaflet-control-zoom'); }"""
        )
        assert overlap == 0

    def test_a_street_user_sees_the_street(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url, "street")
        expect(page.locator("#wall-scope")).to_contain_text("长河街道")
        page.context.close()

    def test_favicon(self, page: Page, base_url: str) -> None:
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        page.goto(f"{base_url}/login")
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon and page.request.get(base_url + icon).ok
        assert page.request.get(f"{base_url}/favicon.ico").ok
        assert not missing
