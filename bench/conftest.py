"""Shared helpers for the benchmarks (``make bench`` = ``pytest bench -m benchmark -s -p no:xdist``).

Benchmarks measure our code and a reference in the same run on the same input, check that the answers
agree, and print the figures as a table with ratios. They do not fail on timings (the machine is shared);
set ``PINGAN_BENCH_STRICT=1`` to turn missed targets into failures.

Helpers: :func:`timed` (best of N runs), :func:`print_table`, :func:`check_target`, and the fixtures
``bench_rng`` (seeded numpy generator) and ``demo_engine`` (a temporary SQLite database with the real
migrations and the demo district, built once per run and only when a benchmark asks for it).
"""

from __future__ import annotations

import os
import platform
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


def check_target(label: str, ratio: float, target: float) -> str:
    """'met' or 'MISSED' for a ratio against its target (a failure only with PINGAN_BENCH_STRICT=1)."""
    met = ratio >= target
    if STRICT:
        assert met, f"{label}: {ratio:.1f}x is below the target {target:.0f}x"
    return "met" if met else "MISSED"


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
