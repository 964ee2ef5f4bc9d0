"""The OsmAnd receiver is rate-limited per device and per client address (PINGAN_RATE_LIMITS groups
``osmand_device`` and ``osmand_client``): 429 with Retry-After, nothing stored."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pingan.core.config import Settings
from pingan.patrols.models import PatrolVolunteer
from pingan.web.app import create_app
from tests.patrols.conftest import Place, register


@pytest.fixture
def limited(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    limits = {"public": 30, "login": 10, "osmand_device": 3, "osmand_client": 5}
    application = create_app(settings.model_copy(update={"rate_limits": limits}), engine=engine)
    application.state.session_factory = session_factory
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c


def _post(client: TestClient, volunteer: PatrolVolunteer, i: int) -> int:
    key = volunteer.new_device_key
    t = int(time.time()) - 600 + i
    return client.post(
        f"/osmand?id={volunteer.device_id}&key={key}&timestamp={t}&lat=30.2&lon=120.2"
    ).status_code


def test_per_device_then_per_client(
    limited: TestClient, session: Session, volunteer: PatrolVolunteer, place: Place
) -> None:
    assert [_post(limited, volunteer, i) for i in range(3)] == [200, 200, 200]
    r = limited.post(f"/osmand?id={volunteer.device_id}&timestamp={int(time.time())}&lat=30.2&lon=120.2")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    other = register(session, place.team_id, device_id=f"RL{time.time_ns() % 10**9}")
    assert _post(limited, other, 0) == 200  # another phone, same address: the address's fifth request
    assert _post(limited, other, 1) == 429  # the address's bucket is empty now
