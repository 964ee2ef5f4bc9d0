"""The input rules every request meets before a route sees it (``core.validation``), as one ASGI middleware.

- The path and the query string carry no refused character (control characters but tab and line breaks,
  U+FFFE/U+FFFF; ``%00`` included): 422 naming the parameter.
- A JSON body is strict JSON (RFC 8259): no ``NaN``/``Infinity``, no number too large for a double, no lone
  surrogate, integers within 64 bits, no refused character in keys or strings: 422 naming the field.
- A URL-encoded form body meets the text rule: 422 naming the field (an HTML page for a browser).

Requests whose raw bytes show none of these (the usual case) pass after a few byte-level searches; only a
suspicious request is decoded to find the field at fault. The JSON value parsed here is kept in the request's
scope (:func:`json_body`), so a route reading a large body (the batch position API's 50,000 fixes) does not
parse it a second time. Multipart fields are checked by the services that read them
(``core.validation.check_text``), and Open311 applies the rules itself to answer in its own shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pingan.core.errors import ValidationFailed
from pingan.core.validation import bad_char, check_json, check_text

# Open311 answers errors in the GeoReport shape: it applies the same rules itself (cases.open311).
_OWN_RULES = ("/open311/",)
# The OsmAnd/Traccar receiver answers bad input with 400, as the phone apps of that protocol expect.
_PROTOCOL_400 = ("/osmand",)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Percent-escapes of refused characters (C0 controls but tab/LF/CR, U+FFFE/U+FFFF in UTF-8) and raw ones.
_ESCAPED = re.compile(
    rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|%[eE][fF]%[bB][fF]%[bB][eEfF]|[\x00-\x08\x0b\x0c\x0e-\x1f]"
)
# In a JSON text: escapes of refused characters, integers long enough to leave 64 bits, U+FFFE/U+FFFF. One
# regular expression over the whole body cost ~50 ns a byte (a 50,000-fix batch of 4.8 MB: 0.2 s, more than
# storing it); separate C-speed searches, the regular expression only after a backslash, take ~2 ns a byte.
_JSON_ESCAPES = re.compile(rb"\\(?:u00[01]|[bf]|u[fF]{3}[eEfF])")
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_INTEGER = b"0" * 19
_PARSED = "pingan.json_body"  # the scope key of the parsed JSON body
_NOTHING = object()


class InputRulesMiddleware:
    """422 for a request that breaks the shared input rules; everything else passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(_OWN_RULES):
            await self.app(scope, receive, send)
            return
        try:
            _check_url(scope)
        except ValidationFailed as exc:
            await _refuse(scope, receive, send, exc)
            return
        kind = _body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        try:
            if kind == "json":
                parsed = _check_json_body(body)
                if parsed is not _NOTHING:
                    scope[_PARSED] = parsed
            else:
                _check_form_body(body)
        except ValidationFailed as exc:
            await _refuse(scope, receive, send, exc)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        await self.app(scope, replay, send)


def _body_kind(scope: Scope) -> str | None:
    if scope.get("method") not in _BODY_METHODS:
        return None
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/json" or media.endswith(b"+json"):
                return "json"
            if media == b"application/x-www-form-urlencoded":
                return "form"
            return None
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body (the size limit outside this middleware bounds it); ``more`` False once complete."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _check_url(scope: Scope) -> None:
    path = scope.get("path", "")
    if bad_char(path) is not None:
        check_text(path, field="path")
    query: bytes = scope.get("query_string", b"")
    if query and _ESCAPED.search(query):
        _check_pairs(query)


def _check_pairs(raw: bytes) -> None:
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        check_text(key, field=key)
        check_text(value, field=key)


def _check_json_body(body: bytes) -> Any:
    """The body's JSON value (``_NOTHING`` for an empty body), checked against the rules."""
    if not body.strip():
        return _NOTHING
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"body is not valid JSON: {exc}", field="body") from None
    if _json_suspect(body):
        check_json(value, field="", max_bytes=None, max_keys=None, max_depth=None)
    return value


def _json_suspect(body: bytes) -> bool:
    """Whether the raw JSON text may hold a refused escape, a 19-digit integer or U+FFFE/U+FFFF."""
    return bool(
        (b"\\" in body and _JSON_ESCAPES.search(body))
        or _LONG_INTEGER in body.translate(_DIGITS_AS_ZERO)
        or (b"\xef\xbf" in body and (b"\xef\xbf\xbe" in body or b"\xef\xbf\xbf" in body))
    )


def json_body(request: Request, body: bytes) -> Any:
    """The request's JSON body (``body``, as read by the route) as the input rules parsed it, or parsed now
    (``orjson.JSONDecodeError`` for bad JSON) when they did not."""
    parsed = request.scope.get(_PARSED, _NOTHING)
    return orjson.loads(body) if parsed is _NOTHING else parsed


def _check_form_body(body: bytes) -> None:
    if body and _ESCAPED.search(body):
        _check_pairs(body)


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: ValidationFailed) -> None:
    from pingan.web.pages.common import error_page, wants_html

    request = Request(scope, receive)
    response: Any
    if scope.get("path", "").startswith(_PROTOCOL_400):
        exc.status = 400
    if wants_html(request):
        response = error_page(request, exc.status, exc.message)
    else:
        from fastapi.responses import JSONResponse

        response = JSONResponse(exc.to_dict(), status_code=exc.status)
    await response(scope, receive, send)
