"""What every page shares: the Jinja environment, the page context, rendering with security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader

from pingan import __version__
from pingan.core.clock import format_duration, format_local
from pingan.core.config import Settings
from pingan.core.security import Actor, Role
from pingan.web import i18n, sessions
from pingan.web.pages.modules import landing_page, nav_links

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals["format_local"] = format_local


def add_template_folder(folder: Path) -> None:
    """Let pages render the templates of ``folder`` too (a module's own; the shared folder comes first)."""
    loader = templates.env.loader
    assert isinstance(loader, FileSystemLoader)
    if str(folder) not in loader.searchpath:
        loader.searchpath.append(str(folder))


STAFF_ROLES = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.DEPARTMENT_HANDLER,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
)
COMMAND_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in user; answered with a redirect to the sign-in page."""


class PageForbidden(Exception):
    """Raised by a page the signed-in user may not open; answered with the friendly 403 page, which offers
    the user's own landing page and sign-out."""

    def __init__(self, actor: Actor | None = None) -> None:
        super().__init__("forbidden")
        self.actor = actor


def lang_of(request: Request) -> str:
    return i18n.normalise_lang(request.cookies.get(i18n.LANG_COOKIE))


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to after signing in (never another site)."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    return value


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def require_staff(actor: Actor | None, *roles: Role) -> Actor:
    """The signed-in staff member; anonymous → sign-in page, a resident or auditor → 403 page."""
    if actor is None:
        raise SignInRequired()
    if not actor.has_role(*(roles or STAFF_ROLES)):
        raise PageForbidden(actor)
    return actor


# Each role's own page, in order of precedence for an account holding several roles.
# the spine's landing pages; the enabled modules' (``NavLink.landing``) come between the two
LANDING: tuple[tuple[tuple[Role, ...], str], ...] = (
    (COMMAND_ROLES, "/wall"),
    ((Role.DEPARTMENT_HANDLER,), "/work"),
)
LANDING_AFTER_MODULES: tuple[tuple[tuple[Role, ...], str], ...] = (
    ((Role.AUDITOR,), "/audit"),
    ((Role.SECTOR_CLERK,), "/clerk"),
)


def home_for(actor: Actor | None, app: FastAPI | None = None) -> str:
    """Where a user lands after signing in (and at ``/``): the page made for their role (among the enabled
    modules' pages when ``app`` is given)."""
    if actor is None:
        return "/login"
    if actor.is_system:
        return "/report"
    for roles, page in LANDING:
        if actor.has_role(*roles):
            return page
    module_page = landing_page(app, actor) if app is not None else None
    if module_page:
        return module_page
    for roles, page in LANDING_AFTER_MODULES:
        if actor.has_role(*roles):
            return page
    return "/report"


def context(request: Request, actor: Actor | None, **extra: Any) -> dict[str, Any]:
    """The variables every template can use."""
    lang = lang_of(request)
    translate = i18n.translator(lang)
    settings: Settings = request.app.state.settings

    def duration(delta: Any) -> str:
        return format_duration(delta, lang)

    return {
        "request": request,
        "actor": actor,
        "lang": lang,
        "html_lang": i18n.HTML_LANG[lang],
        "other_lang": "en" if lang == "zh" else "zh",
        "_": translate,
        "csrf_token": sessions.csrf_token(request),
        "district_name": settings.district_name if lang == "zh" else translate("district.name"),
        "version": __version__,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "duration": duration,
        "is_staff": actor is not None and actor.has_role(*STAFF_ROLES),
        "is_command": actor is not None and actor.has_role(*COMMAND_ROLES),
        "module_nav": [(link.href, link.label(lang)) for link in nav_links(request.app, actor)],
        "is_auditor": actor is not None and actor.has_role(Role.AUDITOR),
        "is_clerk": actor is not None and actor.has_role(Role.SECTOR_CLERK),
        "home": home_for(actor, request.app),
        **extra,
    }


def render(
    request: Request,
    template: str,
    actor: Actor | None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A page with our security headers (CSP without inline scripts) and the CSRF cookie."""
    response = templates.TemplateResponse(
        request, template, context(request, actor, **extra), status_code=status_code
    )
    return secure(request, response)


def secure(request: Request, response: Response) -> Response:
    # The security headers (CSP without inline scripts, nosniff, frame denial) come from web.middleware.
    response.headers.setdefault("Cache-Control", "no-store")
    sessions.set_csrf_cookie(request, response)
    return response


def wants_html(request: Request) -> bool:
    """Browsers asking for a page (not /api, not scripts) get HTML errors; everyone else JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/open311/", "/static/", "/healthz", "/docs", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str = "", actor: Actor | None = None) -> Response:
    """The friendly page for 403, 404 and other errors (in the visitor's language); a signed-in visitor is
    offered their own page and sign-out rather than the sign-in link."""
    if status == 401:
        return sign_in_redirect(request)
    return render(
        request,
        "error.html",
        actor,
        status_code=status,
        status=status,
        detail=message,
    )
