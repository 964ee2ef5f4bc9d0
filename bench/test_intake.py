"""Case intake under load: POST /api/v1/cases vs a bare JSON endpoint of the same server, same run.

32 concurrent connections from wrk on loopback against one uvicorn worker, on SQLite and (when
PINGAN_BENCH_DATABASE_URL or PINGAN_TEST_DATABASE_URL names a PostgreSQL server) on PostgreSQL.
Targets from the issue: intake ≥ 40 % of the bare endpoint's requests/s, p99 < 50 ms, 0 errors, and every
acknowledged case present afterwards (checked by number in the database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from bench.conftest import print_table, record_target
from bench.server import CONNECTIONS, DURATION, WRK, free_port, fresh_postgres, run_wrk, serve, stop

SCRIPTS = Path(__file__).resolve().parent
pytestmark = pytest.mark.benchmark


def _prepare(url: str) -> tuple[str, list[tuple[float, float]]]:
    """Schema + demo district in ``url``; returns an app user's token and a point inside every grid."""
    import shapely

    from pingan.accounts import service as accounts
    from pingan.areas import service as areas
    from pingan.areas.models import AreaLevel
    from pingan.core.db import create_db_engine, make_session_factory, transaction, upgrade
    from pingan.demo.generate import generate_demo

    upgrade(url)
    engine = create_db_engine(url)
    with transaction(make_session_factory(engine)) as session:
        generate_demo(session, seed=2016)
        account = accounts.get_account_by_username(session, "gridworker")
        token = accounts.issue_token(session, account_id=account.id, ttl=None)
        points = []
        for grid in areas.list_areas(session, level=AreaLevel.GRID):
            p = shapely.from_wkb(grid.geometry).representative_point()
            points.append((round(float(p.x), 6), round(float(p.y), 6)))
    engine.dispose()
    return token, points


def _present(url: str, numbers: list[str]) -> int:
    from pingan.cases.models import Case

    engine = create_engine(url)
    found = 0
    with engine.connect() as conn:
        for chunk in range(0, len(numbers), 500):
            part = numbers[chunk : chunk + 500]
            found += len(conn.execute(select(Case.number).where(Case.number.in_(part))).all())
    engine.dispose()
    return found


def _measure(label: str, url: str, tmp: Path) -> list[object]:
    token, points = _prepare(url)
    port = free_port()
    log = Path(os.environ.get("PINGAN_BENCH_LOG") or tmp / f"server-{label}.log")
    proc = serve("bench.intake_server:create_bench_app", url, port, log, PINGAN_CASES_AUTO_LINK="true")
    acks_file = tmp / f"acks-{label}.txt"
    env = {
        "BENCH_TOKEN": token,
        "BENCH_POINTS": ";".join(f"{lon},{lat}" for lon, lat in points),
        "BENCH_ACKS": str(acks_file),
    }
    try:
        # first use of the token (its last-used time is written once) before the load starts
        httpx.get(f"http://127.0.0.1:{port}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        # and one report, so the grid locator is built before the load (it is cached per process)
        lon, lat = points[0]
        httpx.post(
            f"http://127.0.0.1:{port}/api/v1/cases",
            json={"category_code": "0102", "description": "warm-up", "lon": lon, "lat": lat, "source": "app"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ).raise_for_status()
        run_wrk(f"http://127.0.0.1:{port}/bench/bare", SCRIPTS / "bare.lua", env)  # warm-up
        bare = run_wrk(f"http://127.0.0.1:{port}/bench/bare", SCRIPTS / "bare.lua", env)
        intake = run_wrk(f"http://127.0.0.1:{port}/api/v1/cases", SCRIPTS / "intake.lua", env)
    finally:
        stop(proc)
    acks = [n for n in acks_file.read_text().split() if n]
    present = _present(url, acks)
    ratio = intake["rps"] / bare["rps"]
    row: list[object] = [
        label,
        f"{bare['rps']:.0f}",
        f"{bare['p99_ms']:.1f}",
        f"{intake['rps']:.0f}",
        f"{intake['p99_ms']:.1f}",
        f"{ratio * 100:.0f}%",
        intake["errors"] + bare["errors"],
        f"{present}/{len(acks)}",
    ]
    assert present == len(acks), f"{label}: {len(acks) - present} acknowledged cases are missing"
    assert intake["errors"] == 0 and bare["errors"] == 0, intake["raw"]
    record_target(f"intake/bare, {label}", figure=f"{ratio * 100:.0f} %", target="≥ 40 %", met=ratio >= 0.4)
    record_target(
        f"intake p99, {label}",
        figure=f"{intake['p99_ms']:.0f} ms",
        target="< 50 ms",
        met=intake["p99_ms"] < 50,
    )
    return row


@pytest.fixture
def work_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


@pytest.mark.skipif(WRK is None, reason="wrk is not installed")
def test_intake_vs_bare(work_dir: Path) -> None:
    rows = [_measure("SQLite", f"sqlite:///{work_dir / 'intake.db'}", work_dir)]
    pg = fresh_postgres("pingan_bench_intake")
    if pg:
        rows.append(_measure("PostgreSQL", pg, work_dir))
    print_table(
        f"case intake vs bare JSON endpoint, {CONNECTIONS} connections, {DURATION} s, 1 uvicorn worker "
        "(targets: ≥40% of bare, p99 < 50 ms, 0 errors, every ack present)",
        [
            "database",
            "bare req/s",
            "bare p99 ms",
            "intake req/s",
            "intake p99 ms",
            "intake/bare",
            "errors",
            "acks present",
        ],
        rows,
    )
