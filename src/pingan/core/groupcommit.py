"""Group commit: concurrent requests hand their items to one writer, which stores many in one transaction.

A request awaits :meth:`GroupCommit.submit`; the items of every request that arrived meanwhile are written
together by ``write`` in a worker thread, and each request is answered only after that transaction has
committed (a durable acknowledgement). While one batch is being written the next one gathers, so under load
batches grow by themselves and the per-request cost of a transaction (locks, commit, fsync) is shared.

``write`` gets the items of a batch and returns one result per item, in order. A result that is an
exception is raised to the request that sent the item, and only to it (a bad item does not fail its batch).

One bad item never fails its neighbours: when ``write`` itself raises (the whole transaction rolled back, say
an integer SQLite cannot store), the batch is split in halves and each half written again, down to the item
that fails alone, which gets the exception; every other item is written and answered as usual. A batch with
one bad item among n costs about 2·log2(n) more transactions. So that a failure of the database itself does
not turn one batch into thousands of attempts, a batch gets at most ``RETRIES`` more calls of ``write``;
the items still unwritten then get the exception of their last attempt. A failure that says the service
itself is unavailable (a :class:`~pingan.core.errors.PinganError` with status 503, such as a writer process
that could not be started) is not an item's fault: every item of the batch gets it at once.

Under load, clients answered together come back together, and their requests reach ``submit`` one by one
as the event loop works through them. Started at the first of them, a batch would hold that one request
while the others wait behind it for a whole transaction — batches of 1 and 30 in turn, and a tail latency
of two transactions. With ``linger``, a new batch waits for up to that long (and never longer than half of
the previous batch took) while fewer than half as many items as the previous batch had are waiting. After a
batch of one item (a quiet moment) nothing waits.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from pingan.core.errors import PinganError

log = logging.getLogger("pingan.core.groupcommit")

T = TypeVar("T")
R = TypeVar("R")

RETRIES = 256  # calls of ``write`` a failed batch may make to isolate its bad items


class GroupCommit(Generic[T, R]):
    """Batches the items of concurrent ``submit`` calls into calls of ``write``, at most ``concurrency`` at a
    time (1 for a database with one writer, like SQLite; a few where transactions run side by side, so one
    batch is written while another waits for its commit to reach the disk)."""

    def __init__(
        self,
        write: Callable[[list[T]], Sequence[R | BaseException] | Awaitable[Sequence[R | BaseException]]],
        *,
        max_batch: int,
        concurrency: int = 1,
        linger: float = 0.0,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._concurrency = max(1, concurrency)
        self._linger = linger
        self._pending: list[tuple[list[T], asyncio.Future[list[R | BaseException]]]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._last_size = 0  # items in the previous batch, and how long it took (s)
        self._last_seconds = 0.0
        self.batches = 0
        self.items = 0

    async def submit(self, items: list[T]) -> list[R | BaseException]:
        """Queue ``items`` and wait until they are committed; one result (or exception) per item."""
        future: asyncio.Future[list[R | BaseException]] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        self._start()
        return await future

    async def submit_one(self, item: T) -> R:
        """Queue one item; its result, or the exception meant for it raised here."""
        result = (await self.submit([item]))[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _start(self, *, lingered: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self._running = {t for t in self._running if not t.done() and t.get_loop() is loop}
        while self._pending and len(self._running) < self._concurrency:
            if not lingered and self._should_linger():
                if self._timer is None:
                    delay = min(self._linger, self._last_seconds / 2)
                    self._timer = loop.call_later(delay, self._linger_over)
                return
            lingered = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            batch: list[tuple[list[T], asyncio.Future[list[R | BaseException]]]] = []
            size = 0
            while self._pending and (not batch or size + len(self._pending[0][0]) <= self._max_batch):
                entry = self._pending.pop(0)
                batch.append(entry)
                size += len(entry[0])
            task = loop.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(lambda _task: self._start() if self._pending else None)

    async def _call(self, items: list[T]) -> Sequence[R | BaseException]:
        if inspect.iscoroutinefunction(self._write):
            results = await self._write(items)
        else:
            results = await asyncio.get_running_loop().run_in_executor(None, self._write, items)
        if len(results) != len(items):
            raise RuntimeError(f"write returned {len(results)} results for {len(items)} items")
        return results

    async def _isolate(
        self, items: list[T], failure: Exception, budget: list[int]
    ) -> list[R | BaseException]:
        """Results of ``items``, whose write failed with ``failure``: halves written again, recursively."""
        if len(items) == 1 or budget[0] <= 0 or (isinstance(failure, PinganError) and failure.status == 503):
            if len(items) == 1:
                log.error("group commit item failed alone: %r", failure, exc_info=failure)
            return [failure] * len(items)
        half = len(items) // 2
        results: list[R | BaseException] = []
        for part in (items[:half], items[half:]):
            budget[0] -= 1
            try:
                results.extend(await self._call(part))
            except Exception as exc:  # noqa: BLE001 - narrowed down further
                results.extend(await self._isolate(part, exc, budget))
        return results

    def _should_linger(self) -> bool:
        if self._linger <= 0:
            return False
        waiting = sum(len(items) for items, _ in self._pending)
        return waiting < min(self._max_batch, self._last_size) // 2

    def _linger_over(self) -> None:
        self._timer = None
        self._start(lingered=True)

    async def _run(self, batch: list[tuple[list[T], asyncio.Future[list[R | BaseException]]]]) -> None:
        items = [item for entries, _ in batch for item in entries]
        started = time.monotonic()
        try:
            results = await self._call(items)
        except Exception as exc:  # noqa: BLE001 - isolated below: each item gets its own result
            log.warning("group commit of %d items failed (%r); isolating the failing items", len(items), exc)
            results = await self._isolate(items, exc, [RETRIES])
        self._last_size, self._last_seconds = len(items), time.monotonic() - started
        self.batches += 1
        self.items += len(items)
        offset = 0
        for entries, future in batch:
            if not future.done():
                future.set_result(list(results[offset : offset + len(entries)]))
            offset += len(entries)
