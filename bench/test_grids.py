"""Grid registers: importing a 5,000-row xlsx resident register, and generating the grids demo data.

Figures (no timing assertions): rows per second of ``pingan.grids.io.import_register`` (parse, validate every
row — ID check digit, phone, address inside its grid via the vectorised locator, duplicates in the file and
against the database — encrypt, write with history) beside the time openpyxl alone needs to read the same
file (the reference, same run); and the seconds of ``generate_grids_demo`` beside the whole demo district.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np
import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from bench.conftest import print_table, rate, timed
from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.pii import id_check_char
from pingan.core.security import Actor

pytestmark = pytest.mark.benchmark
ROWS = 5_000
HEADER = [
    "网格编码",
    "地址",
    "经度",
    "纬度",
    "房号",
    "户类型",
    "姓名",
    "身份证号",
    "手机号",
    "人员类别",
    "关爱标签",
    "与户主关系",
]


def register_file(session: Session, rng: np.random.Generator, rows: int) -> bytes:
    """A valid resident register spread over every grid of the district (unique, valid ID numbers)."""
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    points = {}
    for g in grids:
        geom = areas.geometry_of(g)
        assert geom is not None
        p = geom.representative_point()
        points[g.code] = (p.x, p.y)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("residents")
    ws.append(HEADER)
    for i in range(rows):
        code = grids[i % len(grids)].code
        lon, lat = points[code]
        first17 = f"530102{1940 + i % 60}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"
        # vary the sequence digits with the row so that all 5,000 numbers differ
        first17 = first17[:14] + f"{(i * 7) % 1000:03d}"
        first17 = first17[:6] + f"{1930 + (i // 1000) % 70}" + first17[10:]
        ws.append(
            [
                code,
                f"基准路{i // 20}号",
                lon,
                lat,
                f"{i % 20 + 1}01",
                "registered",
                f"基准{i}",
                first17 + id_check_char(first17),
                f"138{i:08d}",
                "floating",
                "",
                "户主",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _demo_mode() -> None:
    """The demo district's synthetic personal data is encrypted under the demo-mode key."""
    from pingan.core.config import get_settings

    if not os.environ.get("PINGAN_PII_KEY"):
        os.environ["PINGAN_DEMO_MODE"] = "true"
        get_settings.cache_clear()


def test_import_5000_rows(demo_engine: Any, bench_rng: np.random.Generator) -> None:
    _demo_mode()
    from openpyxl import load_workbook
    from sqlalchemy.orm import sessionmaker

    from pingan.grids import io as grid_io

    factory = sessionmaker(bind=demo_engine, expire_on_commit=False)
    with factory() as session:
        data = register_file(session, bench_rng, ROWS)

    def read_only() -> int:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return n

    def run_import() -> int:
        with demo_engine.connect() as conn:
            tx = conn.begin()
            session = Session(bind=conn)
            report = grid_io.import_register(session, Actor.system("bench"), kind="residents", data=data)
            session.close()
            tx.rollback()
            return report.imported

    reference = timed(read_only, repeat=3)
    ours = timed(run_import, repeat=3)
    assert ours.value == ROWS and reference.value == ROWS + 1
    print_table(
        f"resident register import, {ROWS:,} rows (xlsx, {len(data) / 1e6:.1f} MB), best of 3",
        ["step", "seconds", "rows/s", "× openpyxl read"],
        [
            [
                "openpyxl read only (reference)",
                f"{reference.seconds:.2f}",
                rate(ROWS, reference.seconds),
                "1.0",
            ],
            [
                "import_register: validate + write",
                f"{ours.seconds:.2f}",
                rate(ROWS, ours.seconds),
                f"{ours.seconds / reference.seconds:.1f}",
            ],
        ],
    )


def test_grids_demo_generation(tmp_path: Any) -> None:
    _demo_mode()
    import time

    from sqlalchemy.orm import sessionmaker

    import pingan.demo.grids as demo_grids
    from pingan.core.db import create_db_engine, transaction, upgrade
    from pingan.demo.generate import generate_demo

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    spent: dict[str, float] = {}
    original = demo_grids.generate_grids_demo

    def measured(*args: Any, **kwargs: Any) -> dict[str, int]:
        started = time.perf_counter()
        counts = original(*args, **kwargs)
        spent["grids"] = time.perf_counter() - started
        spent.update({k: float(v) for k, v in counts.items()})
        return counts

    demo_grids.generate_grids_demo = measured
    try:
        started = time.perf_counter()
        with transaction(sessionmaker(bind=engine, expire_on_commit=False)) as session:
            generate_demo(session, seed=2016)
        total = time.perf_counter() - started
    finally:
        demo_grids.generate_grids_demo = original
        engine.dispose()
    print_table(
        "demo generation (SQLite, seed 2016)",
        ["part", "seconds", "share", "records"],
        [
            ["whole demo district (reference)", f"{total:.2f}", "100%", ""],
            [
                "grids: staff, places, households, residents, visits, tasks, opinions",
                f"{spent['grids']:.2f}",
                f"{spent['grids'] / total:.0%}",
                f"{int(spent['residents']):,} residents, {int(spent['households']):,} households, "
                f"{int(spent['places']):,} places, {int(spent['liaison_cadres'])} cadres",
            ],
        ],
    )
