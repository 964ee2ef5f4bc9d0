"""The GB/T 28181 SIP endpoint: REGISTER with digest, MESSAGE Keepalive and Catalog, over UDP and TCP.

One :class:`SipServer` answers both transports on one event loop. The receive path never blocks: password
look-ups and every other directory call run in worker threads; devices heard are collected in a set and
handed to ``SipDirectory.heard`` every ``flush_ms`` at most, by a background task, as one batch timed by the
batch's first message (so no device is ever said to be heard later than it was). Every refused message is
counted by reason (:attr:`SipServer.refused`) and the server answers the next one.

Answers: 401 challenge to a REGISTER without credentials (every device, known or not, so the answer does not
tell which IDs exist); 403 to wrong credentials, an unknown device (after its credentials), and a MESSAGE
from a device that is not registered (or whose registration expired); 400 to a malformed request we can
still answer (a bad 20-digit ID, bad XML, a body in an undeclared encoding); nothing to bytes we cannot
answer (no Via/From/To/Call-ID/CSeq). See docs/decisions/0004-sip-parsing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pingan.cameras.sip import digest, manscdp
from pingan.cameras.sip.directory import SipDirectory
from pingan.cameras.sip.message import (
    REASONS,
    SipError,
    SipRequest,
    check_request,
    outgoing_message,
    parse_datagram,
    response,
    top_via_transport,
)
from pingan.cameras.sip.transport import Reply, UdpProtocol, tcp_connection
from pingan.core.clock import LOCAL_TZ, utcnow

log = logging.getLogger(__name__)
MAX_LOOKUPS_IN_FLIGHT = 512
MAX_CATALOG_ITEMS = 20_000


@dataclass
class SipConfig:
    """The endpoint's settings; ``realm`` defaults to the first 10 digits of ``server_id``."""

    server_id: str = "34020000002000000001"
    realm: str = ""
    nonce_ttl: float = 300.0
    qop: bool = False  # offer qop="auth" in challenges (credentials with or without qop are both checked)
    flush_ms: int = 500
    default_expires: int = 3600
    max_expires: int = 86_400
    catalog_timeout: float = 30.0
    tcp_idle_timeout: float = (
        300.0  # a TCP connection silent this long is closed (devices keep alive every 60 s)
    )
    query_catalog: bool = True  # ask a device for its catalog when it registers (not on a refresh)
    same_host: bool = True  # accept a device's MESSAGEs only from the IP address it registered from

    def __post_init__(self) -> None:
        self.realm = self.realm or self.server_id[:10]


@dataclass
class _Binding:
    expires: float  # time.monotonic()
    host: str


@dataclass
class _Catalog:
    sum_num: int
    started: float
    items: dict[str, dict[str, object]] = field(default_factory=dict)
    received: int = 0
    pages: set[str] = field(default_factory=set)


