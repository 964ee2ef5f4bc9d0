"""Group commit: concurrent requests hand their items to one writer, which stores many in one transaction.

A request awaits :meth:`GroupCommit.submit`; the items of every request that arrived meanwhile are written
together by ``write`` in a worker thread, and each request is answered only after that transaction has
committed (a durable acknowledgement). While one batch is being written the next one gathers, so under load
batches grow by themselves and the per-request cost of a transaction (locks, commit, fsync) is shared.

``write`` gets the items of a batch and returns one result per item, in order. A result that is an
exception is raised to the request that sent the item, and only to it (a bad item does not fail its batch).
If ``write`` itself raises, every request of the batch gets that exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("pingan.core.groupcommit")

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Batches the items of concurrent ``submit`` calls into calls of ``write``, at most ``concurrency`` at a
    time (1 for a database with one writer, like SQLite; a few where transactions run side by side, so one
    batch is written while another waits for its commit to reach the disk)."""

    def __init__(
        self,
        write: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        max_batch: int,
        concurrency: int = 1,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._concurrency = max(1, concurrency)
        self._pending: list[tuple[list[T], asyncio.Future[list[R | BaseException]]]] = []
        self._running: set[asyncio.Task[None]] = set()
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

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._running = {t for t in self._running if not t.done() and t.get_loop() is loop}
        while self._pending and len(self._running) < self._concurrency:
            batch: list[tuple[list[T], asyncio.Future[list[R | BaseException]]]] = []
            size = 0
            while self._pending and (not batch or size + len(self._pending[0][0]) <= self._max_batch):
                entry = self._pending.pop(0)
                batch.append(entry)
                size += len(entry[0])
            task = loop.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(lambda _task: self._start() if self._pending else None)

    async def _run(self, batch: list[tuple[list[T], asyncio.Future[list[R | BaseException]]]]) -> None:
        items = [item for entries, _ in batch for item in entries]
        try:
            results = await asyncio.get_running_loop().run_in_executor(None, self._write, items)
        except Exception as exc:  # noqa: BLE001 - every waiting request learns of the failure
            log.exception("group commit of %d items failed", len(items))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.items += len(items)
        offset = 0
        for entries, future in batch:
            if not future.done():
                future.set_result(list(results[offset : offset + len(entries)]))
            offset += len(entries)
