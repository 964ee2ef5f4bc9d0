"""The patrol roster in a real Chromium: the street operator opens 巡防名册 from the navigation, finds a
volunteer by device id, gives the device a new key and sees it once as the server URL and a QR code (inline
SVG under the app's CSP) — accessible, and readable as cards on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import DESK, PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e

# the demo `volunteer` account's phone: other browser tests post its fixes with its demo key, left alone here
DEMO_DEVICE = "31007745"


def _new_key(page: Page, base_url: str, *, check_a11y: bool) -> str:
    """From /work through the navigation to the roster, a new key for a keyed device; returns its id."""
    sign_in(page, base_url, "street", next_path="/work")  # the wall (their landing page) has no nav bar
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="巡防名册").click()
    page.wait_for_url(f"{base_url}/patrols/roster")
    expect(page.locator("#roster tbody tr").first).to_be_visible()
    if check_a11y:
        assert_accessible(page)
    keyed = page.locator("#roster tbody tr", has_text="已设置").filter(has_not_text=DEMO_DEVICE).first
    device = keyed.locator("td").nth(5).inner_text().strip()
    assert device and device != "—"
    page.get_by_label("设备号").fill(device)
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#roster tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(device)
    expect(rows.first).to_contain_text("已设置")
    rows.first.get_by_role("button", name="生成新密钥").click()
    expect(page.get_by_role("heading", name="设备新密钥", level=1)).to_be_visible()
    expect(page.locator("#key-url")).to_contain_text("/osmand?key=")
    expect(page.locator("#key-device")).to_contain_text(device)
    qr = page.locator("#key-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] > 100  # a scannable size
    expect(page.locator("p.alert")).to_contain_text("只显示这一次")
    if check_a11y:
        assert_accessible(page)
    return device


class TestRosterDeviceKey:
    def test_street_operator_generates_a_key_and_sees_the_qr(self, browser: Browser, base_url: str) -> None:
        """Under the app's real CSP (no bypass): the inline SVG QR code shows and nothing is blocked."""
        ctx = browser.new_context(viewport=DESK, timezone_id="Asia/Shanghai", locale="zh-CN")
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _new_key(page, base_url, check_a11y=False)
        assert not [e for e in errors if "Content Security Policy" in e], errors
        shot(page, "roster-key", full_page=True)
        page.get_by_role("link", name="返回名册").click()
        expect(page.locator("#roster tbody tr")).to_have_count(1)
        ctx.close()

    def test_roster_and_key_page_are_accessible(self, browser: Browser, base_url: str) -> None:
        ctx = browser.new_context(viewport=DESK, bypass_csp=True, timezone_id="Asia/Shanghai", locale="zh-CN")
        _new_key(ctx.new_page(), base_url, check_a11y=True)
        ctx.close()

    def test_the_roster_is_cards_on_a_phone(self, browser: Browser, base_url: str) -> None:
        ctx = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True, locale="zh-CN"
        )
        page = ctx.new_page()
        sign_in(page, base_url, "street", next_path="/patrols/roster")
        page.goto(f"{base_url}/patrols/roster")
        first = page.locator("#roster tbody tr").first
        expect(first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, width  # no sideways scrolling: rows stack as cards
        assert_accessible(page)
        ctx.close()
