"""Open311 GeoReport v2 endpoints at /open311/v2 (JSON or XML by file suffix; errors in the spec's shape)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pingan.cases import open311
from pingan.core.db import transaction
from pingan.core.errors import PinganError

_ERRORS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}
_BOTH: dict[str, Any] = {"application/json": {}, "text/xml": {}}
# Answers in the GeoReport shape, JSON or XML by the path's suffix (an unknown suffix: 404 in JSON).
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the answer, JSON or XML by the suffix", "content": _BOTH},
    201: {"description": "the request was created", "content": _BOTH},
    **{
        status: {
            "description": text,
            "content": {"application/json": {"schema": _ERRORS_SCHEMA}, "text/xml": {}},
        }
        for status, text in (
            (400, "bad request: the description names the field"),
            (403, "missing or invalid api_key"),
            (404, "no such request, service or format"),
        )
    },
}

router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=RESPONSES)

_ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "definition": ("service_definition", None),
    "discovery": ("discovery", None),
    "errors": ("errors", "error"),
    "updates": ("service_request_updates", "request_update"),
}


def _render(fmt: str, kind: str, data: Any, status: int = 200) -> Response:
    if fmt == "xml":
        root, item = _ROOTS[kind]
        return Response(
            open311.to_xml(root, item, data), status_code=status, media_type="text/xml; charset=utf-8"
        )
    body = json.dumps(data, ensure_ascii=False, default=str)
    return Response(body, status_code=status, media_type="application/json; charset=utf-8")


def _format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise open311.Open311Error(404, f"format {fmt!r} is not served; use .json or .xml")
    return fmt


def _read(request: Request, fmt: str, kind: str, work: Callable[[Session], Any]) -> Response:
    try:
        _check(request)
        fmt = _format(fmt)
        session: Session = request.app.state.session_factory()
        try:
            data = work(session)
            session.commit()
        finally:
            session.close()
        return _render(fmt, kind, data)
    except open311.Open311Error as exc:
        return _render(fmt if fmt in ("json", "xml") else "json", "errors", exc.errors, exc.status)
    except PinganError as exc:
        err = open311.from_domain(exc)
        return _render(fmt if fmt in ("json", "xml") else "json", "errors", err.errors, err.status)


def _check(request: Request) -> None:
    """The shared text rule on the path and query (the form fields are checked by the service)."""
    open311.check_parameters({**request.path_params, **dict(request.query_params.multi_items())})


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if v != ""}


@router.get("/discovery.{fmt}", response_class=Response, summary="Service discovery")
def discovery(request: Request, fmt: str) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    return _read(request, fmt, "discovery", lambda _s: open311.discovery(base))


@router.get("/services.{fmt}", response_class=Response, summary="Service list (public categories)")
def services(request: Request, fmt: str) -> Response:
    return _read(request, fmt, "services", open311.services)


@router.get(
    "/services/{code}.{fmt}", response_class=Response, summary="Service definition (extra attributes)"
)
def service_definition(request: Request, code: str, fmt: str) -> Response:
    return _read(request, fmt, "definition", lambda s: open311.service_definition(s, code))


@router.get(
    "/requests.{fmt}",
    response_class=Response,
    summary="Search requests (90-day window; page/page_size extension)",
)
def list_requests(request: Request, fmt: str) -> Response:
    params = _params(request)
    return _read(request, fmt, "requests", lambda s: open311.list_requests(s, params))


@router.get("/requests/{number}.{fmt}", response_class=Response, summary="One request")
def get_request(request: Request, number: str, fmt: str) -> Response:
    ext = request.query_params.get("extensions") == "true"
    return _read(request, fmt, "requests", lambda s: open311.get_request(s, number, extensions=ext))


@router.get("/tokens/{token}.{fmt}", response_class=Response, summary="Request id for a token")
def token(request: Request, token: str, fmt: str) -> Response:
    return _read(request, fmt, "requests", lambda s: open311.token_lookup(s, token))


async def _write(request: Request, fmt: str, kind: str, work: Callable[[Any], Awaitable[Any]]) -> Response:
    """A POST: ``work`` reads the form and returns what to run in a transaction of its own, committed before
    the answer; errors in the spec's shape."""
    out_fmt = fmt if fmt in ("json", "xml") else "json"
    try:
        _check(request)
        _format(fmt)
        run = await work(await request.form())

        def commit() -> Any:
            with transaction(request.app.state.session_factory) as session:
                return run(session)

        data = await asyncio.to_thread(commit)
        return _render(out_fmt, kind, data, 201 if kind == "requests" else 200)
    except open311.Open311Error as exc:
        return _render(out_fmt, "errors", exc.errors, exc.status)
    except PinganError as exc:
        err = open311.from_domain(exc)
        return _render(out_fmt, "errors", err.errors, err.status)


@router.post(
    "/requests.{fmt}",
    response_class=Response,
    status_code=201,
    summary="Create a request (form-encoded or multipart with `media`)",
)
async def create_request(request: Request, fmt: str) -> Response:
    async def read(form: Any) -> Callable[[Session], Any]:
        fields: list[tuple[str, Any]] = []
        files: list[tuple[str, bytes]] = []
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields.append((key, value))
            elif key == "media" and value.filename:
                files.append((value.filename, await value.read()))
        jurisdiction = next((v for k, v in fields if k == "jurisdiction_id"), None)
        return lambda session: open311.create_request(session, fields, files, jurisdiction=jurisdiction)

    return await _write(request, fmt, "requests", read)


@router.get(
    "/servicerequestupdates.{fmt}",
    response_class=Response,
    summary="Updates of requests in a window (mySociety extension)",
)
def list_updates(request: Request, fmt: str) -> Response:
    params = _params(request)
    return _read(request, fmt, "updates", lambda s: open311.list_updates(s, params))


@router.post(
    "/servicerequestupdates.{fmt}",
    response_class=Response,
    summary="Add a comment to a request (mySociety extension)",
)
async def post_update(request: Request, fmt: str) -> Response:
    async def read(form: Any) -> Callable[[Session], Any]:
        fields = {k: v.strip() for k, v in form.multi_items() if isinstance(v, str)}
        return lambda session: open311.post_update(session, fields)

    return await _write(request, fmt, "updates", read)
