"""How the application includes the modules' routers.

Since FastAPI 0.137 an included router is not copied into the application: each request walks the included
routers in order and tries every route of each (about 2.5 µs a route on a 2-core machine), so a request for
a route near the end of the application paid for the ~200 routes before it — more than half of what a small
JSON request cost. :func:`include` wraps each module router in a :class:`PrefixRouter`, which a request that
cannot match any of its routes skips in one string comparison: the literal beginning its routes share
(``/api/v1/grids/``, say). Upstream: fastapi/fastapi#16159 (open when this was written).

Every included route also documents the error answers any route can give, in the one shape
``core/errors.py`` renders (:data:`ERROR_RESPONSES`), so the OpenAPI document lists every status a client
can receive (checked by the fuzzing in ``tests/fuzz``).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

__all__ = ["ERROR_RESPONSES", "ErrorResponse", "PrefixRouter", "file_responses", "include", "literal_prefix"]


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: Any = None


class ErrorResponse(BaseModel):
    """``{"error": {"code", "message", "field"}}``: every 4xx answer of the API."""

    error: ErrorBody


_ERRORS = {
    400: "bad request (the message names the field)",
    401: "not signed in, or the token is unknown, expired or revoked",
    403: "signed in, but not allowed (role or area scope)",
    404: "no such record in your scope",
    409: "conflicts with the current state",
    413: "body too large",
    422: "invalid input (the message and `field` name the field)",
    429: "rate limited (see Retry-After)",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in _ERRORS.items()
}


def literal_prefix(routes: list[BaseRoute]) -> str:
    """The longest beginning every route's path must have: what precedes the first path parameter, shared by
    all. Empty when a route has no path of its own (a nested router) or when there are no routes."""
    paths = []
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return ""
        paths.append(path.split("{", 1)[0])
    return os.path.commonprefix(paths) if paths else ""


class PrefixRouter(APIRouter):
    """Holds one module router; skipped at once by requests outside the literal prefix its routes share."""

    def __init__(self, router: APIRouter) -> None:
        super().__init__()
        self.include_router(router)
        self._inner = router
        self._literal: tuple[int, str] = (-1, "")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(self._prefix()):
            return Match.NONE, {}
        return super().matches(scope)

    def _prefix(self) -> str:
        count, prefix = self._literal
        if count != len(self._inner.routes):  # routes are added at start-up; recomputed if one is added later
            prefix = literal_prefix(self._inner.routes)
            self._literal = (len(self._inner.routes), prefix)
        return prefix


def file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a route that sends a file (an export, a template) in one of ``media_types``; use
    with ``response_class=Response`` so that JSON is not documented as well."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": "the file", "content": {media: binary for media in media_types}}}


def include(
    app: FastAPI, router: APIRouter, *, responses: dict[int | str, dict[str, Any]] | None = None
) -> None:
    """Include a module's router in the application behind its prefix check; ``responses``: its error
    answers when they are not the shared :data:`ERROR_RESPONSES` (Open311 answers in its own shape)."""
    app.include_router(PrefixRouter(router), responses=ERROR_RESPONSES if responses is None else responses)
