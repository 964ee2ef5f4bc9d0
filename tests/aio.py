"""Running a coroutine from a synchronous test.

pytest-playwright's session fixture keeps an event loop running in the main thread of an xdist worker once a
browser test has run there, and ``asyncio.run`` refuses to start beside it; so the coroutine runs to its end
on a loop of its own in a short-lived thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, whatever loop the calling thread has running."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-aio") as pool:
        return pool.submit(asyncio.run, coro).result()
