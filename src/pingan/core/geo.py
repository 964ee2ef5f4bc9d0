"""Coordinate systems used in China and conversion between them.

Public, vectorised API (numpy arrays or scalars):

- ``wgs84_to_gcj02``, ``gcj02_to_wgs84`` (iterative inverse, < 1e-6 m against the forward formula)
- ``gcj02_to_bd09``, ``bd09_to_gcj02`` (iterative inverse, < 1e-6 m against the forward formula)
- ``to_wgs84(lon, lat, crs)`` / ``from_wgs84(lon, lat, crs)`` for ``wgs84`` (= CGCS2000 for our purposes),
  ``gcj02`` and ``bd09``.

Accuracy: the forward transforms are the public GCJ-02/BD-09 formulas (Krasovsky ellipsoid,
a = 6378245.0). The inverses are fixed-point iterations of the forward transforms, each point stopped once
its own step is below 1e-10 degrees (about 0.01 mm), at most 40 rounds — so a point's answer never depends
on the other points converted with it; the round trip error is therefore below 1e-6 m. The real-world error
of GCJ-02 → WGS-84 is bounded by how well the public formula matches the official one (sub-metre reported).
Outside China's rough bounding box GCJ-02 equals WGS-84 (input returned unchanged).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from pingan.core.errors import ValidationFailed

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0
_INVERSE_TOL = 1e-10
_INVERSE_ROUNDS = 40

Floats = NDArray[np.float64]
T = TypeVar("T", float, Floats)


class CRS(StrEnum):
    """Coordinate systems we accept at the edges; storage is always WGS-84."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def parse_crs(value: str | None, field: str = "crs") -> CRS:
    """Parse a CRS name (case-insensitive; ``cgcs2000`` and ``epsg:4326`` mean WGS-84)."""
    if value is None or value == "" or value == "wgs84":
        return CRS.WGS84
    name = value.strip().lower().replace("-", "").replace("_", "")
    aliases = {
        "wgs84": CRS.WGS84,
        "epsg:4326": CRS.WGS84,
        "cgcs2000": CRS.WGS84,
        "epsg:4490": CRS.WGS84,
        "gcj02": CRS.GCJ02,
        "gcj": CRS.GCJ02,
        "bd09": CRS.BD09,
        "bd09ll": CRS.BD09,
        "baidu": CRS.BD09,
    }
    if name not in aliases:
        raise ValidationFailed(f"unknown coordinate system {value!r}; use wgs84, gcj02 or bd09", field=field)
    return aliases[name]


def validate_lonlat(lon: float, lat: float) -> None:
    """Reject coordinates that are not finite or out of range, naming the field."""
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValidationFailed("longitude must be a number between -180 and 180", field="lon")
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValidationFailed("latitude must be a number between -90 and 90", field="lat")


def _out_of_china(lon: Floats, lat: Floats) -> NDArray[np.bool_]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _arrays(lon: float | Floats, lat: float | Floats) -> tuple[Floats, Floats, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), scalar


def _out(lon: Floats, lat: Floats, scalar: bool) -> tuple[float, float] | tuple[Floats, Floats]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: Floats, lat: Floats) -> tuple[Floats, Floats]: ...
def wgs84_to_gcj02(lon, lat):  # type: ignore[no-untyped-def]
    """WGS-84 → GCJ-02 (the public formula)."""
    x, y, scalar = _arrays(lon, lat)
    dx, dy = _delta(x, y)
    return _out(x + dx, y + dy, scalar)


def _invert(forward, lon, lat):  # type: ignore[no-untyped-def]
    """Fixed-point iteration of ``forward``, point by point: each point stops once its own step is below the
    tolerance, so its answer never depends on the other points of the array (a batch that iterated until
    all of its points converged moved the easy ones on, and a point on a grid edge could change grid)."""
    tx, ty, scalar = _arrays(lon, lat)
    shape = tx.shape
    tx, ty = tx.ravel(), ty.ravel()
    wx, wy = tx.copy(), ty.copy()
    active = np.arange(tx.size)
    for _ in range(_INVERSE_ROUNDS):
        if not active.size:
            break
        ax, ay = wx[active], wy[active]
        fx, fy = forward(ax, ay)
        sx, sy = tx[active] - fx, ty[active] - fy
        wx[active], wy[active] = ax + sx, ay + sy
        active = active[(np.abs(sx) >= _INVERSE_TOL) | (np.abs(sy) >= _INVERSE_TOL)]
    return _out(wx.reshape(shape), wy.reshape(shape), scalar)


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: Floats, lat: Floats) -> tuple[Floats, Floats]: ...
def gcj02_to_wgs84(lon, lat):  # type: ignore[no-untyped-def]
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward formula."""
    return _invert(wgs84_to_gcj02, lon, lat)


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: Floats, lat: Floats) -> tuple[Floats, Floats]: ...
def gcj02_to_bd09(lon, lat):  # type: ignore[no-untyped-def]
    """GCJ-02 → BD-09 (Baidu)."""
    x, y, scalar = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


@overload
def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lon: Floats, lat: Floats) -> tuple[Floats, Floats]: ...
def bd09_to_gcj02(lon, lat):  # type: ignore[no-untyped-def]
    """BD-09 → GCJ-02 by fixed-point iteration of the forward formula."""
    return _invert(gcj02_to_bd09, lon, lat)


@overload
def to_wgs84(lon: float, lat: float, crs: CRS | str) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: Floats, lat: Floats, crs: CRS | str) -> tuple[Floats, Floats]: ...
def to_wgs84(lon, lat, crs):  # type: ignore[no-untyped-def]
    """Normalise coordinates in ``crs`` to WGS-84."""
    crs = parse_crs(crs) if isinstance(crs, str) else crs
    if crs is CRS.WGS84:
        if isinstance(lon, float | int) and isinstance(lat, float | int):
            return float(lon), float(lat)  # one point, nothing to do (the hot path of every report)
        return _out(*_arrays(lon, lat))
    if crs is CRS.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


@overload
def from_wgs84(lon: float, lat: float, crs: CRS | str) -> tuple[float, float]: ...
@overload
def from_wgs84(lon: Floats, lat: Floats, crs: CRS | str) -> tuple[Floats, Floats]: ...
def from_wgs84(lon, lat, crs):  # type: ignore[no-untyped-def]
    """Convert WGS-84 coordinates to ``crs`` (for display on GCJ-02 or BD-09 maps)."""
    crs = parse_crs(crs) if isinstance(crs, str) else crs
    if crs is CRS.WGS84:
        return _out(*_arrays(lon, lat))
    if crs is CRS.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
