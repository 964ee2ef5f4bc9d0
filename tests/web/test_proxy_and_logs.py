"""TLS behind a proxy (issue 14): forwarded headers from configured proxies only give Secure cookies, HSTS
and the real client address; the nginx configuration in deploy/ is the one docs/deployment.md shows.
Personal data in query strings never reaches a log, and searches by it have POST endpoints."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.accounts.throttle import LoginGuard
from pingan.core import pii
from pingan.core.config import Settings
from pingan.web.app import create_app
from tests.factories import auth

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "deploy" / "nginx-pingan.conf"
CADDY = ROOT / "deploy" / "Caddyfile"
BROWSER = "203.0.113.9"  # the browser's address as nginx sees it


def nginx_headers(*, scheme: str = "https", remote: str = BROWSER) -> dict[str, str]:
    """The headers the nginx configuration in deploy/ sets, its variables filled in as nginx would."""
    values = {
        "$scheme": scheme,
        "$proxy_add_x_forwarded_for": remote,
        "$remote_addr": remote,
        "$host": "testserver",
        '""': "",
    }
    headers = {}
    for name, value in re.findall(r"proxy_set_header\s+(\S+)\s+([^;]+);", NGINX.read_text()):
        if name.lower() not in ("host", "connection"):
            headers[name] = values.get(value.strip(), value.strip())
    return headers


@pytest.fixture
def proxied_app(settings: Settings, engine, session_factory) -> FastAPI:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"}), engine=engine)
    app.state.session_factory = session_factory
    app.state.login_guard = LoginGuard(clock=lambda: 100.0)  # delays do not lapse on a slow machine
    return app


def sign_in(client: TestClient, headers: dict[str, str], username: str = "admin") -> httpx.Response:
    """The form sign-in through the proxy. The test client speaks plain HTTP to the app (as nginx does), so it
    would keep a Secure cookie to itself: the browser's cookie is sent explicitly, as the browser would."""
    client.get("/login", headers=headers)
    csrf = client.cookies.get("pingan_csrf")
    data = {"username": username, "password": "pingan-demo", "csrf_token": csrf}
    cookie = {"Cookie": f"pingan_csrf={csrf}"}
    return client.post("/login", data=data, headers={**headers, **cookie}, follow_redirects=False)


