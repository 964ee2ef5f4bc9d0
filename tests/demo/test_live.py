"""`pingan demo` keeps the district alive: patrol fixes and reports keep arriving through the public API."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pingan.demo.live import LiveRates, due_action
from tests.cases.server import copy_db, free_port, server_env, stop, wait_ready


def _token(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": "pingan-demo"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _demo(url: str, *extra: str, modules: str | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    # the secret the run's demo template was built with: the demo's personal-data key derives from it, and the
    # simulated phones read their device keys with it
    env = server_env({"PINGAN_SECRET_KEY": os.environ.get("PINGAN_SECRET_KEY", "")})
    env |= {"PINGAN_MODULES": modules} if modules is not None else {}
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
            # the command chain works the queue: street rooms register and dispatch, departments report back
            with sqlite3.connect(tmp_path / "live.db") as db:
                steps = dict(
                    db.execute(
                        "SELECT action, count(*) FROM case_events WHERE at > ? AND (actor_name LIKE '%值班员'"
                        " OR actor_name LIKE '%处置员') GROUP BY action",
                        (started.replace(tzinfo=None).isoformat(sep=" "),),
                    ).fetchall()
                )
            # (by night only what is about to run over: which steps depends on the hour, TestDesk checks them)
            assert sum(steps.values()) > 0, steps
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
        monkeypatch.setattr(DistrictSimulator, "_work_queue", lambda self, desk, now: None)
        simulator = DistrictSimulator("http://127.0.0.1:9", None, patrols=False)  # type: ignore[arg-type]
        for second in range(5):
            simulator.tick(1_764_748_800.0 + second)
        assert not simulator._walkers
        with pytest.raises(AssertionError, match="roster"):
            DistrictSimulator("http://127.0.0.1:9", None).tick(1_764_748_800.0)  # type: ignore[arg-type]


class TestReportRate:
    def test_reports_follow_the_time_that_passed_not_the_number_of_rounds(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from pingan.demo.live import DistrictSimulator

        reports: list[float] = []
        monkeypatch.setattr(DistrictSimulator, "_report", lambda self, now, hour: reports.append(now))
        monkeypatch.setattr(DistrictSimulator, "_work_queue", lambda self, desk, now: None)
        rates = LiveRates(reports_per_day=8640)  # 0.1 a second on average, 0.2 at 10:00
        simulator = DistrictSimulator("http://127.0.0.1:9", None, rates=rates, patrols=False)  # type: ignore[arg-type]
        ten = datetime(2026, 12, 2, 2, 0, tzinfo=UTC).timestamp()  # 10:00 in Asia/Shanghai
        for second in range(0, 400, 10):  # rounds that each took 10 s
            simulator.tick(ten + second)
        assert 50 < len(reports) < 110  # ~80 in 400 s, not ~8 (one round's worth per round)


class TestLiveRates:
    def test_rates_are_checked(self) -> None:
        with pytest.raises(ValueError, match="fix_seconds"):
            LiveRates(fix_seconds=0)
        with pytest.raises(ValueError, match="reports_per_day"):
            LiveRates(reports_per_day=-1)


class TestDesk:
    """The simulated command chain takes each step once its share of the stage's limit has passed."""

    def _case(self, state: str, started: datetime, due: datetime, **extra: object) -> dict[str, object]:
        stamp = {"reported": "reported_at", "in_progress": "dispatched_at", "handled": "handled_at"}[state]
        return {
            "id": 101,
            "state": state,
            stamp: started.isoformat(),
            "updated_at": started.isoformat(),
            "stage_due_at": due.isoformat(),
            "priority": "normal",
            **extra,
        }

    def test_steps_wait_for_their_share_of_the_limit(self) -> None:
        day = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
        case = self._case("reported", day, day + timedelta(hours=2))
        assert due_action(case, day + timedelta(seconds=30)) is None  # just in
        assert due_action(case, day + timedelta(hours=2)) in ("register", "reject")
        handling = self._case("in_progress", day, day + timedelta(days=3))
        assert due_action(handling, day + timedelta(minutes=5)) is None
        assert due_action(handling, day + timedelta(days=5)) == "handle"
        assert due_action(self._case("handled", day, day + timedelta(hours=4)), day + timedelta(hours=5)) == (
            "verify"
        )

    def test_paused_or_district_cases_are_left_alone(self) -> None:
        day = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        late = day + timedelta(days=9)
        assert due_action(self._case("reported", day, day + timedelta(hours=1), is_paused=True), late) is None
        escalated = self._case("reported", day, day + timedelta(hours=1), escalation_level="district")
        assert due_action(escalated, late) is None

    def test_at_night_only_what_is_about_to_run_over(self) -> None:
        evening = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 22:00 local
        night = evening + timedelta(hours=5)  # 03:00 local
        far = self._case("in_progress", evening - timedelta(days=2), night + timedelta(days=1))
        near = self._case("in_progress", evening - timedelta(days=2), night + timedelta(minutes=30))
        assert due_action(far, night) is None
        assert due_action(near, night) == "handle"
        assert due_action(far, night + timedelta(hours=5)) == "handle"  # 08:00: the day shift takes it

    def test_the_same_case_gets_the_same_decision(self) -> None:
        day = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        rejected = [
            i
            for i in range(1, 2001)
            if due_action(
                {**self._case("reported", day, day + timedelta(hours=1)), "id": i}, day + timedelta(hours=1)
            )
            == "reject"
        ]
        assert 20 < len(rejected) < 160  # ~4 %, as in the history
        again = [
            i
            for i in rejected
            if due_action(
                {**self._case("reported", day, day + timedelta(hours=1)), "id": i}, day + timedelta(hours=1)
            )
            == "reject"
        ]
        assert again == rejected
