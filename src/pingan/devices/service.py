"""The register of devices: upsert them, record that they were heard, count and list them in scope.

``heard`` sits on hot ingestion paths (every group-commit batch of GPS fixes): it is one UPDATE per distinct
time (per 1,000 ids), touches no ORM object and checks nothing beyond its input's shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from pingan.core.clock import as_utc, utcnow
from pingan.core.db import UTCDateTime
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.geo import validate_lonlat
from pingan.core.pagination import check_window
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role
from pingan.devices.kinds import device_kind
from pingan.devices.models import Device, DeviceStatus

# Who reads the register: the staff who run areas (a patrol volunteer or a resident sees no devices).
READ_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)
STATUSES = tuple(s.value for s in DeviceStatus)
MAX_EXTERNAL_ID = 64  # with the kind (≤32), the outage dedupe key fits the cases' 120 characters
_CHUNK = 1000
_TABLE: Any = Device.__table__
_ROW_FIELDS = ("name", "area_code", "place_id", "lon", "lat", "attributes")


def register_devices(session: Session, kind: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Add or update devices of ``kind`` by ``external_id`` (given fields only: a row without ``lon`` keeps
    the stored one). Each row: ``external_id`` and ``area_code`` (new devices), optional ``name``,
    ``place_id``, ``lon``/``lat`` (WGS-84) and ``attributes``. Never commits. ``{"added", "updated"}``."""
    device_kind(kind)
    cleaned = {}
    for index, row in enumerate(rows):
        item = _clean_row(row, index)
        cleaned[item["external_id"]] = item
    _resolve_parents(session, kind, cleaned)
    now = utcnow()
    existing: set[str] = set()
    ids = list(cleaned)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        existing.update(
            session.scalars(
                select(Device.external_id).where(Device.kind == kind, Device.external_id.in_(chunk))
            )
        )
    new = [cleaned[i] for i in ids if i not in existing]
    for item in new:
        if not item.get("area_code"):
            raise ValidationFailed(f"device {item['external_id']}: area_code is required", field="area_code")
    if new:
        session.execute(
            insert(Device),
            [
                {
                    "kind": kind,
                    "name": "",
                    "attributes": {},
                    **item,
                    "status": DeviceStatus.UNKNOWN.value,
                    "status_since": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for item in new
            ],
        )
    for item in (cleaned[i] for i in ids if i in existing):
        values = {k: v for k, v in item.items() if k != "external_id"}
        session.execute(
            update(Device)
            .where(Device.kind == kind, Device.external_id == item["external_id"])
            .values(**values, updated_at=now)
        )
    return {"added": len(new), "updated": len(existing)}


def _clean_row(row: Mapping[str, Any], index: int) -> dict[str, Any]:
    external_id = str(row.get("external_id") or "").strip()
    if not external_id or len(external_id) > MAX_EXTERNAL_ID:
        raise ValidationFailed(
            f"row {index}: external_id is required (≤{MAX_EXTERNAL_ID} characters)", field="external_id"
        )
    item: dict[str, Any] = {"external_id": external_id}
    for name in _ROW_FIELDS:
        if name in row:
            item[name] = row[name]
    if "name" in item:
        item["name"] = str(item["name"] or "")[:200]
    if item.get("lon") is not None or item.get("lat") is not None:
        if item.get("lon") is None or item.get("lat") is None:
            raise ValidationFailed(f"device {external_id}: lon and lat go together", field="lon")
        validate_lonlat(float(item["lon"]), float(item["lat"]))
    if "attributes" in item and not isinstance(item["attributes"], dict):
        raise ValidationFailed(f"device {external_id}: attributes must be an object", field="attributes")
    if "parent_external_id" in row:
        parent = str(row.get("parent_external_id") or "").strip()
        item["_parent"] = (str(row.get("parent_kind") or ""), parent) if parent else None
    return item


def _resolve_parents(session: Session, kind: str, cleaned: dict[str, dict[str, Any]]) -> None:
    """Rows naming a parent device (``parent_external_id``, of ``parent_kind`` or the same kind) get its id;
    an empty one clears it; an unknown parent refuses the whole batch (ValidationFailed naming the field)."""
    wanted: dict[str, set[str]] = {}
    for item in cleaned.values():
        parent = item.get("_parent")
        if parent:
            wanted.setdefault(parent[0] or kind, set()).add(parent[1])
    found: dict[tuple[str, str], int] = {}
    for parent_kind, ids in wanted.items():
        device_kind(parent_kind, field="parent_kind")
        listed = sorted(ids)
        for start in range(0, len(listed), _CHUNK):
            rows = session.execute(
                select(Device.external_id, Device.id).where(
                    Device.kind == parent_kind, Device.external_id.in_(listed[start : start + _CHUNK])
                )
            )
            found.update({(parent_kind, e): i for e, i in rows})
    for item in cleaned.values():
        if "_parent" not in item:
            continue
        parent = item.pop("_parent")
        if parent is None:
            item["parent_id"] = None
            continue
        key = (parent[0] or kind, parent[1])
        if key not in found:
            raise ValidationFailed(
                f"device {item['external_id']}: parent {key[0]}:{key[1]} is not registered",
                field="parent_external_id",
            )
        item["parent_id"] = found[key]


_HEARD: Any = None


def _heard_statement() -> Any:
    """UPDATE devices: last heard (never backwards), online since the first hearing after being away."""
    global _HEARD
    if _HEARD is None:
        t = _TABLE.c
        at = bindparam("b_at", type_=UTCDateTime())
        _HEARD = (
            update(_TABLE)
            .where(t.kind == bindparam("b_kind"), t.external_id.in_(bindparam("b_ids", expanding=True)))
            .values(
                last_seen_at=case(
                    (or_(t.last_seen_at.is_(None), t.last_seen_at < at), at), else_=t.last_seen_at
                ),
                status=DeviceStatus.ONLINE.value,
                status_since=case((t.status == DeviceStatus.ONLINE.value, t.status_since), else_=at),
                outage_signalled_at=None,
            )
        )
    return _HEARD


def heard(session: Session, kind: str, seen: Mapping[str, datetime]) -> int:
    """Record that devices of ``kind`` were heard (external id → when, UTC): one UPDATE per distinct time
    (per 1,000 ids); ids that are not registered are ignored. The devices' open outage cases get their
    "back online" step from the next sweep. Never commits; returns the rows updated."""
    if not seen:
        return 0
    by_time: dict[datetime, list[str]] = {}
    for external_id, at in seen.items():
        by_time.setdefault(at, []).append(external_id)
    stmt = _heard_statement()
    connection = session.connection()
    updated = 0
    for at, ids in by_time.items():
        for start in range(0, len(ids), _CHUNK):
            params = {"b_kind": kind, "b_ids": ids[start : start + _CHUNK], "b_at": as_utc(at)}
            updated += connection.execute(stmt, params).rowcount
    return updated


# --- reading --------------------------------------------------------------------------------------------


def _scoped(actor: Actor, kind: str | None, area: str | None) -> Any:
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Device), Device.area_code, actor, roles=READ_ROLES)
    if kind is not None:
        device_kind(kind)
        stmt = stmt.where(Device.kind == kind)
    if area is not None:
        if not area.isdigit() or len(area) > 20:
            raise ValidationFailed("area must be an area code (digits)", field="area")
        stmt = stmt.where(Device.area_code.startswith(area, autoescape=True))  # lint-scope: ok (filter)
    return stmt


