"""The live feed: case changes are published after the transaction commits.

Services call :func:`queue_change`; the message is held on the session and handed to the in-process bus
(``pingan.core.events.bus``) by an ``after_commit`` hook, and dropped on rollback. On PostgreSQL the same
message is also sent with ``pg_notify`` inside the transaction (so it is delivered only on commit), and
:class:`PgBridge` — started by the web app — republishes notifications from *other* processes locally.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.orm import Session

from pingan.core.events import bus

log = logging.getLogger("pingan.cases.live")

TOPIC = "cases"
CHANNEL = "pingan_cases"
ORIGIN = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
_KEY = "pingan_live_pending"
_SENT = "pingan_live_notified"  # how many of the pending messages have been sent with pg_notify already
_NOTIFY = (  # the notifications travel as one JSON array of strings (a text[] is escaped item by item)
    "SELECT pg_notify(%(channel)s, m.value) "
    "FROM json_array_elements_text(CAST(%(messages)s AS json)) WITH ORDINALITY AS m(value, i) ORDER BY m.i"
)
_NOTIFY_LIMIT = 7900  # bytes of one notification's payload (PostgreSQL refuses 8000 and more)


def case_payload(case: Any, transition: str) -> dict[str, Any]:
    """The contract payload of one case change (no personal data)."""
    return {
        "type": "case",
        "event": transition,
        "case": {
            "id": case.id,
            "number": case.number,
            "state": case.state,
            "category_code": case.category_code,
            "title": case.title,
            "lon": case.lon,
            "lat": case.lat,
            "area_code": case.area_code,
            "street_code": case.street_code,
            "sla_color": case.sla_color,
            "reported_at": case.reported_at.isoformat() if case.reported_at else None,
            "owner_unit_id": case.owner_unit_id,
            "is_dispatched": case.dispatched_at is not None,
            "escalation_level": case.escalation_level,
            "is_supervised": bool(case.is_supervised),
        },
    }


def queue_change(session: Session, case: Any, transition: str) -> None:
    """Publish this change once the session's transaction commits."""
    queue_message(session, case_payload(case, transition))


def queue_message(session: Session, payload: dict[str, Any]) -> None:
    """Publish any live-feed message (a ``type`` and its fields, no personal data) once the session's
    transaction commits, by the same path as case changes: e.g. a patrol dispatch for the volunteer's phone.
    Who may receive which type is decided in ``cases.api.may_see_message``."""
    session.info.setdefault(_KEY, []).append(payload)


def notify_statement(session: Session) -> tuple[str, dict[str, Any]] | None:
    """The ``pg_notify`` of the changes queued and not yet sent (psycopg placeholders), for a writer that
    sends it together with its own statements (PostgreSQL only); they are then not sent again at commit.

    The changes travel as few notifications as fit NOTIFY's 8000-byte payload (``{"origin", "payloads"}``):
    each notification is queued, signalled and parsed by every listening process, and PostgreSQL commits
    notifying transactions one at a time."""
    pending = session.info.get(_KEY) or []
    sent = session.info.get(_SENT, 0)
    session.info[_SENT] = len(pending)
    head = orjson.dumps({"origin": ORIGIN})[:-1] + b', "payloads": ['
    notes: list[str] = []
    parts: list[bytes] = []
    size = len(head) + 2
    for payload in pending[sent:]:
        part = orjson.dumps(payload, default=str)
        length = len(part) + 1
        if size + length > _NOTIFY_LIMIT and parts:
            notes.append((head + b",".join(parts) + b"]}").decode())
            parts, size = [], len(head) + 2
        if size + length <= _NOTIFY_LIMIT:  # a single change too large for NOTIFY is left to this process
            parts.append(part)
            size += length
    if parts:
        notes.append((head + b",".join(parts) + b"]}").decode())
    if not notes:
        return None
    return _NOTIFY, {"channel": CHANNEL, "messages": orjson.dumps(notes).decode()}


@event.listens_for(Session, "before_commit")
def _notify_postgres(session: Session) -> None:
    if not session.info.get(_KEY) or session.get_bind().dialect.name != "postgresql":
        return
    statement = notify_statement(session)
    if statement is not None:  # one round trip for all of them, delivered in this order on commit
        session.connection().exec_driver_sql(*statement)


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    session.info.pop(_SENT, None)
    pending = session.info.pop(_KEY, None)
    for payload in pending or ():
        bus.publish(TOPIC, payload)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_SENT, None)


class PgBridge:
    """LISTEN on PostgreSQL and republish other processes' case changes on the local bus."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pingan-live-bridge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _dsn(self) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn(), autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.25):  # also how soon stop() is noticed
                            self._deliver(note.payload)
            except Exception as exc:  # noqa: BLE001 - reconnect after any failure
                log.warning("live bridge: %s; reconnecting", exc)
                self._stop.wait(2.0)

    @staticmethod
    def _deliver(raw: str) -> None:
        if raw.startswith(f'{{"origin":"{ORIGIN}"'):
            return  # this process's own changes (published here already), known without parsing them
        try:
            message = orjson.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("origin") == ORIGIN:
            return
        payloads = message.get("payloads")
        if not isinstance(payloads, list):
            payloads = [message.get("payload")]  # one change, as sent before changes travelled together
        for payload in payloads:
            if isinstance(payload, dict):
                bus.publish(TOPIC, payload)
