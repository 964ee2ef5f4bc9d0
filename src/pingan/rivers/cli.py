"""`pingan rivers …`: the MQTT subscriber (one per deployment, under the spine's lease) and the stations'
current classes."""

from __future__ import annotations

import logging
import os
import time
from typing import Annotated

import typer
from rich.console import Console

from pingan.audit.cli import DbOption, cli_actor, db_session

rivers_app = typer.Typer(help="Rivers and water-quality stations (五水共治).", no_args_is_help=True)
console = Console()
log = logging.getLogger("pingan.rivers.cli")


@rivers_app.command("subscribe")
def subscribe(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="MQTT broker host (PINGAN_RIVERS_MQTT_HOST)")] = "",
    port: Annotated[int, typer.Option(help="MQTT broker port (PINGAN_RIVERS_MQTT_PORT)")] = 0,
    topic: Annotated[
        list[str] | None,
        typer.Option(help="topic filter, repeatable (PINGAN_RIVERS_MQTT_TOPICS, comma-separated)"),
    ] = None,
    client_id: Annotated[str, typer.Option(help="fixed client id of the persistent session")] = "",
    window_seconds: Annotated[
        int, typer.Option(help="how long one lease-held subscription window lasts")
    ] = 300,
    seconds: Annotated[float, typer.Option(help="stop after this many seconds (0: run until stopped)")] = 0,
) -> None:
    """Subscribe to the station gateways' topics (QoS 1, persistent session, reconnecting by itself) and store
    their readings; one process of the deployment at a time (lease rivers.mqtt), the others wait."""
    from datetime import timedelta

    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory
    from pingan.rivers import mqtt

    env = os.environ
    topics = tuple(topic or [t for t in env.get("PINGAN_RIVERS_MQTT_TOPICS", "").split(",") if t.strip()])
    config = mqtt.MqttConfig(
        host=host or env.get("PINGAN_RIVERS_MQTT_HOST", "127.0.0.1"),
        port=port or int(env.get("PINGAN_RIVERS_MQTT_PORT", "1883")),
        topics=topics or mqtt.DEFAULT_TOPICS,
        client_id=client_id or env.get("PINGAN_RIVERS_MQTT_CLIENT_ID", "pingan-rivers"),
        username=env.get("PINGAN_RIVERS_MQTT_USERNAME") or None,
        password=env.get("PINGAN_RIVERS_MQTT_PASSWORD") or None,
    )
    url = normalise_database_url(db) if db else get_settings().resolved_database_url()
    factory = make_session_factory(create_db_engine(url))
    end = time.monotonic() + seconds if seconds else None

    def should_stop() -> bool:
        return end is not None and time.monotonic() >= end

    window = timedelta(seconds=min(window_seconds, seconds) if seconds else window_seconds)
    console.print(
        f"subscribing to {', '.join(config.topics)} on {config.host}:{config.port} as {config.client_id}"
    )
    while True:
        try:
            totals = mqtt.serve(factory, config, window=window, should_stop=should_stop)
            break
        except KeyboardInterrupt:
            return
        except Exception:  # a database hiccup: the unacknowledged messages come again; keep serving
            log.exception("rivers subscriber failed; starting again in 5 s")
            time.sleep(5)
    console.print(
        f"{totals.messages} messages: {totals.accepted} readings stored, {totals.duplicates} repeats, "
        f"{totals.refused} refused, {len(totals.alerts)} alerts"
    )


@rivers_app.command("stations")
def stations(db: DbOption = None) -> None:
    """Every station with its current class against its target."""
    from pingan.rivers import registers
    from pingan.rivers.gb3838 import LABELS, WaterClass

    with db_session(db) as session:
        for s in session.scalars(registers.station_rows(cli_actor())):
            current = LABELS[WaterClass(s.current_class)] if s.current_class else "—"
            target = LABELS[WaterClass(s.target_class)]
            console.print(f"{s.code}\t{s.name}\t{current} (target {target})\t{s.deciding}")
