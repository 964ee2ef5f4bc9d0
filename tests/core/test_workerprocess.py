"""A handler run in a child process: answers and errors come back, bus messages are published by the parent,
overlapping calls are answered in order, and the child's death, the parent's death and stop signals end
things cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pingan.core.errors import ValidationFailed
from pingan.core.events import bus
from pingan.core.workerprocess import WorkerLost, WorkerProcess
from tests import aio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    w = WorkerProcess("tests.core.workers:handler", "got ", name="test-worker")
    yield w
    w.close()


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # our own child: reap it, or it stays a zombie
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_the_child_answers_and_its_errors_come_back(worker: WorkerProcess) -> None:
    async def run() -> None:
        pid, text = await worker.call("hello")
        assert text == "got hello" and pid != os.getpid() and pid == worker.pid
        with pytest.raises(ValidationFailed) as failed:
            await worker.call({"fail": "lon"})
        assert failed.value.field == "lon" and failed.value.status == 422
        with pytest.raises(RuntimeError, match="cannot be sent back"):
            await worker.call({"unpicklable": 1})
        assert (await worker.call({"text": "still here"}))[1] == "got still here"

    aio.run(run())
    assert worker.starts == 1


def test_what_the_child_publishes_is_published_here(worker: WorkerProcess) -> None:
    async def run() -> dict[str, object]:
        queue = bus.subscribe({"test"})
        try:
            await worker.call({"publish": {"event": "reported", "n": 1}, "text": "x"})
            return await asyncio.wait_for(queue.get(), 5)
        finally:
            bus.unsubscribe(queue)

    assert aio.run(run()) == {"topic": "test", "event": "reported", "n": 1}


def test_overlapping_calls_are_answered_in_order(worker: WorkerProcess) -> None:
    async def run() -> list[str]:
        calls = [worker.call({"sleep": 0.05 if i % 2 else 0, "text": i}) for i in range(6)]
        return [text for _pid, text in await asyncio.gather(*calls)]

    assert aio.run(run()) == [f"got {i}" for i in range(6)]


def test_a_killed_child_fails_the_call_in_hand_and_the_next_call_starts_another(
    worker: WorkerProcess,
) -> None:
    async def run() -> None:
        first, _ = await worker.call("a")
        in_hand = asyncio.ensure_future(worker.call({"sleep": 5}))
        await asyncio.sleep(0.3)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(WorkerLost) as lost:
            await asyncio.wait_for(in_hand, 10)
        assert lost.value.status == 503
        second, text = await worker.call("b")
        assert second != first and text == "got b"

    aio.run(run())
    assert worker.starts == 2


def test_a_handler_that_cannot_be_built_fails_each_call_with_its_reason() -> None:
    w = WorkerProcess("tests.core.workers:broken")

    async def run() -> None:
        for _ in range(2):
            with pytest.raises(RuntimeError, match="cannot build the handler"):
                await w.call("x")

    try:
        aio.run(run())
    finally:
        w.close()
    assert w.starts == 1


def test_close_ends_the_child(worker: WorkerProcess) -> None:
    pid, _ = aio.run(worker.call("x"))
    worker.close()
    assert _gone(pid) and worker.pid is None


def test_a_stop_signal_lets_the_call_in_hand_finish(worker: WorkerProcess) -> None:
    async def run() -> tuple[int, str]:
        pid, _ = await worker.call("x")
        in_hand = asyncio.ensure_future(worker.call({"sleep": 0.5, "text": "finished"}))
        await asyncio.sleep(0.2)
        os.kill(pid, signal.SIGTERM)
        return pid, (await asyncio.wait_for(in_hand, 10))[1]

    pid, text = aio.run(run())
    assert text == "got finished"
    assert _gone(pid)


def test_the_child_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, sys
            from pingan.core.workerprocess import WorkerProcess

            async def main():
                worker = WorkerProcess("tests.core.workers:handler", "")
                pid, _ = await worker.call("x")
                print(pid, flush=True)
                await asyncio.sleep(60)

            if __name__ == "__main__":
                asyncio.run(main())
            """
        )
    )
    parent = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert _gone(child), "the worker outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_child_that_cannot_be_started_is_a_503(
    worker: WorkerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(WorkerProcess, "_spawn", fail)
    with pytest.raises(WorkerLost, match="could not be started") as lost:
        aio.run(worker.call("x"))
    assert lost.value.status == 503
