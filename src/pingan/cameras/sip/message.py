"""SIP requests as GB/T 28181 devices send them: a strict, small parser and the responses we answer with.

Only what a registrar and MESSAGE receiver needs (RFC 3261 §7): the request line, the headers kept as
(name, value) lines in order (Via lines are echoed verbatim), the body as bytes. Compact header names are
expanded. Anything outside the grammar raises :class:`SipError` with a counter reason; the server decides
whether the request can still be answered (it can when Via, From, To, Call-ID and CSeq were read).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

MAX_MESSAGE_BYTES = 65_535  # the largest UDP datagram; TCP messages are held to the same size
MAX_HEADER_BYTES = 16_384
MAX_HEADERS = 100

_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "l": "content-length",
    "c": "content-type",
    "m": "contact",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
}
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
REQUIRED = ("via", "from", "to", "call-id", "cseq")


class SipError(Exception):
    """A request we refuse; ``reason`` names its counter, ``status`` the answer (0: no answer possible)."""

    def __init__(self, reason: str, detail: str = "", status: int = 400) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.status = status


@dataclass
class SipRequest:
    """One parsed request: method, Request-URI, headers in order (lower-case names), body bytes.

    A response parses to ``method == ""`` with its status code as ``uri`` (devices answer our queries).
    """

    method: str
    uri: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    _first: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def get(self, name: str) -> str | None:
        """The first value of a header (``name`` lower-case), or None (read once the headers are parsed)."""
        first = self._first
        if first is None:
            first = self._first = {}
            for key, value in self.headers:
                first.setdefault(key, value)
        return first.get(name)

    def all(self, name: str) -> list[str]:
        """Every value of a header, in order."""
        return [value for key, value in self.headers if key == name]

    @property
    def answerable(self) -> bool:
        """Whether the headers a response must echo are all there."""
        return all(self.get(name) for name in REQUIRED)

    def cseq_method(self) -> str:
        parts = (self.get("cseq") or "").split()
        return parts[1] if len(parts) == 2 and parts[0].isdigit() else ""

    def from_user(self) -> str:
        """The user part of the From URI (a GB/T 28181 device ID), or ''."""
        return uri_user(self.get("from") or "")


_URI_USER = re.compile(r"sips?:([^@;>\s]+)@", re.IGNORECASE)


def uri_user(value: str) -> str:
    """The user part of the first SIP URI in a header value."""
    match = _URI_USER.search(value)
    return match.group(1) if match else ""


def split_head(data: bytes) -> tuple[bytes, bytes]:
    """Split a message into its header section and what follows the blank line."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
        if end < 0:
            raise SipError("malformed", "no blank line after the headers", status=0)
        return data[:end], data[end + 2 :]
    return data[:end], data[end + 4 :]


def parse_head(head: bytes) -> SipRequest:
    """Parse the request line and headers (no body yet)."""
    if len(head) > MAX_HEADER_BYTES:
        raise SipError("too_large", "header section", status=0)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise SipError("bad_encoding", "headers are not UTF-8", status=0) from None
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[0]:
        lines.pop(0)  # CRLF keep-alives before the message
    if not lines:
        raise SipError("malformed", "empty", status=0)
    parts = lines[0].split(" ")
    if lines[0].startswith("SIP/2.0 ") and len(parts) >= 3 and parts[1].isdigit():
        request = SipRequest(method="", uri=parts[1])  # a response: method "", uri its status code
    elif len(parts) != 3 or parts[2] != "SIP/2.0" or not _TOKEN.match(parts[0]) or ":" not in parts[1]:
        raise SipError("malformed", "request line", status=0)
    else:
        request = SipRequest(method=parts[0], uri=parts[1])
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and request.headers:
            name, value = request.headers[-1]
            request.headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not _TOKEN.match(name):
            raise SipError("malformed", "header line", status=0)
        request.headers.append((_COMPACT.get(name, name), value.strip()))
        if len(request.headers) > MAX_HEADERS:
            raise SipError("too_large", "too many headers", status=0)
    return request


