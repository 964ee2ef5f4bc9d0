"""Work handed to a child process, so that it runs beside the server's own thread instead of taking turns.

CPython runs the Python code of a process one thread at a time (the GIL). A server process busy with HTTP
leaves a CPU-bound writer thread only what remains of one core, and every millisecond the writer holds the
interpreter is a millisecond no request moves. :class:`WorkerProcess` starts a child (``spawn``: a fresh
interpreter that inherits the environment and its arguments, nothing else) which builds a handler once, from
a ``module:function`` factory, and answers calls over a socket pair one at a time.

The server awaits :meth:`WorkerProcess.call` on its event loop: the payload is written and the answer read
by the loop itself (an asyncio protocol on the socket), with no thread in between — a thread would have to
win the interpreter back from the busy event loop twice a call, up to a switch interval (5 ms) each time.

- Payloads, results and exceptions cross pickled (a length, then the bytes); a result that cannot be
  pickled comes back as a ``RuntimeError`` naming it.
- What the child publishes on the event bus during a call comes back with the result and is published by
  the parent, so the server's subscribers see it as if the work had been done in the server.
- The child ends when the parent closes its end: at shutdown, or when the parent dies (even by kill -9),
  after the call in hand. SIGTERM and SIGINT end an idle child at once and a busy one after its call, so a
  stop signal sent to the whole process group lets the work in hand finish and be answered.
- A child that dies (killed, crashed) fails the call in hand with :class:`WorkerLost` (503: whether that
  work was done is unknown); the next call starts a new child.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any, cast

from pingan.core.errors import PinganError
from pingan.core.events import bus

log = logging.getLogger("pingan.core.workerprocess")

_SPAWN = multiprocessing.get_context("spawn")
_LENGTH = struct.Struct("!Q")


class WorkerLost(PinganError):
    """The worker process stopped during a call: the caller may try again."""

    status = 503
    code = "worker_restarting"


class WorkerProcess:
    """One child process running ``factory(*args)``'s handler for the payloads of :meth:`call`. Calls may
    overlap: they are written to the child at once and answered in order, so the child starts the next one
    the moment it has answered one, without waiting for the server's event loop to send it."""

    def __init__(self, factory: str, *args: Any, name: str = "pingan-worker") -> None:
        self.factory = factory
        self.args = args
        self.name = name
        self.starts = 0  # children started so far
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._sock: socket.socket | None = None  # our end, until the event loop takes it over
        self._channel: _Channel | None = None
        self._connecting: asyncio.Future[_Channel] | None = None

    @property
    def pid(self) -> int | None:
        """The current child's process id (None before the first start or after :meth:`close`)."""
        return self._process.pid if self._process is not None else None

    @property
    def in_flight(self) -> int:
        """Calls sent and not yet answered."""
        return len(self._channel.waiting) if self._channel is not None else 0

    def start(self) -> None:
        """Start the child now (it also starts on the first call)."""
        with self._lock:
            self._spawn()

    async def call(self, payload: Any) -> Any:
        """The handler's result for ``payload``, computed in the child; its exception raised here."""
        channel = await self._connect()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        channel.send(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL), future)
        answer = await future
        try:
            status, value, published = pickle.loads(answer)
        except Exception as exc:  # an answer that arrived whole but cannot be unpickled here
            raise RuntimeError(f"the {self.name} process's answer cannot be read: {exc}") from exc
        for topic, message in published:
            bus.publish(topic, message)
        if status == "error":
            raise value
        return value

    def close(self, timeout: float = 10.0) -> None:
        """Let the child finish and end (closing our end ends it); kill it if it has not after ``timeout``."""
        with self._lock:
            self._end(timeout)

    async def _connect(self) -> _Channel:
        loop = asyncio.get_running_loop()
        channel = self._channel
        if channel is not None and channel.alive and channel.loop is loop:
            return channel
        connecting = self._connecting
        if connecting is not None and connecting.get_loop() is loop and not connecting.done():
            return await asyncio.shield(connecting)  # calls made together share one child
        self._connecting = loop.create_future()
        try:
            with self._lock:
                if self._channel is not None:  # dead, or made on another event loop (tests): a new child
                    self._end()
                self._spawn()
                sock, self._sock = self._sock, None
            assert sock is not None
            channel = _Channel(loop, self.name)
            await loop.connect_accepted_socket(lambda: channel, sock)
        except Exception as exc:  # no process could be started (out of processes, memory): try again later
            log.exception("%s could not be started", self.name)
            lost = WorkerLost(f"the {self.name} process could not be started ({exc}); try again")
            self._connecting.set_exception(lost)
            self._connecting.exception()  # retrieved: those waiting get it, no "never retrieved" warning
            raise lost from exc
        except BaseException:
            self._connecting.cancel()
            raise
        self._channel = channel
        self._connecting.set_result(channel)
        return channel

    def _spawn(self) -> None:
        if self._process is not None and self._process.is_alive() and (self._sock or self._channel):
            return
        self._end()
        ours, theirs = socket.socketpair()
        process = _SPAWN.Process(
            target=_serve, args=(theirs, self.factory, self.args), name=self.name, daemon=True
        )
        process.start()
        theirs.close()  # the child's end lives only in the child: its death is our end of file
        self._sock, self._process = ours, process
        self.starts += 1

    def _end(self, timeout: float = 0.0) -> None:
        sock, channel, process = self._sock, self._channel, self._process
        self._sock = self._channel = self._process = None
        if sock is not None:
            sock.close()
        if channel is not None:
            channel.close()
        if process is not None:
            process.terminate()  # ends it now if idle, after the call in hand if busy
            process.join(timeout)
            if process.is_alive():
                if timeout:
                    log.warning("%s (pid %s) did not stop; killing it", self.name, process.pid)
                process.kill()
                process.join(5)


