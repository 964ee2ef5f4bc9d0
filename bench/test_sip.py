"""GB/T 28181 keepalives over UDP: the SIP endpoint vs a bare UDP receiver of the same process.

The server side runs on this process's event loop: first a bare ``DatagramProtocol`` that only counts each
datagram and answers two bytes (so the client can pace both runs alike), then ``cameras.sip.SipServer``
with an in-memory directory. The client is a separate process (the other core) playing DEVICES registered
cameras over one UDP socket with WINDOW keepalive MESSAGEs in flight: each reply lets the next message go
(its CPU share is printed: it is not the limit).
The SIP figure counts keepalives fully handled — parsed (headers and the GB2312 MANSCDP body), authorised by
a live registration, answered 200 OK and batched to ``SipDirectory.heard``; the client checks each answer is
a 200. Target (issue 17): ≥ 20 × 75 = 1,500 keepalives/s — 75/s is 4,500 channels at the 60 s default
interval — reported beside the ratio to the bare rate. Every keepalive must be handled, none refused, every
device heard, and ``heard`` called in batches (under one call per 100 messages).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.conftest import print_table, record_target
from pingan.cameras.sip import MemoryDirectory, SipConfig, SipServer

pytestmark = pytest.mark.benchmark
ROOT = Path(__file__).resolve().parent.parent
DEVICES = 200
WINDOW = 32
WARMUP = 3_000
MEASURED = 30_000
TARGET = 1_500
SERVER_ID = "34020000002000000001"
REALM = "3402000000"


def device_id(n: int) -> str:
    return f"330108000013200{n:05d}"


def password(n: int) -> str:
    return f"pw-{n:05d}"


# ---- the client process -----------------------------------------------------------------------------
def _request(method: str, device: str, port: int, call_id: str, cseq: int, extra: str, body: bytes) -> bytes:
    to = device if method == "REGISTER" else SERVER_ID
    head = (
        f"{method} sip:{SERVER_ID}@{REALM} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};rport;branch=z9hG4bK{call_id[:12]}{cseq}\r\n"
        f"From: <sip:{device}@{REALM}>;tag=t{device[-5:]}\r\n"
        f"To: <sip:{to}@{REALM}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n{extra}"
        f"Max-Forwards: 70\r\nUser-Agent: IP Camera\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _register(sock: socket.socket, port: int, n: int) -> None:
    device, call_id = device_id(n), f"reg-{n}-{os.getpid()}@127.0.0.1"
    sock.send(_request("REGISTER", device, port, call_id, 1, "Expires: 3600\r\n", b""))
    challenge = sock.recv(4096).decode()
    nonce = re.search(r'nonce="([^"]+)"', challenge)
    assert challenge.startswith("SIP/2.0 401") and nonce, challenge

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    uri = f"sip:{SERVER_ID}@{REALM}"
    answer = md5(f"{md5(f'{device}:{REALM}:{password(n)}')}:{nonce.group(1)}:{md5(f'REGISTER:{uri}')}")
    auth = (
        f'Authorization: Digest username="{device}", realm="{REALM}", nonce="{nonce.group(1)}", '
        f'uri="{uri}", response="{answer}", algorithm=MD5\r\n'
    )
    sock.send(_request("REGISTER", device, port, call_id, 2, auth + "Expires: 3600\r\n", b""))
    ok = sock.recv(4096)
    assert ok.startswith(b"SIP/2.0 200"), ok


def _keepalive(n: int, port: int) -> bytes:
    device = device_id(n % DEVICES)
    body = (
        f'<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>{n}</SN>'
        f"\r\n<DeviceID>{device}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n"
    ).encode()
    extra = "Content-Type: Application/MANSCDP+xml\r\n"
    return _request("MESSAGE", device, port, f"ka-{n}-{os.getpid()}@127.0.0.1", 20 + n, extra, body)


def _run(sock: socket.socket, port: int, count: int, first: int, sip: bool) -> dict[str, Any]:
    sent = answered = lost = in_flight = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    while answered + lost < count:
        while in_flight < WINDOW and sent < count:
            sock.send(_keepalive(first + sent, port))
            sent += 1
            in_flight += 1
        try:
            reply = sock.recv(4096)
        except TimeoutError:
            lost, in_flight = lost + in_flight, 0
            continue
        in_flight -= 1
        if sip and not reply.startswith(b"SIP/2.0 200 "):
            raise AssertionError(reply[:200])
        answered += 1
    seconds = time.perf_counter() - started
    return {
        "answered": answered,
        "lost": lost,
        "seconds": seconds,
        "client_cpu": (time.process_time() - started_cpu) / seconds,
    }


def client_main(server_port: int, sip: bool) -> None:
    """The devices: register (SIP runs), warm up, then the measured run; prints the figures as JSON."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.connect(("127.0.0.1", server_port))
    sock.settimeout(1.0)
    port = sock.getsockname()[1]
    if sip:
        for n in range(DEVICES):
            _register(sock, port, n)
    _run(sock, port, WARMUP, 0, sip)
    result = _run(sock, port, MEASURED, WARMUP, sip)
    print(json.dumps(result))


