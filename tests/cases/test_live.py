"""The live feed: published after commit only, scoped per caller, streamed over SSE with heartbeats."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases import live, service
from pingan.core.events import bus
from pingan.core.security import Actor, Grant, Role
from tests.cases.helpers import GRID, point_in
from tests.factories import auth

SYSTEM = Actor.system("test")


def _collect(received: list[dict[str, Any]]) -> Callable[[], None]:
    """Subscribe on a background event loop; returns a function that stops it."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def main() -> None:
        queue = bus.subscribe({live.TOPIC})
        ready.set()
        try:
            while True:
                received.append(await queue.get())
        finally:
            bus.unsubscribe(queue)

    def run() -> None:
        task = loop.create_task(main())
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)

    def stop() -> None:
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(5)

    return stop


class TestPublishAfterCommit:
    def test_nothing_before_commit_and_nothing_on_rollback(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        received: list[dict[str, Any]] = []
        stop = _collect(received)
        s = session_factory()
        lon, lat = point_in(s)
        case = service.raise_case(
            s, SYSTEM, category_code="0102", description="x", source="app", lon=lon, lat=lat
        )
        s.flush()
        assert received == []
        s.rollback()
        s2 = session_factory()
        case = service.raise_case(
            s2, SYSTEM, category_code="0102", description="y", source="app", lon=lon, lat=lat
        )
        s2.commit()
        for _ in range(50):
            if received:
                break
            threading.Event().wait(0.02)
        stop()
        assert len(received) == 1
        message = received[0]
        assert message["type"] == "case" and message["event"] == "reported"
        assert message["case"]["number"] == case.number and message["case"]["area_code"] == GRID
        assert set(message["case"]) >= {
            "id",
            "number",
            "state",
            "category_code",
            "title",
            "lon",
            "lat",
            "area_code",
            "street_code",
            "sla_color",
            "reported_at",
        }
        s.close()
        s2.close()


class TestSSE:
    def test_stream_is_scoped(self, client: TestClient, session: Session) -> None:
        lon, lat = point_in(session)
        headers = auth(session, "gridworker")
        results: dict[str, str] = {}

        connected = {"grid": threading.Event(), "clerk": threading.Event()}

        def listen(name: str, h: dict[str, str]) -> None:
            chunks = []
            with client.stream(
                "GET", "/api/v1/live", params={"duration": 3, "heartbeat": 0.5}, headers=h
            ) as r:
                for chunk in r.iter_text():
                    chunks.append(chunk)
                    connected[name].set()
            results[name] = "".join(chunks)
            connected[name].set()

        outsider = auth(session, "clerk")  # sector clerk: cannot see cases
        threads = [
            threading.Thread(target=listen, args=("grid", headers)),
            threading.Thread(target=listen, args=("clerk", outsider)),
        ]
        for name, t in zip(("grid", "clerk"), threads, strict=True):
            t.start()  # one after the other: the test app shares one connection between requests
            assert connected[name].wait(10)
        threading.Event().wait(0.2)
        r = client.post(
            "/api/v1/cases",
            json={"category_code": "0102", "description": "实时", "lon": lon, "lat": lat},
            headers=auth(session, "resident"),
        )
        assert r.status_code == 201
        for t in threads:
            t.join(10)
        assert ": connected" in results["grid"] and ": heartbeat" in results["grid"]
        events = [json.loads(line[6:]) for line in results["grid"].splitlines() if line.startswith("data: ")]
        assert [e["case"]["number"] for e in events] == [r.json()["number"]]
        assert "data: " not in results["clerk"]

    def test_message_filter(self) -> None:
        from pingan.cases.api import may_see_message

        message = {"case": {"area_code": GRID, "owner_unit_id": 5}}
        street = Actor(1, "s", (Grant(Role.STREET_OPERATOR, GRID[:9]),))
        other = Actor(2, "o", (Grant(Role.STREET_OPERATOR, "330108001"),))
        handler = Actor(3, "h", (Grant(Role.DEPARTMENT_HANDLER, "330108", unit_id=6),))
        assert may_see_message(street, message) and not may_see_message(other, message)
        assert not may_see_message(handler, message)

    def test_anonymous_is_refused(self, client: TestClient) -> None:
        assert client.get("/api/v1/live").status_code == 401


class TestNotifications:
    def test_changes_travel_in_as_few_notifications_as_fit_and_arrive_in_order(self) -> None:
        """A batch's changes share notifications under NOTIFY's 8000-byte limit; another process's bridge
        publishes every one of them, in order, and ignores its own."""
        session = Session()
        payloads = [
            {"type": "case", "event": "reported", "case": {"number": f"BJ{i:04d}", "title": "井盖缺失" * 20}}
            for i in range(60)
        ]
        session.info["pingan_live_pending"] = list(payloads)
        statement = live.notify_statement(session)
        assert statement is not None and live.notify_statement(session) is None  # sent once
        notes = json.loads(statement[1]["messages"])
        assert 1 < len(notes) < 20 and all(len(n.encode()) < 8000 for n in notes)
        received: list[dict[str, Any]] = []
        stop = _collect(received)
        try:
            for note in notes:
                live.PgBridge._deliver(note)  # our own: not published again
                live.PgBridge._deliver(note.replace(live.ORIGIN, "another-process", 1))
            for _ in range(100):
                if len(received) >= len(payloads):
                    break
                threading.Event().wait(0.02)
        finally:
            stop()
        assert [m["case"]["number"] for m in received] == [p["case"]["number"] for p in payloads]
