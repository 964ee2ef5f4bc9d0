"""Position ingestion over HTTP: the OsmAnd receiver vs a bare endpoint of the same server, and the batch API.

- Single fixes: wrk, 32 connections (2 threads) on loopback against one uvicorn worker, each request one
  Traccar-Client-style ``POST /osmand?id=…&key=…&timestamp=…&lat=…`` with an empty body (200 devices, unique
  timestamps), beside ``POST /bench/bare?…`` (same app and middleware, an empty 200) in the same run.
  Target: ≥ 60 % of the bare rate, 0 errors, and every acknowledged fix in the database (counted afterwards).
- Batches: ``POST /api/v1/patrols/positions`` with 50,000 fixes per request (2 clients in parallel), 500,000
  fixes in all. Target: ≥ 50,000 positions/s end to end, every fix stored.
Runs on SQLite, and on PostgreSQL too when PINGAN_BENCH_DATABASE_URL or PINGAN_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy import create_engine, func, insert, select

from bench.conftest import print_table, record_target
from bench.server import CONNECTIONS, DURATION, WRK, free_port, fresh_postgres, run_wrk, serve, stop

SERVER_SECRET = "bench-secret-bench-secret-bench-secret"  # what bench.server.serve sets PINGAN_SECRET_KEY to
THREADS = 2
DEVICES_PER_THREAD = 100
BATCH = 50_000
BATCHES = 10
pytestmark = pytest.mark.benchmark

LUA = """
local n = 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  base = tonumber(os.getenv("BENCH_T0"))
  lon = os.getenv("BENCH_LON")
  lat = os.getenv("BENCH_LAT")
  target = os.getenv("BENCH_PATH")
end
function request()
  n = n + 1
  local d = tid .. "-" .. (n % DEVICES)
  local path = target .. "?id=B" .. d .. "&key=k" .. d .. "&timestamp=" .. (base + n) ..
    "&lat=" .. lat .. "&lon=" .. lon .. "&speed=1.2&bearing=90.0&altitude=9.0&accuracy=5.0&batt=80.0"
  return wrk.format("POST", path, nil, "")
