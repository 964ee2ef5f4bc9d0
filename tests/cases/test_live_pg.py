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
        engine = create_engine(database_url)
        payload = {"type": "case", "event": "dispatch", "case": {"number": "", "area_code": "330108"}}
        for _ in range(50):  # until the bridge is listening
            with engine.begin() as conn:
                for origin, number in ((live.ORIGIN, "BJ-MINE"), ("another-process", "BJ-OTHER")):
                    body = {**payload, "case": {**payload["case"], "number": number}}
                    message = json.dumps({"origin": origin, "payload": body})
                    conn.execute(select(func.pg_notify(live.CHANNEL, message)))
            threading.Event().wait(0.2)
            if received:
                break
        bridge.stop()
        stop()
        engine.dispose()
        assert received and {m["case"]["number"] for m in received} == {"BJ-OTHER"}
