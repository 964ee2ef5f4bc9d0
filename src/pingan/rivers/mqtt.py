"""The MQTT subscriber: station gateways publish readings to a broker; one process of the deployment (the
spine's lease ``rivers.mqtt``, ``cases.interface.run_leased``) subscribes with QoS 1 in a persistent session
(``clean_session=False`` under a fixed client id: the broker keeps what arrives while it is away) and
acknowledges each message only after its readings are committed (paho's manual acks), so a crash loses
nothing: the broker sends it again and the unique (station, parameter, time) key ignores the repeat.

Payloads (JSON):
- a batch as for ``POST /api/v1/rivers/readings``: ``{"readings": [{station, parameter, value, unit?,
  observed_at}, …]}`` (or the list alone);
- NGSI-LD ``WaterQualityObserved`` entities (one or a list), as for ``POST /api/v1/rivers/ngsi-ld/entities``;
- the FIWARE IoT Agent JSON layout: topic ``/json/<apiKey>/<station>/attrs``, payload ``{"pH": 7.3, "O2":
  8.1, "TimeInstant": "…Z"}`` (attribute names as in NGSI; the time defaults to the arrival).
A message that is none of these is refused as ``bad_payload`` (counted under its topic's station, or
``mqtt``) and acknowledged: a broken gateway must not block the queue.
"""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as paho
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases import interface as cases
from pingan.core.clock import utcnow
from pingan.core.db import transaction
from pingan.core.errors import ValidationFailed

from . import ngsi
from .ingest import IngestReport, Measure, count_refusal, ingest
from .parameters import NGSI_NAMES
from .schemas import ReadingBatch

log = logging.getLogger("pingan.rivers.mqtt")
LEASE_NAME = "rivers.mqtt"
DEFAULT_TOPICS = ("pingan/rivers/readings/#", "/json/+/+/attrs")


@dataclass
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    topics: tuple[str, ...] = DEFAULT_TOPICS
    client_id: str = "pingan-rivers"  # fixed: the broker keeps the persistent session under it
    username: str | None = None
    password: str | None = None
    keepalive: int = 30


@dataclass
class Totals:
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    alerts: list[str] = field(default_factory=list)

    def add(self, report: IngestReport) -> None:
        self.accepted += report.accepted
        self.duplicates += report.duplicates
        self.refused += len(report.refused)
        self.alerts += report.alerts


def parse(topic: str, payload: bytes, now: datetime) -> list[Measure]:
    """The measures of one message; ValueError (with the reason) when it is none of the known shapes."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("payload is not JSON") from None
    parts = topic.split("/")
    if len(parts) == 5 and parts[0] == "" and parts[1] == "json" and parts[4] == "attrs":
        return _iot_agent(parts[3], data, now)
    if isinstance(data, list) and data and isinstance(data[0], dict) and "station" in data[0]:
        data = {"readings": data}
    try:
        if isinstance(data, dict) and "readings" in data:
            batch = ReadingBatch.model_validate(data)
            return [Measure(r.station, r.parameter, r.value, r.unit, r.observed_at) for r in batch.readings]
        entities = data if isinstance(data, list) else [data]
        if entities and all(isinstance(e, dict) and e.get("type") == ngsi.TYPE for e in entities):
            return ngsi.measures(entities)
    except ValidationError as exc:
        raise ValueError(f"bad reading: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from None
    except ValidationFailed as exc:
        raise ValueError(str(exc)) from None
    raise ValueError("payload is neither a readings batch nor WaterQualityObserved entities")


def _iot_agent(station: str, data: Any, now: datetime) -> list[Measure]:
    if not isinstance(data, dict):
        raise ValueError("IoT Agent JSON payload must be an object")
    at = now
    if "TimeInstant" in data:
        try:
            at = datetime.fromisoformat(str(data["TimeInstant"]).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("TimeInstant is not an ISO 8601 time") from None
        if at.tzinfo is None:
            raise ValueError("TimeInstant must carry a time zone")
    out = []
    for name, value in data.items():
        if name == "TimeInstant":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")
        parameter = NGSI_NAMES.get(str(name)) or str(name)
        out.append(Measure(station, parameter, float(value), None, at))
    return out


class Subscriber:
    """One connection to the broker; messages wait in a queue until :meth:`drain` stores and acks them."""

    def __init__(self, factory: sessionmaker[Session], config: MqttConfig) -> None:
        self.factory, self.config = factory, config
        self.inbox: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.subscribed = False
        self.totals = Totals()
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            clean_session=False,
            protocol=paho.MQTTv311,
            manual_ack=True,
        )
        if config.username:
            client.username_pw_set(config.username, config.password)
        client.reconnect_delay_set(min_delay=1, max_delay=30)  # paho's loop reconnects by itself
        client.on_connect = self._on_connect
        client.on_message = lambda _c, _u, message: self.inbox.put(message)
        client.on_subscribe = self._on_subscribe
        self.client = client

    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connect refused: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self.config.topics])  # again after every reconnect

    def _on_subscribe(self, *_args: Any) -> None:
        self.subscribed = True

    def connect(self) -> None:
        self.client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_subscribed(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.subscribed and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.subscribed

    def drain(self, timeout: float = 1.0, batch: int = 500) -> int:
        """Store the messages waiting (the first waited for up to ``timeout`` s) in one transaction, then
        acknowledge them; how many."""
        try:
            messages = [self.inbox.get(timeout=timeout)]
        except queue.Empty:
            return 0
        while len(messages) < batch:
            try:
                messages.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        now = utcnow()
        with transaction(self.factory) as session:
            measures: list[Measure] = []
            for message in messages:
                try:
                    measures.extend(parse(message.topic, bytes(message.payload), now))
                except ValueError as exc:
                    parts = message.topic.split("/")
                    station = parts[3] if len(parts) == 5 and parts[1] == "json" else "mqtt"
                    count_refusal(
                        session, station=station, reason="bad_payload", detail=str(exc)[:300], now=now
                    )
            self.totals.add(ingest(session, measures, now=now))
        for message in messages:
            self.client.ack(message.mid, message.qos)
        self.totals.messages += len(messages)
        return len(messages)


def serve(
    factory: sessionmaker[Session],
    config: MqttConfig,
    *,
    window: timedelta = timedelta(minutes=5),
    should_stop: Callable[[], bool] = lambda: False,
    idle_wait: float = 5.0,
) -> Totals:
    """Subscribe for as long as ``should_stop()`` is false, one ``window`` at a time under the lease (taken
    again for each window; another process of the deployment takes over when this one dies). A process
    without the lease waits ``idle_wait`` s and tries again."""
    totals = Totals()

    def one_window(_session: Session, _now: datetime) -> Totals:
        subscriber = Subscriber(factory, config)
        subscriber.connect()
        end = time.monotonic() + window.total_seconds()
        try:
            while time.monotonic() < end and not should_stop():
                subscriber.drain(timeout=0.5)
            while subscriber.drain(timeout=0.0):  # what arrived before the window closed
                pass
        finally:
            subscriber.close()
        return subscriber.totals

    while not should_stop():
        ran = cases.run_leased(factory, LEASE_NAME, one_window, ttl=window + timedelta(minutes=1))
        if ran is None:
            time.sleep(idle_wait)
            continue
        totals.messages += ran.messages
        totals.accepted += ran.accepted
        totals.duplicates += ran.duplicates
        totals.refused += ran.refused
        totals.alerts += ran.alerts
    return totals
