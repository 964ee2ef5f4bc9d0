"""The wall tile "设备在线率 / Devices online": the share of devices of the wall's scope heard recently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.security import Actor, in_scope
from pingan.devices.models import Device, DeviceStatus


def online_tile(session: Session, actor: Actor, scope: str, translate: Callable[..., str]) -> dict[str, Any]:
    """Online devices as a share of those ever heard (never-heard ones are counted apart); "–" with none."""
    stmt = in_scope(select(Device.status, func.count()).group_by(Device.status), Device.area_code, actor)
    if scope:  # the wall's own area, inside the viewer's scope
        stmt = stmt.where(Device.area_code.startswith(scope, autoescape=True))  # lint-scope: ok (filter)
    counts = {status: n for status, n in session.execute(stmt)}
    online = counts.get(DeviceStatus.ONLINE.value, 0)
    offline = counts.get(DeviceStatus.OFFLINE.value, 0)
    unknown = counts.get(DeviceStatus.UNKNOWN.value, 0)
    heard = online + offline
    value = f"{online * 100 / heard:.0f}%" if heard else "–"
    sub = translate("devices.tile_sub", online=online, offline=offline, unknown=unknown)
    return {"value": value, "sub": sub}