def content_length(request: SipRequest, *, required: bool) -> int:
    """The Content-Length header as a number (0 when absent and not ``required``)."""
    raw = request.get("content-length")
    if raw is None:
        if required:
            raise SipError("malformed", "no Content-Length")
        return 0
    if not raw.isdigit() or len(raw) > 7:
        raise SipError("malformed", "Content-Length", status=0)
    return int(raw)


def parse_datagram(data: bytes) -> SipRequest:
    """Parse one UDP datagram: the body is what the Content-Length says (the rest when it is absent)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipError("too_large", "datagram", status=0)
    head, rest = split_head(data)
    request = parse_head(head)
    if request.get("content-length") is None:
        request.body = rest
        return request
    length = content_length(request, required=False)
    if length > len(rest):
        raise SipError("malformed", "body shorter than Content-Length")
    request.body = rest[:length]
    return request


def check_request(request: SipRequest) -> None:
    """The mandatory headers are there and CSeq names the request's method."""
    missing = [name for name in REQUIRED if not request.get(name)]
    if missing:
        raise SipError("malformed", "missing " + ", ".join(missing), status=0)
    if request.cseq_method() != request.method:
        raise SipError("malformed", "CSeq")


_VIA_RPORT = re.compile(r";rport(?=;|$|\s|,)")


def _via_lines(request: SipRequest, source: tuple[str, int] | None) -> list[str]:
    vias = request.all("via")
    if vias and source is not None:
        top, comma, others = vias[0].partition(",")  # one header line may carry several Via values
        host, port = source
        if _VIA_RPORT.search(top):  # RFC 3581: tell a device behind NAT where we saw it
            top = _VIA_RPORT.sub(f";rport={port}", top.rstrip(), count=1)
            if ";received=" not in top:
                top += f";received={host}"
        vias = [top + comma + others, *vias[1:]]
    return vias


def top_via_transport(request: SipRequest) -> str:
    """UDP or TCP, as the request's top Via says."""
    sent = (request.get("via") or "").split(" ", 1)[0].upper()
    return "TCP" if sent.endswith("/TCP") else "UDP"


def to_tag(request: SipRequest) -> str:
    """A To tag stable across retransmissions of the same request."""
    key = f"{request.get('call-id')}|{request.get('from')}".encode()
    return f"{zlib.crc32(key):08x}"


def response(
    request: SipRequest,
    status: int,
    reason: str,
    *,
    source: tuple[str, int] | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """A response echoing Via, From, To (with our tag), Call-ID and CSeq."""
    lines = [f"SIP/2.0 {status} {reason}"]
    lines += [f"Via: {via}" for via in _via_lines(request, source)]
    to = request.get("to") or ""
    if status != 100 and ";tag=" not in to.lower():
        to = f"{to};tag={to_tag(request)}"
    lines.append(f"From: {request.get('from') or ''}")
    lines.append(f"To: {to}")
    lines.append(f"Call-ID: {request.get('call-id') or ''}")
    lines.append(f"CSeq: {request.get('cseq') or ''}")
    lines += [f"{name}: {value}" for name, value in extra or ()]
    lines.append("User-Agent: Pingan")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def outgoing_message(
    *,
    device_id: str,
    realm: str,
    server_id: str,
    via: str,
    call_id: str,
    cseq: int,
    body: bytes,
) -> bytes:
    """A MESSAGE from us to a device (``via``: ``SIP/2.0/UDP host:port``), carrying a MANSCDP body."""
    branch = f"z9hG4bK{zlib.crc32(call_id.encode()):08x}{cseq}"
    lines = [
        f"MESSAGE sip:{device_id}@{realm} SIP/2.0",
        f"Via: {via};rport;branch={branch}",
        f"From: <sip:{server_id}@{realm}>;tag={zlib.crc32(server_id.encode()):08x}",
        f"To: <sip:{device_id}@{realm}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} MESSAGE",
        "Content-Type: Application/MANSCDP+xml",
        "Max-Forwards: 70",
        "User-Agent: Pingan",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Server Internal Error",
}
