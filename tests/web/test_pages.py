"""Pages through the app (no browser): sign-in with cookie sessions and CSRF, languages, error pages,
the workbench forms, the resident report and tracking, and the wall's data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.web.i18n import CATALOG_DIR, catalog
from pingan.web.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.factories import auth

HTML = {"accept": "text/html"}
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web" / "templates"
SPOT = {"lon": "120.1813", "lat": "30.1557"}  # inside 月明社区1号网格 (长河街道)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def csrf(client: TestClient) -> str:
    client.get("/login", headers=HTML)
    return client.cookies[CSRF_COOKIE]


def sign_in(client: TestClient, username: str = "admin") -> None:
    token = csrf(client)
    r = client.post(
        "/login",
        data={"username": username, "password": "pingan-demo", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


class TestLogin:
    def test_page_is_chinese_by_default(self, client: TestClient) -> None:
        r = client.get("/login", headers=HTML)
        assert r.status_code == 200 and '<html lang="zh-CN">' in r.text and "登录" in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]

    def test_good_password_sets_an_httponly_session_cookie(self, client: TestClient) -> None:
        token = csrf(client)
        r = client.post(
            "/login",
            data={"username": "street", "password": "pingan-demo", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/wall"
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert client.get("/api/v1/auth/me").json()["username"] == "street"

    def test_wrong_password_is_explained_on_the_form(self, client: TestClient) -> None:
        token = csrf(client)
        r = client.post("/login", data={"username": "admin", "password": "nope-nope", "csrf_token": token})
        assert r.status_code == 401 and "用户名或密码错误" in r.text
        assert SESSION_COOKIE not in client.cookies

    def test_missing_csrf_token_is_refused(self, client: TestClient) -> None:
        csrf(client)
        r = client.post("/login", data={"username": "admin", "password": "pingan-demo"})
        assert r.status_code == 403 and "页面已过期" in r.text
        assert SESSION_COOKIE not in client.cookies

    def test_next_goes_back_but_never_to_another_site(self, client: TestClient) -> None:
        token = csrf(client)
        data = {"username": "admin", "password": "pingan-demo", "csrf_token": token}
        r = client.post("/login", data={**data, "next": "/work?state=open"}, follow_redirects=False)
        assert r.headers["location"] == "/work?state=open"
        token = csrf(client)
        r = client.post(
            "/login",
            data={**data, "csrf_token": token, "next": "https://evil.example/"},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/wall"


class TestCookieSession:
    def test_unsafe_request_needs_the_csrf_header(self, client: TestClient) -> None:
        sign_in(client)
        r = client.post("/work/cases/1/act", data={"action": "comment", "note": "x"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        r = client.post("/api/v1/cases/1/actions/comment", json={"note": "x"})
        assert r.status_code == 403 and r.json()["error"]["field"] == "csrf_token"

    def test_bearer_tokens_still_work(self, client: TestClient, session: Session) -> None:
        assert client.get("/api/v1/auth/me", headers=auth(session, "auditor")).json()["username"] == "auditor"

    def test_sign_out_revokes_the_session(self, client: TestClient) -> None:
        sign_in(client)
        secret = client.cookies[SESSION_COOKIE]
        r = client.post("/logout", data={"csrf_token": client.cookies[CSRF_COOKIE]}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        client.cookies.set(SESSION_COOKIE, secret)
        assert client.get("/api/v1/auth/me").status_code == 401
        r = client.get("/work", headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


class TestLanguage:
    def test_switch_is_remembered(self, client: TestClient) -> None:
        r = client.get("/lang/en?next=/login", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        page = client.get("/login", headers=HTML).text
        assert '<html lang="en">' in page and "Sign in" in page and "登录" not in page

    def test_catalogs_have_the_same_keys(self) -> None:
        assert catalog("zh").keys() == catalog("en").keys()
        assert all(v.strip() for lang in ("zh", "en") for v in catalog(lang).values())

    def test_every_template_key_is_translated(self) -> None:
        keys = set(catalog("zh"))
        used = set()
        for template in TEMPLATES.glob("*.html"):
            used |= set(re.findall(r"""_\(\s*["']([a-z0-9_.]+)["']\s*[,)]""", template.read_text()))
        assert used and used <= keys, sorted(used - keys)

    def test_catalog_files_are_valid_json(self) -> None:
        for path in CATALOG_DIR.glob("*.json"):
            assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


class TestErrorPages:
    def test_browsers_get_a_friendly_404(self, client: TestClient) -> None:
        r = client.get("/no-such-page", headers=HTML)
        assert r.status_code == 404 and "页面不存在" in r.text

    def test_api_errors_stay_json(self, client: TestClient) -> None:
        r = client.get("/api/v1/nothing-here", headers=HTML)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    def test_resident_gets_403_page_on_the_wall(self, client: TestClient) -> None:
        sign_in(client, "resident")
        r = client.get("/wall", headers=HTML)
        assert r.status_code == 403 and "无权访问" in r.text

    def test_anonymous_is_sent_to_sign_in(self, client: TestClient) -> None:
        r = client.get("/work/cases/1?x=1", headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fwork%2Fcases%2F1%3Fx%3D1"

    def test_case_outside_scope_is_404(self, client: TestClient) -> None:
        sign_in(client, "street")  # 长河街道 only
        queue = client.get("/work?area=330108001", headers=HTML)  # 西兴街道
        assert "没有符合条件的事件" in queue.text


def _report(client: TestClient, **extra: str) -> dict[str, str]:
    token = csrf(client)
    data = {
        "category_code": "0102",
        "description": "垃圾桶满溢，垃圾散落在人行道上",
        "crs": "wgs84",
        "csrf_token": token,
        **SPOT,
        **extra,
    }
    return data


class TestReport:
    def test_anonymous_report_needs_a_phone(self, client: TestClient) -> None:
        r = client.post("/report", data=_report(client), headers={"accept": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "reporter_phone"

    def test_report_outside_the_district_names_the_position(self, client: TestClient) -> None:
        data = _report(client, reporter_phone="13812345678", lon="121.5", lat="31.2")
        r = client.post("/report", data=data, headers={"accept": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "lon"
        assert "不在本区" in r.json()["error"]["message"]

    def test_report_then_track_by_number_and_code(self, client: TestClient) -> None:
        data = _report(client, reporter_phone="13812345678")
        r = client.post("/report", data=data, headers={"accept": "application/json"})
        assert r.status_code == 201, r.text
        body = r.json()
        page = client.get("/track", params={"number": body["number"], "code": body["code"]}, headers=HTML)
        assert page.status_code == 200 and 'data-state="reported"' in page.text
        wrong = client.get("/track", params={"number": body["number"], "code": "nope"}, headers=HTML)
        assert wrong.status_code == 404 and "没有找到" in wrong.text

    def test_photo_is_attached_and_shown_to_the_tracker(self, client: TestClient) -> None:
        data = _report(client, reporter_phone="13812345678")
        files = {"photo": ("spot.png", PNG, "image/png")}
        body = client.post("/report", data=data, files=files, headers={"accept": "application/json"}).json()
        page = client.get(
            "/track", params={"number": body["number"], "code": body["code"]}, headers=HTML
        ).text
        src = re.search(r'<img src="(/track/photo/[^"]+)"', page)
        assert src is not None
        photo = client.get(src.group(1).replace("&amp;", "&"))
        assert photo.status_code == 200 and photo.content == PNG
        other = client.get(src.group(1).replace("&amp;", "&").split("?")[0] + "?number=" + body["number"])
        assert other.status_code == 404

    def test_form_without_scripts_comes_back_with_its_content(self, client: TestClient) -> None:
        data = _report(client, reporter_phone="12345")
        r = client.post("/report", data=data, headers=HTML)
        assert r.status_code == 422 and "垃圾桶满溢" in r.text and 'id="err-reporter_phone"' in r.text

    def test_nearby_lists_open_cases_of_the_kind(self, client: TestClient) -> None:
        data = _report(client, reporter_phone="13812345678")
        number = client.post("/report", data=data, headers={"accept": "application/json"}).json()["number"]
        near = client.get("/report/nearby", params={"category_code": "0102", **SPOT}).json()["items"]
        assert number in [i["number"] for i in near]


def _new_case(client: TestClient) -> int:
    data = _report(client, reporter_phone="13812345678")
    number = client.post("/report", data=data, headers={"accept": "application/json"}).json()["number"]
    sign_in(client, "street")
    r = client.get(f"/work/number/{number}", follow_redirects=False)
    return int(r.headers["location"].rsplit("/", 1)[-1])


class TestWorkbench:
    def test_queue_filters_live_in_the_url(self, client: TestClient) -> None:
        sign_in(client)
        r = client.get("/work?state=closed&sla=red&q=zzzz-nothing", headers=HTML)
        assert r.status_code == 200 and 'value="zzzz-nothing"' in r.text and "没有符合条件的事件" in r.text

    def test_case_page_offers_only_allowed_actions(self, client: TestClient) -> None:
        case_id = _new_case(client)
        page = client.get(f"/work/cases/{case_id}", headers=HTML).text
        assert 'id="act-register"' in page and 'id="act-reject"' in page
        assert 'id="act-dispatch"' not in page and 'id="act-close"' not in page

    def test_dispatch_without_unit_shows_the_message_by_the_field(self, client: TestClient) -> None:
        case_id = _new_case(client)
        token = client.cookies[CSRF_COOKIE]
        r = client.post(
            f"/work/cases/{case_id}/act",
            data={"action": "register", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=register")
        r = client.post(f"/work/cases/{case_id}/act", data={"action": "dispatch", "csrf_token": token})
        assert r.status_code == 422 and 'id="err-unit_id"' in r.text and "请选择责任单位" in r.text

    def test_reject_needs_a_reason(self, client: TestClient) -> None:
        case_id = _new_case(client)
        token = client.cookies[CSRF_COOKIE]
        r = client.post(f"/work/cases/{case_id}/act", data={"action": "reject", "csrf_token": token})
        assert r.status_code == 422 and "请填写不予立案的原因" in r.text
        page = client.get(f"/work/cases/{case_id}", headers=HTML).text
        assert 'data-state="reported"' in page

    def test_illegal_action_is_explained(self, client: TestClient) -> None:
        case_id = _new_case(client)
        token = client.cookies[CSRF_COOKIE]
        r = client.post(f"/work/cases/{case_id}/act", data={"action": "close", "csrf_token": token})
        assert r.status_code == 409 and "状态已变化" in r.text


class TestGridView:
    def test_counts_and_open_cases(self, client: TestClient) -> None:
        sign_in(client, "gridworker")
        r = client.get("/grids/33010800200201", headers=HTML)
        assert r.status_code == 200 and "月明社区1号网格" in r.text and "户数" in r.text
        # the grids module's area panel: its figures join the page's, its staff list follows the cases
        assert "登记户数" in r.text and "场所" in r.text and "<h2>网格工作人员</h2>" in r.text

    def test_grid_outside_scope_is_404(self, client: TestClient) -> None:
        sign_in(client, "gridworker")
        r = client.get("/grids/33010800100803", headers=HTML)
        assert r.status_code == 404


class TestWallData:
    def test_figures_match_the_open_cases(self, client: TestClient) -> None:
        sign_in(client)
        data = client.get("/wall/data.json").json()
        open_n = int(data["kpis"]["open"]["value"])
        assert sum(g["open"] for g in data["grids"].values()) == open_n
        assert sum(r["open"] for r in data["ranking"]) == open_n
        assert len(data["trends"]["daily"]["received"]) == 30
        assert data["trends"]["yoy"]["summary"]

    def test_patrollers_are_positions_without_names(self, client: TestClient) -> None:
        sign_in(client)
        data = client.get("/wall/data.json").json()
        assert int(data["kpis"]["patrols"]["value"]) == len(data["patrollers"])
        assert all(set(p) == {"lon", "lat", "status"} for p in data["patrollers"])

    def test_a_street_wall_ranks_its_communities(self, client: TestClient) -> None:
        sign_in(client, "street")
        data = client.get("/wall/data.json").json()
        assert data["ranking_level"] == "community"
        assert all(r["code"].startswith("330108002") and len(r["code"]) == 12 for r in data["ranking"])
        assert "社区排名" in client.get("/wall", headers=HTML).text

    @pytest.mark.parametrize("path", ["/wall", "/wall/data.json"])
    def test_only_command_staff(self, client: TestClient, path: str) -> None:
        sign_in(client, "handler")
        assert client.get(path, headers=HTML).status_code == 403


class TestStatic:
    def test_vendor_libraries_are_served_from_node_modules(self, client: TestClient) -> None:
        assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
        assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200
        assert client.get("/static/app/wall.js").status_code == 200


class TestStartup:
    def test_missing_front_end_libraries_is_a_clear_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        from pingan.web import pages

        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(pages, "VENDOR", {"leaflet": "no-such-package/dist"})
        with pytest.raises(RuntimeError, match="npm ci"):
            pages.find_node_modules()
