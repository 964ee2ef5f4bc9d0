"""Coverage and statistics from the position stream, vectorised with numpy.

- :class:`RasterLocator`: point → grid in O(1) per point through a raster whose cells are either *pure*
  (all four corners in the same grid and no boundary vertex inside, so every point inside belongs to that
  grid) or *mixed* (a boundary crosses it); points in mixed cells and outside the raster go to the exact
  locator. The answer is identical to :meth:`pingan.areas.service.Locator.locate_indices`.
- :func:`compute_coverage`: per grid × hour the fixes and distinct patrollers; per volunteer time and distance
  on patrol (consecutive valid fixes at most ``gap_s`` apart).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core.clock import as_utc
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor, in_scope, require_role
from pingan.patrols.common import READ_ROLES, to_ms, within_actor
from pingan.patrols.models import PatrolPosition, PatrolTeam, PatrolVolunteer, PositionFlag
from pingan.patrols.shifts import coverage_plan, grids_in_scope

EARTH_M = 6371008.8
Progress = Callable[[str, float], None]


class RasterLocator:
    """Point → grid index through a raster of pure cells, exact fallback for mixed cells."""

    def __init__(self, locator: Any, *, cell_m: float = 20.0) -> None:
        self.locator = locator
        geoms = list(locator.index.geometries)
        if not geoms:
            self.nx = self.ny = 0
            self.x0 = self.y0 = self.dx = self.dy = 0.0
            self.cells = np.zeros((0, 0), dtype=np.int32)
            return
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms, dtype=object))
        mid = (miny + maxy) / 2
        self.dx = cell_m / (111_320.0 * np.cos(np.radians(mid)))
        self.dy = cell_m / 110_574.0
        self.x0, self.y0 = float(minx), float(miny)
        self.nx = int(np.ceil((maxx - minx) / self.dx)) + 1
        self.ny = int(np.ceil((maxy - miny) / self.dy)) + 1
        xs = self.x0 + self.dx * np.arange(self.nx + 1)
        ys = self.y0 + self.dy * np.arange(self.ny + 1)
        gx, gy = np.meshgrid(xs, ys)
        corners = locator.locate_indices(gx.ravel(), gy.ravel()).reshape(self.ny + 1, self.nx + 1)
        a, b, c, d = corners[:-1, :-1], corners[:-1, 1:], corners[1:, :-1], corners[1:, 1:]
        pure = (a == b) & (a == c) & (a == d)
        vertices = shapely.get_coordinates(shapely.boundary(np.asarray(geoms, dtype=object)))
        vx = np.floor((vertices[:, 0] - self.x0) / self.dx).astype(np.int64)
        vy = np.floor((vertices[:, 1] - self.y0) / self.dy).astype(np.int64)
        ok = (vx >= 0) & (vx < self.nx) & (vy >= 0) & (vy < self.ny)
        pure[vy[ok], vx[ok]] = False
        self.cells = np.where(pure, a, -2).astype(np.int32)  # -2 = mixed: ask the exact locator

    @property
    def grid_codes(self) -> list[str]:
        return list(self.locator.grid_codes)

    def locate_indices(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int32]:
        """Grid index per point (-1 outside every grid), identical to the exact locator."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        out = np.full(lon.shape[0], -2, dtype=np.int32)
        if self.nx:
            ix = np.floor((lon - self.x0) / self.dx)
            iy = np.floor((lat - self.y0) / self.dy)
            inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
            out[inside] = self.cells[iy[inside].astype(np.int64), ix[inside].astype(np.int64)]
        todo = np.flatnonzero(out == -2)
        if todo.size:
            out[todo] = self.locator.locate_indices(lon[todo], lat[todo])
        return out


_rasters: dict[int, tuple[str, RasterLocator]] = {}
_raster_lock = threading.Lock()


def raster_for(session: Session) -> RasterLocator:
    """The raster of the current grid boundaries (cached per locator revision)."""
    locator = areas.get_locator(session)
    key = id(session.get_bind().engine) if hasattr(session.get_bind(), "engine") else 0
    with _raster_lock:
        cached = _rasters.get(key)
        if cached is not None and cached[0] == locator.token and cached[1].locator is locator:
            return cached[1]
    raster = RasterLocator(locator)
    with _raster_lock:
        _rasters[key] = (locator.token, raster)
    return raster


