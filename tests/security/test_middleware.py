"""Security headers, request size limit, rate limits, upload sniffing and the startup refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.core.config import Settings
from pingan.core.errors import PinganError
from pingan.core.security import sniff_image
from pingan.web.app import create_app
from pingan.web.middleware import (
    RateLimiter,
    StartupRefused,
    content_security_policy,
    rate_limit,
    startup_problems,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
GIF = b"GIF89a" + b"\x00" * 20
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 20


class TestSecurityHeaders:
    def test_every_response_carries_them(self, client: TestClient) -> None:
        for path in ("/healthz", "/api/v1/areas?max_level=district", "/api/v1/no-such-thing"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert (
                "default-src 'self'" in csp
                and "script-src 'self'" in csp
                and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            )
            assert "img-src 'self' data: blob:" in csp and "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert (
                "geolocation=(self)" in headers["permissions-policy"]
                and "camera=(self)" in headers["permissions-policy"]
            )

    def test_no_stack_trace_to_clients(self, fresh_app: FastAPI) -> None:
        app = fresh_app

        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("secret internals")

        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.get("/boom")
        assert r.status_code == 500 and "secret internals" not in r.text and "Traceback" not in r.text

    def test_tile_host_is_allowed_for_images(self) -> None:
        csp = content_security_policy(Settings(tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"))
        assert "img-src 'self' data: blob: https://*.tiles.example.org;" in csp


class TestBodySizeLimit:
    @pytest.fixture
    def small_client(self, settings: Settings, engine: Engine, app: FastAPI) -> Iterator[TestClient]:
        small = create_app(settings.model_copy(update={"max_upload_bytes": 1000}), engine=engine)
        small.state.session_factory = app.state.session_factory
        with TestClient(small, raise_server_exceptions=False) as c:
            yield c

    def test_declared_length_over_the_limit_is_413(self, small_client: TestClient) -> None:
        r = small_client.post(
            "/api/v1/locate", content=b"x" * 2000, headers={"content-type": "application/json"}
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def test_streamed_body_over_the_limit_is_413(self, small_client: TestClient) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(5):
                yield b" " * 400

        r = small_client.post(
            "/api/v1/locate", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def test_small_bodies_pass(self, small_client: TestClient) -> None:
        r = small_client.post("/api/v1/locate", json={"points": [[120.2, 30.2]]})
        assert r.status_code == 200


class TestRateLimiter:
    def test_bucket_refills_over_time(self) -> None:
        now = [0.0]
        limiter = RateLimiter({"public": 3}, clock=lambda: now[0])
        assert [limiter.hit("public", "1.2.3.4") for _ in range(3)] == [None, None, None]
        retry = limiter.hit("public", "1.2.3.4")
        assert retry is not None and 19 < retry <= 20
        assert limiter.hit("public", "5.6.7.8") is None  # per client
        now[0] += 20.0
        assert limiter.hit("public", "1.2.3.4") is None

    def test_groups_are_separate_and_zero_disables(self) -> None:
        limiter = RateLimiter({"public": 1, "reports": 1, "open": 0})
        assert limiter.hit("public", "a") is None and limiter.hit("reports", "a") is None
        assert limiter.hit("public", "a") is not None
        assert all(limiter.hit("open", "a") is None for _ in range(100))


class TestRateLimitDependency:
    def test_public_route_answers_429_with_retry_after(self, fresh_app: FastAPI) -> None:
        app = fresh_app

        @app.get("/api/v1/test-public", dependencies=[Depends(rate_limit("reports"))])
        def public() -> dict[str, bool]:
            return {"ok": True}

        app.state.rate_limiter = RateLimiter({"reports": 2})
        with TestClient(app) as c:
            codes = [c.get("/api/v1/test-public").status_code for _ in range(3)]
            r = c.get("/api/v1/test-public")
        assert codes == [200, 200, 429]
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["error"]["code"] == "rate_limited"


class TestSniffImage:
    def test_recognises_image_formats_by_content(self) -> None:
        assert [sniff_image(b) for b in (JPEG, PNG, WEBP, GIF, HEIC)] == [
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
            "image/heic",
        ]

    def test_refuses_anything_else_naming_the_field(self) -> None:
        for data in (b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7", b"MZ\x90\x00", b""):
            with pytest.raises(PinganError) as exc:
                sniff_image(data, field="photos")
            assert exc.value.status == 415 and exc.value.field == "photos"


class TestStartupRefusal:
    def test_demo_accounts_refused_outside_demo_mode(self, settings: Settings, engine: Engine) -> None:
        strict = settings.model_copy(update={"demo_mode": False, "secret_key": "s" * 32, "pii_key": "k"})
        problems = startup_problems(strict, engine)
        assert len(problems) == 1 and "demo accounts" in problems[0] and "admin" in problems[0]
        with pytest.raises(StartupRefused, match="demo accounts"):
            create_app(strict, engine=engine)

    def test_keys_required_outside_demo_mode(
        self, settings: Settings, engine: Engine, session: Session
    ) -> None:
        strict = settings.model_copy(update={"demo_mode": False, "secret_key": "", "pii_key": ""})
        problems = " ".join(startup_problems(strict, engine))
        assert "PINGAN_SECRET_KEY" in problems and "PINGAN_PII_KEY" in problems

    def test_demo_mode_starts(self, settings: Settings, engine: Engine) -> None:
        assert startup_problems(settings, engine) == []

    def test_disabled_demo_accounts_are_fine(self, session: Session) -> None:
        for name in accounts.demo_accounts(session):
            accounts.set_active(
                session, account_id=accounts.get_account_by_username(session, name).id, active=False
            )
        assert accounts.demo_accounts(session) == []
