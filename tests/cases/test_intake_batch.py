"""The batched intake writer: one transaction for many reports, duplicates found within the batch, a bad
report failing alone, and the group commit answering each request with its own result."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases import intake
from pingan.cases.models import Case, CaseEvent, CaseLink
from pingan.core.errors import ValidationFailed
from pingan.core.groupcommit import GroupCommit
from pingan.core.security import Actor
from tests import aio
from tests.cases.helpers import point_in

SYSTEM = Actor.system("test")


def _report(lon: float, lat: float, text: str, category: str = "0102") -> intake.Pending:
    return intake.Pending(
        SYSTEM, intake.Report(category_code=category, description=text, source="app", lon=lon, lat=lat)
    )


def test_one_batch_links_its_own_duplicates(session_factory: sessionmaker[Session]) -> None:
    session = session_factory()
    lon, lat = point_in(session)
    far_lon, far_lat = point_in(session, "33010800100101")
    session.close()
    writer = intake.IntakeWriter(session_factory)
    results = writer.write_here(
        [
            _report(lon, lat, "first"),
            _report(lon + 0.0001, lat, "second, ~10 m east"),
            _report(far_lon, far_lat, "elsewhere"),
            _report(lon, lat, "another category", category="0201"),
            _report(lon, lat, "third, same place"),
        ]
    )
    assert not [r for r in results if isinstance(r, BaseException)]
    first, second, elsewhere, other_category, third = results
    assert isinstance(first, dict) and isinstance(second, dict) and isinstance(third, dict)
    assert isinstance(elsewhere, dict) and isinstance(other_category, dict)
    numbers = [r["number"] for r in results if isinstance(r, dict)]
    assert len(set(numbers)) == 5 and [r["id"] for r in (first, second, elsewhere)] == sorted(
        r["id"] for r in (first, second, elsewhere)
    )
    assert first["duplicate_of_id"] is None
    assert second["duplicate_of_id"] == first["id"] and third["duplicate_of_id"] == first["id"]
    assert elsewhere["duplicate_of_id"] is None and other_category["duplicate_of_id"] is None

    check = session_factory()
    stored = {c.id: c for c in check.scalars(select(Case).where(Case.number.in_(numbers)))}
    assert len(stored) == 5 and stored[second["id"]].duplicate_of_id == first["id"]
    links = check.scalars(select(CaseLink).where(CaseLink.other_case_id == first["id"])).all()
    assert sorted(link.case_id for link in links) == sorted([second["id"], third["id"]])
    actions = check.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == second["id"]).order_by(CaseEvent.id)
    ).all()
    assert actions == ["report", "link"]
    check.close()


def test_a_bad_report_fails_alone(session_factory: sessionmaker[Session]) -> None:
    session = session_factory()
    lon, lat = point_in(session)
    session.close()
    writer = intake.IntakeWriter(session_factory)
    results = writer.write_here(
        [_report(lon, lat, "fine"), _report(0.0, 0.0, "outside"), _report(lon, lat, "", category="9999")]
    )
    assert isinstance(results[0], dict)
    assert isinstance(results[1], ValidationFailed) and results[1].field == "lon"
    assert isinstance(results[2], ValidationFailed) and results[2].field == "category_code"


def test_group_commit_batches_concurrent_requests_and_answers_each() -> None:
    batches: list[list[int]] = []

    def write(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        return [ValueError(f"bad {i}") if i < 0 else i * 10 for i in items]

    async def main() -> list[object]:
        group: GroupCommit[int, int] = GroupCommit(write, max_batch=3)

        async def one(i: int) -> object:
            try:
                return await group.submit_one(i)
            except ValueError as exc:
                return str(exc)

        return list(await asyncio.gather(*(one(i) for i in (1, 2, -3, 4, 5))))

    assert aio.run(main()) == [10, 20, "bad -3", 40, 50]
    assert sorted(i for batch in batches for i in batch) == [-3, 1, 2, 4, 5]
    assert all(len(batch) <= 3 for batch in batches) and len(batches) <= 3


@pytest.mark.parametrize("flight", [1, 2])
def test_group_commit_never_runs_more_batches_than_allowed(flight: int) -> None:
    import threading
    import time

    running = 0
    most = 0
    lock = threading.Lock()

    def write(items: list[int]) -> list[int | BaseException]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return list(items)

    async def main() -> list[int]:
        group: GroupCommit[int, int] = GroupCommit(write, max_batch=2, concurrency=flight)
        return list(await asyncio.gather(*(group.submit_one(i) for i in range(12))))

    assert aio.run(main()) == list(range(12))
    assert most == flight


@pytest.mark.parametrize("linger", [0.0, 0.2])
def test_group_commit_lingers_for_the_rest_of_a_cohort_under_load(linger: float) -> None:
    """32 requests answered together come back one by one; with linger the first does not start a batch of
    its own that the other 31 then wait behind. A request at a quiet moment is never held back."""
    import time

    batches: list[int] = []

    def write(items: list[int]) -> list[int | BaseException]:
        batches.append(len(items))
        time.sleep(0.6 if items == [-1] else 0.02)
        return list(items)

    async def main() -> float:
        group: GroupCommit[int, int] = GroupCommit(write, max_batch=64, linger=linger)
        await asyncio.gather(*(group.submit_one(i) for i in range(32)))  # a batch of 1, then the other 31

        async def late(i: int) -> int:
            await asyncio.sleep(0.0005 * i)  # the cohort's next requests, arriving over 16 ms
            return await group.submit_one(i)

        await asyncio.gather(*(late(i) for i in range(32)))
        await asyncio.sleep(0.05)
        await group.submit_one(-1)  # alone after a cohort (it may linger), and slow to write
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await group.submit_one(2)  # after a batch of one: a quiet moment, written at once
        return time.monotonic() - started

    quiet = aio.run(main())
    assert batches[:2] == [1, 31]
    cohort = batches[2:-2]
    if linger:
        assert max(cohort) >= 16, batches  # the first arrival waited for the others
    else:
        assert cohort[0] == 1, batches  # started alone, the rest waited behind it
    # lingering after that slow batch would have held the quiet request min(linger, 0.3 s) = 0.2 s
    assert batches[-2:] == [1, 1] and quiet < 0.02 + 0.15, (batches, quiet)


BAD_TEXT = "broken \ud800 text"  # a lone surrogate: neither SQLite nor PostgreSQL can store it


def _kind_of(i: int, kind: str | None, lon: float, lat: float) -> intake.Pending:
    if kind == "text":
        return _report(lon, lat, BAD_TEXT)
    pending = _report(lon, lat, f"isolation {i} {uuid.uuid4().hex}")
    if kind == "file":  # refused only when the batch stores its files (a PinganError from the write)
        pending.report.files = [("note.txt", b"not a photo")]
    return pending


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(plan=[None, "file", None, None])
@given(st.lists(st.sampled_from([None, None, "text", "file"]), min_size=2, max_size=16))
def test_a_report_the_write_refuses_fails_alone(
    session_factory: sessionmaker[Session], plan: list[str | None]
) -> None:
    """Reports that pass the checks but fail when the batch is written (the whole transaction fails: text
    the database cannot store, an attachment that is not a photo) are thrown among good ones: every good one
    is written and answered, only the bad ones get an error."""
    session = session_factory()
    lon, lat = point_in(session)
    session.close()
    writer = intake.IntakeWriter(session_factory, process=False)
    reports = [_kind_of(i, kind, lon, lat) for i, kind in enumerate(plan)]

    async def one(pending: intake.Pending) -> object:
        try:
            return await writer.submit(pending)
        except Exception as exc:  # noqa: BLE001 - a bad report's own answer
            return exc

    async def main() -> list[object]:
        return list(await asyncio.gather(*(one(p) for p in reports)))

    answers = aio.run(main())
    good = []
    for pending, kind, answer in zip(reports, plan, answers, strict=True):
        if kind is None:
            assert isinstance(answer, dict) and answer["description"] == pending.report.description
            good.append(pending.report.description)
        else:
            assert isinstance(answer, Exception)
    check = session_factory()
    stored = check.scalars(select(Case.description).where(Case.description.in_(good))).all()
    check.close()
    assert sorted(stored) == sorted(good)
