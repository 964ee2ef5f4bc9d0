"""Publish/subscribe for live updates (in-process; PostgreSQL LISTEN/NOTIFY fans out across processes).

Publishers call :meth:`EventBus.publish` after their transaction commits. Subscribers (the SSE endpoint)
get an asyncio queue per connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]]
    topics: frozenset[str]


@dataclass
class EventBus:
    """A tiny thread-safe fan-out of JSON-able messages to asyncio subscribers."""

    max_queue: int = 1000
    _subscribers: list[_Subscriber] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sink: Callable[[str, dict[str, Any]], None] | None = None
    _listeners: list[tuple[str, Callable[[dict[str, Any]], None]]] = field(default_factory=list)

    def subscribe(self, topics: set[str] | None = None) -> asyncio.Queue[dict[str, Any]]:
        """A queue that receives every message of the given topics (all topics when None)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.max_queue)
        sub = _Subscriber(asyncio.get_running_loop(), queue, frozenset(topics or ()))
        with self._lock:
            self._subscribers.append(sub)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s.queue is not queue]

    def forward(self, sink: Callable[[str, dict[str, Any]], None] | None) -> None:
        """Hand every message published from now on to ``sink`` too (a worker process collects what it
        publishes for its parent to publish: ``pingan.core.workerprocess``); None stops."""
        self._sink = sink

    def listen(self, topic: str, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback(payload)`` in the publisher's thread for every message of ``topic`` (it must be
        quick and never raise: caches of this process mark themselves stale this way)."""
        with self._lock:
            if (topic, callback) not in self._listeners:
                self._listeners.append((topic, callback))

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Deliver to local subscribers; safe to call from any thread."""
        if self._sink is not None:
            self._sink(topic, payload)
        for wanted, callback in self._listeners:
            if wanted == topic:
                callback(payload)
        message = {"topic": topic, **payload}
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            if sub.topics and topic not in sub.topics:
                continue
            sub.loop.call_soon_threadsafe(_offer, sub.queue, message)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)


def _offer(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    if queue.full():  # a slow consumer loses the oldest message, never blocks publishers
        queue.get_nowait()
    queue.put_nowait(message)


bus = EventBus()