def haversine_np(
    lon1: NDArray[Any], lat1: NDArray[Any], lon2: NDArray[Any], lat2: NDArray[Any]
) -> NDArray[Any]:
    """Great-circle distances in metres (vectorised, same formula as core.geo.haversine_m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_M * np.arcsin(np.sqrt(h))


@dataclass
class Coverage:
    """Per grid × hour fixes and distinct patrollers; per volunteer seconds, metres and fixes."""

    pings: NDArray[np.int64]  # grids × hours
    patrollers: NDArray[np.int64]  # grids × hours, distinct volunteers
    seconds: NDArray[np.float64]  # per volunteer index
    metres: NDArray[np.float64]
    fixes: NDArray[np.int64]


def compute_coverage(
    *,
    volunteer: NDArray[np.int64],
    t_ms: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    flags: NDArray[np.int64] | None,
    grid: NDArray[np.int32],
    n_grids: int,
    n_volunteers: int,
    start_ms: int,
    hours: int,
    gap_s: float = 300.0,
) -> Coverage:
    """The coverage matrix and per-volunteer totals of one period (fixes flagged as mock, poor accuracy,
    jump or invalid are left out)."""
    end_ms = start_ms + hours * 3_600_000
    keep = (t_ms >= start_ms) & (t_ms < end_ms)
    if flags is not None:
        keep &= (flags & PositionFlag.NOT_COUNTED) == 0
    if not keep.all():
        volunteer, t_ms, lon, lat, grid = volunteer[keep], t_ms[keep], lon[keep], lat[keep], grid[keep]
    hour = ((t_ms - start_ms) // 3_600_000).astype(np.int64)
    located = grid >= 0
    cell = grid[located].astype(np.int64) * hours + hour[located]
    pings = np.bincount(cell, minlength=n_grids * hours).reshape(n_grids, hours)
    pair = np.unique(cell * n_volunteers + volunteer[located])
    patrollers = np.bincount(pair // n_volunteers, minlength=n_grids * hours).reshape(n_grids, hours)
    order = np.lexsort((t_ms, volunteer))
    v, t, x, y = volunteer[order], t_ms[order], lon[order], lat[order]
    dt = np.diff(t) / 1000.0
    same = (v[1:] == v[:-1]) & (dt > 0) & (dt <= gap_s)
    dist = haversine_np(x[:-1], y[:-1], x[1:], y[1:])
    owner = v[1:][same]
    seconds = np.bincount(owner, weights=dt[same], minlength=n_volunteers)
    metres = np.bincount(owner, weights=dist[same], minlength=n_volunteers)
    fixes = np.bincount(v, minlength=n_volunteers)
    return Coverage(pings, patrollers, seconds.astype(np.float64), metres.astype(np.float64), fixes)


# --- reports from the database ------------------------------------------------------------------------


def _load(
    session: Session, actor: Actor, *, start_ms: int, end_ms: int, within: str | None
) -> tuple[NDArray[Any], ...]:
    stmt = select(
        PatrolPosition.volunteer_id,
        PatrolPosition.fixed_ms,
        PatrolPosition.lon,
        PatrolPosition.lat,
        PatrolPosition.flags,
    ).where(PatrolPosition.fixed_ms >= start_ms, PatrolPosition.fixed_ms < end_ms)
    stmt = in_scope(stmt, PatrolPosition.grid_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, PatrolPosition.grid_code, within_actor(within))
    rows = session.execute(stmt).all()
    if not rows:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return empty_i, empty_i, empty_f, empty_f, empty_i
    data = np.asarray(rows, dtype=np.float64)
    return (
        data[:, 0].astype(np.int64),
        data[:, 1].astype(np.int64),
        data[:, 2],
        data[:, 3],
        data[:, 4].astype(np.int64),
    )


def coverage_report(
    session: Session,
    actor: Actor,
    *,
    since: datetime,
    hours: int = 24,
    within: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Per grid × hour whether someone patrolled there; planned-but-uncovered and never-covered grids;
    per-volunteer time and distance on patrol."""
    require_role(actor, *READ_ROLES)
    if not 1 <= hours <= 24 * 31:
        raise ValidationFailed("hours must be 1–744", field="hours")
    report = progress or (lambda _label, _share: None)
    since = as_utc(since).replace(minute=0, second=0, microsecond=0)
    start_ms = to_ms(since)
    report("loading positions", 0.05)
    volunteer, t_ms, lon, lat, flags = _load(
        session, actor, start_ms=start_ms, end_ms=start_ms + hours * 3_600_000, within=within
    )
    report("locating", 0.4)
    raster = raster_for(session)
    all_codes = raster.grid_codes
    grid = raster.locate_indices(lon, lat)
    report("aggregating", 0.7)
    ids, vidx = np.unique(volunteer, return_inverse=True) if volunteer.size else (volunteer, volunteer)
    cov = compute_coverage(
        volunteer=vidx.astype(np.int64),
        t_ms=t_ms,
        lon=lon,
        lat=lat,
        flags=flags,
        grid=grid,
        n_grids=len(all_codes),
        n_volunteers=max(len(ids), 1),
        start_ms=start_ms,
        hours=hours,
    )
    visible = grids_in_scope(session, actor, within=within)
    rows = [all_codes.index(code) for code in visible if code in all_codes]
    covered = cov.patrollers[rows] > 0 if rows else np.zeros((0, hours), dtype=bool)
    plan = coverage_plan(session, actor, since=since, hours=min(hours, 24 * 14), within=within)
    planned = np.asarray(plan["planned"], dtype=np.int64)
    plan_index = {g: i for i, g in enumerate(plan["grids"])}
    gaps = []
    for r, code in enumerate(visible):
        p = plan_index.get(code)
        if p is None:
            continue
        for h in np.flatnonzero(planned[p] > 0):
            if h < hours and not covered[r, h]:
                gaps.append({"grid_code": code, "hour": (since + timedelta(hours=int(h))).isoformat()})
    never = [code for r, code in enumerate(visible) if not covered[r].any()]
    report("done", 1.0)
    totals = sorted(
        (
            {
                "volunteer_id": int(ids[i]),
                "hours": round(float(cov.seconds[i]) / 3600, 2),
                "km": round(float(cov.metres[i]) / 1000, 3),
                "fixes": int(cov.fixes[i]),
            }
            for i in range(len(ids))
        ),
        key=lambda item: -item["hours"],
    )
    return {
        "since": since,
        "hours": hours,
        "grids": visible,
        "patrollers": (cov.patrollers[rows].tolist() if rows else []),
        "covered_cells": int(covered.sum()),
        "cells": len(visible) * hours,
        "coverage_share": round(float(covered.mean()), 4) if covered.size else 0.0,
        "planned_uncovered": gaps[:5000],
        "never_covered": never,
        "volunteers": totals,
        "positions": int(t_ms.size),
    }