def summary(
    session: Session, actor: Actor, kind: str | None = None, *, area: str | None = None
) -> dict[str, Any]:
    """Devices in the actor's scope by status (and by kind): ``{"total", "online", "offline", "unknown",
    "by_kind": {kind: {...}}}``."""
    inner = _scoped(actor, kind, area).subquery()
    rows = session.execute(
        select(inner.c.kind, inner.c.status, func.count()).group_by(inner.c.kind, inner.c.status)
    )
    empty = dict.fromkeys(STATUSES, 0)
    totals: dict[str, Any] = {"total": 0, **empty, "by_kind": {}}
    for row_kind, status, count in rows:
        per = totals["by_kind"].setdefault(row_kind, {"total": 0, **empty})
        per[status] = per.get(status, 0) + count
        per["total"] += count
        totals[status] = totals.get(status, 0) + count
        totals["total"] += count
    return totals


def list_devices(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    status: str | None = None,
    area: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Device], int]:
    """Devices in scope, offline first then by kind and id; the page and the total."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", field="status")
    check_window(limit=limit, offset=offset)
    stmt = _scoped(actor, kind, area)
    if status is not None:
        stmt = stmt.where(Device.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = case(
        (Device.status == DeviceStatus.OFFLINE.value, 0),
        (Device.status == DeviceStatus.UNKNOWN.value, 1),
        else_=2,
    )
    page = session.scalars(stmt.order_by(order, Device.kind, Device.id).offset(offset).limit(limit))
    return list(page), total


def get_device(session: Session, actor: Actor, *, kind: str, external_id: str) -> Device:
    """One device in the actor's scope, or NotFound."""
    require_role(actor, *READ_ROLES)
    device = session.scalar(select(Device).where(Device.kind == kind, Device.external_id == external_id))
    if device is None:
        raise NotFound(f"device {kind}:{external_id} not found", field="external_id")
    ensure_in_scope(actor, device.area_code, what="device", roles=READ_ROLES)
    return device


def device_dict(device: Device) -> dict[str, Any]:
    """The JSON shape of a device (API, CLI)."""
    return {
        "id": device.id,
        "kind": device.kind,
        "external_id": device.external_id,
        "name": device.name,
        "area_code": device.area_code,
        "place_id": device.place_id,
        "lon": device.lon,
        "lat": device.lat,
        "status": device.status,
        "status_since": device.status_since.isoformat() if device.status_since else None,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
        "outage_case_id": device.outage_case_id,
        "attributes": device.attributes or {},
        "parent_id": device.parent_id,
    }
