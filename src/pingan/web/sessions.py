"""Browser sessions: a session token in an HttpOnly cookie, and a double-submit CSRF token.

The session secret is an ``ApiToken`` of kind ``session`` (issued by ``accounts.service.issue_token``),
kept in the HttpOnly, SameSite=Lax cookie ``pingan_session``. Every unsafe request that authenticates by
that cookie must repeat the value of the readable ``pingan_csrf`` cookie, either in the ``X-CSRF-Token``
header (scripts) or in the ``csrf_token`` form field (forms).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.accounts.models import Account
from pingan.core.errors import Forbidden

SESSION_COOKIE = "pingan_session"
CSRF_COOKIE = "pingan_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_TTL = timedelta(hours=12)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_https(request: Request) -> bool:
    """Whether the browser talks to us over HTTPS (cookies are then marked Secure)."""
    return request.url.scheme == "https"


def session_secret(request: Request) -> str | None:
    """The session secret carried by the request's cookie, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: the cookie's value, or a new one to be set on the response."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and 20 <= len(token) <= 100:
        return token
    cached: str | None = getattr(request.state, "new_csrf", None)
    if cached is None:
        cached = secrets.token_urlsafe(32)
        request.state.new_csrf = cached
    return cached


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Send the CSRF cookie when the browser does not have one yet (readable by our scripts)."""
    new: str | None = getattr(request.state, "new_csrf", None)
    if new is not None:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=False, samesite="lax", secure=is_https(request), path="/"
        )


async def check_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request whose CSRF token does not repeat the cookie's."""
    if request.method in SAFE_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Forbidden(
            "the form has expired or came from another site; reload the page and try again",
            code="csrf_failed",
            field=CSRF_FIELD,
        )


def sign_in(session: Session, request: Request, response: Response, account: Account) -> str:
    """Open a browser session for the account: a new session token in the HttpOnly cookie."""
    secret = accounts.issue_token(session, account_id=account.id, kind="session", name="web", ttl=SESSION_TTL)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )
    # A fresh CSRF token per session (login CSRF and token fixation).
    fresh = secrets.token_urlsafe(32)
    request.state.new_csrf = fresh
    set_csrf_cookie(request, response)
    return secret


def sign_out(session: Session, request: Request, response: Response) -> None:
    """Revoke the session token and clear the cookie."""
    secret = session_secret(request)
    if secret:
        accounts.revoke_token(session, secret)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))
