"""Every page works under the real Content-Security-Policy (other browser tests bypass it for axe-core)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.e2e.helpers import DESK, PHONE, sign_in

pytestmark = pytest.mark.e2e

PAGES = {
    "admin": ["/wall", "/work", "/docs"],
    "gridworker": ["/gridwork"],
    "volunteer": ["/patrol"],
}
PUBLIC = ["/login", "/report", "/track"]


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            problems.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: script error {exc}"))
    return problems


class TestContentSecurityPolicy:
    def test_public_pages(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        problems = _watch(page)
        for path in PUBLIC:
            page.goto(f"{base_url}{path}")
            page.wait_for_load_state("networkidle")
        context.close()
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("username", sorted(PAGES))
    def test_signed_in_pages(self, browser: Browser, base_url: str, username: str) -> None:
        context = browser.new_context(viewport=DESK, locale="zh-CN")
        page = context.new_page()
        problems = _watch(page)
        sign_in(page, base_url, username)
        for path in PAGES[username]:
            response = page.goto(f"{base_url}{path}")
            assert response is not None and response.status == 200, path
            page.wait_for_timeout(1500)  # live pages keep a connection open: give scripts time to run
        first_case = page.locator("a[href^='/work/cases/']").first if username == "admin" else None
        if first_case is not None:
            page.goto(f"{base_url}/work")
            first_case.click()
            page.wait_for_timeout(1000)
        context.close()
        assert not problems, "\n".join(problems)
