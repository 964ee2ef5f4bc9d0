"""`pingan demo` keeps the district alive: patrol fixes and reports keep arriving through the public API."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pingan.demo.live import LiveRates
from tests.cases.server import copy_db, free_port, server_env, stop, wait_ready


def _token(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": "pingan-demo"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _demo(url: str, *extra: str, modules: str | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = server_env() | ({"PINGAN_MODULES": modules} if modules is not None else {})
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "pingan"), "demo", "--db", url, "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, timeout=120)
    except Exception:
        stop(proc)
        raise
    return base, proc


class TestLiveDemo:
    def test_demo_keeps_patrols_moving_and_reports_coming(
        self, demo_sqlite_template: Path, tmp_path: Path
    ) -> None:
        url = copy_db(demo_sqlite_template, tmp_path / "live.db")
        started = datetime.now(UTC) - timedelta(seconds=1)
        base, proc = _demo(
            url, "--live-fix-seconds", "2", "--live-reports-per-day", "43200"
        )  # a report / 2 s
        try:
            headers = {"Authorization": f"Bearer {_token(base, 'admin')}"}
            fresh: list[dict[str, object]] = []
            new_cases: list[dict[str, object]] = []
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not (len(fresh) >= 20 and new_cases):
                time.sleep(3)
                live = httpx.get(f"{base}/api/v1/patrols/live", headers=headers, timeout=30).json()
                fresh = [
                    p
                    for p in live["patrollers"]
                    if datetime.fromisoformat(str(p["last_heard_at"]).replace("Z", "+00:00")) > started
                ]
                cases = httpx.get(
                    f"{base}/api/v1/cases",
                    params={"reported_from": started.isoformat(), "limit": 20},
                    headers=headers,
                    timeout=30,
                ).json()
                new_cases = cases["items"]
            assert len(fresh) >= 20, "patrollers on shift keep sending fixes after the start"
            assert all(p["status"] in ("online", "sos") for p in fresh)
            assert new_cases, "reports keep arriving"
            assert {c["source"] for c in new_cases} <= {"resident_web", "app", "hotline", "grid_worker"}
        finally:
            stop(proc)

    def test_no_live_leaves_the_district_still(self, demo_sqlite_template: Path, tmp_path: Path) -> None:
        url = copy_db(demo_sqlite_template, tmp_path / "still.db")
        started = datetime.now(UTC)
        base, proc = _demo(url, "--no-live")
        try:
            time.sleep(4)
            headers = {"Authorization": f"Bearer {_token(base, 'admin')}"}
            live = httpx.get(f"{base}/api/v1/patrols/live", headers=headers, timeout=30).json()
            heard = [
                datetime.fromisoformat(str(p["last_heard_at"]).replace("Z", "+00:00"))
                for p in live["patrollers"]
            ]
            assert heard and max(heard) < started
        finally:
            stop(proc)

    def test_a_district_without_patrols_serves_and_keeps_reporting(
        self, demo_sqlite_template: Path, tmp_path: Path
    ) -> None:
        url = copy_db(demo_sqlite_template, tmp_path / "no-patrols.db")
        started = datetime.now(UTC) - timedelta(seconds=1)
        base, proc = _demo(url, "--live-reports-per-day", "43200", modules="cases,grids")
        try:
            headers = {"Authorization": f"Bearer {_token(base, 'admin')}"}
            assert httpx.get(f"{base}/api/v1/patrols/live", headers=headers).status_code == 404
            new_cases: list[dict[str, object]] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not new_cases:
                time.sleep(2)
                new_cases = httpx.get(
                    f"{base}/api/v1/cases",
                    params={"reported_from": started.isoformat(), "limit": 20},
                    headers=headers,
                    timeout=30,
                ).json()["items"]
            assert new_cases, "reports keep arriving without the patrols module"
            wall = httpx.get(f"{base}/wall/data.json", headers=headers, timeout=30)
            assert wall.status_code == 200 and "patrol" not in wall.text.lower()
            assert proc.poll() is None
        finally:
            stop(proc)

    def test_without_patrols_the_simulator_sends_no_fixes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from pingan.demo.live import DistrictSimulator

        def no_roster(self: DistrictSimulator, now: float) -> None:
            raise AssertionError("the roster of a district without patrols was read")

        monkeypatch.setattr(DistrictSimulator, "_roster", no_roster)
        monkeypatch.setattr(DistrictSimulator, "_report", lambda self, now, hour: None)
        simulator = DistrictSimulator("http://127.0.0.1:9", None, patrols=False)  # type: ignore[arg-type]
        for second in range(5):
            simulator.tick(1_764_748_800.0 + second)
        assert not simulator._walkers
        with pytest.raises(AssertionError, match="roster"):
            DistrictSimulator("http://127.0.0.1:9", None).tick(1_764_748_800.0)  # type: ignore[arg-type]


class TestLiveRates:
    def test_rates_are_checked(self) -> None:
        with pytest.raises(ValueError, match="fix_seconds"):
            LiveRates(fix_seconds=0)
        with pytest.raises(ValueError, match="reports_per_day"):
            LiveRates(reports_per_day=-1)
