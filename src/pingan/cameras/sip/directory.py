"""What the SIP endpoint needs from the camera registry, and an in-memory one for tests and the bench.

The server calls these methods in a worker thread, never on its event loop, so an implementation may block
on a database. ``heard`` comes in batches (every ``flush_ms`` at most), ``catalog`` once per complete
catalog answer (or what arrived of it when the rest never came).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

S = TypeVar("S")


class SipDirectory(Protocol):
    """The camera registry as the SIP endpoint sees it."""

    def password(self, device_id: str) -> str | None:
        """The device's SIP password; None for an unknown device."""
        ...

    def heard(self, device_ids: Sequence[str], at: datetime) -> None:
        """These devices were heard from (registered, kept alive or answered) no later than ``at`` (UTC)."""
        ...

    def catalog(self, parent_id: str, items: Sequence[Mapping[str, object]]) -> None:
        """A device's catalog: items with DeviceID, Name, Manufacturer, Model, ParentID, Status, Longitude,
        Latitude (strings or None; coordinates as floats or None)."""
        ...


@dataclass
class MemoryDirectory:
    """A SipDirectory kept in memory: passwords given, heard batches and catalogs recorded."""

    passwords: dict[str, str] = field(default_factory=dict)
    last_heard: dict[str, datetime] = field(default_factory=dict)
    heard_batches: list[tuple[tuple[str, ...], datetime]] = field(default_factory=list)
    catalogs: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def password(self, device_id: str) -> str | None:
        """The password registered for the device, if any."""
        return self.passwords.get(device_id)

    def heard(self, device_ids: Sequence[str], at: datetime) -> None:
        """Record one batch."""
        with self._lock:
            self.heard_batches.append((tuple(device_ids), at))
            for device_id in device_ids:
                self.last_heard[device_id] = at

    def catalog(self, parent_id: str, items: Sequence[Mapping[str, object]]) -> None:
        """Keep the device's latest catalog."""
        with self._lock:
            self.catalogs[parent_id] = [dict(item) for item in items]


@dataclass
class SessionDirectory(Generic[S]):
    """A SipDirectory over session-taking registry functions, each call in a transaction of its own.

    ``transaction`` opens one and commits it on leaving (e.g. ``lambda: core.db.transaction(factory)``); the
    three functions take the session first, as ``sip_password(session, gb_id)``,
    ``record_heard(session, gb_ids, at)`` and ``apply_catalog(session, parent_gb_id, items)`` do.
    """

    transaction: Callable[[], AbstractContextManager[S]]
    password_of: Callable[[S, str], str | None]
    record_heard: Callable[[S, Sequence[str], datetime], object]
    apply_catalog: Callable[[S, str, Sequence[Mapping[str, object]]], object]

    def password(self, device_id: str) -> str | None:
        """The registry's SIP password for the device."""
        with self.transaction() as session:
            return self.password_of(session, device_id)

    def heard(self, device_ids: Sequence[str], at: datetime) -> None:
        """Record one batch of devices heard."""
        with self.transaction() as session:
            self.record_heard(session, device_ids, at)

    def catalog(self, parent_id: str, items: Sequence[Mapping[str, object]]) -> None:
        """Apply a device's catalog."""
        with self.transaction() as session:
            self.apply_catalog(session, parent_id, items)
