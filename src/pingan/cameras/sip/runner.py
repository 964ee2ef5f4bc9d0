"""Running the SIP endpoint: :func:`serve` (async, until cancelled) and :func:`run` (sync, for the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Mapping

from pingan.cameras.sip.directory import SipDirectory
from pingan.cameras.sip.server import SipConfig, SipServer


async def serve(
    directory: SipDirectory,
    *,
    host: str = "127.0.0.1",
    udp_port: int = 5060,
    tcp_port: int = 5060,
    realm: str | None = None,
    server_id: str = "34020000002000000001",
    flush_ms: int = 500,
    qop: bool = False,
    started: Callable[[SipServer], None] | None = None,
) -> None:
    """Run the SIP endpoint until cancelled; ``started`` gets the running server (ports, counters).

    ``realm`` defaults to the first 10 digits of ``server_id`` (the GB/T 28181 convention).
    """
    config = SipConfig(server_id=server_id, realm=realm or "", flush_ms=flush_ms, qop=qop)
    server = SipServer(directory, config)
    await server.start(host, udp_port=udp_port, tcp_port=tcp_port)
    if started is not None:
        started(server)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def run(
    directory: SipDirectory,
    *,
    host: str = "127.0.0.1",
    udp_port: int = 5060,
    tcp_port: int = 5060,
    realm: str | None = None,
    server_id: str = "34020000002000000001",
    flush_ms: int = 500,
    qop: bool = False,
    started: Callable[[SipServer], None] | None = None,
) -> Mapping[str, int]:
    """Run :func:`serve` in this thread until Ctrl-C or SIGTERM (for the CLI); returns the final counters."""
    servers: list[SipServer] = []

    def on_start(server: SipServer) -> None:
        servers.append(server)
        if started is not None:
            started(server)

    async def main() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        if task is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(
                directory,
                host=host,
                udp_port=udp_port,
                tcp_port=tcp_port,
                realm=realm,
                server_id=server_id,
                flush_ms=flush_ms,
                qop=qop,
                started=on_start,
            )

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return servers[0].counters() if servers else {}
