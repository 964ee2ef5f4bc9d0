"""Which optional modules this installation has (detected by their routes, so no number is ever faked)."""

from __future__ import annotations

from fastapi import FastAPI

# module → a route prefix that exists only when the module is installed
MODULE_ROUTES = {
    "cases": "/api/v1/cases",
    "patrols": "/api/v1/patrols",
    "cameras": "/api/v1/cameras",
    "rivers": "/api/v1/rivers",
    "safety": "/api/v1/safety",
    "grids": "/api/v1/grids",
}


def api_paths(app: FastAPI) -> frozenset[str]:
    """Every documented API path of the app (read once from its OpenAPI schema)."""
    cached: frozenset[str] | None = getattr(app.state, "api_paths", None)
    if cached is None:
        cached = frozenset(app.openapi().get("paths", {}))
        app.state.api_paths = cached
    return cached


def has_module(app: FastAPI, name: str) -> bool:
    """Whether the app serves the module's API."""
    prefix = MODULE_ROUTES[name]
    return any(path == prefix or path.startswith(prefix + "/") for path in api_paths(app))
