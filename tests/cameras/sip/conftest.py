"""A SIP server on ephemeral loopback ports, on its own event loop in a thread, with a memory directory."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from pingan.cameras.sip import MemoryDirectory, SipConfig, SipServer
from tests.cameras.sip.device import CAMERA, NVR, Device


@dataclass
class Running:
    server: SipServer
    directory: MemoryDirectory
    loop: asyncio.AbstractEventLoop

    def device(self, device_id: str = CAMERA, password: str = "12345678", transport: str = "UDP") -> Device:
        port = self.server.udp_port if transport == "UDP" else self.server.tcp_port
        return Device(device_id, password, port, transport)

    def flush(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.flush(), self.loop).result(5)


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def sip() -> Iterator[Running]:
    directory = MemoryDirectory(passwords={CAMERA: "12345678", NVR: "nvr-密码-1"})
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sip-test-loop", daemon=True)
    thread.start()
    server = SipServer(directory, SipConfig(flush_ms=50))
    asyncio.run_coroutine_threadsafe(server.start("127.0.0.1", udp_port=0, tcp_port=0), loop).result(5)
    try:
        yield Running(server, directory, loop)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
