"""The pages in a real Chromium: sign in; the wall fills in and goes live; a phone report appears on the
wall; the workbench registers, dispatches, handles, verifies and closes it; the resident rates it;
languages; 403/404 pages. Every page is checked with axe-core and photographed into docs/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.helpers import DESK, PHONE, WALL, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e

# The report in the end-to-end test: exposed garbage (0102, routed to 区城市管理局) in 月明社区.
REPORT_TEXT = "小区东门垃圾桶满溢，垃圾散落在人行道上"
SPOT = {"longitude": 120.1813, "latitude": 30.1557}  # inside 月明社区1号网格, 长河街道


def _wall(browser: Browser, base_url: str, lang: str = "zh") -> Page:
    context = browser.new_context(viewport=WALL, bypass_csp=True, timezone_id="Asia/Shanghai", locale="zh-CN")
    if lang == "en":
        context.add_cookies([{"name": "pingan_lang", "value": "en", "url": base_url}])
    page = context.new_page()
    sign_in(page, base_url, "admin")
    expect(page).to_have_url(re.compile(r"/wall$"))
    page.wait_for_selector("body[data-loaded='1'][data-grids]", timeout=20_000)
    page.wait_for_selector("body[data-charts='1']", timeout=20_000)
    page.wait_for_selector("#live[data-state='on']", timeout=20_000)
    return page


class TestSignIn:
    def test_wrong_password_is_explained(self, page: Page, base_url: str) -> None:
        page.goto(f"{base_url}/login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill("not-the-password")
        page.locator("form button[type=submit]").click()
        expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
        shot(page, "login-error")
        assert_accessible(page)

    def test_sign_out_ends_the_session(self, page: Page, base_url: str) -> None:
        sign_in(page, base_url, "street")
        expect(page).to_have_url(re.compile(r"/wall$"))
        page.goto(f"{base_url}/work")
        page.get_by_role("button", name="退出登录").click()
        expect(page).to_have_url(re.compile(r"/login"))
        page.goto(f"{base_url}/work")
        expect(page).to_have_url(re.compile(r"/login\?next="))


class TestWall:
    def test_wall_fills_in_without_scroll_bars(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url)
        paint = page.evaluate(
            "() => { const e = performance.getEntriesByType('paint'); "
            "const f = e.find(x => x.name === 'first-contentful-paint') || e[0]; "
            "return f ? f.startTime : null; }"
        )
        print(f"\nwall first contentful paint: {paint:.0f} ms (demo data, headless Chromium)")
        assert int(page.locator("body").get_attribute("data-grids") or 0) > 200
        expect(page.locator("[data-kpi='open']")).not_to_have_text("–")
        expect(page.locator("#ranking tbody tr")).not_to_have_count(0)
        expect(page.locator("#yoy-summary")).to_contain_text("较去年同月")
        expect(page.locator("#mom-summary")).to_contain_text("较上月同期")
        overflow = page.evaluate(
            "() => { const d = document.documentElement; "
            "return [d.scrollWidth > innerWidth, d.scrollHeight > innerHeight]; }"
        )
        assert overflow == [False, False]
        shot(page, "wall")
        page.get_by_role("button", name="显示巡防队员").click()
        expect(page.get_by_role("button", name="显示巡防队员")).to_have_attribute("aria-pressed", "true")
        shot(page, "wall-patrols")
        page.get_by_role("button", name="超时事件").click()
        expect(page.locator("#legend")).to_contain_text("超时事件")
        assert_accessible(page)
        page.context.close()

    def test_lost_connection_shows_reconnecting(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url)
        page.context.set_offline(True)
        expect(page.locator("#live")).to_have_attribute("data-state", "reconnecting", timeout=15_000)
        expect(page.locator("#live")).to_contain_text("正在重连")
        shot(page, "wall-reconnecting")
        page.context.set_offline(False)
        expect(page.locator("#live")).to_have_attribute("data-state", "on", timeout=15_000)
        page.context.close()


class TestCaseLife:
    def test_report_to_closure_live(self, browser: Browser, base_url: str, tmp_path: Path) -> None:
        wall = _wall(browser, base_url)

        # a resident files a report on a phone, without an account, using the phone's position
        phone_ctx = browser.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,
            timezone_id="Asia/Shanghai",
            geolocation=SPOT,
            permissions=["geolocation"],
        )
        phone = phone_ctx.new_page()
        phone.goto(f"{base_url}/report")
        phone.get_by_label("问题类别").select_option("0102")
        phone.get_by_label("问题描述").fill(REPORT_TEXT)
        phone.get_by_role("button", name="使用我的当前位置").click()
        expect(phone.locator("#where-text")).to_contain_text("已使用当前位置")
        phone.get_by_label("手机号", exact=False).fill("13812345678")
        phone.get_by_label("照片", exact=False).set_input_files(_photo(tmp_path, "before.png"))
        shot(phone, "report-phone", full_page=True)
        assert_accessible(phone)

        # the street operator's queue is open meanwhile: the report will appear there without a reload
        desk_ctx = browser.new_context(
            viewport=DESK, bypass_csp=True, timezone_id="Asia/Shanghai", locale="zh-CN"
        )
        desk = desk_ctx.new_page()
        sign_in(desk, base_url, "street", next_path="/work")
        expect(desk.locator("#queue-live")).to_have_attribute("data-state", "on", timeout=10_000)
        phone.get_by_role("button", name="提交").click()
        phone.wait_for_url(re.compile(r"/report/done"))
        number = phone.locator("#case-number").inner_text()
        assert re.fullmatch(r"[A-Z]{2}\d{10,14}", number), number
        code = phone.locator("strong.code").inner_text()
        shot(phone, "report-done")

        # it appears on the wall without a reload
        # (other live events, e.g. the SLA job's, may arrive too: find the report by its number)
        expect(wall.locator("#feed li", has_text=number)).to_have_count(1, timeout=10_000)
        shot(wall, "wall-live")
        expect(desk.locator("#queue tbody tr", has_text=number)).to_have_count(1, timeout=10_000)
        expect(desk.locator("#queue tbody tr.fresh", has_text=number)).to_have_count(1)
        shot(desk, "workbench-live")

        # a handler's queue: the report is not theirs to act on until it is dispatched to their unit
        handler_ctx = browser.new_context(
            viewport=DESK, bypass_csp=True, timezone_id="Asia/Shanghai", locale="zh-CN"
        )
        handler = handler_ctx.new_page()
        sign_in(handler, base_url, "handler", next_path="/work")
        expect(handler.locator("#queue-live")).to_have_attribute("data-state", "on", timeout=10_000)
        expect(handler.locator("#queue tbody tr", has_text=number)).to_have_count(0)

        # the street operator registers and dispatches it from the workbench, with the keyboard
        desk.get_by_label("搜索").fill(number)
        desk.get_by_label("搜索").press("Enter")
        expect(desk.locator("#queue tbody tr")).to_have_count(1)
        expect(desk).to_have_url(re.compile(r"q=" + number))
        shot(desk, "workbench")
        assert_accessible(desk)
        desk.wait_for_selector("body[data-keys='1']")  # the page's keyboard script has loaded
        desk.locator("body").press("j")
        desk.keyboard.press("Enter")
        expect(desk.locator("h1")).to_contain_text(number)
        desk.wait_for_selector("body[data-keys='1']")
        desk.locator("body").press("a")  # keyboard: straight to the first action's field
        expect(desk.locator("#register-note")).to_be_focused()
        _act(desk, "register", "registered")
        desk.locator("#dispatch-unit").select_option("")
        desk.locator("#act-dispatch button[type=submit]").click()
        expect(desk.locator("#act-dispatch .error")).to_contain_text("请选择责任单位")
        desk.locator("#dispatch-unit").select_option(label="区城市管理局")
        _act(desk, "dispatch", "dispatched")
        expect(wall.locator("#feed li", has_text=number)).to_contain_text("已派遣", timeout=10_000)
        case_url = desk.url.split("?")[0]
        # the dispatch reaches the handler's open queue without a reload
        expect(handler.locator("#queue tbody tr", has_text=number)).to_have_count(1, timeout=10_000)

        # the city-management handler starts, then reports it handled with an after photo
        handler.goto(case_url)
        due_before = handler.locator("#case-sla").inner_text()
        _act(handler, "start", "in_progress")
        expect(handler.locator("#case-sla")).to_have_attribute("data-color", re.compile("green|yellow|red"))
        assert due_before  # the stage's deadline runs on from dispatch (tests/cases/test_workflow.py)
        handler.locator("#act-handle button[type=submit]").click()
        expect(handler.locator("#act-handle .error")).to_contain_text("处置结果")
        handler.locator("#act-handle textarea").fill("已清运垃圾并冲洗路面")
        handler.locator("#handle-evidence").set_input_files(_photo(tmp_path, "after.png"))
        _act(handler, "handle", "handled")
        handler_ctx.close()

        # the operator verifies and closes
        desk.goto(case_url)
        _act(desk, "verify", "verified")
        _act(desk, "close", "closed")
        expect(desk.locator(".timeline")).to_contain_text("已清运垃圾并冲洗路面")
        expect(desk.locator(".timeline")).not_to_contain_text("action.")
        expect(desk.locator(".timeline")).not_to_contain_text("resident_web")
        expect(desk.locator(".photos img")).to_have_count(2)  # the report photo and the after photo
        shot(desk, "case", full_page=True)
        assert_accessible(desk)
        expect(wall.locator("#feed li", has_text=number)).to_contain_text("已结案", timeout=10_000)

        # the resident follows the case by number and code and rates the outcome
        phone.goto(f"{base_url}/track")
        phone.get_by_label("事件编号").fill(number)
        phone.get_by_label("查询码").fill(code)
        phone.get_by_role("button", name="查询").click()
        expect(phone.locator("#track-state")).to_have_attribute("data-state", "closed")
        expect(phone.locator(".photos img")).to_have_count(2)
        phone.wait_for_function(
            "() => [...document.querySelectorAll('.photos img')].every(i => i.naturalWidth > 0)"
        )
        phone.get_by_label("已解决").check()
        phone.get_by_role("button", name="提交评价").click()
        expect(phone.locator(".error")).to_contain_text("满意程度")
        expect(phone.locator(".timeline")).not_to_contain_text("resident_web")
        expect(phone.locator(".timeline")).not_to_contain_text("rule")
        phone.get_by_label("已解决").check()
        phone.get_by_label("满意", exact=True).check()
        phone.get_by_label("意见建议", exact=False).fill("处理很及时，谢谢")
        phone.get_by_role("button", name="提交评价").click()
        expect(phone.get_by_role("status")).to_contain_text("感谢")
        shot(phone, "track", full_page=True)
        assert_accessible(phone)
        phone_ctx.close()

        # the operator sees the resident's verdict and comment on the case page, the step labelled in Chinese
        desk.goto(case_url)
        expect(desk.locator("#ratings")).to_contain_text("已解决")
        expect(desk.locator("#ratings")).to_contain_text("处理很及时，谢谢")
        expect(desk.locator("#timeline li[data-action=rate]")).to_contain_text("群众（报事人）")
        shot(desk, "case-rated", full_page=True)
        desk_ctx.close()
        handler_ctx.close()
        wall.context.close()


def _act(page: Page, action: str, state: str) -> None:
    page.locator(f"#act-{action} button[type=submit]").click()
    expect(page.locator("#case-state")).to_have_attribute("data-state", state)


def _photo(folder: Path, name: str) -> str:
    """A small real PNG (a grey square)."""
    import struct
    import zlib

    width = height = 32
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path = folder / name
    path.write_bytes(png)
    return str(path)


class TestBadSignal:
    def test_failed_send_keeps_the_report_and_retries(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,
            locale="zh-CN",
            geolocation=SPOT,
            permissions=["geolocation"],
        )
        phone = context.new_page()
        phone.goto(f"{base_url}/report")
        phone.get_by_label("问题类别").select_option("1402")
        phone.get_by_label("问题描述").fill("路灯不亮已经三天，晚上很黑")
        phone.get_by_role("button", name="使用我的当前位置").click()
        expect(phone.locator("#where-text")).to_contain_text("已使用当前位置")
        phone.get_by_label("手机号", exact=False).fill("13912345678")
        # the browser is closed before sending: the draft comes back
        phone.reload()
        expect(phone.get_by_label("问题描述")).to_have_value("路灯不亮已经三天，晚上很黑")
        expect(phone.locator("#report-status")).to_contain_text("已恢复")
        expect(phone.locator("#where-text")).to_contain_text("120.18130")
        failures = {"n": 0}

        def drop_first(route: Route) -> None:
            if route.request.method == "POST" and failures["n"] == 0:
                failures["n"] += 1
                route.abort("internetdisconnected")
            else:
                route.continue_()

        phone.route("**/report", drop_first)
        phone.get_by_role("button", name="提交").click()
        expect(phone.locator("#send-status")).to_contain_text("提交未成功")
        assert phone.locator("body").get_attribute("data-send-state") == "retrying"
        draft = phone.evaluate("() => JSON.parse(localStorage.getItem('pingan.report.draft'))")
        assert draft["description"] == "路灯不亮已经三天，晚上很黑" and draft["category_code"] == "1402"
        shot(phone, "report-retrying")
        # the retry goes through on its own
        phone.wait_for_url(re.compile(r"/report/done"), timeout=20_000)
        assert failures["n"] == 1
        assert phone.evaluate("() => localStorage.getItem('pingan.report.draft')") is None
        context.close()


class TestLanguage:
    def test_switch_to_english_is_remembered(self, browser: Browser, base_url: str) -> None:
        context = browser.new_context(viewport=DESK, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{base_url}/login")
        page.get_by_role("link", name="English").click()
        expect(page.locator("h1")).to_have_text("Sign in")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        sign_in(page, base_url, "admin", next_path="/work")
        expect(page.locator("h1")).to_contain_text("Workbench")
        body = page.locator("main").inner_text()
        assert "工作台" not in body and "筛选" not in body
        shot(page, "workbench-en")
        page.get_by_role("link", name="中文").click()
        expect(page.locator("h1")).to_contain_text("工作台")
        context.close()

    def test_wall_in_english(self, browser: Browser, base_url: str) -> None:
        page = _wall(browser, base_url, lang="en")
        expect(page.locator("h1")).to_have_text("Safety Command Centre")
        expect(page.locator("#yoy-summary")).to_contain_text("same month last year")
        shot(page, "wall-en")
        page.context.close()


class TestOtherPages:
    def test_grid_view(self, page: Page, base_url: str) -> None:
        page.set_viewport_size(DESK)
        sign_in(page, base_url, "gridworker", next_path="/grids/33010800200201")
        expect(page.locator("h1")).to_contain_text("月明社区1号网格")
        page.wait_for_selector("#grid-map[data-ready='1']")
        shot(page, "grid")
        assert_accessible(page)

    def test_friendly_404_and_403(self, page: Page, base_url: str) -> None:
        page.goto(f"{base_url}/no-such-page")
        expect(page.locator("h1")).to_have_text("页面不存在")
        shot(page, "not-found")
        assert_accessible(page)
        sign_in(page, base_url, "resident")
        page.goto(f"{base_url}/wall")
        expect(page.locator("h1")).to_have_text("无权访问")


class TestMaps:
    def test_gcj02_conversion_matches_the_server(self, page: Page, base_url: str) -> None:
        """With GCJ-02 tiles the pages shift our WGS-84 data exactly as pingan.core.geo does."""
        from pingan.core.geo import wgs84_to_gcj02

        page.goto(f"{base_url}/report")
        page.wait_for_function("() => window.PinganMap")
        for lon, lat in ((120.1813, 30.1557), (120.2140, 30.1985), (116.397, 39.909)):
            js = page.evaluate("([lon, lat]) => PinganMap.wgsToGcj(lon, lat)", [lon, lat])
            py = wgs84_to_gcj02(lon, lat)
            assert abs(js[0] - py[0]) < 1e-9 and abs(js[1] - py[1]) < 1e-9


class TestCommandChain:
    def test_escalation_is_followed_by_the_district(self, browser: Browser, base_url: str) -> None:
        """A street escalates a case (上报区级): the district finds it under the 上报区级 tab with a
        reminder, the street can no longer dispatch it, and the district hands it back."""
        import httpx

        r = httpx.post(
            f"{base_url}/api/v1/cases",
            json={
                "category_code": "0102",
                "description": "跨街道河道边堆放大量建筑垃圾",
                "lon": SPOT["longitude"],
                "lat": SPOT["latitude"],
                "reporter_phone": "13812345678",
            },
            timeout=90,  # the first report of a cold server builds the locator (on a busy machine)
        )
        assert r.status_code == 201, r.text
        case_id, number = r.json()["id"], r.json()["number"]

        street_ctx = browser.new_context(viewport=DESK, bypass_csp=True, timezone_id="Asia/Shanghai")
        street = street_ctx.new_page()
        sign_in(street, base_url, "street", next_path=f"/work/cases/{case_id}")
        expect(street.locator("#act-register")).to_have_count(1)
        street.locator("#escalate-note").fill("涉及两个街道，需区级协调")
        _act(street, "escalate", "reported")
        expect(street.locator(".case-head")).to_contain_text("已上报区级")
        expect(street.locator("#act-register")).to_have_count(0)  # the district's now
        expect(street.locator("#act-dispatch")).to_have_count(0)

        admin_ctx = browser.new_context(viewport=DESK, bypass_csp=True, timezone_id="Asia/Shanghai")
        admin = admin_ctx.new_page()
        sign_in(admin, base_url, "admin", next_path="/work")
        admin.locator("#chain-tabs a", has_text="上报区级").click()
        expect(admin).to_have_url(re.compile(r"chain=escalated"))
        expect(admin.locator("#queue tbody tr", has_text=number)).to_have_count(1)
        expect(admin.locator("#reminders li", has_text=number)).to_contain_text("上报区级")
        shot(admin, "workbench-escalated")
        assert_accessible(admin)
        admin.goto(f"{base_url}/work?chain=bogus")
        expect(admin.locator("#filter-problem")).to_contain_text("chain")

        admin.goto(f"{base_url}/work/cases/{case_id}")
        admin.locator("#hand_back-note").fill("由街道牵头，区城管配合")
        _act(admin, "hand_back", "reported")
        expect(admin.locator("#timeline li[data-action=hand_back]")).to_contain_text("交回街道")
        street.goto(f"{base_url}/work")
        expect(street.locator("#reminders li", has_text=number)).to_contain_text("区级交回")
        street.goto(f"{base_url}/work/cases/{case_id}")
        expect(street.locator("#act-register")).to_have_count(1)
        admin_ctx.close()
        street_ctx.close()