class _Channel(asyncio.Protocol):
    """Our end of the socket pair on the event loop: frames out, answers in, matched in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str) -> None:
        self.loop = loop
        self.name = name
        self.alive = True
        self.waiting: deque[asyncio.Future[bytes]] = deque()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def send(self, data: bytes, future: asyncio.Future[bytes]) -> None:
        if not self.alive or self._transport is None:
            future.set_exception(WorkerLost(f"the {self.name} process is not running; try again"))
            return
        self.waiting.append(future)
        self._transport.write(_LENGTH.pack(len(data)) + data)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self._buffer)
            if len(self._buffer) < _LENGTH.size + size:
                break
            answer = bytes(self._buffer[_LENGTH.size : _LENGTH.size + size])
            del self._buffer[: _LENGTH.size + size]
            if self.waiting:
                future = self.waiting.popleft()
                if not future.done():
                    future.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(
                    WorkerLost(f"the {self.name} process stopped during the call; try again")
                )

    def close(self) -> None:
        self.alive = False
        if self._transport is not None and not self.loop.is_closed():  # a closed loop closed it already
            self.loop.call_soon_threadsafe(self._transport.close)


def _read(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise EOFError
        got += n
    return bytes(buffer)


def _serve(sock: socket.socket, factory: str, args: tuple[Any, ...]) -> None:
    """The child: answer calls until the parent's end closes, or a stop signal arrives while idle."""
    busy = False
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        if not busy:
            raise SystemExit(0)
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    published: list[tuple[str, dict[str, Any]]] = []
    bus.forward(lambda topic, message: published.append((topic, message)))
    handler: Callable[[Any], Any] | None = None
    while not stopping:
        try:
            (size,) = _LENGTH.unpack(_read(sock, _LENGTH.size))
            payload = pickle.loads(_read(sock, size))
        except (EOFError, OSError):
            return  # the parent closed its end or died
        busy = True
        published.clear()
        try:
            if handler is None:
                module, _, name = factory.partition(":")
                handler = getattr(importlib.import_module(module), name)(*args)
            answer: tuple[str, Any, list[Any]] = ("ok", handler(payload), published)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            answer = ("error", exc, published)
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled
            error = RuntimeError(f"the worker's answer cannot be sent back: {exc}")
            data = pickle.dumps(("error", error, published), pickle.HIGHEST_PROTOCOL)
        try:
            sock.sendall(_LENGTH.pack(len(data)) + data)
        except OSError:
            return  # the parent is gone
        busy = False
