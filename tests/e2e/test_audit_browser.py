"""The auditor's and the clerk's pages in a real Chromium (issue 13): each lands on its page after signing in;
the auditor finds personal-data reads with the pii. filter; the 403 page offers one's own page. Checked with
axe-core and photographed into docs/screenshots/."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import DESK, PASSWORD, PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


def _search_by_phone(base_url: str) -> None:
    """A street operator looks cases up by a reporter's phone (recorded as pii.search)."""
    token = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": "street", "password": PASSWORD}
    ).json()["access_token"]
    r = httpx.post(
        f"{base_url}/api/v1/cases/search",
        json={"reporter_phone": "13900004444"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text


class TestAuditor:
    def test_lands_on_the_audit_page_and_finds_pii_reads(self, page: Page, base_url: str) -> None:
        _search_by_phone(base_url)
        page.set_viewport_size(DESK)
        sign_in(page, base_url, "auditor")
        expect(page).to_have_url(re.compile(r"/audit$"))
        expect(page.locator("h1")).to_contain_text("审计查询")
        page.locator("#pii-reads").click()
        expect(page).to_have_url(re.compile(r"/audit\?action=pii\.$"))
        rows = page.locator("#audit-records tbody tr")
        expect(rows.first).to_contain_text("pii.search")
        expect(page.locator("#audit-records")).to_contain_text("street")
        shot(page, "audit")
        assert_accessible(page)

    def test_filters_stay_in_the_url_and_english_works(self, page: Page, base_url: str) -> None:
        page.set_viewport_size(DESK)
        sign_in(page, base_url, "auditor")
        page.get_by_label("操作人").fill("street")
        page.get_by_label("操作", exact=True).fill("pii.")
        page.locator("form.filters button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"who=street"))
        page.goto(f"{base_url}/lang/en?next=/audit?who=street")
        expect(page.locator("h1")).to_contain_text("Audit trail")
        assert_accessible(page)

    def test_the_403_page_offers_my_page(self, page: Page, base_url: str) -> None:
        sign_in(page, base_url, "auditor")
        page.goto(f"{base_url}/work")
        expect(page.locator("h1")).to_have_text("无权访问")
        page.locator("#error-home").click()
        expect(page).to_have_url(re.compile(r"/audit$"))


class TestClerk:
    def test_lands_on_an_honest_page(self, page: Page, base_url: str) -> None:
        page.set_viewport_size(PHONE)
        sign_in(page, base_url, "clerk")
        expect(page).to_have_url(re.compile(r"/clerk$"))
        expect(page.locator("#clerk-not-yet")).to_contain_text("尚未上线")
        shot(page, "clerk")
        assert_accessible(page)
        page.locator("#clerk-report").click()
        expect(page).to_have_url(re.compile(r"/report"))
