"""The harness of the HTTP benchmarks: a PostgreSQL database of their own, the application served by uvicorn
in its own process, wrk on loopback, and the server stopped afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.wrk import parse_wrk

ROOT = Path(__file__).resolve().parents[1]
WRK = shutil.which("wrk")
DURATION = os.environ.get("PINGAN_BENCH_SECONDS", "10")
CONNECTIONS = 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_postgres(database: str) -> str | None:
    """A new, empty database on the server of PINGAN_BENCH_DATABASE_URL (or PINGAN_TEST_DATABASE_URL); None
    when neither is set or the server does not answer (the PostgreSQL part is then skipped)."""
    base = os.environ.get("PINGAN_BENCH_DATABASE_URL") or os.environ.get("PINGAN_TEST_DATABASE_URL")
    if not base:
        return None
    from pingan.core.config import normalise_database_url

    url = make_url(normalise_database_url(base))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    except Exception as exc:  # noqa: BLE001 - no server: PostgreSQL part skipped
        print(f"PostgreSQL not reachable ({exc}); skipped")
        return None
    finally:
        admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def serve(factory: str, url: str, port: int, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """One uvicorn worker serving ``factory`` (``module:function``) on ``url``, once it answers /healthz."""
    environment = {
        **os.environ,
        "PINGAN_DATABASE_URL": url,
        "PINGAN_DEMO_MODE": "true",
        "PINGAN_SECRET_KEY": "bench-secret-bench-secret-bench-secret",
        **env,
    }
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    return wait_healthy(proc, port, log)


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``proc`` once its /healthz answers (60 s at most); its log's tail if it died first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-2000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("bench server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def run_wrk(url: str, script: Path, env: dict[str, str], *, threads: int = 2) -> dict[str, Any]:
    """wrk with CONNECTIONS connections for DURATION seconds against ``url``; its report parsed."""
    assert WRK is not None
    out = subprocess.run(
        [WRK, f"-t{threads}", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s", str(script), url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(out)
