"""Outage history and reported states: when each device was out (``device_outages``), devices reported down
by whoever relays them (a video platform pushing OFF), and the current state of a module's devices.

The sweep opens an outage when it marks a device offline (from when it was last heard) and closes it once
the device is heard again; :func:`went_offline` opens one at the reported time. Modules read the history to
compute availability (an online rate per day) and may load an older history once (:func:`import_outages`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from pingan.core.clock import as_utc, utcnow
from pingan.core.errors import ValidationFailed
from pingan.devices.kinds import device_kind
from pingan.devices.models import Device, DeviceOutage, DeviceStatus

_CHUNK = 1000


@dataclass(frozen=True)
class DeviceState:
    """A device's liveness as the register holds it (no scope: the module checked its own rows)."""

    external_id: str
    status: str
    status_since: datetime
    last_seen_at: datetime | None
    outage_case_id: int | None
    parent_id: int | None


@dataclass(frozen=True)
class Outage:
    external_id: str
    started_at: datetime
    ended_at: datetime | None  # None: still out


def _ids_of(session: Session, kind: str, external_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), _CHUNK):
        chunk = list(external_ids[start : start + _CHUNK])
        rows = session.execute(
            select(Device.external_id, Device.id).where(Device.kind == kind, Device.external_id.in_(chunk))
        )
        found.update({e: i for e, i in rows})
    return found


def open_outages(session: Session, device_starts: Iterable[tuple[int, datetime]]) -> None:
    """Open an outage for each (device id, start) that has none open (the sweep and :func:`went_offline`)."""
    starts = dict(device_starts)
    if not starts:
        return
    ids = list(starts)
    already: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        already.update(
            session.scalars(
                select(DeviceOutage.device_id).where(
                    DeviceOutage.device_id.in_(ids[start : start + _CHUNK]), DeviceOutage.ended_at.is_(None)
                )
            )
        )
    rows = [{"device_id": i, "started_at": as_utc(at)} for i, at in starts.items() if i not in already]
    if rows:
        session.execute(insert(DeviceOutage), rows)


def close_outages(session: Session) -> int:
    """Close the open outages of devices heard again (ended when they came back: their ``status_since``)."""
    back = session.execute(
        select(DeviceOutage.id, Device.status_since)
        .join(Device, Device.id == DeviceOutage.device_id)
        .where(DeviceOutage.ended_at.is_(None), Device.status == DeviceStatus.ONLINE.value)
    ).all()
    for outage_id, since in back:
        session.execute(update(DeviceOutage).where(DeviceOutage.id == outage_id).values(ended_at=since))
    return len(back)


def went_offline(session: Session, kind: str, reported: Mapping[str, datetime]) -> int:
    """Devices of ``kind`` reported down (external id → when, UTC) by whoever relays them: offline from then
    (unless heard later than that), an outage opened. Unregistered ids are ignored. Never commits; returns how
    many went offline."""
    device_kind(kind)
    if not reported:
        return 0
    ids = _ids_of(session, kind, list(reported))
    rows = session.execute(
        select(Device.id, Device.external_id, Device.last_seen_at).where(
            Device.id.in_(list(ids.values())), Device.status != DeviceStatus.OFFLINE.value
        )
    ).all()
    down: list[tuple[int, datetime]] = []
    for device_id, external_id, last_seen in rows:
        at = as_utc(reported[external_id])
        if last_seen is not None and as_utc(last_seen) > at:
            continue  # heard after the report: the report is stale
        down.append((device_id, at))
    now = utcnow()
    for device_id, at in down:
        session.execute(
            update(Device)
            .where(Device.id == device_id)
            .values(status=DeviceStatus.OFFLINE.value, status_since=at, updated_at=now)
        )
    open_outages(session, down)
    return len(down)


def device_states(
    session: Session, kind: str, external_ids: Sequence[str] | None = None
) -> dict[str, DeviceState]:
    """The current state of devices of ``kind`` (all of them, or those named), by external id."""
    stmt: Any = select(
        Device.external_id,
        Device.status,
        Device.status_since,
        Device.last_seen_at,
        Device.outage_case_id,
        Device.parent_id,
    ).where(Device.kind == kind)
    out: dict[str, DeviceState] = {}
    if external_ids is None:
        chunks: list[Any] = [stmt]
    else:
        listed = list(external_ids)
        chunks = [
            stmt.where(Device.external_id.in_(listed[s : s + _CHUNK])) for s in range(0, len(listed), _CHUNK)
        ]
    for query in chunks:
        for row in session.execute(query):
            out[row[0]] = DeviceState(*row)
    return out


def outages(
    session: Session,
    kind: str,
    *,
    since: datetime,
    until: datetime,
    external_ids: Sequence[str] | None = None,
) -> list[Outage]:
    """Outages of devices of ``kind`` overlapping [since, until), oldest first."""
    stmt = (
        select(Device.external_id, DeviceOutage.started_at, DeviceOutage.ended_at)
        .join(Device, Device.id == DeviceOutage.device_id)
        .where(
            Device.kind == kind,
            DeviceOutage.started_at < as_utc(until),
            or_(DeviceOutage.ended_at.is_(None), DeviceOutage.ended_at > as_utc(since)),
        )
        .order_by(DeviceOutage.started_at, DeviceOutage.id)
    )
    if external_ids is not None:
        stmt = stmt.where(Device.external_id.in_(list(external_ids)))
    return [Outage(*row) for row in session.execute(stmt)]


def import_outages(session: Session, kind: str, rows: Iterable[tuple[str, datetime, datetime | None]]) -> int:
    """Load a past outage history of registered devices of ``kind`` ((external id, started, ended or None)),
    e.g. from the platform replaced or the demo. Unknown ids refuse the batch. Never commits."""
    device_kind(kind)
    listed = list(rows)
    ids = _ids_of(session, kind, sorted({r[0] for r in listed}))
    values: list[dict[str, Any]] = []
    for external_id, started, ended in listed:
        if external_id not in ids:
            raise ValidationFailed(f"device {kind}:{external_id} is not registered", field="external_id")
        if ended is not None and as_utc(ended) < as_utc(started):
            raise ValidationFailed(f"device {external_id}: an outage ends before it starts", field="ended_at")
        values.append(
            {
                "device_id": ids[external_id],
                "started_at": as_utc(started),
                "ended_at": as_utc(ended) if ended else None,
            }
        )
    for start in range(0, len(values), 5000):
        session.execute(insert(DeviceOutage), values[start : start + 5000])
    return len(values)
