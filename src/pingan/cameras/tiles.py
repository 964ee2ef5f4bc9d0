"""The wall tile "视频在线率 / Camera online rate": cameras online now as a share of those registered in the
wall's scope (the 雪亮工程 definition: online channels / registered channels), offline ones as map points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.security import Actor, in_scope
from pingan.devices import interface as devices

from .models import Camera
from .module import CAMERA

MAX_POINTS = 2000


def online_tile(session: Session, actor: Actor, scope: str, translate: Callable[..., str]) -> dict[str, Any]:
    """Online cameras / registered cameras ("–" with none); the offline ones' positions (no names)."""
    stmt = in_scope(
        select(Camera.gb_id, Camera.lon, Camera.lat).where(Camera.role == "camera"), Camera.area_code, actor
    )
    if scope:  # the wall's own area, inside the viewer's scope
        stmt = stmt.where(Camera.area_code.startswith(scope, autoescape=True))  # lint-scope: ok (filter)
    cameras = {gb: (lon, lat) for gb, lon, lat in session.execute(stmt)}
    counts = {"online": 0, "offline": 0, "unknown": 0}
    points: list[dict[str, Any]] = []
    for gb, state in devices.device_states(session, CAMERA).items():
        if gb not in cameras:
            continue
        counts[state.status] = counts.get(state.status, 0) + 1
        lon, lat = cameras[gb]
        if state.status == "offline" and lon is not None and lat is not None and len(points) < MAX_POINTS:
            points.append({"lon": lon, "lat": lat, "status": "offline"})
    counts["unknown"] += len(cameras) - sum(counts.values())
    total = len(cameras)
    return {
        "value": f"{counts['online'] * 100 / total:.1f}%" if total else "–",
        "sub": translate("devices.tile_sub", **counts),
        "points": points,
    }
