"""One shared build of the wall's data per scope, refreshed by the live feed.

Every wall of a scope (a command centre runs several screens, and every screen refreshes after each live
change) is served the same encoded JSON. A build runs when the snapshot is missing, when a case of its scope
changed (the live feed marks it stale) or when it is older than ``max_age`` (SLA colours and patrollers move
with time); at most one build per snapshot runs at a time — the others are answered with the previous
snapshot meanwhile — and never more often than every ``min_interval`` seconds, so a burst of reports costs
one build, not one per report and screen. The database work of the wall therefore depends on the number of
scopes being watched, not on the number of screens or requests.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from pingan.core.events import bus

TOPIC = "cases"


@dataclass
class _Entry:
    scope: str
    body: bytes | None = None
    built_at: float = 0.0
    stale: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class WallSnapshots:
    """Encoded wall data per key (scope, visibility, language, modules), shared by every request."""

    def __init__(self, *, max_age: float = 15.0, min_interval: float = 2.0, max_entries: int = 64) -> None:
        self.max_age = max_age
        self.min_interval = min_interval
        self.max_entries = max_entries
        self.builds = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        with _LIVE_LOCK:
            _LIVE.add(self)

    def get(self, key: Hashable, scope: str, build: Callable[[], bytes]) -> bytes:
        """The snapshot of ``key``, built by ``build`` when missing or due (see the module's docstring)."""
        entry = self._entry(key, scope)
        body = entry.body
        if body is not None and not self._due(entry):
            return body
        if body is not None:
            if not entry.lock.acquire(blocking=False):
                return body  # another request is building it: serve the previous snapshot meanwhile
            try:
                return self._build(entry, build)
            finally:
                entry.lock.release()
        with entry.lock:  # the first build: every request of the key waits for the one build
            if entry.body is not None and not self._due(entry):
                return entry.body
            return self._build(entry, build)

    def case_changed(self, payload: dict[str, Any]) -> None:
        """A case changed (a live-feed message): the snapshots whose scope holds it are stale."""
        case = payload.get("case") or {}
        area = str(case.get("area_code") or "")
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            if area.startswith(entry.scope) or not area:
                entry.stale = True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _due(self, entry: _Entry) -> bool:
        age = time.monotonic() - entry.built_at
        return age >= self.max_age or (entry.stale and age >= self.min_interval)

    def _entry(self, key: Hashable, scope: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(scope)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            return entry

    def _build(self, entry: _Entry, build: Callable[[], bytes]) -> bytes:
        entry.stale = False  # changes from now on mark the new snapshot stale again
        started = time.monotonic()
        try:
            body = build()
        except BaseException:
            entry.stale = True
            raise
        entry.body, entry.built_at = body, started
        self.builds += 1
        return body


_LIVE: weakref.WeakSet[WallSnapshots] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def _case_changed(payload: dict[str, Any]) -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for snapshots in live:
        snapshots.case_changed(payload)


bus.listen(TOPIC, _case_changed)
