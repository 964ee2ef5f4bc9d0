"""Progressive delays after failed sign-ins, per account name and per client address (no hard lockout).

Every failed sign-in counts against the name that was tried (whether or not such an account exists, so the
answers never tell which usernames exist) and against the client address. After ``FREE_FAILURES``
consecutive failures the next attempt must wait ``BASE_DELAY`` seconds, doubling with each further failure
up to ``MAX_DELAY``: a guesser is slowed to a crawl, while the real user is never shut out for longer than
``MAX_DELAY``. A success clears the account's count (not the client's, so signing in to one's own account
does not reset a guessing run); a count is forgotten ``RESET_AFTER`` seconds after its last failure.

The state lives in the server process (like the rate limiter's buckets); several server processes each
keep their own, which multiplies the allowance by the number of processes but keeps the delays.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

FREE_FAILURES = 3
BASE_DELAY = 2.0
MAX_DELAY = 300.0
RESET_AFTER = 3600.0


def delay_after(failures: int) -> float:
    """Seconds to wait before the next attempt after ``failures`` consecutive failures (0 while free)."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY, BASE_DELAY * 2.0 ** (failures - FREE_FAILURES))


class LoginGuard:
    """Consecutive failures and the time of the last one, keyed by ``account:<name>`` and ``client:<ip>``."""

    MAX_KEYS = 100_000

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, client: str | None) -> tuple[str, str]:
        return f"account:{username.strip().lower()}", f"client:{client or 'unknown'}"

    def wait(self, username: str, client: str | None) -> float | None:
        """Seconds the caller must still wait before trying ``username`` from ``client``; None = go ahead."""
        now = self._clock()
        longest = 0.0
        with self._lock:
            for key in self.keys(username, client):
                failures, last = self._failures.get(key, (0, now))
                if now - last > RESET_AFTER:
                    continue
                longest = max(longest, last + delay_after(failures) - now)
        return math.ceil(longest) if longest > 0 else None

    def failed(self, username: str, client: str | None) -> int:
        """Count a failure against the name and the client; returns the name's consecutive failures."""
        now = self._clock()
        with self._lock:
            if len(self._failures) > self.MAX_KEYS:
                self._forget_idle(now)
            counts = []
            for key in self.keys(username, client):
                failures, last = self._failures.get(key, (0, now))
                failures = 0 if now - last > RESET_AFTER else failures
                self._failures[key] = (failures + 1, now)
                counts.append(failures + 1)
        return counts[0]

    def succeeded(self, username: str) -> None:
        """The right password: the account's count starts again."""
        with self._lock:
            self._failures.pop(self.keys(username, None)[0], None)

    def _forget_idle(self, now: float) -> None:
        for key, (failures, last) in list(self._failures.items()):
            if now - last > max(RESET_AFTER, delay_after(failures)):
                del self._failures[key]
