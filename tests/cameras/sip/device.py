"""A test device speaking GB/T 28181 SIP the way an IPC or NVR does: exactly the bytes it sends.

The message layouts follow what cameras put on the wire (compact Via with rport, From with a tag, To without,
``Application/MANSCDP+xml`` with a GB2312 declaration); the digest is computed here independently of the
server's code (RFC 2617), so a test of the server does not check the server against itself.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import socket
from dataclasses import dataclass, field

SERVER_ID = "34020000002000000001"
REALM = "3402000000"
CAMERA = "33010800001320000001"
NVR = "33010800001180000001"
STRANGER = "33010800001320009999"


@dataclass
class Reply:
    status: int
    headers: dict[str, list[str]]
    raw: bytes

    def one(self, name: str) -> str:
        return self.headers[name.lower()][0]


def parse_reply(raw: bytes) -> Reply:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    lines = head.split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Reply(int(lines[0].split(" ")[1]), headers, raw)


def answer_ok(request: bytes) -> bytes:
    """The 200 a device sends to a request from the platform."""
    head = request.split(b"\r\n\r\n", 1)[0].decode()
    keep = [
        line for line in head.split("\r\n")[1:] if line.split(":")[0] in ("Via", "From", "Call-ID", "CSeq")
    ]
    to = next(line for line in head.split("\r\n") if line.startswith("To:"))
    return (
        "\r\n".join(["SIP/2.0 200 OK", *keep, f"{to};tag=dev1", "Content-Length: 0"]) + "\r\n\r\n"
    ).encode()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest_header(challenge: str, *, user: str, password: str, uri: str, method: str = "REGISTER") -> str:
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.removeprefix("Digest ")))
    ha1 = _md5(f"{user}:{params['realm']}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    realm, nonce = params["realm"], params["nonce"]
    base = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
    if params.get("qop") == "auth":
        cnonce, nc = os.urandom(4).hex(), "00000001"
        answer = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        return f'{base}, response="{answer}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"'
    answer = _md5(f"{ha1}:{nonce}:{ha2}")
    return f'{base}, response="{answer}", algorithm=MD5'


def keepalive_xml(device_id: str, sn: int, encoding: str = "GB2312") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n'
        f"<SN>{sn}</SN>\r\n<DeviceID>{device_id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n"
    ).encode("ascii")


def catalog_xml(device_id: str, sn: int, total: int, items: list[dict[str, str]]) -> bytes:
    rows = "".join(
        "<Item>\r\n" + "".join(f"<{k}>{v}</{k}>\r\n" for k, v in item.items()) + "</Item>\r\n"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n'
        f"<SN>{sn}</SN>\r\n<DeviceID>{device_id}</DeviceID>\r\n<SumNum>{total}</SumNum>\r\n"
        f'<DeviceList Num="{len(items)}">\r\n{rows}</DeviceList>\r\n</Response>\r\n'
    ).encode("gb2312")


@dataclass
class Device:
    """One device on a UDP or TCP socket to the server at 127.0.0.1."""

    device_id: str
    password: str
    port: int
    transport: str = "UDP"
    sock: socket.socket = field(init=False)
    cseq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    tag: str = field(default_factory=lambda: os.urandom(4).hex())
    buffer: bytes = b""
    inbox: list[bytes] = field(default_factory=list)
    bind_host: str = "127.0.0.1"  # the source address (the server is always at 127.0.0.1)

    def __post_init__(self) -> None:
        if self.transport == "UDP":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((self.bind_host, 0))
            self.sock.connect(("127.0.0.1", self.port))
        else:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.sock.settimeout(5)
        self.local_port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    # ---- building ----------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        *,
        call_id: str | None = None,
        extra: str = "",
        body: bytes = b"",
        content_type: str = "Application/MANSCDP+xml",
    ) -> bytes:
        n = next(self.cseq)
        call_id = call_id or f"{os.urandom(6).hex()}@127.0.0.1"
        branch = f"z9hG4bK{os.urandom(5).hex()}"
        lines = [
            f"{method} sip:{SERVER_ID}@{REALM} SIP/2.0",
            f"Via: SIP/2.0/{self.transport} {self.bind_host}:{self.local_port};rport;branch={branch}",
            f"From: <sip:{self.device_id}@{REALM}>;tag={self.tag}",
            f"To: <sip:{self.device_id if method == 'REGISTER' else SERVER_ID}@{REALM}>",
            f"Call-ID: {call_id}",
            f"CSeq: {n} {method}",
        ]
        if method == "REGISTER":
            lines.append(f"Contact: <sip:{self.device_id}@127.0.0.1:{self.local_port}>")
        elif body:
            lines.append(f"Content-Type: {content_type}")
        lines += ["Max-Forwards: 70", "User-Agent: IP Camera"]
        if extra:
            lines.append(extra)
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    # ---- talking -----------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if self.transport == "UDP":
            self.sock.send(data)
        else:
            self.sock.sendall(data)

    def _next_message(self) -> bytes:
        if self.transport == "UDP":
            return self.sock.recv(65_536)
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                found = re.search(rb"\r\nContent-Length: *(\d+)", self.buffer[:end], re.IGNORECASE)
                total = end + 4 + (int(found.group(1)) if found else 0)
                if len(self.buffer) >= total:
                    raw, self.buffer = self.buffer[:total], self.buffer[total:]
                    return raw
            chunk = self.sock.recv(65_536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    def receive(self) -> Reply:
        """The next response; requests from the server (queries) are kept in ``inbox`` and answered 200."""
        while True:
            raw = self._next_message()
            if raw.startswith(b"SIP/2.0 "):
                return parse_reply(raw)
            self.inbox.append(raw)
            self.send(answer_ok(raw))

    def ask(self, data: bytes) -> Reply:
        self.send(data)
        return self.receive()

    def register(self, *, expires: int = 3600, password: str | None = None) -> Reply:
        """The two-step registration: REGISTER, 401, REGISTER with the digest."""
        call_id = f"{os.urandom(6).hex()}@127.0.0.1"
        first = self.ask(self.request("REGISTER", call_id=call_id, extra=f"Expires: {expires}"))
        assert first.status == 401, first.raw
        auth = digest_header(
            first.one("WWW-Authenticate"),
            user=self.device_id,
            password=self.password if password is None else password,
            uri=f"sip:{SERVER_ID}@{REALM}",
        )
        extra = f"Authorization: {auth}\r\nExpires: {expires}"
        return self.ask(self.request("REGISTER", call_id=call_id, extra=extra))

    def keepalive(self, sn: int = 1, encoding: str = "GB2312") -> Reply:
        return self.ask(self.request("MESSAGE", body=keepalive_xml(self.device_id, sn, encoding)))
