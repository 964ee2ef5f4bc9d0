"""Web-level protection: security headers, request size limit, rate limits, startup refusal, the Protector.

- :class:`SecurityHeadersMiddleware` adds CSP (no inline scripts, no CDN), nosniff, Referrer-Policy,
  X-Frame-Options and Permissions-Policy to every response.
- :class:`BodySizeLimitMiddleware` refuses bodies over ``settings.max_upload_bytes`` with 413, by
  Content-Length and while streaming (chunked uploads cannot sneak past).
- :func:`rate_limit` is a dependency for public routes: a token bucket per client IP and route group
  (``settings.rate_limits``, requests per minute), 429 with Retry-After when empty.
- :func:`check_sign_in` is the one gate of both sign-ins (the API token endpoint and the web form): the
  ``login`` limit per client address and per account name, then the progressive delay after consecutive
  failures (:mod:`pingan.accounts.throttle`); :func:`note_sign_in` records each outcome.
- :func:`install_log_redaction` keeps personal data in query strings out of every log.
- With ``PINGAN_FORWARDED_ALLOW_IPS``, uvicorn's ``ProxyHeadersMiddleware`` applies the forwarded scheme and
  client address sent by those proxies only (TLS terminated by nginx or Caddy: docs/deployment.md).
- :func:`check_startup` refuses to serve with demo credentials, or without keys, outside demo mode.
- ``AppProtector``: the installation's :class:`~pingan.core.pii.Protector` as a dependency.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from pingan.accounts import service as accounts
from pingan.accounts.throttle import LoginGuard
from pingan.core.config import Settings
from pingan.core.errors import RateLimited
from pingan.core.pii import Protector, RedactPersonalData
from pingan.web.deps import client_ip

MIN_SECRET_KEY = 16


# --- the Protector ------------------------------------------------------------------------------------


def get_protector(request: Request) -> Protector:
    protector: Protector = request.app.state.protector
    return protector


AppProtector = Annotated[Protector, Depends(get_protector)]


# --- rate limits --------------------------------------------------------------------------------------


class TooManyRequests(RateLimited):
    """429 carrying the Retry-After header."""

    def __init__(self, retry_after: float, group: str) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"too many requests ({group}); retry in {seconds} s")
        self.headers = {"Retry-After": str(seconds)}


class RateLimiter:
    """In-process token buckets keyed by (route group, client); capacity = the per-minute limit."""

    MAX_KEYS = 50_000

    def __init__(self, per_minute: dict[str, int], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = dict(per_minute)
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def limit(self, group: str) -> int:
        return int(self.per_minute.get(group, self.per_minute.get("public", 30)))

    def hit(self, group: str, client: str) -> float | None:
        """Take one token; None when allowed, else the seconds until the next token."""
        capacity = self.limit(group)
        if capacity <= 0:
            return None
        rate = capacity / 60.0
        now = self._clock()
        with self._lock:
            if len(self._buckets) > self.MAX_KEYS:
                self._forget_idle(now)
            tokens, last = self._buckets.get((group, client), (float(capacity), now))
            tokens = min(float(capacity), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[(group, client)] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[(group, client)] = (tokens - 1.0, now)
            return None

    def _forget_idle(self, now: float) -> None:
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last > 60.0:
                del self._buckets[key]


def rate_limit(group: str = "public") -> Callable[[Request], None]:
    """A dependency limiting requests per client IP and route group: ``Depends(rate_limit("reports"))``."""

    def _check(request: Request) -> None:
        limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
        if limiter is None:
            return
        retry = limiter.hit(group, client_ip(request) or "unknown")
        if retry is not None:
            raise TooManyRequests(retry, group)

    _check.__name__ = f"rate_limit_{group}"
    return _check


def check_sign_in(request: Request, username: str) -> None:
    """429 (with Retry-After) when a sign-in must wait: one ``login`` limit per client address and per
    account name for every way of signing in, then the delay after consecutive failures. Names are not
    looked up here, so an unknown name is answered exactly like a real one."""
    ip = client_ip(request) or "unknown"
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        for key in LoginGuard.keys(username, ip):
            retry = limiter.hit("login", key)
            if retry is not None:
                raise TooManyRequests(retry, "login")
    guard: LoginGuard | None = getattr(request.app.state, "login_guard", None)
    wait = guard.wait(username, ip) if guard is not None else None
    if wait is not None:
        raise TooManyRequests(wait, "login")


def note_sign_in(request: Request, username: str, *, ok: bool) -> None:
    """Count a failed sign-in against the name and the client, or clear the name after a success."""
    guard: LoginGuard | None = getattr(request.app.state, "login_guard", None)
    if guard is None:
        return
    if ok:
        guard.succeeded(username)
    else:
        guard.failed(username, client_ip(request))


# --- request size -------------------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


def _json_error(status: int, code: str, message: str, field: str | None = None) -> bytes:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return orjson.dumps({"error": body})


class BodySizeLimitMiddleware:
    """413 for request bodies over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await _send_json(send, 400, _json_error(400, "bad_request", "invalid Content-Length"))
                return
            if too_big:
                await self._refuse(send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"request body larger than {self.max_bytes} bytes (PINGAN_MAX_UPLOAD_BYTES)"
        await _send_json(send, 413, _json_error(413, "too_large", message, "body"))


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- security headers ---------------------------------------------------------------------------------


def content_security_policy(settings: Settings) -> str:
    """Same-origin everything, no inline scripts; map tiles from the configured tile host if any."""
    img = "'self' data: blob:"
    parts = urlsplit(settings.tile_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        img += f" {parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (keeps any a route set itself)."""

    def __init__(self, app: ASGIApp, *, csp: str, exempt_csp: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt_csp = exempt_csp
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self.csp = (b"content-security-policy", csp.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if not (self.exempt_csp and scope["path"].startswith(self.exempt_csp)):
            extra.append(self.csp)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _v in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


# --- startup ------------------------------------------------------------------------------------------


class StartupRefused(RuntimeError):
    """The installation is not safe to serve as configured."""


def startup_problems(settings: Settings, engine: Engine) -> list[str]:
    """What prevents serving outside demo mode: missing keys, or demo accounts with the published password."""
    if settings.demo_mode:
        return []
    problems = []
    if len(settings.secret_key) < MIN_SECRET_KEY:
        problems.append(
            f"PINGAN_SECRET_KEY must be set to a random string of at least {MIN_SECRET_KEY} characters "
            "outside demo mode (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    if not settings.pii_key.strip():
        problems.append("PINGAN_PII_KEY is required outside demo mode (`pingan keys new` prints one)")
    try:
        with Session(engine) as session:
            names = accounts.demo_accounts(session)
    except (OperationalError, ProgrammingError):
        names = []  # no schema yet: nothing to refuse
    if names:
        problems.append(
            f"this database holds active demo accounts with the published password ({', '.join(names)}); "
            "serve it with `pingan demo` / PINGAN_DEMO_MODE=true, or disable them first "
            f"(`pingan user disable {' '.join(names)}`)"
        )
    return problems


def check_startup(settings: Settings, engine: Engine) -> None:
    """Raise :class:`StartupRefused` naming every problem found by :func:`startup_problems`."""
    problems = startup_problems(settings, engine)
    if problems:
        raise StartupRefused("refusing to start:\n  - " + "\n  - ".join(problems))


# --- logs ---------------------------------------------------------------------------------------------

LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "pingan", "pingan.web", "")


def install_log_redaction() -> None:
    """Phone and ID numbers (and secrets) in query strings never reach a log: the filter on every logger that
    writes request lines (uvicorn's access log, ours, the root), and on their handlers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        targets: list[logging.Filterer] = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, RedactPersonalData) for f in target.filters):
                target.addFilter(RedactPersonalData())


def install_security(app: Any, settings: Settings) -> None:
    """Register the middleware, the rate limiter and the sign-in guard on an app (called by create_app).

    With ``settings.forwarded_allow_ips`` set, ``X-Forwarded-Proto``/``X-Forwarded-For`` from those proxies
    (only) are applied first: the scheme (Secure cookies, HSTS) and the client address (rate limits, audit)
    are then the browser's, not the proxy's."""
    app.state.rate_limiter = RateLimiter(settings.rate_limits)
    app.state.login_guard = LoginGuard()
    install_log_redaction()
    exempt = tuple(p for p in (app.docs_url, app.redoc_url) if p)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware, csp=content_security_policy(settings), exempt_csp=exempt)
    if settings.forwarded_allow_ips.strip():
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
