"""Sign in, sign out, switch language, and the landing redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pingan.accounts import service as accounts
from pingan.core.errors import Unauthorized
from pingan.web import i18n, sessions
from pingan.web.deps import DbSession, OptionalActor, client_ip
from pingan.web.middleware import TooManyRequests, check_sign_in, note_sign_in
from pingan.web.pages.common import home_for, lang_of, render, safe_next, secure

router = APIRouter(include_in_schema=False)


@router.get("/")
def landing(request: Request, actor: OptionalActor) -> RedirectResponse:
    return RedirectResponse(home_for(actor, request.app), status_code=303)


@router.get("/login")
def login_form(request: Request, actor: OptionalActor, next: str | None = None) -> Response:
    return render(request, "login.html", actor, next=safe_next(next, ""), username="", error=None)


@router.post("/login")
async def login_submit(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    translate = i18n.translator(lang_of(request))
    try:
        await sessions.check_csrf(request)
    except Exception:  # noqa: BLE001 - shown on the form, not as an error page
        return _login_again(request, username, next, translate("login.expired"), 403)
    if not username.strip() or not password:
        return _login_again(request, username, next, translate("login.missing"), 422)
    name = username.strip()
    try:
        check_sign_in(request, name)
    except TooManyRequests as exc:
        message = translate("login.wait", seconds=exc.headers["Retry-After"])
        response = _login_again(request, username, next, message, 429)
        response.headers.update(exc.headers)
        return response
    try:
        account = accounts.authenticate(
            session, username=name, password=password, client_ip=client_ip(request)
        )
    except Unauthorized as exc:
        note_sign_in(request, name, ok=exc.code != "bad_credentials")
        session.commit()  # the failure count must outlive the refused request
        return _login_again(request, username, next, translate("login.wrong"), 401)
    note_sign_in(request, name, ok=True)
    actor = accounts.actor_for(account)
    response = RedirectResponse(safe_next(next, home_for(actor, request.app)), status_code=303)
    sessions.sign_in(session, request, response, account)
    return response


def _login_again(request: Request, username: str, next: str, error: str, status: int) -> Response:
    return render(
        request,
        "login.html",
        None,
        status_code=status,
        next=safe_next(next, ""),
        username=username,
        error=error,
    )


@router.post("/logout")
def logout(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    # OptionalActor has checked the CSRF token of a cookie-authenticated request.
    response = RedirectResponse("/login", status_code=303)
    sessions.sign_out(session, request, response)
    return secure(request, response)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    """Remember the language in a cookie and go back to the page."""
    lang = i18n.normalise_lang(code)
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    response.set_cookie(
        i18n.LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=sessions.is_https(request),
        path="/",
    )
    return response