def patrol_totals(
    session: Session,
    actor: Actor,
    *,
    since: datetime,
    hours: int = 24,
    group_by: str = "team",
    within: str | None = None,
) -> list[dict[str, Any]]:
    """Time and distance on patrol (from positions) per volunteer, team, community or street."""
    if group_by not in ("volunteer", "team", "community", "street"):
        raise ValidationFailed("group_by must be volunteer, team, community or street", field="group_by")
    report = coverage_report(session, actor, since=since, hours=hours, within=within)
    per = report["volunteers"]
    if group_by == "volunteer":
        return per
    ids = [p["volunteer_id"] for p in per]
    meta: dict[int, tuple[int, str, str]] = {}
    for start in range(0, len(ids), 500):
        for vid, team_id, team_name, area in session.execute(
            select(PatrolVolunteer.id, PatrolTeam.id, PatrolTeam.name, PatrolVolunteer.area_code)
            .join(PatrolTeam, PatrolTeam.id == PatrolVolunteer.team_id)
            .where(PatrolVolunteer.id.in_(ids[start : start + 500]))
        ):
            meta[vid] = (team_id, team_name, area)
    groups: dict[str, dict[str, Any]] = {}
    for p in per:
        team_id, team_name, area = meta.get(p["volunteer_id"], (0, "", ""))
        key = {"team": str(team_id), "community": area, "street": area[:9]}[group_by]
        g = groups.setdefault(
            key,
            {
                "key": key,
                "name": team_name if group_by == "team" else "",
                "volunteers": 0,
                "hours": 0.0,
                "km": 0.0,
            },
        )
        g["volunteers"] += 1
        g["hours"] += p["hours"]
        g["km"] += p["km"]
    return [
        {**g, "hours": round(g["hours"], 2), "km": round(g["km"], 3)}
        for g in sorted(groups.values(), key=lambda g: g["key"])
    ]
