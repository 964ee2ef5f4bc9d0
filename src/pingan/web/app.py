"""The application factory: settings → enabled modules → engine → routers, error handlers, static assets."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from pingan import __version__
from pingan.core.config import Settings, get_settings
from pingan.core.db import create_db_engine, make_session_factory
from pingan.core.errors import PinganError
from pingan.core.modules import Module, load, resolve, template_folder
from pingan.core.pii import protector_for
from pingan.web.inputs import InputRulesMiddleware
from pingan.web.jobs import JobRunner, selected_jobs
from pingan.web.middleware import check_startup, install_security
from pingan.web.openapi import install_openapi
from pingan.web.routing import include

log = logging.getLogger("pingan.web")
RETRY_AFTER_SECONDS = 2


def create_app(settings: Settings | None = None, *, engine: Any = None) -> FastAPI:
    """Build the ASGI app for one installation (tests pass their own settings or engine)."""
    settings = settings or get_settings()
    modules = resolve(settings.modules)  # an unknown module or a missing dependency stops the start here
    engine = engine or create_db_engine(settings.resolved_database_url())
    app = FastAPI(
        lifespan=_lifespan,
        title="Pingan 平安 API",
        version=__version__,
        docs_url=None,  # served by pingan.web.pages from node_modules (no CDN)
        redoc_url=None,
        description="Grid-based community safety governance and incident command. "
        'Errors: `{"error": {"code", "message", "field"}}`.',
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.modules = tuple(modules)
    app.state.jobs = tuple(selected_jobs(modules, settings.jobs))  # an unknown job name stops the start here
    app.state.session_factory = make_session_factory(engine, settings)  # its sessions carry the settings
    check_startup(settings, engine)
    app.state.protector = protector_for(settings)
    app.add_middleware(InputRulesMiddleware)  # inside the body size limit that install_security adds
    install_security(app, settings)
    _install_error_handlers(app)
    _activate(modules)
    _mount_routers(app, modules)
    install_openapi(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness and database check")
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - report, never raise
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": engine.dialect.name, "version": __version__})

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the enabled modules' background jobs that ``PINGAN_JOBS`` selects (``pingan.web.jobs``).

    Once started, the application's long-lived objects (routes, models, metadata, caches) are frozen out
    of the cyclic garbage collector: its full collections then walk only what requests create, instead of
    pausing every request in flight for tens of milliseconds (the tail latency of intake under load)."""
    if app.state.settings.gc_freeze:
        gc.collect()
        gc.freeze()
    runner = JobRunner(app.state.session_factory, app.state.jobs)
    runner.start()
    try:
        yield
    finally:
        runner.stop()


def _mount_routers(app: FastAPI, modules: Sequence[Module]) -> None:
    """Every enabled module's API and page routers, dependencies first, then the shared pages; then the
    modules' own installers (which may put a hot route first)."""
    for module in modules:
        for router in (*module.api_routers, *module.page_routers):
            include(app, load(router.ref), responses=None if router.error_responses else {})

    from pingan.web.pages import install_pages

    install_pages(app)
    for module in modules:
        for hook in module.app_hooks:
            load(hook)(app)


def _activate(modules: Sequence[Module]) -> None:
    """Register what the enabled modules offer the spine at run time: address locators for the intake, and
    their template folders (searched after the shared one)."""
    from pingan.cases import hooks
    from pingan.web.pages.common import add_template_folder

    for module in modules:
        for ref in module.address_locators:
            hooks.register_address_locator(ref)
        folder = template_folder(module)
        if folder is not None:
            add_template_folder(folder)


def _install_error_handlers(app: FastAPI) -> None:
    from pingan.web.pages.common import error_page, wants_html

    @app.exception_handler(PinganError)
    async def _domain_error(_request: Request, exc: PinganError) -> Response:
        if wants_html(_request):
            return error_page(_request, exc.status, exc.message)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        headers = {**(headers or {}), **getattr(exc, "headers", {})} or None
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        field = ".".join(loc) or None
        message = (
            f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid input"))
        )
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")} for e in errors
        ]
        return JSONResponse(
            {"error": {"code": "invalid", "message": message, "field": field, "details": details}},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(_request) and exc.status_code in (403, 404, 405):
            return error_page(_request, exc.status_code)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            {"error": {"code": code, "message": str(exc.detail)}},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(PoolTimeout)
    async def _pool_full(_request: Request, exc: PoolTimeout) -> Response:
        # every database connection is busy (a burst of heavy requests): ask the client to retry shortly
        log.warning("database connection pool exhausted: %s", exc)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if wants_html(_request):
            response = error_page(_request, 503)
            response.headers.update(headers)
            return response
        return JSONResponse(
            {"error": {"code": "busy", "message": "the server is busy; try again in a few seconds"}},
            status_code=503,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        if wants_html(_request):
            return error_page(_request, 500)
        return JSONResponse(
            {"error": {"code": "internal", "message": "internal error; it has been logged"}}, status_code=500
        )
