"""The group commit isolates a failing item: when a batch's write fails as a whole, every other item of the
batch is still written and answered, and only the bad item's request gets the exception."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.core.errors import PinganError
from pingan.core.groupcommit import GroupCommit
from tests import aio


class Poison(Exception):
    pass


def _writer(stored: list[int], calls: list[int]):  # type: ignore[no-untyped-def]
    """A write that fails as a whole (nothing stored) when any item is negative, like one transaction."""

    def write(items: list[int]) -> list[int]:
        calls.append(len(items))
        if any(i < 0 for i in items):
            raise Poison(f"cannot store {min(items)}")
        stored.extend(items)
        return [i * 10 for i in items]

    return write


async def _submit_all(group: GroupCommit[int, int], requests: list[list[int]]) -> list[list[object]]:
    return list(await asyncio.gather(*(group.submit(r) for r in requests)))


class TestIsolation:
    def test_one_bad_item_fails_alone(self) -> None:
        stored: list[int] = []
        calls: list[int] = []

        async def main() -> list[list[object]]:
            group: GroupCommit[int, int] = GroupCommit(_writer(stored, calls), max_batch=1000)
            return await _submit_all(group, [[1], [2, 3], [-4], [5], [6, 7, 8]])

        answers = aio.run(main())
        assert answers[0] == [10] and answers[1] == [20, 30] and answers[3] == [50]
        assert answers[4] == [60, 70, 80]
        assert isinstance(answers[2][0], Poison)
        assert sorted(stored) == [1, 2, 3, 5, 6, 7, 8]

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.lists(st.integers(min_value=-5, max_value=1000), min_size=1, max_size=5),
            min_size=1,
            max_size=40,
        ),
        st.integers(min_value=1, max_value=64),
    )
    def test_every_good_item_lands(self, requests: list[list[int]], max_batch: int) -> None:
        stored: list[int] = []
        calls: list[int] = []

        async def main() -> list[list[object]]:
            group: GroupCommit[int, int] = GroupCommit(_writer(stored, calls), max_batch=max_batch)
            return await _submit_all(group, requests)

        answers = aio.run(main())
        for items, answer in zip(requests, answers, strict=True):
            for item, result in zip(items, answer, strict=True):
                if item < 0:
                    assert isinstance(result, Poison)
                else:
                    assert result == item * 10
        assert sorted(stored) == sorted(i for items in requests for i in items if i >= 0)

    def test_an_unavailable_service_fails_the_batch_at_once(self) -> None:
        calls: list[int] = []

        def write(items: list[int]) -> list[int]:
            calls.append(len(items))
            raise PinganError("try again", status=503)

        async def main() -> list[list[object]]:
            group: GroupCommit[int, int] = GroupCommit(write, max_batch=1000)
            return await _submit_all(group, [[1], [2], [3], [4]])

        answers = aio.run(main())
        assert all(isinstance(a[0], PinganError) for a in answers)
        assert sum(calls) <= 8  # no attempt per item

    def test_the_retries_are_bounded(self) -> None:
        calls: list[int] = []

        def write(items: list[int]) -> list[int]:
            calls.append(len(items))
            raise RuntimeError("database is gone")

        async def main() -> list[list[object]]:
            group: GroupCommit[int, int] = GroupCommit(write, max_batch=100_000)
            return await _submit_all(group, [list(range(10_000))])

        answers = aio.run(main())
        assert all(isinstance(r, RuntimeError) for r in answers[0])
        assert len(calls) <= 300
