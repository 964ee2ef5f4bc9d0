"""Inspections in the browser: an inspector answers a checklist on a 390×844 phone page without signal and
the visit is sent once the signal returns, exactly once even when an answer is lost on the way; the failing
item is a case in the street operator's queue; the campaign report shows the counts and gives the xlsx."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Route, expect

from tests.e2e.helpers import assert_accessible, shot, sign_in

PHONE_390 = {"width": 390, "height": 844}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"


def _answer_checklist(phone, fail_first: bool = True) -> None:  # type: ignore[no-untyped-def]
    items = phone.locator("li.check-item")
    expect(items.first).to_be_visible()
    for n in range(items.count()):
        choice = "fail" if fail_first and n == 0 else "pass"
        phone.locator(f"label[for='i{n}-{choice}']").click()
    if fail_first:
        phone.locator("#p0").set_input_files(
            files=[{"name": "hose.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
        )
    phone.locator("#signed_by").fill("王检查")


class TestPhoneChecklist:
    def test_offline_visit_is_sent_once_when_the_signal_returns(
        self, browser: Browser, base_url: str
    ) -> None:
        context = browser.new_context(
            viewport=PHONE_390,
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        phone = context.new_page()
        sign_in(phone, base_url, "gridworker", next_path="/inspections/check")
        phone.goto(f"{base_url}/inspections/check")
        expect(phone.locator("h1")).to_have_text("隐患排查")
        first = phone.locator("button.place-pick").first
        expect(first).to_be_visible()
        assert_accessible(phone)
        first.click()
        _answer_checklist(phone)
        wide = phone.evaluate(
            "() => [...document.querySelectorAll('main *')]"
            ".filter(e => e.getBoundingClientRect().right > 391)"
            ".map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"
        )
        assert not wide, wide  # nothing of the page runs off a 390 px screen
        shot(phone, "inspections-checklist", full_page=True)
        context.set_offline(True)
        phone.get_by_role("button", name="提交").click()
        expect(phone.locator("#check-status")).to_contain_text("无信号")
        assert phone.locator("body").get_attribute("data-send-state") == "queued"
        queued = phone.evaluate("() => JSON.parse(localStorage.getItem('pingan.inspections.outbox'))")
        assert len(queued) == 1
        uid = queued[0]["body"]["visit_uid"]
        shot(phone, "inspections-offline")
        context.set_offline(False)  # the page hears "online" and sends the outbox
        expect(phone.locator("#check-status")).to_contain_text("发现隐患 1 处", timeout=20_000)
        assert phone.evaluate("() => JSON.parse(localStorage.getItem('pingan.inspections.outbox'))") == []
        visits = phone.request.get(f"{base_url}/api/v1/inspections/visits?limit=100").json()["items"]
        mine = [v for v in visits if v["visit_uid"] == uid]
        assert len(mine) == 1 and len(mine[0]["hazards"]) == 1
        case_id = mine[0]["hazards"][0]["case_id"]
        context.close()

        # the street's command centre has it in its queue; it handles it (the street centre owns such cases)
        desk = browser.new_context(viewport=PHONE_390, is_mobile=True, bypass_csp=True, locale="zh-CN")
        operator = desk.new_page()
        sign_in(operator, base_url, "street", next_path="/inspections/check")
        queue = operator.request.get(f"{base_url}/api/v1/cases?limit=100&source=inspection").json()["items"]
        assert case_id in [c["id"] for c in queue]
        operator.goto(f"{base_url}/inspections/check")
        csrf = operator.locator("meta[name=csrf-token]").get_attribute("content") or ""
        for action in ("register", "dispatch", "handle"):
            case = operator.request.get(f"{base_url}/api/v1/cases/{case_id}").json()
            if action in case["allowed_actions"]:
                r = operator.request.post(
                    f"{base_url}/api/v1/cases/{case_id}/actions/{action}",
                    data={"note": "已更换软管"},
                    headers={"X-CSRF-Token": csrf},
                )
                assert r.ok, r.text()
        # the re-inspection on the phone verifies and closes it
        hazard_id = mine[0]["hazards"][0]["id"]
        operator.locator(f"button[data-hazard='{hazard_id}']").click()
        operator.locator("label[for='rc-pass']").click()
        operator.locator("#rc-photo").set_input_files(
            files=[{"name": "fixed.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
        )
        operator.locator("#rc-signed").fill("李复查")
        operator.get_by_role("button", name="提交复查").click()
        expect(operator.locator("#check-status")).to_contain_text("复查已提交", timeout=20_000)
        case = operator.request.get(f"{base_url}/api/v1/cases/{case_id}").json()
        assert case["state"] == "closed"
        desk.close()

    def test_an_answer_lost_on_the_way_does_not_duplicate_the_visit(
        self, browser: Browser, base_url: str
    ) -> None:
        context = browser.new_context(viewport=PHONE_390, is_mobile=True, bypass_csp=True, locale="zh-CN")
        phone = context.new_page()
        sign_in(phone, base_url, "gridworker", next_path="/inspections/check")
        phone.goto(f"{base_url}/inspections/check")
        lost = {"n": 0}

        def lose_first_answer(route: Route) -> None:
            if route.request.method == "POST" and lost["n"] == 0:
                lost["n"] += 1
                route.fetch()  # the server receives and records the visit …
                route.abort("connectionreset")  # … but its answer never reaches the phone
            else:
                route.continue_()

        phone.route(re.compile(r".*/api/v1/inspections/visits$"), lose_first_answer)
        phone.locator("button.place-pick").nth(1).click()
        _answer_checklist(phone, fail_first=False)
        phone.get_by_role("button", name="提交").click()
        expect(phone.locator("#check-status")).to_contain_text("无信号")
        outbox = phone.evaluate("() => JSON.parse(localStorage.getItem('pingan.inspections.outbox'))")
        uid = outbox[0]["body"]["visit_uid"]
        expect(phone.locator("#check-status")).to_contain_text("已提交", timeout=20_000)  # the retry (5 s)
        visits = phone.request.get(f"{base_url}/api/v1/inspections/visits?limit=100").json()["items"]
        assert [v["visit_uid"] for v in visits].count(uid) == 1 and lost["n"] == 1
        context.close()


class TestCampaignReport:
    def test_report_shows_the_counts_and_gives_the_xlsx(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport={"width": 1440, "height": 900}, bypass_csp=True, locale="zh-CN"
        )
        page = context.new_page()
        sign_in(page, base_url, "admin")
        page.goto(f"{base_url}/inspections")
        expect(page.locator("h1")).to_have_text("排查进度")
        page.locator("#campaign").select_option(label="G20峰会前全域隐患大排查")
        page.get_by_role("button", name="查看").click()
        page.get_by_role("link", name="排查报告").click()
        expect(page.locator("#headline-figures [data-key='found']")).to_have_text("2061")
        rectified = int(page.locator("#headline-figures [data-key='rectified']").inner_text())
        overdue = int(page.locator("#headline-figures [data-key='overdue']").inner_text())
        assert rectified > 1800 and overdue > 0
        assert page.locator("#open-hazards tbody tr").count() == 2061 - rectified
        assert_accessible(page)
        shot(page, "inspections-report")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 Excel").first.click()
        assert download.value.suggested_filename == "campaign-G20-BASE.xlsx"
        context.close()


class TestPlaceFound:
    def test_a_place_found_on_the_spot_is_inspected_and_registered(
        self, browser: Browser, base_url: str
    ) -> None:
        probe = browser.new_context(bypass_csp=True, locale="zh-CN")
        page = probe.new_page()
        sign_in(page, base_url, "gridworker")
        campaign = page.request.get(f"{base_url}/api/v1/inspections/campaigns").json()[0]
        near = page.request.get(
            f"{base_url}/api/v1/inspections/campaigns/{campaign['id']}/places?limit=1"
        ).json()
        spot = {"longitude": near["items"][0]["lon"] + 0.00005, "latitude": near["items"][0]["lat"]}
        probe.close()
        context = browser.new_context(
            viewport=PHONE_390, is_mobile=True, bypass_csp=True, locale="zh-CN",
            geolocation=spot, permissions=["geolocation"],
        )  # fmt: skip
        phone = context.new_page()
        sign_in(phone, base_url, "gridworker", next_path="/inspections/check")
        phone.goto(f"{base_url}/inspections/check")
        phone.locator("#new-place summary").click()
        phone.get_by_label("名称").fill("新发现的小吃店")
        phone.get_by_label("地址").fill("江南大道1号")
        phone.get_by_role("button", name="检查此场所").click()
        _answer_checklist(phone, fail_first=False)
        phone.get_by_role("button", name="提交", exact=True).click()
        expect(phone.locator("#check-status")).to_contain_text("已提交", timeout=20_000)
        expect(phone.locator("button.place-pick", has_text="新发现的小吃店")).to_be_visible()
        context.close()
