"""The grid locator: point → grid (and its community, street, district), cached per database."""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pingan.areas.models import Area, AreaLevel, AreaRevision
from pingan.core import geo
from pingan.core.config import settings_of
from pingan.core.db import base_engine
from pingan.core.errors import ValidationFailed
from pingan.core.spatial import PolygonIndex


def bump_revision(session: Session) -> None:
    """Mark boundaries as changed: every locator (in every process) rebuilds on its next check."""
    rev = session.get(AreaRevision, 1)
    token = str(uuid.uuid4())
    if rev is None:
        session.add(AreaRevision(id=1, token=token))
    else:
        rev.token = token
    session.flush()
    _locators.invalidate(session.get_bind())


# --- the grid locator -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Located:
    """Where a point lies: its grid and the chain above it."""

    grid: AreaRef
    community: AreaRef | None
    street: AreaRef | None
    district: AreaRef | None

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v.__dict__ if v else None)
            for k, v in (
                ("grid", self.grid),
                ("community", self.community),
                ("street", self.street),
                ("district", self.district),
            )
        }


class Locator:
    """Point → grid over the grids of one snapshot of the area table."""

    def __init__(
        self,
        token: str,
        grid_codes: list[str],
        geometries: list[BaseGeometry],
        refs: dict[str, tuple[str, str, str | None]],
    ) -> None:
        self.token = token
        self.grid_codes = grid_codes
        self.index = PolygonIndex(geometries)
        self._refs = refs
        self._chains = [self._chain(code) for code in grid_codes]

    def _chain(self, code: str) -> Located:
        found: dict[str, AreaRef] = {}
        current: str | None = code
        while current is not None and current in self._refs:
            name, level, parent = self._refs[current]
            found.setdefault(level, AreaRef(current, name, level))
            current = parent
        return Located(
            found[AreaLevel.GRID],
            found.get(AreaLevel.COMMUNITY),
            found.get(AreaLevel.STREET),
            found.get(AreaLevel.DISTRICT),
        )

    def locate_indices(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        """Grid index per WGS-84 point (-1 outside every grid)."""
        return self.index.locate(lon, lat)

    def locate_many(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[Located | None]:
        idx = self.locate_indices(lon, lat)
        return [self._chains[i] if i >= 0 else None for i in idx.tolist()]

    def locate(self, lon: float, lat: float) -> Located | None:
        i = self.index.locate_one(lon, lat)
        return self._chains[i] if i >= 0 else None


class _LocatorCache:
    """One locator per engine, rebuilt when the revision token changes (checked every few seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[Any, tuple[Locator, float]] = weakref.WeakKeyDictionary()

    def invalidate(self, bind: Any) -> None:
        with self._lock:
            self._entries.pop(_engine_of(bind), None)

    def get(self, session: Session) -> Locator:
        engine = _engine_of(session.get_bind())
        entry = self._entries.get(engine)
        now = time.monotonic()
        if entry is not None and now - entry[1] < settings_of(session).locator_refresh_seconds:
            return entry[0]
        token = session.scalar(select(AreaRevision.token).where(AreaRevision.id == 1)) or ""
        if entry is not None and entry[0].token == token:
            self._entries[engine] = (entry[0], now)
            return entry[0]
        with self._building:  # one build at a time: concurrent cold requests wait for it, not rebuild it
            entry = self._entries.get(engine)
            if entry is not None and entry[0].token == token:
                return entry[0]
            locator = build_locator(session, token)
            with self._lock:
                self._entries[engine] = (locator, now)
        return locator


def _engine_of(bind: Any) -> Engine:
    return base_engine(bind)


_locators = _LocatorCache()


def build_locator(session: Session, token: str = "") -> Locator:
    """A fresh locator over every grid with a boundary, ordered by grid code."""
    refs = {
        code: (name, level, parent)
        for code, name, level, parent in session.execute(
            select(Area.code, Area.name, Area.level, Area.parent_code)
        )
    }
    rows = session.execute(
        select(Area.code, Area.geometry)
        .where(Area.level == AreaLevel.GRID.value, Area.geometry.is_not(None))
        .order_by(Area.code)
    ).all()
    return Locator(
        token, [r[0] for r in rows], list(shapely.from_wkb([r[1] for r in rows])) if rows else [], refs
    )


def get_locator(session: Session) -> Locator:
    """The current locator for this database (cached, refreshed when boundaries change)."""
    return _locators.get(session)


def locate(session: Session, *, lon: float, lat: float, crs: str | geo.CRS = geo.CRS.WGS84) -> Located | None:
    """The grid (and its community, street, district) of one point; None outside every grid."""
    geo.validate_lonlat(lon, lat)
    crs = geo.parse_crs(crs) if isinstance(crs, str) else crs
    wlon, wlat = geo.to_wgs84(lon, lat, crs)
    return get_locator(session).locate(wlon, wlat)


def locate_many(
    session: Session,
    *,
    lon: Sequence[float] | NDArray[np.float64],
    lat: Sequence[float] | NDArray[np.float64],
    crs: str | geo.CRS = geo.CRS.WGS84,
) -> list[Located | None]:
    """Vectorised :func:`locate` for many points."""
    lons = np.asarray(lon, dtype=np.float64)
    lats = np.asarray(lat, dtype=np.float64)
    if lons.shape != lats.shape:
        raise ValidationFailed("lon and lat must have the same length", field="points")
    if lons.size and not (
        np.isfinite(lons).all()
        and np.isfinite(lats).all()
        and (np.abs(lons) <= 180).all()
        and (np.abs(lats) <= 90).all()
    ):
        raise ValidationFailed(
            "every point needs a finite longitude (±180) and latitude (±90)", field="points"
        )
    crs = geo.parse_crs(crs) if isinstance(crs, str) else crs
    wlon, wlat = geo.to_wgs84(lons, lats, crs)
    return get_locator(session).locate_many(wlon, wlat)
