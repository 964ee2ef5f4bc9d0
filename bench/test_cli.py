"""Start-up time of the ``pingan`` command: ``pingan --help`` and ``pingan <group> --help`` as subprocesses,
beside ``python -c pass`` of the same interpreter (the floor no command can beat), best of five each.

Every module's cli.py imports SQLAlchemy, numpy, openpyxl and the settings inside its commands only, so that
help (and a typo) answers at once; it used to take ~4.5 s. Target: each under 0.5 s of wall time.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.conftest import print_table, record_target

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 5
TARGET_S = 0.5
pytestmark = pytest.mark.benchmark


def _best(args: list[str]) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system of the child) of REPEAT runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    best = best_cpu = float("inf")
    for _ in range(REPEAT):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return best, best_cpu


def test_cli_start_up() -> None:
    floor, floor_cpu = _best([sys.executable, "-c", "pass"])
    entry = "from pingan.cli import main; main()"
    rows = [["python -c pass", f"{floor:.3f}", f"{floor_cpu:.3f}", "—"]]
    for args in (["--help"], ["patrols", "--help"], ["grids", "--help"], ["patrols", "coverage", "--help"]):
        seconds, cpu = _best([sys.executable, "-c", entry, *args])
        label = "pingan " + " ".join(args)
        verdict = record_target(
            f"{label} wall time", figure=f"{seconds:.2f} s", target=f"< {TARGET_S} s", met=seconds < TARGET_S
        )
        rows.append([label, f"{seconds:.3f}", f"{cpu:.3f}", f"{seconds - floor:.3f} ({verdict})"])
    print_table(
        f"CLI start-up, best of {REPEAT} (target: under {TARGET_S} s each); load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        ["command", "wall s", "CPU s", "wall over python -c pass"],
        rows,
    )
