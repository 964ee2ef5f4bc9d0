"""The OpenAPI document, plus links from the operations that create a record to those that read or change it.

OpenAPI links tell a client (and the stateful fuzzing in ``tests/fuzz``) that the ``id`` a create answers
with is the path parameter of the record's own operations: ``POST /api/v1/cases`` → ``GET
/api/v1/cases/{case_id}``. One table here rather than ``openapi_extra`` on every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# (create path, record path, path parameter, where its value is in the create's answer)
LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("/api/v1/cases", "/api/v1/cases/{case_id}", "case_id", "$response.body#/id"),
    ("/api/v1/cases", "/api/v1/public/cases/{number}", "number", "$response.body#/number"),
    ("/api/v1/cases", "/api/v1/cases/by-number/{number}", "number", "$response.body#/number"),
    ("/api/v1/accounts", "/api/v1/accounts/{account_id}", "account_id", "$response.body#/id"),
    ("/api/v1/grids/buildings", "/api/v1/grids/buildings/{building_id}", "building_id", "$response.body#/id"),
    (
        "/api/v1/grids/households",
        "/api/v1/grids/households/{household_id}",
        "household_id",
        "$response.body#/id",
    ),
    ("/api/v1/grids/residents", "/api/v1/grids/residents/{resident_id}", "resident_id", "$response.body#/id"),
    ("/api/v1/grids/places", "/api/v1/grids/places/{place_id}", "place_id", "$response.body#/id"),
    ("/api/v1/grids/tasks", "/api/v1/grids/tasks/{task_id}", "task_id", "$response.body#/id"),
    ("/api/v1/grids/opinions", "/api/v1/grids/opinions/{opinion_id}", "opinion_id", "$response.body#/id"),
    (
        "/api/v1/patrols/volunteers",
        "/api/v1/patrols/volunteers/{volunteer_id}",
        "volunteer_id",
        "$response.body#/id",
    ),
    ("/api/v1/case-routing/rules", "/api/v1/case-routing/rules/{rule_id}", "rule_id", "$response.body#/id"),
)


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with a link from each create's success answer to each operation of the record created."""
    paths = document.get("paths", {})
    for create, record, parameter, expression in LINKS:
        operation = paths.get(create, {}).get("post")
        targets = paths.get(record, {})
        if operation is None or not targets:
            continue
        success = next((code for code in sorted(operation["responses"]) if code.startswith("2")), None)
        if success is None:
            continue
        links = operation["responses"][success].setdefault("links", {})
        for method in targets:
            name = f"{method.upper()}{record.rsplit('/', 1)[0].replace('/api/v1', '').replace('/', '_')}"
            links[name] = {"operationRef": _pointer(record, method), "parameters": {parameter: expression}}
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve FastAPI's generated document with the links added (built once, on first request)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_links(generate())  # FastAPI keeps the document it generates in app.openapi_schema
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
