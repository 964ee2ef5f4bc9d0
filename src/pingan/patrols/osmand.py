"""The OsmAnd / Traccar Client receiver: one fix per request, exactly as the apps send it.

Mounted at ``/osmand`` and ``/api/v1/patrols/osmand`` (point the app's server URL at either). Any method;
``Content-Type: application/json`` → the JSON body of Traccar Client 9+; otherwise the query string, or the
form body when the query string is empty. Answers (what the apps expect): 200 with an empty body once the fix
is committed (duplicates too, so the app drops them from its buffer); 400 for an unknown device in the
query variant, 404 in the JSON variant; 400 for an unreadable fix. The app retries anything else.

Every phone sends a request per fix, so the receiver is the application's hottest route: :func:`install`
puts it first among the application's routes as a plain Starlette route (matched before the ~200 others,
and without FastAPI's per-request dependency resolution, which has nothing to resolve here). The same paths
are also declared on :data:`router` for the OpenAPI document; requests never reach those copies.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import Route

from pingan.core.errors import RateLimited, ValidationFailed
from pingan.patrols.positions import UNKNOWN_DEVICE, GroupCommitWriter, parse_osmand_json, parse_osmand_query

router = APIRouter(tags=["patrols"])
MAX_BODY = 64 * 1024
METHODS = ["GET", "POST", "PUT"]


def writer_of(app: FastAPI) -> GroupCommitWriter:
    """The app's group-commit position writer (created on first use with the app's session factory)."""
    writer: GroupCommitWriter | None = getattr(app.state, "patrol_writer", None)
    if writer is None or writer.factory is not app.state.session_factory:
        writer = GroupCommitWriter(app.state.session_factory)
        app.state.patrol_writer = writer
    return writer


def _bad(exc: ValidationFailed) -> Response:
    return JSONResponse(exc.to_dict(), status_code=400)


def _limit(request: Request, group: str, who: str) -> None:
    """429 with Retry-After once ``who`` used up its bucket of ``group`` (``PINGAN_RATE_LIMITS``)."""
    limiter: Any = getattr(request.app.state, "rate_limiter", None)  # pingan.web.middleware.RateLimiter
    retry = limiter.hit(group, who) if limiter is not None else None
    if retry is not None:
        seconds = max(1, math.ceil(retry))
        error = RateLimited(f"too many requests ({group}); retry in {seconds} s")
        error.headers = {"Retry-After": str(seconds)}  # type: ignore[attr-defined]
        raise error


async def receive(request: Request) -> Response:
    """One fix from the Traccar Client / OsmAnd app (rate-limited per client address, then per device)."""
    _limit(request, "osmand_client", request.client.host if request.client else "unknown")
    content_type = request.headers.get("content-type", "")
    is_json = content_type.startswith("application/json")
    try:
        if is_json:
            body = await request.body()
            if len(body) > MAX_BODY:
                raise ValidationFailed("body too large for one fix", field="body")
            try:
                doc: Any = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise ValidationFailed("body is not valid JSON", field="body") from None
            fix = parse_osmand_json(doc)
            if fix.key is None and request.scope.get("query_string"):  # the key in the app's server URL
                fix.key = dict(parse_qsl(request.scope["query_string"].decode("latin-1"))).get("key") or None
        else:
            raw = request.scope.get("query_string", b"")
            params: Any = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else None
            if not params:
                body = await request.body()
                if len(body) > MAX_BODY:
                    raise ValidationFailed("body too large for one fix", field="body")
                params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            fix = parse_osmand_query(params)
    except ValidationFailed as exc:
        return _bad(exc)
    _limit(request, "osmand_device", fix.device_id)
    result = (await writer_of(request.app).submit([fix]))[0]
    if result == UNKNOWN_DEVICE:
        return Response(status_code=404 if is_json else 400)
    return Response(status_code=200)


PATHS = ("/osmand", "/api/v1/patrols/osmand")


def install(app: FastAPI) -> None:
    """Put the receiver's routes first among the application's routes (see the module's docstring)."""
    for path in reversed(PATHS):
        app.router.routes.insert(0, Route(path, receive, methods=METHODS, include_in_schema=False))


router.add_api_route("/osmand", receive, methods=METHODS, include_in_schema=False)
for _method in METHODS:
    router.add_api_route(
        "/api/v1/patrols/osmand",
        receive,
        methods=[_method],
        operation_id=f"osmand_{_method.lower()}",
        summary="OsmAnd / Traccar Client position receiver (query, form or JSON; one fix per request)",
    )