# ---- the server side ----------------------------------------------------------------------------------
class _Bare(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.count = 0
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.count += 1
        self.transport.sendto(b"OK", addr)


async def _client(port: int, sip: bool) -> dict[str, Any]:
    code = f"import bench.test_sip as b; b.client_main({port}, {sip})"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-3000:]
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def _bare() -> tuple[dict[str, Any], int]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Bare, local_addr=("127.0.0.1", 0))
    try:
        result = await _client(transport.get_extra_info("sockname")[1], False)
    finally:
        transport.close()
    return result, protocol.count


async def _sip() -> tuple[dict[str, Any], SipServer, MemoryDirectory]:
    directory = MemoryDirectory(passwords={device_id(n): password(n) for n in range(DEVICES)})
    server = SipServer(directory, SipConfig(flush_ms=500, query_catalog=False))
    await server.start("127.0.0.1", udp_port=0, tcp_port=0)
    try:
        result = await _client(server.udp_port, True)
    finally:
        await server.stop()
    return result, server, directory


def test_keepalives_per_second_vs_bare_udp() -> None:
    bare, bare_count = asyncio.run(_bare())
    sip, server, directory = asyncio.run(_sip())
    bare_rate = bare["answered"] / bare["seconds"]
    sip_rate = sip["answered"] / sip["seconds"]
    ratio = sip_rate / bare_rate

    assert bare_count >= WARMUP + MEASURED - bare["lost"]
    assert server.handled["keepalive"] >= sip["answered"]
    assert sum(server.refused.values()) == 0, server.refused
    assert sip["lost"] <= MEASURED // 1000, f"{sip['lost']} keepalives unanswered"
    assert set(directory.last_heard) == {device_id(n) for n in range(DEVICES)}
    calls = len(directory.heard_batches)
    assert calls < (WARMUP + MEASURED) / 100, f"{calls} heard calls: not batched"

    verdict = record_target(
        "GB/T 28181 keepalives handled/s (UDP)",
        figure=f"{sip_rate:,.0f}/s ({ratio * 100:.0f} % of bare UDP)",
        target=f"≥ {TARGET:,}/s",
        met=sip_rate >= TARGET,
    )
    print_table(
        f"SIP keepalive MESSAGEs vs a bare UDP receiver, same process ({DEVICES} devices, {WINDOW} in "
        f"flight, {MEASURED:,} messages after {WARMUP:,} warm-up) — target ≥ {TARGET:,}/s",
        ["receiver", "msg/s", "lost", "of bare", "heard calls", "client CPU", "verdict"],
        [
            [
                "bare UDP (count + 2-byte answer)",
                f"{bare_rate:,.0f}",
                bare["lost"],
                "100 %",
                "-",
                f"{bare['client_cpu']:.0%}",
                "-",
            ],
            [
                "SIP keepalive (parse, auth, 200, batch)",
                f"{sip_rate:,.0f}",
                sip["lost"],
                f"{ratio:.0%}",
                calls,
                f"{sip['client_cpu']:.0%}",
                verdict,
            ],
        ],
    )
