"""Coverage and statistics from the position stream, vectorised with numpy.

- point → grid through the areas module's locator (a raster lookup table, exact on boundaries);
- :func:`compute_coverage`: per grid × hour the fixes and distinct patrollers; per volunteer time and distance
  on patrol (consecutive valid fixes at most ``gap_s`` apart).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core.clock import as_utc
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor, in_scope, require_role
from pingan.patrols.common import READ_ROLES, to_ms, within_actor
from pingan.patrols.models import PatrolPosition, PatrolTeam, PatrolVolunteer, PositionFlag
from pingan.patrols.shifts import coverage_plan, grids_in_scope

EARTH_M = 6371008.8
CHUNK = 1_000_000  # fixes per step of the distance computation
Progress = Callable[[str, float], None]


def haversine_np(
    lon1: NDArray[Any], lat1: NDArray[Any], lon2: NDArray[Any], lat2: NDArray[Any]
) -> NDArray[Any]:
    """Great-circle distances in metres (vectorised, same formula as core.geo.haversine_m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_M * np.arcsin(np.sqrt(h))


def _step_lengths(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Haversine length of each step of a track (the cosine of each latitude computed once per point)."""
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    h = np.sin(np.diff(phi) / 2) ** 2 + cos_phi[:-1] * cos_phi[1:] * np.sin(np.diff(lam) / 2) ** 2
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
    grid: NDArray[np.integer[Any]],
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
    rows = None if keep.all() else np.flatnonzero(keep)  # indexes into lon/lat (not copied)
    del keep
    # the kept fixes' volunteer, grid and hour in the narrowest integer types that hold them, computed in
    # place: a day of a district's patrols is millions of fixes, each int64 temporary ~40 MB
    narrow = np.int32 if max(n_volunteers, n_grids * hours) < 2**31 else np.int64
    volunteer = (volunteer if rows is None else volunteer[rows]).astype(narrow, copy=False)
    t_ms = t_ms if rows is None else t_ms[rows]
    cell = t_ms - start_ms
    cell //= 3_600_000
    cell = cell.astype(narrow)
    grid_kept: NDArray[np.signedinteger[Any]] = (grid if rows is None else grid[rows]).astype(
        narrow, copy=False
    )
    located = grid_kept >= 0
    cell += np.multiply(grid_kept, hours, dtype=narrow)
    del grid_kept
    if not located.all():
        cell = cell[located]
        pings = np.bincount(cell, minlength=n_grids * hours).reshape(n_grids, hours)
        patrollers = _distinct_per_cell(cell, volunteer[located], n_grids * hours, n_volunteers)
    else:
        pings = np.bincount(cell, minlength=n_grids * hours).reshape(n_grids, hours)
        patrollers = _distinct_per_cell(cell, volunteer, n_grids * hours, n_volunteers)
    del located, cell
    fixes = np.bincount(volunteer, minlength=n_volunteers)
    order = _by_volunteer_then_time(volunteer, t_ms, n_volunteers)
    seconds = np.zeros(n_volunteers, dtype=np.float64)
    metres = np.zeros(n_volunteers, dtype=np.float64)
    for start in range(0, max(order.size - 1, 0), CHUNK):  # in chunks that overlap by one fix: bounded memory
        part = order[start : start + CHUNK + 1]
        points = part if rows is None else rows[part]
        v, t = volunteer[part], t_ms[part]
        dt = np.diff(t) / 1000.0
        same = (v[1:] == v[:-1]) & (dt > 0) & (dt <= gap_s)
        owner = v[1:][same]
        seconds += np.bincount(owner, weights=dt[same], minlength=n_volunteers)
        metres += np.bincount(
            owner, weights=_step_lengths(lon[points], lat[points])[same], minlength=n_volunteers
        )
    return Coverage(pings, patrollers.reshape(n_grids, hours), seconds, metres, fixes)


def _distinct_per_cell(
    cell: NDArray[np.int64], volunteer: NDArray[Any], n_cells: int, n_volunteers: int
) -> NDArray[np.int64]:
    """How many different volunteers have a fix in each cell: a bitmap of (cell, volunteer) when it fits in
    ~200 MB (no sort), else sorting the pairs."""
    if n_cells * n_volunteers <= 200_000_000:
        seen = np.zeros((n_cells, n_volunteers), dtype=np.bool_)
        seen[cell, volunteer] = True
        return seen.sum(axis=1, dtype=np.int64)
    pair = np.unique(cell.astype(np.int64) * n_volunteers + volunteer)
    return np.bincount(pair // n_volunteers, minlength=n_cells).astype(np.int64)


def _by_volunteer_then_time(
    volunteer: NDArray[Any], t_ms: NDArray[np.int64], n_volunteers: int
) -> NDArray[Any]:
    """The order sorting fixes by volunteer, then time. When volunteer, time offset and position fit in 63
    bits together (a day of a district's patrols does), one in-place sort of packed int64 keys does it,
    several times faster than an argsort or lexsort; otherwise a lexsort."""
    n = int(t_ms.size)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    t0 = int(t_ms.min())
    bits_i = max((n - 1).bit_length(), 1)
    bits_t = max(int(t_ms.max()) - t0, 1).bit_length()
    bits_v = max(n_volunteers - 1, 1).bit_length()
    if bits_v + bits_t + bits_i > 63:
        return np.lexsort((t_ms, volunteer))
    key = volunteer.astype(np.int64)
    key <<= bits_t + bits_i
    offset = t_ms - t0
    offset <<= bits_i
    key |= offset
    del offset
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    key &= (1 << bits_i) - 1
    return key


# --- reports from the database ------------------------------------------------------------------------

_ROW = np.dtype(
    [("volunteer", np.int64), ("t", np.int64), ("lon", np.float64), ("lat", np.float64), ("flags", np.int64)]
)


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
    data = _fetch_columns(session, stmt, _ROW)
    return (
        data["volunteer"].astype(np.int64),
        data["t"],
        np.ascontiguousarray(data["lon"]),
        np.ascontiguousarray(data["lat"]),
        data["flags"].astype(np.int64),
    )


def _fetch_columns(session: Session, stmt: Select[*tuple[Any, ...]], dtype: np.dtype[Any]) -> NDArray[Any]:
    """The rows of a column query as one structured array, fetched through the driver's cursor on the
    session's connection (same transaction). A stream read by aggregation needs no Row objects: building
    them, and np.asarray over them (which probes every row for the array protocols), took ~10× the fetch."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return np.fromiter(cursor.fetchall(), dtype=dtype)
    finally:
        cursor.close()


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
    locator = areas.get_locator(session)
    all_codes = list(locator.grid_codes)
    grid = locator.locate_indices(lon, lat)
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
    plan = coverage_plan(session, actor, since=since, hours=min(hours, 24 * 14), within=within, grids=visible)
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
