"""The OpenAPI document, plus links from the operations that create a record to those that read or change it.

OpenAPI links tell a client (and the stateful fuzzing in ``tests/fuzz``) that the ``id`` a create answers
with is the path parameter of the record's own operations: ``POST /api/v1/cases`` → ``GET
/api/v1/cases/{case_id}``. One table per module (``Module.api_links``; the spine's
below) rather than ``openapi_extra`` on every route.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

from pingan.core.modules import ApiLink, Module

# The spine's links; each module declares its own (``Module.api_links``).
LINKS: tuple[ApiLink, ...] = (
    ApiLink("/api/v1/cases", "/api/v1/cases/{case_id}", "case_id"),
    ApiLink("/api/v1/cases", "/api/v1/public/cases/{number}", "number", "$response.body#/number"),
    ApiLink("/api/v1/cases", "/api/v1/cases/by-number/{number}", "number", "$response.body#/number"),
    ApiLink("/api/v1/accounts", "/api/v1/accounts/{account_id}", "account_id"),
    ApiLink("/api/v1/case-routing/rules", "/api/v1/case-routing/rules/{rule_id}", "rule_id"),
)


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def add_links(document: dict[str, Any], declared: Iterable[ApiLink] = LINKS) -> dict[str, Any]:
    """``document`` with a link from each create's success answer to each operation of the record created."""
    paths = document.get("paths", {})
    for link in declared:
        create, record, parameter, expression = link.create, link.record, link.parameter, link.expression
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
        if app.openapi_schema is None:  # FastAPI keeps the document it generates in app.openapi_schema
            modules: tuple[Module, ...] = getattr(app.state, "modules", ())
            add_links(generate(), (*LINKS, *(link for module in modules for link in module.api_links)))
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
