"""HTTP plumbing shared by every module's API: the router they declare their endpoints on.

Since FastAPI 0.137 an included router is not copied into the application: each request walks the included
routers in order and tries every route of each (about 2.5 µs a route on this 2-core machine), so a request
for a route near the end of the application paid for the ~200 routes before it — more than half of what a
small JSON request cost. :class:`APIRouter` lets a request that cannot match any of its routes skip the
whole router in one string comparison: the literal beginning its routes share (``/api/v1/grids/``, say).
Upstream: fastapi/fastapi#16159 (open when this was written).
"""

from __future__ import annotations

import os
from typing import Any

import fastapi
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

__all__ = ["APIRouter", "literal_prefix"]


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


class APIRouter(fastapi.APIRouter):
    """FastAPI's router, skipped at once by requests outside the literal prefix its routes share."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
        if count != len(self.routes):  # routes are added at start-up; recomputed if one is added later
            prefix = literal_prefix(self.routes)
            self._literal = (len(self.routes), prefix)
        return prefix
