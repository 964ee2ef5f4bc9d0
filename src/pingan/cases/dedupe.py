"""Nearby duplicates: open (and recently closed) cases of the same category within the category's radius."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pingan.cases import routing
from pingan.cases.config import get_cases_settings
from pingan.cases.models import OPEN_STATES, Case, State
from pingan.core import geo
from pingan.core.clock import utcnow


def nearby_cases(
    session: Session,
    *,
    category_code: str,
    lon: float,
    lat: float,
    include_closed: bool = True,
    exclude_id: int | None = None,
    now: datetime | None = None,
    limit: int = 10,
    radius_m: float | None = None,
) -> list[tuple[Case, float]]:
    """(case, distance in m) of possible duplicates, nearest first (WGS-84 point)."""
    category = routing.get_category(session, category_code)
    now = now or utcnow()
    radius = category.dedupe_radius_m if radius_m is None else radius_m
    if radius <= 0:
        return []
    dlat = radius / 111_000.0
    dlon = radius / (111_000.0 * max(math.cos(math.radians(lat)), 0.01))
    open_since = now - timedelta(minutes=category.dedupe_window_minutes)
    closed_since = now - timedelta(days=get_cases_settings().recent_closed_days)
    when = and_(Case.state.in_([s.value for s in OPEN_STATES]), Case.reported_at >= open_since)
    if include_closed:
        when = or_(when, and_(Case.state == State.CLOSED.value, Case.closed_at >= closed_since))
    stmt = select(Case.id, Case.lon, Case.lat).where(
        Case.category_code == category.code,
        Case.lon.between(lon - dlon, lon + dlon),
        Case.lat.between(lat - dlat, lat + dlat),
        when,
        Case.duplicate_of_id.is_(None),
    )
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    near: list[tuple[float, int]] = []
    for case_id, clon, clat in session.execute(stmt.order_by(Case.id.desc()).limit(500)):
        distance = geo.haversine_m(lon, lat, clon or 0.0, clat or 0.0)
        if distance <= radius:
            near.append((distance, case_id))
    near.sort()
    found = []
    for distance, case_id in near[:limit]:  # only the nearest become ORM objects
        case = session.get(Case, case_id)
        if case is not None:
            found.append((case, distance))
    return found


def nearby_public(
    session: Session, *, category_code: str, lon: float, lat: float, crs: str = "wgs84"
) -> list[dict[str, Any]]:
    """What the report form shows before submitting: nearby cases without personal data."""
    geo.validate_lonlat(lon, lat)
    wlon, wlat = geo.to_wgs84(lon, lat, geo.parse_crs(crs))
    return [
        {
            "number": case.number,
            "title": case.title,
            "state": case.state,
            "is_open": case.state != State.CLOSED.value,
            "distance_m": round(distance, 1),
            "reported_at": case.reported_at.isoformat(),
            "signal_count": case.signal_count,
        }
        for case, distance in nearby_cases(session, category_code=category_code, lon=wlon, lat=wlat)
    ]
