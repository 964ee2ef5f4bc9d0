"""The intake writer process (the served default): concurrent reports are written by a child process, each
request gets its own answer or error, the live feed of this process sees the new cases, and the child ends
with the writer."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pingan.cases import intake
from pingan.cases.models import Case
from pingan.core.db import create_db_engine, make_session_factory, transaction
from pingan.core.errors import ValidationFailed
from pingan.core.events import bus
from pingan.core.security import Actor
from tests import aio
from tests.cases.helpers import GRID, point_in
from tests.cases.server import copy_db

SYSTEM = Actor.system("test")


def test_reports_are_written_by_the_child_and_published_here(demo_db_template: Path, tmp_path: Path) -> None:
    engine = create_db_engine(copy_db(demo_db_template, tmp_path / "intake.db"))
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        lon, lat = point_in(session, GRID)
    writer = intake.IntakeWriter(factory, process=True)
    assert len(writer.workers) == 1

    def report(i: int, category: str = "0102") -> intake.Pending:
        text = f"process {i}"
        return intake.Pending(
            SYSTEM,
            intake.Report(
                category_code=category, description=text, source="app", lon=lon, lat=lat + i * 1e-3
            ),
        )

    async def run() -> tuple[list[Any], list[dict[str, Any]]]:
        feed = bus.subscribe({"cases"})
        try:

            async def one(pending: intake.Pending) -> Any:
                try:
                    return await writer.submit(pending)
                except ValidationFailed as exc:
                    return exc

            results = await asyncio.gather(*(one(report(i)) for i in range(12)), one(report(99, "9999")))
            seen = []
            deadline = time.monotonic() + 5
            while len(seen) < 12 and time.monotonic() < deadline:
                seen.append(await asyncio.wait_for(feed.get(), 5))
            return list(results), seen
        finally:
            bus.unsubscribe(feed)

    try:
        results, seen = aio.run(run())
        child = writer.workers[0].pid
        assert child is not None and child != os.getpid()
    finally:
        writer.close()
    created, bad = results[:12], results[12]
    assert isinstance(bad, ValidationFailed) and bad.field == "category_code"
    numbers = [r["number"] for r in created]
    assert len(set(numbers)) == 12 and all(r["tracking_token"] for r in created)
    assert sorted(m["case"]["number"] for m in seen if m["event"] == "reported") == sorted(numbers)
    with transaction(factory) as session:
        stored = session.scalars(select(Case.description).where(Case.number.in_(numbers))).all()
    assert sorted(stored) == sorted(f"process {i}" for i in range(12))
    engine.dispose()
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(child, 0)
            time.sleep(0.05)


def test_a_database_only_this_process_can_open_is_written_here() -> None:
    engine = create_db_engine("sqlite://")
    writer = intake.IntakeWriter(make_session_factory(engine), process=True)
    assert writer.workers == []
    engine.dispose()
