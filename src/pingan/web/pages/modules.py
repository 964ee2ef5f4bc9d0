"""Which optional modules this installation has (detected by their routes, so no number is ever faked)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import BaseRoute

# module → a route prefix that exists only when the module is installed
MODULE_ROUTES = {
    "cases": "/api/v1/cases",
    "patrols": "/api/v1/patrols",
    "cameras": "/api/v1/cameras",
    "rivers": "/api/v1/rivers",
    "safety": "/api/v1/safety",
    "grids": "/api/v1/grids",
}


def _paths(routes: list[BaseRoute]) -> list[str]:
    return [str(getattr(route, "path", "")) for route in routes]


def has_module(app: FastAPI, name: str) -> bool:
    """Whether the app serves the module's API."""
    prefix = MODULE_ROUTES[name]
    return any(path == prefix or path.startswith(prefix + "/") for path in _paths(app.routes))
