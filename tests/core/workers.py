"""Handlers run by tests/core/test_workerprocess.py in child processes (importable by a spawned child)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from pingan.core.errors import ValidationFailed
from pingan.core.events import bus


def handler(prefix: str) -> Callable[[Any], Any]:
    """Answers ``(pid, prefix + text)``; ``{"fail": field}`` raises ValidationFailed naming the field,
    ``{"sleep": s}`` sleeps first, ``{"publish": m}`` publishes ``m`` on the bus, ``{"unpicklable": 1}``
    returns what cannot be pickled."""

    def handle(payload: Any) -> Any:
        if isinstance(payload, dict):
            if "sleep" in payload:
                time.sleep(payload["sleep"])
            if "publish" in payload:
                bus.publish("test", payload["publish"])
            if "fail" in payload:
                raise ValidationFailed("no good", field=payload["fail"])
            if "unpicklable" in payload:
                return lambda: None
            return os.getpid(), prefix + str(payload.get("text", ""))
        return os.getpid(), prefix + str(payload)

    return handle


def broken() -> Callable[[Any], Any]:
    raise RuntimeError("cannot build the handler")
