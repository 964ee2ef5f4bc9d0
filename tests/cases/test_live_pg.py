"""The PostgreSQL LISTEN/NOTIFY bridge: other processes' case changes reach this process's subscribers."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from pingan.cases import live
from tests.cases.test_live import _collect

pytestmark = pytest.mark.skipif(
    not os.environ.get("PINGAN_TEST_DATABASE_URL"), reason="needs PostgreSQL (PINGAN_TEST_DATABASE_URL)"
)


class TestPgBridge:
    def test_foreign_messages_are_republished_own_are_not(self, database_url: str) -> None:
        received: list[dict[str, Any]] = []
        stop = _collect(received)
        bridge = live.PgBridge(database_url)
        bridge.start()
        threading.Event().wait(1.0)  # LISTEN is in place
        engine = create_engine(database_url)
        payload = {"type": "case", "event": "dispatch", "case": {"number": "BJ-OTHER", "area_code": "330108"}}
        with engine.begin() as conn:
            for origin, number in (("another-process", "BJ-OTHER"), (live.ORIGIN, "BJ-MINE")):
                body = {**payload, "case": {**payload["case"], "number": number}}
                message = json.dumps({"origin": origin, "payload": body})
                conn.execute(select(func.pg_notify(live.CHANNEL, message)))
        for _ in range(100):
            if received:
                break
            threading.Event().wait(0.05)
        threading.Event().wait(0.3)
        bridge.stop()
        stop()
        engine.dispose()
        assert [m["case"]["number"] for m in received] == ["BJ-OTHER"]