class TestBehindTheProxy:
    def test_the_config_sets_the_forwarded_headers(self) -> None:
        assert nginx_headers() == {"X-Forwarded-Proto": "https", "X-Forwarded-For": BROWSER}

    def test_docs_show_the_config_files_as_they_are(self) -> None:
        doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
        assert NGINX.read_text().strip() in doc and CADDY.read_text().strip() in doc

    def test_trusted_proxy_gives_secure_cookies_and_hsts(self, proxied_app: FastAPI) -> None:
        client = TestClient(proxied_app, client=("127.0.0.1", 40000), base_url="http://testserver")
        r = sign_in(client, nginx_headers())
        assert r.status_code == 303
        cookies = [c.lower() for c in r.headers.get_list("set-cookie")]
        session_cookie = next(c for c in cookies if c.startswith("pingan_session="))
        assert "secure" in session_cookie and "httponly" in session_cookie
        assert r.headers["strict-transport-security"].startswith("max-age=")
        page = client.get("/wall", headers=nginx_headers())
        assert "strict-transport-security" in page.headers

    def test_untrusted_sender_cannot_claim_https(self, proxied_app: FastAPI) -> None:
        client = TestClient(proxied_app, client=("10.9.9.9", 40000))
        r = sign_in(client, nginx_headers())
        assert r.status_code == 303 and "strict-transport-security" not in r.headers
        assert all("secure" not in c.lower() for c in r.headers.get_list("set-cookie"))

    def test_not_configured_means_no_proxy_is_trusted(self, app: FastAPI) -> None:
        client = TestClient(app, client=("127.0.0.1", 40000))
        assert "strict-transport-security" not in client.get("/login", headers=nginx_headers()).headers

    def test_rate_limits_and_audit_see_the_real_client(self, proxied_app: FastAPI, session: Session) -> None:
        client = TestClient(proxied_app, client=("127.0.0.1", 40000))
        guesser = nginx_headers(remote="198.51.100.7")
        codes = [
            client.post(
                "/api/v1/auth/token", data={"username": f"n{i}", "password": "x"}, headers=guesser
            ).status_code
            for i in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        other = client.post(
            "/api/v1/auth/token",
            data={"username": "admin", "password": "pingan-demo"},
            headers=nginx_headers(),
        )
        assert other.status_code == 200
        me = client.get(
            "/api/v1/auth/me",
            headers={**nginx_headers(), "Authorization": f"Bearer {other.json()['access_token']}"},
        )
        assert me.status_code == 200


class TestNoPersonalDataInLogs:
    def test_redact_query(self) -> None:
        line = '127.0.0.1:5 - "GET /api/v1/cases?reporter_phone=13900004444&page=2 HTTP/1.1" 200'
        redacted = pii.redact_query(line)
        assert "13900004444" not in redacted and "reporter_phone=***&page=2" in redacted
        assert pii.redact_query("/x?id_number=11010519491231002X") == "/x?id_number=***"
        assert pii.redact_query("/x?phone=1&zphone=keep") == "/x?phone=***&zphone=keep"

    def test_filter_redacts_arguments(self) -> None:
        record = logging.LogRecord(
            "uvicorn.access", 20, "", 0, '%s "%s %s"', ("ip", "GET", "/t?code=abc123"), None
        )
        pii.RedactPersonalData().filter(record)
        assert record.getMessage() == 'ip "GET /t?code=***"'

    def test_served_access_log_holds_no_phone_or_id_number(self, tmp_path: Path) -> None:
        db = f"sqlite:///{tmp_path / 'log.db'}"
        env = {**os.environ, "PINGAN_DEMO_MODE": "true", "PINGAN_DATA_DIR": str(tmp_path)}
        env.pop("PINGAN_DATABASE_URL", None)
        pingan = str(Path(sys.executable).with_name("pingan"))
        subprocess.run(
            [pingan, "db", "upgrade", "--db", db], env=env, check=True, capture_output=True, cwd=ROOT
        )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = (tmp_path / "server.log").open("w")
        server = subprocess.Popen(
            [pingan, "serve", "--db", db, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        get = httpx.Client(timeout=60).get
        try:
            deadline = time.monotonic() + 180  # a loaded machine starts slowly
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "server.log"
                ).read_text()
                time.sleep(0.2)
            get(url + "/api/v1/cases", params={"reporter_phone": "13900004444"})
            get(
                url + "/api/v1/grids/residents",
                params={"id_number": "11010519491231002X", "phone": "13812345678"},
            )
            get(url + "/api/v1/patrols/volunteers", params={"phone": "13711112222"})
            get(url + "/track", params={"number": "X1", "code": "tracking-secret-1"})
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
        text = (tmp_path / "server.log").read_text()
        assert "GET /api/v1/cases?reporter_phone=***" in text, text[-2000:]
        for secret in (
            "13900004444",
            "11010519491231002X",
            "13812345678",
            "13711112222",
            "tracking-secret-1",
        ):
            assert secret not in text


class TestPostSearches:
    def test_cases_by_reporter_phone(self, client: TestClient, session: Session) -> None:
        street = auth(session, "street")
        body = {"reporter_phone": "13912345678", "limit": 5}
        r = client.post("/api/v1/cases/search", json=body, headers=street)
        get = client.get("/api/v1/cases", params=body, headers=street)
        assert r.status_code == 200 and r.json() == get.json()

    def test_residents_by_id_number(self, client: TestClient, session: Session) -> None:
        gw = auth(session, "gridworker")
        first = client.get("/api/v1/grids/residents", params={"limit": 1}, headers=gw).json()["items"][0]
        r = client.post("/api/v1/grids/residents/search", json={"phone": "13800000000"}, headers=gw)
        assert r.status_code == 200 and "items" in r.json() and first
        bad = client.post("/api/v1/grids/residents/search", json={"id_number": "123"}, headers=gw)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "id_number"

    def test_volunteers_by_phone(self, client: TestClient, session: Session) -> None:
        street = auth(session, "street")
        r = client.post("/api/v1/patrols/volunteers/search", json={"phone": "13800000000"}, headers=street)
        assert r.status_code == 200 and r.json()["total"] == 0
        found = client.get(
            "/api/v1/audit",
            params={"action": "pii.search", "who": "street"},
            headers=auth(session, "auditor"),
        ).json()
        assert found["total"] >= 1
        assert all("13800000000" not in str(x["details"]) for x in found["items"])

    def test_get_params_are_marked_deprecated(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        params = {p["name"]: p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
        assert params["reporter_phone"].get("deprecated") is True
        assert "/api/v1/cases/search" in spec["paths"] and "/api/v1/grids/residents/search" in spec["paths"]
