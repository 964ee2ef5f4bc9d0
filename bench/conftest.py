"""Shared helpers for the benchmarks (``make bench`` = ``pytest bench -m benchmark -s -p no:xdist``).

Benchmarks measure our code and a reference in the same run on the same input, check that the answers
agree, and print the figures as a table with ratios. Every target a benchmark checks is recorded with
:func:`record_target`; at the end of the run ``make bench`` prints one table of every target (met or missed,
with its figure), writes it with the commit to docs/performance.md, and exits non-zero when one was missed.
``PINGAN_BENCH_STRICT=1`` also fails the benchmark itself at the missed target. ``PINGAN_BENCH_NO_DOC=1``
leaves docs/performance.md alone (a partial run, e.g. one file, never overwrites the others' figures unless
asked: figures are merged per benchmark file).

Helpers: :func:`timed` (best of N runs), :func:`print_table`, :func:`record_target`, :func:`check_target`,
and the fixtures
``bench_rng`` (seeded numpy generator) and ``demo_engine`` (a temporary SQLite database with the real
migrations and the demo district, built once per run and only when a benchmark asks for it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

T = TypeVar("T")

STRICT = os.environ.get("PINGAN_BENCH_STRICT", "") not in ("", "0", "false")


@dataclass
class Timing:
    """The result of the last run, the best wall time and the best CPU time (this process) over the runs.

    On a shared machine other jobs stretch wall times at random; the CPU time of single-threaded work is
    the steadier figure, so ratios between single-threaded contenders are best taken on ``cpu``.
    """

    value: Any
    seconds: float
    cpu: float
    runs: int


def timed(fn: Callable[[], T], *, repeat: int = 3) -> Timing:
    """Run ``fn`` ``repeat`` times; keep the best wall and CPU times (and the last result)."""
    best = best_cpu = float("inf")
    value: Any = None
    for _ in range(max(1, repeat)):
        started, started_cpu = time.perf_counter(), time.process_time()
        value = fn()
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
        best = min(best, time.perf_counter() - started)
    return Timing(value, best, best_cpu, max(1, repeat))


def rate(count: int, seconds: float) -> str:
    """Items per second, human readable (e.g. ``41.2 M/s``)."""
    per = count / seconds if seconds > 0 else float("inf")
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per >= scale:
            return f"{per / scale:.1f} {unit}/s"
    return f"{per:.0f} /s"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain-text table (captured output must be disabled: ``-s``)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "+".join("-" * (w + 2) for w in widths)
    print(f"\n{title}")
    print(line)
    for n, row in enumerate(cells):
        print(
            " | ".join(
                c.rjust(w) if n and i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print(line)
    print(line)


@dataclass
class TargetResult:
    """One target of one benchmark: what was measured, the figure, the target and whether it was met."""

    bench: str  # the benchmark file, e.g. "test_locator.py"
    label: str
    figure: str
    target: str
    met: bool


RESULTS: list[TargetResult] = []
ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
_RESULTS_JSON_START = "<!-- bench-results"


def _calling_bench() -> str:
    import inspect

    for frame in inspect.stack()[1:]:
        name = Path(frame.filename).name
        if name.startswith("test_") and Path(frame.filename).parent.name == "bench":
            return name
    return "?"


def record_target(label: str, *, figure: str, target: str, met: bool) -> str:
    """Record one target for the run's closing table; returns 'met' or 'MISSED' for the benchmark's own table.

    ``figure`` and ``target`` are human-readable (``"47 % of bare"``, ``"≥ 40 %"``). With
    ``PINGAN_BENCH_STRICT=1`` a missed target also fails the calling benchmark at once.
    """
    RESULTS.append(TargetResult(_calling_bench(), label, figure, target, met))
    if STRICT:
        assert met, f"{label}: {figure} misses the target {target}"
    return "met" if met else "MISSED"


def check_target(label: str, ratio: float, target: float) -> str:
    """'met' or 'MISSED' for a ratio (higher is better) against its target; recorded like any target."""
    return record_target(label, figure=f"{ratio:.1f}×", target=f"≥ {target:g}×", met=ratio >= target)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "src", "bench"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _previous_results() -> list[dict[str, Any]]:
    if not PERFORMANCE_DOC.exists():
        return []
    text = PERFORMANCE_DOC.read_text(encoding="utf-8")
    start = text.find(_RESULTS_JSON_START)
    if start < 0:
        return []
    body = text[start + len(_RESULTS_JSON_START) : text.find("-->", start)]
    try:
        rows = json.loads(body)
    except ValueError:
        return []
    return rows if isinstance(rows, list) else []


def _write_performance_doc(rows: list[dict[str, Any]]) -> None:
    lines = [
        "# Performance: every benchmark target and its latest figure",
        "",
        "Written by `make bench` (`bench/conftest.py`); do not edit by hand. Each row is the latest run",
        "of its benchmark file, with the commit and time it was measured on (`+changes`: uncommitted",
        "edits under `src/` or `bench/`). Figures are ratios or rates measured beside a reference in the",
        "same run on this machine kind (2 cores, shared); the benchmark files say what each measures.",
        "",
        "| benchmark | target | figure | goal | verdict | commit | measured (UTC) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["bench"], r["label"])):
        verdict = "met" if r["met"] else "**MISSED**"
        lines.append(
            f"| {r['bench']} | {r['label']} | {r['figure']} | {r['target']} | {verdict} | "
            f"{r['commit']} | {r['at']} |"
        )
    lines += ["", _RESULTS_JSON_START, json.dumps(rows, ensure_ascii=False, indent=1), "-->", ""]
    PERFORMANCE_DOC.write_text("\n".join(lines), encoding="utf-8")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RESULTS:
        return
    print_table(
        "Every target of this run",
        ["benchmark", "target", "figure", "goal", "verdict"],
        [[r.bench, r.label, r.figure, r.target, "met" if r.met else "MISSED"] for r in RESULTS],
    )
    if os.environ.get("PINGAN_BENCH_NO_DOC", "") in ("", "0", "false"):
        commit, at = _commit(), dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
        ran = {r.bench for r in RESULTS}
        rows = [r for r in _previous_results() if r.get("bench") not in ran]
        rows += [{**r.__dict__, "commit": commit, "at": at} for r in RESULTS]
        _write_performance_doc(rows)
        print(f"figures written to {PERFORMANCE_DOC.relative_to(ROOT)} (commit {commit})")
    missed = [r for r in RESULTS if not r.met]
    if missed:
        print(f"{len(missed)} target(s) missed: " + "; ".join(f"{r.label} ({r.figure})" for r in missed))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config: pytest.Config) -> list[str]:
    import shapely

    lines = [
        f"bench: {platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), {os.cpu_count()} cores",
    ]
    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("OPENBLAS_L2_SIZE"):
        lines.append(
            "bench: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set on this machine; they slow a current numpy's "
            "BLAS kernels (see the machine notes). To benchmark without them, unset both in the benchmark "
            "command only (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE make bench); never in tests or CI."
        )
    return lines


@pytest.fixture(scope="session")
def bench_rng() -> np.random.Generator:
    return np.random.default_rng(20261129)


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A temporary SQLite database with the real migrations and the demo district (seed 2016)."""
    from sqlalchemy.orm import sessionmaker

    from pingan.core.db import create_db_engine, transaction, upgrade
    from pingan.demo.generate import generate_demo

    path: Path = tmp_path_factory.mktemp("bench-db") / "bench.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_db_engine(url)
    with transaction(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        generate_demo(session, seed=2016)
    yield engine
    engine.dispose()
