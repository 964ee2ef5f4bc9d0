"""Coverage of a patrol day: 21,863 volunteers × one fix a minute over a 4-hour shift (~5.2M fixes) →
the grid × hour matrix (fixes and distinct patrollers) and per-volunteer time and distance on patrol.

- ours: the areas locator (raster lookup table built from the 239 grids, timed) + numpy aggregation
  (:func:`pingan.patrols.coverage.compute_coverage`);
- reference: ``geopandas.sjoin(points, grids, predicate="within")`` + pandas ``groupby`` for the same outputs.
Each runs in its own subprocess on the same arrays (saved once), so peak memory (ru_maxrss, the whole
process with its input) is its own; times are the best of two runs.
Results must be identical (matrices equal, totals equal to 1e-6). Targets: ≥ 8× faster, peak < 1 GB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.conftest import check_target, print_table, record_target

ROOT = Path(__file__).resolve().parents[1]
VOLUNTEERS = 21_863
MINUTES = 240
START_MS = 1_780_000_000_000 - 1_780_000_000_000 % 3_600_000
HOURS = MINUTES // 60
GAP_S = 300.0
REPEAT = 2
MOCK, NOT_COUNTED = 1, 1 | 2 | 4 | 32
pytestmark = pytest.mark.benchmark


def _grids() -> tuple[list[str], list[Any], dict[str, tuple[str, str, str | None]]]:
    from pingan.demo.district import build_district

    specs = build_district(2016)
    grids = sorted((s for s in specs if s.level == "grid"), key=lambda s: s.code)
    refs = {s.code: (s.name, s.level, s.parent_code) for s in specs}
    return [g.code for g in grids], [g.geom for g in grids], refs


def make_day(path: Path, seed: int = 20261129) -> int:
    """Synthetic tracks: each volunteer walks (≈1 m/s, one fix a minute) from a point of a random grid."""
    import shapely

    _codes, geoms, _refs = _grids()
    rng = np.random.default_rng(seed)
    starts = np.array([[p.x, p.y] for p in (shapely.point_on_surface(g) for g in geoms)])
    home = starts[rng.integers(0, len(geoms), VOLUNTEERS)]
    steps = rng.normal(0.0, 0.0005, (VOLUNTEERS, MINUTES, 2))
    walk = np.cumsum(steps, axis=1) + home[:, None, :]
    t = (
        START_MS
        + np.arange(MINUTES, dtype=np.int64)[None, :] * 60_000
        + rng.integers(0, 20_000, (VOLUNTEERS, 1))
    )
    volunteer = np.repeat(np.arange(VOLUNTEERS, dtype=np.int64), MINUTES)
    flags = np.where(rng.random(VOLUNTEERS * MINUTES) < 0.003, MOCK, 0).astype(np.int64)
    order = rng.permutation(volunteer.size)  # arrival order, not sorted by volunteer
    np.savez(
        path,
        volunteer=volunteer[order],
        t=t.ravel()[order],
        lon=walk[:, :, 0].ravel()[order],
        lat=walk[:, :, 1].ravel()[order],
        flags=flags[order],
    )
    return int(volunteer.size)


def ours(data: dict[str, Any]) -> dict[str, Any]:
    from pingan.areas.service import Locator
    from pingan.patrols.coverage import compute_coverage

    codes, geoms, refs = _grids()
    locator = Locator("bench", codes, geoms, refs)
    grid = locator.locate_indices(data["lon"], data["lat"])
    cov = compute_coverage(
        volunteer=data["volunteer"],
        t_ms=data["t"],
        lon=data["lon"],
        lat=data["lat"],
        flags=data["flags"],
        grid=grid,
        n_grids=len(codes),
        n_volunteers=VOLUNTEERS,
        start_ms=START_MS,
        hours=HOURS,
        gap_s=GAP_S,
    )
    return {"pings": cov.pings, "patrollers": cov.patrollers, "seconds": cov.seconds, "metres": cov.metres}


def reference(data: dict[str, Any]) -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd

    codes, geoms, _refs = _grids()
    grids = gpd.GeoDataFrame({"grid": np.arange(len(codes))}, geometry=geoms, crs="EPSG:4326")
    frame = pd.DataFrame(data)
    frame = frame[(frame["t"] >= START_MS) & (frame["t"] < START_MS + HOURS * 3_600_000)]
    frame = frame[(frame["flags"] & NOT_COUNTED) == 0]
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(points, grids, how="inner", predicate="within")
    joined["hour"] = (joined["t"] - START_MS) // 3_600_000
    pings = joined.groupby(["grid", "hour"]).size()
    patrollers = joined.groupby(["grid", "hour"])["volunteer"].nunique()
    shape = (len(codes), HOURS)
    pings_m = np.zeros(shape, dtype=np.int64)
    pings_m[pings.index.get_level_values(0), pings.index.get_level_values(1)] = pings.to_numpy()
    patrollers_m = np.zeros(shape, dtype=np.int64)
    patrollers_m[patrollers.index.get_level_values(0), patrollers.index.get_level_values(1)] = (
        patrollers.to_numpy()
    )
    track = frame.sort_values(["volunteer", "t"])
    previous = track.groupby("volunteer")[["t", "lon", "lat"]].shift(1)
    dt = (track["t"] - previous["t"]) / 1000.0
    p1, p2 = np.radians(previous["lat"]), np.radians(track["lat"])
    dl = np.radians(track["lon"] - previous["lon"])
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    dist = 2 * 6371008.8 * np.arcsin(np.sqrt(h))
    ok = (dt > 0) & (dt <= GAP_S)
    steps = pd.DataFrame(
        {"volunteer": track["volunteer"], "dt": dt.where(ok, 0.0), "dist": dist.where(ok, 0.0)}
    )
    sums = steps.groupby("volunteer")[["dt", "dist"]].sum().reindex(range(VOLUNTEERS), fill_value=0.0)
    return {
        "pings": pings_m,
        "patrollers": patrollers_m,
        "seconds": sums["dt"].to_numpy(),
        "metres": sums["dist"].to_numpy(),
    }


def _run(kind: str, data_path: Path, out_path: Path) -> None:
    """Entry point of one subprocess: load, run the pipeline, record time and peak memory."""
    loaded = np.load(data_path)
    data = {k: loaded[k] for k in loaded.files}
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = float("inf")
    for _ in range(REPEAT):  # best of REPEAT: the machine is shared
        started = time.perf_counter()
        result = (ours if kind == "ours" else reference)(data)
        seconds = min(seconds, time.perf_counter() - started)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    np.savez(out_path, **result)
    out_path.with_suffix(".json").write_text(
        json.dumps({"seconds": seconds, "peak_kb": peak_kb, "input_kb": before_kb})
    )


def _subprocess(kind: str, data_path: Path, tmp: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    out = tmp / f"{kind}.npz"
    code = "import sys; from pathlib import Path; from bench.test_patrols_coverage import _run; " + (
        "_run(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))"
    )
    subprocess.run([sys.executable, "-c", code, kind, str(data_path), str(out)], cwd=ROOT, check=True)
    stats = json.loads(out.with_suffix(".json").read_text())
    loaded = np.load(out)
    return stats, {k: loaded[k] for k in loaded.files}


def test_coverage_day_vs_geopandas(tmp_path: Path) -> None:
    data_path = tmp_path / "day.npz"
    fixes = make_day(data_path)
    ours_stats, ours_result = _subprocess("ours", data_path, tmp_path)
    ref_stats, ref_result = _subprocess("reference", data_path, tmp_path)
    assert np.array_equal(ours_result["pings"], ref_result["pings"])
    assert np.array_equal(ours_result["patrollers"], ref_result["patrollers"])
    assert np.allclose(ours_result["seconds"], ref_result["seconds"], rtol=0, atol=1e-6)
    assert np.allclose(ours_result["metres"], ref_result["metres"], rtol=1e-12, atol=1e-6)
    ratio = ref_stats["seconds"] / ours_stats["seconds"]
    peak_mb = ours_stats["peak_kb"] / 1024
    verdict = check_target("coverage vs geopandas", ratio, 8.0)
    record_target(
        "coverage day peak memory", figure=f"{peak_mb:,.0f} MB", target="< 1,024 MB", met=peak_mb < 1024
    )
    print_table(
        f"patrol-day coverage: {fixes:,} fixes, {VOLUNTEERS:,} volunteers, 239 grids × {HOURS} h "
        "(targets: ≥8× the sjoin+groupby pipeline, peak < 1 GB, identical results)",
        ["pipeline", "seconds", "fixes/s", "peak RSS MB (process)", "ratio"],
        [
            [
                "ours: locator + numpy",
                f"{ours_stats['seconds']:.2f}",
                f"{fixes / ours_stats['seconds']:,.0f}",
                f"{peak_mb:.0f}",
                f"{ratio:.1f}× ({verdict})",
            ],
            [
                "geopandas.sjoin + pandas",
                f"{ref_stats['seconds']:.2f}",
                f"{fixes / ref_stats['seconds']:,.0f}",
                f"{ref_stats['peak_kb'] / 1024:.0f}",
                "1.0×",
            ],
        ],
    )
    covered = int((ours_result["patrollers"] > 0).sum())
    print(f"covered grid-hours: {covered} of {239 * HOURS}; identical results: yes")