end
""".replace("DEVICES", str(DEVICES_PER_THREAD))


def create_bench_app() -> FastAPI:
    """The real application plus a bare endpoint that answers like the receiver does (empty 200)."""
    from pingan.web.app import create_app

    app = create_app()

    @app.post("/bench/bare", include_in_schema=False)
    async def bare() -> Response:
        return Response(status_code=200)

    return app


def _prepare(url: str) -> tuple[str, tuple[float, float]]:
    """Schema, demo district and 200 bench devices; returns an admin token and a point in a grid."""
    import shapely

    from pingan.accounts import service as accounts
    from pingan.areas import service as areas
    from pingan.core.db import create_db_engine, make_session_factory, transaction, upgrade
    from pingan.core.pii import Protector, get_protector
    from pingan.demo.generate import generate_demo
    from pingan.patrols.models import PatrolTeam, PatrolVolunteer
    from pingan.patrols.phones import register_phones
    from pingan.patrols.volunteers import device_key_columns

    upgrade(url)
    engine = create_db_engine(url)
    with transaction(make_session_factory(engine)) as session:
        generate_demo(session, seed=2016)
        token = accounts.issue_token(
            session, account_id=accounts.get_account_by_username(session, "admin").id, ttl=None
        )
        team = session.scalars(select(PatrolTeam).order_by(PatrolTeam.id)).first()
        assert team is not None
        protector = get_protector(demo=True)
        # the devices' keys are compared by blind index under the server's key (derived from the secret key
        # bench.server.serve gives it, unless PINGAN_PII_KEY is set)
        server_protector = Protector.from_config(
            os.environ.get("PINGAN_PII_KEY", ""), secret_key=SERVER_SECRET, demo_mode=True
        )
        rows = []
        for t in range(1, THREADS + 1):
            for d in range(DEVICES_PER_THREAD):
                marker = f"bench-{t}-{d}"
                rows.append(
                    {
                        "team_id": team.id,
                        "area_code": team.area_code,
                        "name_enc": protector.encrypt("压测"),
                        "name_masked": "压*",
                        "id_number_enc": protector.encrypt(marker),
                        "id_number_index": protector.blind_index(marker),
                        "id_number_masked": "",
                        "phone_enc": protector.encrypt(marker),
                        "phone_index": protector.blind_index("p" + marker),
                        "phone_masked": "",
                        "skills": [],
                        "status": "active",
                        "device_id": f"B{t}-{d}",
                        **device_key_columns(f"k{t}-{d}", server_protector),  # the key the phone sends
                    }
                )
        session.execute(insert(PatrolVolunteer), rows)
        register_phones(session, device_ids=[r["device_id"] for r in rows])  # heard with every batch
        point = shapely.from_wkb(areas.get_area(session, team.area_code).geometry).representative_point()
    engine.dispose()
    return token, (float(point.x), float(point.y))


def _stored(url: str, since_ms: int) -> int:
    from pingan.patrols.models import PatrolPosition

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(
            select(func.count())
            .select_from(PatrolPosition)
            .where(PatrolPosition.device_id.like("B%"), PatrolPosition.fixed_ms >= since_ms)
        )
    engine.dispose()
    return int(n or 0)


def _batches(base: str, token: str, lon: float, lat: float, t0_ms: int) -> tuple[float, int]:
    """POST BATCHES × BATCH fixes (2 in parallel); returns the wall seconds and the fixes acknowledged."""
    bodies = []
    for b in range(BATCHES):
        fixes = [
            {
                "device_id": f"B{1 + i % THREADS}-{i // THREADS % DEVICES_PER_THREAD}",
                "t": t0_ms + (b * BATCH + i) * 1000,
                "lon": lon + (i % 7) * 1e-5,
                "lat": lat,
                "speed": 1.1,
                "accuracy": 6.0,
            }
            for i in range(BATCH)
        ]
        bodies.append(orjson.dumps({"positions": fixes}))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(body: bytes) -> int:
        with httpx.Client(timeout=120) as client:
            r = client.post(f"{base}/api/v1/patrols/positions", content=body, headers=headers)
            r.raise_for_status()
            return int(r.json()["accepted"])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        accepted = sum(pool.map(post, bodies))
    return time.perf_counter() - started, accepted


def _measure(label: str, url: str, tmp: Path) -> list[object]:
    token, (lon, lat) = _prepare(url)
    script = tmp / "osmand.lua"
    script.write_text(LUA)
    port = free_port()
    log = tmp / f"server-{label}.log"
    # 200 phones behind one address at thousands of fixes a second: limits far above that (still checked)
    limits = '{"public": 30, "login": 10, "osmand_client": 100000000, "osmand_device": 100000000}'
    proc = serve("bench.test_patrols_ingest:create_bench_app", url, port, log, PINGAN_RATE_LIMITS=limits)
    base = f"http://127.0.0.1:{port}"
    now = int(time.time())
    measured_t0 = now - 7 * 86_400
    env = {"BENCH_LON": repr(lon), "BENCH_LAT": repr(lat)}
    try:
        run_wrk(
            base, script, {**env, "BENCH_PATH": "/bench/bare", "BENCH_T0": str(now - 30 * 86_400)}
        )  # warm-up
        run_wrk(base, script, {**env, "BENCH_PATH": "/osmand", "BENCH_T0": str(now - 30 * 86_400)})  # warm-up
        bare = run_wrk(base, script, {**env, "BENCH_PATH": "/bench/bare", "BENCH_T0": str(measured_t0)})
        osmand = run_wrk(base, script, {**env, "BENCH_PATH": "/osmand", "BENCH_T0": str(measured_t0)})
        stored = _stored(url, measured_t0 * 1000)
        batch_t0 = (now - 60 * 86_400) * 1000
        seconds, accepted = _batches(base, token, lon, lat, batch_t0)
    except Exception:
        print(log.read_text(errors="replace")[-3000:])
        raise
    finally:
        stop(proc)
    acked = osmand["requests"] - osmand["errors"]
    batch_stored = _stored(url, batch_t0) - _stored(url, batch_t0 + BATCHES * BATCH * 1000)
    ratio = osmand["rps"] / bare["rps"]
    per_second = accepted / seconds
    row: list[object] = [
        label,
        f"{bare['rps']:.0f}",
        f"{osmand['rps']:.0f}",
        f"{osmand['p99_ms']:.1f}",
        f"{ratio * 100:.0f}%",
        osmand["errors"] + bare["errors"],
        f"{stored}/{acked}",
        f"{per_second:,.0f}",
        f"{batch_stored}/{BATCHES * BATCH}",
    ]
    assert stored >= acked, f"{label}: {acked - stored} acknowledged fixes are missing"
    assert batch_stored == BATCHES * BATCH == accepted, f"{label}: batch fixes missing"
    assert osmand["errors"] == 0 and bare["errors"] == 0, osmand["raw"]
    record_target(
        f"OsmAnd single fix/bare, {label}", figure=f"{ratio * 100:.0f} %", target="≥ 60 %", met=ratio >= 0.6
    )
    record_target(
        f"batch positions/s, {label}",
        figure=f"{per_second:,.0f}/s",
        target="≥ 50,000/s",
        met=per_second >= 50_000,
    )
    return row


@pytest.mark.skipif(WRK is None, reason="wrk is not installed")
def test_osmand_and_batch_ingest(tmp_path: Path) -> None:
    rows = [_measure("SQLite", f"sqlite:///{tmp_path / 'patrols.db'}", tmp_path)]
    pg = fresh_postgres("pingan_bench_patrols")
    if pg:
        rows.append(_measure("PostgreSQL", pg, tmp_path))
    print_table(
        f"OsmAnd single fixes vs bare endpoint ({CONNECTIONS} wrk connections, {DURATION} s, "
        f"1 uvicorn worker) and batch API ({BATCHES}×{BATCH:,} fixes) — targets: ≥60% of bare, 0 errors, "
        "every ack stored; ≥50,000 positions/s",
        [
            "database",
            "bare req/s",
            "osmand req/s",
            "osmand p99 ms",
            "osmand/bare",
            "errors",
            "fixes stored/acked",
            "batch pos/s",
            "batch stored",
        ],
        rows,
    )