class SipServer:
    """A registrar and MANSCDP MESSAGE receiver bound to one :class:`SipDirectory`."""

    def __init__(self, directory: SipDirectory, config: SipConfig | None = None) -> None:
        self.directory = directory
        self.config = config or SipConfig()
        self.nonces = digest.Nonces(ttl=self.config.nonce_ttl)
        self.refused: Counter[str] = Counter()
        self.handled: Counter[str] = Counter()
        self.registrations: dict[str, _Binding] = {}  # by device ID
        self._pending: set[str] = set()
        self._pending_at: datetime | None = None
        self._catalogs: dict[tuple[str, str], _Catalog] = {}
        self._lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sip-lookup")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sip-writer")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._in_flight = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.host = "127.0.0.1"
        self.udp_port = 0
        self.tcp_port = 0
        self._sn = 0

    # ---- counters -------------------------------------------------------------------------------------
    def counters(self) -> dict[str, int]:
        """A snapshot: ``handled.<kind>`` and ``refused.<reason>`` counts, plus ``registered`` now."""
        out = {f"handled.{k}": v for k, v in sorted(self.handled.items())}
        out.update({f"refused.{k}": v for k, v in sorted(self.refused.items())})
        now = time.monotonic()
        out["registered"] = sum(1 for binding in self.registrations.values() if binding.expires > now)
        return out

    # ---- lifecycle ------------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", *, udp_port: int = 5060, tcp_port: int = 5060) -> None:
        """Listen on UDP and TCP (port 0: any free port; see ``udp_port``/``tcp_port`` after)."""
        self.host = host
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: UdpProtocol(self), local_addr=(host, udp_port)
        )
        self._udp = transport
        self.udp_port = transport.get_extra_info("sockname")[1]
        self._tcp = await asyncio.start_server(self._tcp_connection, host, tcp_port)
        self.tcp_port = self._tcp.sockets[0].getsockname()[1]
        self._flusher = asyncio.create_task(self._flush_loop())

    async def _tcp_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # stop() closes the connection and waits for it
        self._writers.add(writer)
        try:
            await tcp_connection(self, reader, writer, idle_timeout=self.config.tcp_idle_timeout)
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)

    async def stop(self) -> None:
        """Stop listening, hand over the devices still pending, wait for directory calls in flight."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._stopping.set()
        if self._flusher is not None:
            await self._flusher  # its last round hands over what is still pending
        else:
            await self.flush()
        self._lookups.shutdown(wait=True, cancel_futures=True)
        self._writer.shutdown(wait=True)

    # ---- receiving ------------------------------------------------------------------------------------
    def receive_datagram(self, data: bytes, source: tuple[str, int], reply: Reply) -> None:
        """Handle one UDP datagram; never raises."""
        if not data.strip(b"\r\n"):
            return  # CRLF keep-alive
        try:
            request = parse_datagram(data)
        except SipError as error:
            self.refused[error.reason] += 1
            return
        except Exception:  # noqa: BLE001 - a datagram must never take the server down
            self.refused["internal"] += 1
            log.exception("SIP datagram from %s", source)
            return
        self.receive(request, source, reply)

    def receive(self, request: SipRequest, source: tuple[str, int], send: Reply) -> None:
        """Handle one parsed request (answers through ``send``, possibly later); never raises."""

        def reply(data: bytes) -> None:
            try:
                send(data)
            except Exception:  # noqa: BLE001 - a connection gone while we worked
                self.refused["send_error"] += 1

        try:
            if not request.method:
                self.handled["response"] += 1  # a device answering our query: nothing to do
                return
            check_request(request)
            if request.method == "MESSAGE":
                reply(self._message(request, source))
            elif request.method == "REGISTER":
                self._register(request, source, reply)
            elif request.method == "OPTIONS":
                self.handled["options"] += 1
                reply(response(request, 200, "OK", source=source))
            elif request.method == "ACK":
                self.handled["ack"] += 1  # acknowledges a final answer: no answer of its own
            else:
                raise SipError("unsupported_method", request.method, status=405)
        except SipError as error:
            self._refuse(request, source, reply, error)
        except Exception:  # noqa: BLE001
            log.exception("SIP %s from %s", request.method, source)
            self._refuse(request, source, reply, SipError("internal", status=500))

    def _refuse(self, request: SipRequest, source: tuple[str, int], reply: Reply, error: SipError) -> None:
        self.refused[error.reason] += 1
        if error.status and request.answerable:
            extra = [("Allow", "REGISTER, MESSAGE, OPTIONS, ACK")] if error.status == 405 else None
            reply(response(request, error.status, REASONS[error.status], source=source, extra=extra))

    def _heard(self, device_id: str) -> None:
        if not self._pending:
            self._pending_at = utcnow()
        self._pending.add(device_id)

    # ---- MESSAGE --------------------------------------------------------------------------------------
    def _message(self, request: SipRequest, source: tuple[str, int]) -> bytes:
        device_id = request.from_user()
        if not manscdp.is_device_id(device_id):
            raise SipError("bad_device_id", device_id[:40])
        binding = self.registrations.get(device_id)
        if binding is None or binding.expires <= time.monotonic():
            self.registrations.pop(device_id, None)
            raise SipError("not_registered", device_id, status=403)
        if self.config.same_host and binding.host != source[0]:
            raise SipError("wrong_host", device_id, status=403)
        kind = (request.get("content-type") or "").split(";")[0].strip().lower()
        if kind != "application/manscdp+xml":
            raise SipError("unsupported_body", kind[:40], status=415)
        body = manscdp.read(request.body)
        if body.cmd == "Keepalive":
            self.handled["keepalive"] += 1
        elif body.kind == "Response" and body.cmd == "Catalog":
            self._catalog_page(device_id, request, body)
        else:
            self.handled["message"] += 1
        self._heard(device_id)
        return response(request, 200, "OK", source=source)

    def _catalog_page(self, device_id: str, request: SipRequest, body: manscdp.Manscdp) -> None:
        self.handled["catalog_page"] += 1
        self.handled["catalog_item_skipped"] += body.skipped_items  # administrative-division nodes
        key = (device_id, body.sn)
        catalog = self._catalogs.get(key)
        if catalog is None:
            catalog = self._catalogs[key] = _Catalog(sum_num=body.sum_num, started=time.monotonic())
        page = f"{request.get('call-id')}|{request.get('cseq')}"
        if page in catalog.pages:
            return  # a retransmission
        catalog.pages.add(page)
        catalog.received += len(body.items) + body.skipped_items
        for item in body.items:
            catalog.items[str(item["DeviceID"])] = item
        if len(catalog.items) > MAX_CATALOG_ITEMS:
            del self._catalogs[key]
            raise SipError("too_large", "catalog", status=413)
        if catalog.received >= catalog.sum_num:
            del self._catalogs[key]
            self._deliver_catalog(device_id, catalog)

    def _deliver_catalog(self, device_id: str, catalog: _Catalog) -> None:
        self.handled["catalog"] += 1
        items = list(catalog.items.values())
        self._spawn(self._call_writer(self.directory.catalog, device_id, items))

    # ---- REGISTER -------------------------------------------------------------------------------------
    def _expires(self, request: SipRequest) -> int:
        raw = request.get("expires")
        if raw is None:
            contact = request.get("contact") or ""
            _, found, rest = contact.lower().partition(";expires=")
            raw = rest.split(";")[0].strip() if found else str(self.config.default_expires)
        if not raw.isdigit():
            raise SipError("malformed", "Expires")
        return min(int(raw), self.config.max_expires)

    def _register(self, request: SipRequest, source: tuple[str, int], reply: Reply) -> None:
        device_id = request.from_user()
        if not manscdp.is_device_id(device_id):
            raise SipError("bad_device_id", device_id[:40])
        expires = self._expires(request)
        credentials = request.get("authorization")
        if credentials is None:
            self.handled["challenge"] += 1
            reply(self._challenge(request, source))
            return
        params = digest.parse_authorization(credentials)
        if params is None or params.get("username") != device_id or params.get("realm") != self.config.realm:
            raise SipError("bad_digest", status=403)
        state = self.nonces.check(params.get("nonce", ""))
        if state != "ok":
            self.refused["stale_nonce" if state == "stale" else "bad_nonce"] += 1
            reply(self._challenge(request, source, stale=state == "stale"))
            return
        if self._in_flight >= MAX_LOOKUPS_IN_FLIGHT:
            raise SipError("overloaded", status=503)
        self._in_flight += 1
        self._spawn(self._authorise(request, source, reply, device_id, params, expires))

    def _challenge(self, request: SipRequest, source: tuple[str, int], *, stale: bool = False) -> bytes:
        value = digest.challenge(self.config.realm, self.nonces.issue(), qop=self.config.qop, stale=stale)
        return response(request, 401, "Unauthorized", source=source, extra=[("WWW-Authenticate", value)])

    async def _authorise(
        self,
        request: SipRequest,
        source: tuple[str, int],
        reply: Reply,
        device_id: str,
        params: dict[str, str],
        expires: int,
    ) -> None:
        try:
            password = await asyncio.get_running_loop().run_in_executor(
                self._lookups, self.directory.password, device_id
            )
        except Exception:  # noqa: BLE001
            log.exception("SIP directory password(%s)", device_id)
            self._refuse(request, source, reply, SipError("directory_error", status=500))
            return
        finally:
            self._in_flight -= 1
        if password is None:
            self._refuse(request, source, reply, SipError("unknown_device", status=403))
        elif not digest.verify(params, method="REGISTER", password=password, realm=self.config.realm):
            self._refuse(request, source, reply, SipError("bad_digest", status=403))
        else:
            fresh = device_id not in self.registrations or expires == 0
            reply(self._registered(request, source, device_id, expires))
            if fresh and expires and self.config.query_catalog:
                reply(self._catalog_query(request, device_id))

    def _registered(
        self, request: SipRequest, source: tuple[str, int], device_id: str, expires: int
    ) -> bytes:
        if expires == 0:
            self.registrations.pop(device_id, None)
            self.handled["unregister"] += 1
        else:
            self.registrations[device_id] = _Binding(time.monotonic() + expires, source[0])
            self.handled["register"] += 1
            self._heard(device_id)
        now = utcnow().astimezone(LOCAL_TZ)  # GB/T 28181 §9.10: the Date devices set their clocks by
        extra = [("Date", now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}")]
        extra.append(("Expires", str(expires)))
        if request.get("contact"):
            extra.append(("Contact", f"{request.get('contact')};expires={expires}"))
        return response(request, 200, "OK", source=source, extra=extra)

    def _catalog_query(self, request: SipRequest, device_id: str) -> bytes:
        self._sn += 1
        self.handled["catalog_query"] += 1
        transport = top_via_transport(request)
        port = self.tcp_port if transport == "TCP" else self.udp_port
        return outgoing_message(
            device_id=device_id,
            realm=self.config.realm,
            server_id=self.config.server_id,
            via=f"SIP/2.0/{transport} {self.host}:{port}",
            call_id=f"catalog-{self._sn}-{device_id}@{self.host}",
            cseq=self._sn,
            body=manscdp.catalog_query(device_id, self._sn),
        )

    # ---- directory calls ------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call_writer(self, fn: Callable[..., None], *args: Any) -> bool:
        try:
            await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)
            return True
        except Exception:  # noqa: BLE001
            self.refused["directory_error"] += 1
            log.exception("SIP directory %s", getattr(fn, "__name__", fn))
            return False

    async def flush(self) -> None:
        """Hand the devices heard since the last flush to the directory (one ``heard`` call)."""
        self._expire_catalogs()
        if not self._pending or self._pending_at is None:
            return
        ids, at = sorted(self._pending), self._pending_at
        self._pending, self._pending_at = set(), None
        if not await self._call_writer(self.directory.heard, ids, at):
            self._pending.update(ids)  # retried with the next batch, keeping the earlier time
            self._pending_at = min(at, self._pending_at or at)

    async def _flush_loop(self) -> None:
        interval = self.config.flush_ms / 1000
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)
            await self.flush()

    def _expire_catalogs(self) -> None:
        late = time.monotonic() - self.config.catalog_timeout
        for key, catalog in list(self._catalogs.items()):
            if catalog.started < late:
                del self._catalogs[key]
                self.handled["catalog_incomplete"] += 1
                self._deliver_catalog(key[0], catalog)
