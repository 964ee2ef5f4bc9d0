"""Nearby duplicates: open (and recently closed) cases of the same category within the category's radius."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pingan.cases import routing
from pingan.cases.intake import nearby_rows
from pingan.cases.models import Case, State
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
    near = nearby_rows(
        session,
        category,
        lon,
        lat,
        now=now or utcnow(),
        include_closed=include_closed,
        radius_m=radius_m,
        exclude_id=exclude_id,
    )
    found = []
    for distance, case_id, _number in near[:limit]:  # only the nearest become ORM objects
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
