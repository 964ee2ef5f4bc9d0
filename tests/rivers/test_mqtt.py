"""The MQTT subscriber against the real Mosquitto on 127.0.0.1:1883 with a real publisher (a topic unique to
the run): stored and acknowledged, QoS 1 in a persistent session, bad payloads counted, one per deployment
(the lease)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pingan.rivers import mqtt
from pingan.rivers.models import Reading, ReadingRefusal
from tests.rivers.conftest import Made


def _broker_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _broker_up(), reason="no MQTT broker on 127.0.0.1:1883")


@pytest.fixture
def run() -> Iterator[str]:
    run = uuid.uuid4().hex[:12]
    yield run
    # end the run's persistent session on the broker (a clean session under the same client id)
    cleaner = paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=f"pingan-test-{run}", clean_session=True
    )
    cleaner.connect("127.0.0.1", 1883)
    cleaner.loop_start()
    time.sleep(0.2)
    cleaner.disconnect()
    cleaner.loop_stop()


def _config(run: str) -> mqtt.MqttConfig:
    return mqtt.MqttConfig(
        topics=(f"pingan-test/{run}/readings/#", f"/json/k{run}/+/attrs"), client_id=f"pingan-test-{run}"
    )


def _publish(topic: str, payload: object) -> None:
    publisher = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    info = publisher.publish(topic, body, qos=1)
    info.wait_for_publish(timeout=5)
    publisher.disconnect()
    publisher.loop_stop()


def _drain_until(subscriber: mqtt.Subscriber, messages: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while subscriber.totals.messages < messages and time.monotonic() < deadline:
        subscriber.drain(timeout=0.2)
    assert subscriber.totals.messages >= messages


def _count(session: Session, made: Made) -> int:
    return int(session.scalar(select(func.count()).where(Reading.station_id == made.station.id)) or 0)


def _batch(code: str, at: datetime, **values: float) -> dict:
    return {
        "readings": [
            {"station": code, "parameter": p, "value": v, "observed_at": at.isoformat()}
            for p, v in values.items()
        ]
    }


class TestSubscriber:
    def test_readings_batch_iot_agent_and_bad_payload(
        self, session: Session, session_factory: sessionmaker[Session], made: Made, t0: datetime, run: str
    ) -> None:
        subscriber = mqtt.Subscriber(session_factory, _config(run))
        subscriber.connect()
        try:
            assert subscriber.wait_subscribed()
            code = made.station.code
            _publish(f"pingan-test/{run}/readings/{code}", _batch(code, t0, DO=6.5, NH3N=0.4))
            _publish(f"/json/k{run}/{code}/attrs", {"pH": 7.2, "O2": 6.1, "TimeInstant": t0.isoformat()})
            _publish(f"/json/k{run}/{code}/attrs", b"not json")
            _drain_until(subscriber, 3)
        finally:
            subscriber.close()
        assert _count(session, made) == 3  # DO, NH3N; pH (DO again at t0 is a repeat)
        assert subscriber.totals.accepted == 3 and subscriber.totals.duplicates == 1
        refusal = session.get(ReadingRefusal, (code, "bad_payload"))
        assert refusal is not None and refusal.count == 1 and "JSON" in refusal.last_detail

    def test_a_persistent_session_keeps_what_arrives_while_away(
        self, session: Session, session_factory: sessionmaker[Session], made: Made, t0: datetime, run: str
    ) -> None:
        config = _config(run)
        first = mqtt.Subscriber(session_factory, config)
        first.connect()
        assert first.wait_subscribed()
        first.close()  # away; the broker keeps the session (clean_session False, same client id)
        code = made.station.code
        _publish(f"pingan-test/{run}/readings/x", _batch(code, t0 + timedelta(hours=1), DO=6.4))
        again = mqtt.Subscriber(session_factory, config)
        again.connect()
        try:
            _drain_until(again, 1)
        finally:
            again.close()
        assert _count(session, made) == 1

    def test_serve_holds_the_lease_and_stores(
        self, session: Session, session_factory: sessionmaker[Session], made: Made, t0: datetime, run: str
    ) -> None:
        config = _config(run)
        primer = mqtt.Subscriber(session_factory, config)  # the session exists before the message is sent
        primer.connect()
        assert primer.wait_subscribed()
        primer.close()
        _publish(f"pingan-test/{run}/readings/x", _batch(made.station.code, t0, TP=0.1))
        deadline = time.monotonic() + 4
        totals = mqtt.serve(
            session_factory,
            config,
            window=timedelta(seconds=2),
            should_stop=lambda: time.monotonic() > deadline,
        )
        assert totals.messages == 1 and totals.accepted == 1
        assert _count(session, made) == 1

    def test_another_holder_of_the_lease_keeps_it_to_itself(
        self, session_factory: sessionmaker[Session], run: str
    ) -> None:
        from pingan.cases import interface as cases

        seen: list[object] = []

        def inner(_s: Session, _now: datetime) -> None:
            stop_at = time.monotonic() + 1.5
            totals = mqtt.serve(
                session_factory,
                _config(run),
                window=timedelta(seconds=1),
                should_stop=lambda: time.monotonic() > stop_at,
                idle_wait=0.2,
            )
            seen.append(totals)

        cases.run_leased(session_factory, mqtt.LEASE_NAME, inner, holder="another-process")
        assert len(seen) == 1 and seen[0].messages == 0  # type: ignore[attr-defined]  (never subscribed)


class TestCommand:
    def test_pingan_rivers_subscribe_runs_for_a_while(self, tmp_path: Path, run: str) -> None:
        from typer.testing import CliRunner

        from pingan.cli import app
        from pingan.core.db import upgrade

        url = f"sqlite:///{tmp_path / 'sub.db'}"
        upgrade(url, ["rivers"])
        result = CliRunner().invoke(
            app,
            ["rivers", "subscribe", "--db", url, "--topic", f"pingan-test/{run}/readings/#",
             "--client-id", f"pingan-test-{run}", "--seconds", "1.5"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "0 messages: 0 readings stored" in result.output
