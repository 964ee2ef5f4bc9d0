"""Dispatch (指挥调度) in a real Chromium: the street operator sends the nearest on-duty patrol volunteer to a
case in 长河街道 with an instruction; the volunteer's phone (375 px), already open on /patrol, shows the task
and the instruction without a reload (live feed) and reports arrival and the outcome — keeping the typed note
through a failed send; the operator sees the instruction, arrival and outcome on the case timeline."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect

from pingan.demo.patrols import demo_device_key
from tests.e2e.helpers import DESK, PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e

DEMO_DEVICE = "31007745"  # the demo `volunteer` account's phone (Traccar Client device id)
OUTCOME = "两人因停车争执，已劝开，无人受伤"
REPORT_TEXT = "小区东门两人因停车争吵，快要动手了"
SPOT = {
    "longitude": 120.1813,
    "latitude": 30.1557,
}  # inside 月明社区1号网格, where the demo volunteer patrols


def _reported_case(browser: Browser, base_url: str) -> str:
    """A resident reports a quarrel at SPOT from a phone; returns the case number."""
    ctx = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
        timezone_id="Asia/Shanghai",
        geolocation=SPOT,
        permissions=["geolocation"],
    )
    page = ctx.new_page()
    page.goto(f"{base_url}/report")
    page.get_by_label("问题类别").select_option("0602")
    page.get_by_label("问题描述").fill(REPORT_TEXT)
    page.get_by_role("button", name="使用我的当前位置").click()
    expect(page.locator("#where-text")).to_contain_text("已使用当前位置")
    page.get_by_label("手机号", exact=False).fill("13812345679")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/report/done"))
    number = page.locator("#case-number").inner_text()
    ctx.close()
    return number


class TestDispatchNearestVolunteer:
    def test_operator_assigns_volunteer_reports_into_the_case(self, browser: Browser, base_url: str) -> None:
        desk_ctx = browser.new_context(
            viewport=DESK, bypass_csp=True, timezone_id="Asia/Shanghai", locale="zh-CN"
        )
        desk = desk_ctx.new_page()
        sign_in(desk, base_url, "street", next_path="/work")
        number = _reported_case(browser, base_url)
        desk.goto(f"{base_url}/work/number/{number}")
        expect(desk.locator("#patrol-panel")).to_have_count(0)  # only registered cases can get a patroller
        desk.locator("#act-register button[type=submit]").click()
        expect(desk.locator("#case-state")).to_have_attribute("data-state", "registered")
        case_url = desk.url.split("?")[0]
        lon, lat = SPOT["longitude"], SPOT["latitude"]

        # the volunteer's phone (Traccar Client, OsmAnd protocol) reports standing at the scene
        r = httpx.post(
            f"{base_url}/osmand",
            params={
                "id": DEMO_DEVICE,
                "key": demo_device_key(2016, DEMO_DEVICE),
                "timestamp": int(time.time()),
                "lat": lat,
                "lon": lon,
                "accuracy": 5,
            },
            timeout=10,
        )
        assert r.status_code == 200, r.text

        desk.goto(case_url)
        panel = desk.locator("#patrol-panel")
        expect(panel.locator("h2")).to_have_text("派遣巡防队员")
        first = panel.locator("#patrol-candidates tbody tr").first
        expect(first.locator("td").nth(2)).to_have_text(
            re.compile(r"^[01]米$")
        )  # the demo volunteer, at the case
        name = first.locator("td").first.inner_text()
        panel.locator("#patrol-note").fill("请先到现场查看")
        shot(desk, "dispatch-case", full_page=True)
        assert_accessible(desk)

        # the volunteer's 375 px phone is open on /patrol before the dispatch: no task yet, the page live
        phone_ctx = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True, timezone_id="Asia/Shanghai"
        )
        phone = phone_ctx.new_page()
        sign_in(phone, base_url, "volunteer")
        expect(phone).to_have_url(re.compile(r"/patrol$"))
        expect(phone.locator("article.dispatch", has_text=number)).to_have_count(0)
        expect(phone.locator("#dispatches")).to_have_attribute("data-live", "on")
        me = phone.locator("#patrol-me").inner_text()
        assert (
            "*" not in me.split("·")[0] and name.replace("*", "") != me.split("·")[0].strip()
        )  # own name, in full
        phone.evaluate("window.__notReloaded = true")

        first.get_by_role("button").click()
        expect(desk.locator("#patrol-panel .success")).to_contain_text("已派遣巡防队员")
        expect(desk.locator(".timeline")).to_contain_text(f"派巡防队员 {name} 前往处置")
        expect(desk.locator(".timeline")).to_contain_text("调度指令：请先到现场查看")

        # the task appears on the phone by itself (no reload), with the operator's instruction
        card = phone.locator("article.dispatch", has_text=number)
        expect(card).to_be_visible(timeout=15_000)
        expect(card.locator(".instruction")).to_have_text("请先到现场查看")
        expect(phone.locator("#patrol-status")).to_contain_text("收到新的调度任务")
        assert phone.evaluate("window.__notReloaded === true")
        expect(phone.locator("#shift-title")).to_have_text("我的班次")
        shot(phone, "patrol-phone", full_page=True)
        assert_accessible(phone)
        card.get_by_role("button", name="已到场").click()
        expect(phone.locator("#patrol-status")).to_contain_text("已报告到场")

        # a send that fails keeps the typed outcome (also across a reload), and the same button sends it later
        card = phone.locator("article.dispatch", has_text=number)
        card.get_by_label("情况说明", exact=False).fill(OUTCOME)

        def drop(route: Route) -> None:
            route.abort("internetdisconnected")

        phone.route("**/patrol/dispatches/*", drop)
        card.get_by_role("button", name="处置完毕").click()
        expect(card.locator(".send-status")).to_contain_text("发送失败")
        expect(card.get_by_label("情况说明", exact=False)).to_have_value(OUTCOME)
        phone.reload()
        card = phone.locator("article.dispatch", has_text=number)
        expect(card.get_by_label("情况说明", exact=False)).to_have_value(OUTCOME)
        phone.unroute("**/patrol/dispatches/*", drop)
        card.get_by_role("button", name="处置完毕").click()
        expect(phone.locator("#patrol-status")).to_contain_text("已报告处置结果")
        expect(phone.locator("article.dispatch", has_text=number)).to_have_count(0)
        phone_ctx.close()

        # the operator reloads the case: arrival and outcome are on the timeline
        desk.reload()
        timeline = desk.locator(".timeline")
        expect(timeline).to_contain_text(f"巡防队员 {name} 已到场")
        expect(timeline).to_contain_text(f"巡防队员 {name} 已处置")
        expect(timeline).to_contain_text(OUTCOME)
        expect(timeline).to_contain_text("调度指令：请先到现场查看")  # the report did not overwrite it
        expect(desk.locator("#patrol-sent")).to_contain_text("已处置")
        desk_ctx.close()
