"""Server-rendered pages (Jinja) with small scripts: sign-in, the wall, the workbench, area pages, residents.

Pages are rendered from the modules' service functions; the live parts (maps, charts, the live feed) are
filled in by our scripts from the JSON API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from pingan.web.pages.common import PageForbidden, SignInRequired, error_page, sign_in_redirect
from pingan.web.routing import include

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "app"
VENDOR = {"leaflet": "leaflet/dist", "echarts": "echarts/dist", "swagger-ui": "swagger-ui-dist"}


def find_node_modules() -> Path:
    """The npm folder holding the front-end libraries (the working directory's, else the source tree's)."""
    candidates = [Path.cwd() / "node_modules", Path(__file__).resolve().parents[4] / "node_modules"]
    for folder in candidates:
        if all((folder / sub).is_dir() for sub in VENDOR.values()):
            return folder
    raise RuntimeError(
        "front-end libraries not found (looked for leaflet and echarts in "
        + ", ".join(str(c) for c in candidates)
        + "): run `npm ci` (or `make setup`) in the project folder first"
    )


API_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pingan 平安 API</title>
<link rel="icon" href="/static/app/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/app/api-docs.js"></script></body></html>
"""


def install_pages(app: FastAPI) -> None:
    """Mount our static files, the vendored libraries and every page router."""
    from pingan.web.pages import area, audit, auth, clerk, resident, wall, work

    node_modules = find_node_modules()
    app.mount("/static/app", StaticFiles(directory=STATIC_DIR), name="static-app")
    for name, sub in VENDOR.items():
        app.mount(f"/static/vendor/{name}", StaticFiles(directory=node_modules / sub), name=f"vendor-{name}")
    for module in (auth, wall, work, area, resident, audit, clerk):
        include(app, module.router)

    favicon = (STATIC_DIR / "favicon.svg").read_bytes()

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon_ico() -> Response:
        """The icon for clients that ask the conventional path (every page links /static/app/favicon.svg)."""
        return Response(
            favicon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """The OpenAPI page, with Swagger UI served from node_modules (no CDN, no inline script)."""
        return HTMLResponse(API_DOCS_HTML)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return error_page(request, 403, actor=exc.actor)
