"""Security properties of the browser sign-in (web/sessions.py, owned by the web UI): cookie flags, CSRF,
session tokens that are not bearer tokens, delays through the form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.accounts.throttle import LoginGuard
from pingan.core.security import Role
from tests.factories import make_account


def sign_in(client: TestClient, username: str = "admin", password: str = "pingan-demo") -> str:
    client.get("/login")
    csrf = client.cookies.get("pingan_csrf")
    assert csrf
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    return r.headers.get_list("set-cookie") if hasattr(r.headers, "get_list") else [r.headers["set-cookie"]]  # type: ignore[return-value]


class TestSessionCookie:
    def test_httponly_and_samesite(self, client: TestClient) -> None:
        cookies = " ".join(sign_in(client)).lower()
        session_cookie = next(c for c in cookies.split("pingan_session=")[1:])
        assert "httponly" in session_cookie and "samesite=lax" in session_cookie

    def test_session_secret_is_not_a_bearer_token(self, client: TestClient) -> None:
        sign_in(client)
        secret = client.cookies.get("pingan_session")
        assert secret
        bare = TestClient(client.app)
        assert bare.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


class TestCsrf:
    def test_cookie_authenticated_unsafe_api_call_needs_the_token(self, client: TestClient) -> None:
        sign_in(client)
        assert client.get("/api/v1/auth/me").json()["username"] == "admin"
        body = {"name": "from the browser", "days": 1}
        refused = client.post("/api/v1/accounts/me/tokens", json=body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
        csrf = client.cookies.get("pingan_csrf") or ""
        ok = client.post("/api/v1/accounts/me/tokens", json=body, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201

    def test_login_form_without_token_is_refused(self, client: TestClient) -> None:
        r = client.post(
            "/login", data={"username": "admin", "password": "pingan-demo"}, follow_redirects=False
        )
        assert r.status_code == 403 and "pingan_session" not in client.cookies


class TestFormThrottle:
    def test_repeated_failures_delay_the_next_attempt(self, client: TestClient, session: Session) -> None:
        make_account(session, "webuser", Role.GRID_WORKER, "330108002")
        client.app.state.login_guard = LoginGuard(clock=lambda: 100.0)  # type: ignore[attr-defined]
        client.get("/login")
        csrf = client.cookies.get("pingan_csrf")
        for _ in range(3):
            r = client.post(
                "/login", data={"username": "webuser", "password": "wrong-pass", "csrf_token": csrf}
            )
            assert r.status_code == 401
        r = client.post(
            "/login",
            data={"username": "webuser", "password": "correct-horse", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
