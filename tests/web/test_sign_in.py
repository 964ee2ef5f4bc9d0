"""Sign-in (issue 14): one limit for the web form and the token endpoint, per client address and per account;
the same answers for made-up names as for real ones; growing, bounded delays instead of a lockout."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.accounts import throttle
from pingan.accounts.throttle import LoginGuard
from pingan.core.security import Role
from pingan.web.middleware import RateLimiter
from tests.factories import make_account

CHANGHE = "330108002"


@pytest.fixture(autouse=True)
def still_clock(app: FastAPI) -> None:
    """The app's limiter and guard on a clock that stands still (a slow machine refills no bucket)."""
    app.state.rate_limiter = RateLimiter(app.state.settings.rate_limits, clock=lambda: 100.0)
    app.state.login_guard = LoginGuard(clock=lambda: 100.0)


def client_at(app: FastAPI, ip: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(ip, 50000))


def form_sign_in(client: TestClient, username: str, password: str) -> int:
    if not client.cookies.get("pingan_csrf"):
        client.get("/login")
    data = {"username": username, "password": password, "csrf_token": client.cookies.get("pingan_csrf")}
    return client.post("/login", data=data, follow_redirects=False).status_code


def token_sign_in(client: TestClient, username: str, password: str) -> tuple[int, str | None]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return r.status_code, r.json().get("error", {}).get("code")


class TestOneLimit:
    def test_web_form_is_limited_per_client(self, app: FastAPI, session: Session) -> None:
        make_account(session, "formuser", Role.GRID_WORKER, CHANGHE)
        client = client_at(app, "10.1.0.1")
        codes = [form_sign_in(client, "formuser", "correct-horse") for _ in range(11)]
        assert codes[:10] == [303] * 10 and codes[10] == 429

    def test_web_form_and_token_endpoint_share_the_limit(self, app: FastAPI, session: Session) -> None:
        make_account(session, "bothways", Role.GRID_WORKER, CHANGHE)
        client = client_at(app, "10.1.0.2")
        form = [form_sign_in(client, "bothways", "correct-horse") for _ in range(5)]
        api = [token_sign_in(client, "bothways", "correct-horse")[0] for _ in range(6)]
        assert form == [303] * 5 and api == [200] * 5 + [429]

    def test_limit_per_account_across_addresses(self, app: FastAPI, session: Session) -> None:
        make_account(session, "popular", Role.GRID_WORKER, CHANGHE)
        codes = [
            token_sign_in(client_at(app, f"10.2.0.{i}"), "popular", "correct-horse")[0] for i in range(11)
        ]
        assert codes[:10] == [200] * 10 and codes[10] == 429
        other = make_account(session, "quiet", Role.GRID_WORKER, CHANGHE)
        assert other and token_sign_in(client_at(app, "10.2.1.1"), "quiet", "correct-horse")[0] == 200

    def test_the_form_says_how_long_to_wait(self, app: FastAPI, session: Session) -> None:
        client = client_at(app, "10.1.0.3")
        for _ in range(throttle.FREE_FAILURES):
            assert form_sign_in(client, "someone", "wrong-guess") == 401
        client.get("/lang/en")
        data = {"username": "someone", "password": "x", "csrf_token": client.cookies.get("pingan_csrf")}
        r = client.post("/login", data=data, follow_redirects=False)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert "please wait" in r.text


class TestSameAnswerForUnknownNames:
    def test_a_real_and_a_made_up_name_get_the_same_answers(self, app: FastAPI, session: Session) -> None:
        make_account(session, "realname", Role.GRID_WORKER, CHANGHE)
        real = [token_sign_in(client_at(app, "10.3.0.1"), "realname", "guess-guess-1") for _ in range(8)]
        made_up = [token_sign_in(client_at(app, "10.3.0.2"), "madeupname", "guess-guess-1") for _ in range(8)]
        assert real == made_up
        assert "locked" not in {code for _status, code in real}
        assert real[: throttle.FREE_FAILURES] == [(401, "bad_credentials")] * throttle.FREE_FAILURES
        assert real[throttle.FREE_FAILURES] == (429, "rate_limited")

    def test_web_form_too(self, app: FastAPI, session: Session) -> None:
        make_account(session, "realweb", Role.GRID_WORKER, CHANGHE)
        real = [form_sign_in(client_at(app, "10.3.1.1"), "realweb", "guess-guess-1") for _ in range(6)]
        made_up = [form_sign_in(client_at(app, "10.3.1.2"), "nosuchweb", "guess-guess-1") for _ in range(6)]
        assert real == made_up == [401] * throttle.FREE_FAILURES + [429] * 3


class TestProgressiveDelay:
    def make(self) -> tuple[LoginGuard, list[float]]:
        now = [1000.0]
        return LoginGuard(clock=lambda: now[0]), now

    def test_free_attempts_then_growing_bounded_delays(self) -> None:
        guard, now = self.make()
        waits = []
        for _ in range(20):
            assert guard.wait("victim", "10.0.0.1") is None
            guard.failed("victim", "10.0.0.1")
            waits.append(guard.wait("victim", "10.0.0.1") or 0)
            now[0] += waits[-1]
        assert waits[: throttle.FREE_FAILURES - 1] == [0] * (throttle.FREE_FAILURES - 1)
        growing = waits[throttle.FREE_FAILURES - 1 :]
        assert growing == sorted(growing) and growing[0] == throttle.BASE_DELAY
        assert max(waits) == throttle.MAX_DELAY

    def test_the_owner_gets_in_after_the_delay_and_success_clears_the_account(self) -> None:
        guard, now = self.make()
        for i in range(10):
            guard.failed("victim", f"192.0.2.{i}")  # a guesser spread over addresses
        wait = guard.wait("victim", "10.9.9.9")
        assert wait is not None and wait <= throttle.MAX_DELAY
        now[0] += wait
        assert guard.wait("victim", "10.9.9.9") is None
        guard.succeeded("victim")
        guard.failed("victim", "10.9.9.9")
        assert guard.wait("victim", "10.9.9.9") is None

    def test_a_client_trying_many_names_is_slowed_and_success_does_not_reset_it(self) -> None:
        guard, now = self.make()
        for i in range(6):
            guard.failed(f"user{i}", "203.0.113.7")
        guard.succeeded("own-account")
        assert guard.wait("another", "203.0.113.7") is not None
        assert guard.wait("another", "198.51.100.1") is None

    def test_counts_are_forgotten_after_a_quiet_hour(self) -> None:
        guard, now = self.make()
        for _ in range(8):
            guard.failed("victim", "10.0.0.1")
        now[0] += throttle.RESET_AFTER + 1
        assert guard.wait("victim", "10.0.0.1") is None
