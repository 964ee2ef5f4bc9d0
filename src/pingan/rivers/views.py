"""What the page and the wall tile show: the segments as an SVG drawing coloured by class, the stations, one
station's chart data, and the tile's counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.security import Actor, in_scope

from .gb3838 import LABELS, WaterClass
from .models import RiverSegment, Station
from .registers import READ, get_station, reading_rows, segment_rows, station_rows

# the colours 水质类别 maps use: I–II blue, III green, IV yellow, V orange, 劣V red
COLOURS = {1: "#1e6fd9", 2: "#4aa3f0", 3: "#2e9e44", 4: "#e0b000", 5: "#ef7d00", 6: "#d7263d"}
NO_DATA = "#999999"
WIDTH, HEIGHT, PAD = 640.0, 360.0, 12.0


def overview(session: Session, actor: Actor) -> dict[str, Any]:
    segments = list(session.scalars(segment_rows(actor)))
    stations = list(session.scalars(station_rows(actor)))
    worst: dict[int, int] = {}
    for s in stations:
        if s.current_class is not None:
            worst[s.segment_id] = max(worst.get(s.segment_id, 0), s.current_class)
    points = [p for seg in segments for p in seg.line] + [[s.lon, s.lat] for s in stations]
    project = _projection(points)
    lines = [
        {
            "name": seg.name,
            "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in (project(p) for p in seg.line)),
            "colour": COLOURS.get(worst.get(seg.id, 0), NO_DATA),
            "label": LABELS[WaterClass(worst[seg.id])] if seg.id in worst else "—",
            "target": LABELS[WaterClass(seg.target_class)],
        }
        for seg in segments
    ]
    rows = []
    for s in stations:
        x, y = project([s.lon, s.lat])
        rows.append(
            {
                "id": s.id,
                "code": s.code,
                "name": s.name,
                "x": round(x, 1),
                "y": round(y, 1),
                "current": LABELS[WaterClass(s.current_class)] if s.current_class else "—",
                "target": LABELS[WaterClass(s.target_class)],
                "meets": s.current_class is not None and s.current_class <= s.target_class,
                "colour": COLOURS.get(s.current_class or 0, NO_DATA),
                "deciding": s.deciding,
                "classified_at": s.classified_at,
            }
        )
    legend = [(LABELS[WaterClass(c)], colour) for c, colour in COLOURS.items()]
    return {"lines": lines, "stations": rows, "legend": legend, "width": WIDTH, "height": HEIGHT}


def _projection(points: list[list[float]]) -> Callable[[list[float]], tuple[float, float]]:
    if not points:
        return lambda p: (WIDTH / 2, HEIGHT / 2)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    scale = min((WIDTH - 2 * PAD) / max(east - west, 1e-6), (HEIGHT - 2 * PAD) / max(north - south, 1e-6))
    return lambda p: (PAD + (p[0] - west) * scale, HEIGHT - PAD - (p[1] - south) * scale)


def chart(session: Session, actor: Actor, station_id: int, *, since: datetime) -> dict[str, Any]:
    """A station's readings since ``since`` for ECharts: ``{"name", "series": {p: [[t, v]]}}``."""
    station = get_station(session, actor, station_id)
    series: dict[str, list[list[Any]]] = {p: [] for p in station.parameters}
    for parameter, at, value in session.execute(
        reading_rows(session, actor, station.id, since=since).limit(5000)
    ):
        series.setdefault(parameter, []).append([at.isoformat(), value])
    for values in series.values():
        values.reverse()  # oldest first
    return {"id": station.id, "name": station.name, "series": series}


def wall_tile(session: Session, actor: Actor, scope: str, translate: Callable[..., str]) -> dict[str, Any]:
    """Stations meeting their target class, of those classified; how many are 劣V."""
    stmt = in_scope(
        select(
            func.count(Station.id),
            func.count(Station.id).filter(Station.current_class <= Station.target_class),
            func.count(Station.id).filter(Station.current_class == int(WaterClass.INFERIOR_V)),
        ).where(Station.current_class.is_not(None)),
        Station.area_code,
        actor,
        roles=READ,
    )
    if scope:
        stmt = stmt.where(Station.area_code.startswith(scope, autoescape=True))  # lint-scope: ok (filter)
    total, meeting, inferior = session.execute(stmt).one()
    value = f"{meeting}/{total}" if total else "–"
    return {"value": value, "sub": translate("rivers.tile_sub", inferior=inferior)}


__all__ = ["COLOURS", "RiverSegment", "chart", "overview", "wall_tile"]
