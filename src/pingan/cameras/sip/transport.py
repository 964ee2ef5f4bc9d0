"""The SIP endpoint's transports: UDP datagrams, and TCP streams framed by Content-Length (RFC 3261 §18.3).

Both hand whole requests to a :class:`Receiver` (the server) with a ``reply`` that answers on the same path.
A TCP stream whose framing cannot be trusted (a header section that does not parse, a Content-Length over
the limit, 16 KiB without a blank line) is counted and closed: there is no way to find the next message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol, cast

from pingan.cameras.sip.message import (
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    SipError,
    SipRequest,
    content_length,
    parse_head,
)

Reply = Callable[[bytes], None]


class Receiver(Protocol):
    """What the transports need of the server."""

    refused: Counter[str]
    handled: Counter[str]

    def receive_datagram(self, data: bytes, source: tuple[str, int], reply: Reply) -> None: ...

    def receive(self, request: SipRequest, source: tuple[str, int], send: Reply) -> None: ...


class UdpProtocol(asyncio.DatagramProtocol):
    """Each datagram to the receiver; answers go back to the address it came from."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        transport = self.transport
        if transport is None:
            return
        source = (str(addr[0]), int(addr[1]))
        self.receiver.receive_datagram(data, source, lambda out: transport.sendto(out, addr))

    def error_received(self, exc: Exception) -> None:
        self.receiver.refused["socket_error"] += 1


async def tcp_connection(
    receiver: Receiver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, idle_timeout: float
) -> None:
    """Serve one TCP connection until it closes, goes silent for ``idle_timeout`` s or loses its framing."""
    peer = writer.get_extra_info("peername")
    source = (str(peer[0]), int(peer[1])) if peer else ("", 0)
    buffer = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(65_536), idle_timeout)
            if not chunk:
                break
            buffer, keep = tcp_frames(receiver, buffer + chunk, source, writer.write)
            if not keep:
                break
    except TimeoutError:
        receiver.handled["tcp_idle_closed"] += 1
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def tcp_frames(
    receiver: Receiver, buffer: bytes, source: tuple[str, int], reply: Reply
) -> tuple[bytes, bool]:
    """Hand every whole message in ``buffer`` on; returns the rest and whether to keep the connection."""
    while True:
        buffer = buffer.lstrip(b"\r\n")  # CRLF keep-alives (RFC 5626)
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEADER_BYTES:
                receiver.refused["too_large"] += 1
                return b"", False
            return buffer, True
        try:
            request = parse_head(buffer[:end])
            length = content_length(request, required=False)
        except SipError as error:
            receiver.refused[error.reason] += 1
            return b"", False
        if end + 4 + length > MAX_MESSAGE_BYTES:
            receiver.refused["too_large"] += 1
            return b"", False
        if len(buffer) < end + 4 + length:
            return buffer, True
        request.body = buffer[end + 4 : end + 4 + length]
        buffer = buffer[end + 4 + length :]
        receiver.receive(request, source, reply)
