"""Every field of a fix is checked for its range before the fix reaches the writer (query, form, JSON and
batch): a 400 naming the field, nothing stored."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.errors import ValidationFailed
from pingan.patrols.models import PatrolPosition, PatrolVolunteer
from pingan.patrols.positions import parse_batch, parse_osmand_json, parse_osmand_query, parse_time
from tests.factories import auth

NOW = int(time.time())
GOOD_QUERY = {"id": "r1", "timestamp": str(NOW - 60), "lat": "30.2", "lon": "120.2"}

BAD_QUERY = [
    ("timestamp", "1e30"),
    ("timestamp", "9999999999999999999"),
    ("timestamp", "-1e17"),
    ("timestamp", "0"),  # 1970
    ("timestamp", "0001-01-01T00:00:00Z"),  # year 1
    ("timestamp", "1970-01-01 08:00:00"),
    ("timestamp", "3 days ahead"),
    ("timestamp", "nan"),
    ("timestamp", "inf"),
    ("speed", "1e308"),
    ("speed", "nan"),
    ("bearing", "720"),
    ("bearing", "inf"),
    ("altitude", "1e300"),
    ("altitude", "-1e9"),
    ("accuracy", "1e300"),
    ("batt", "250"),
    ("lat", "nan"),
    ("lon", "-inf"),
    ("lat", "91"),
]


class TestQueryRanges:
    @pytest.mark.parametrize(("field", "value"), BAD_QUERY)
    def test_out_of_range_names_the_field(self, field: str, value: str) -> None:
        value = str(int(time.time()) + 3 * 86_400) if value == "3 days ahead" else value
        with pytest.raises(ValidationFailed) as exc:
            parse_osmand_query({**GOOD_QUERY, field: value})
        assert exc.value.field == field

    def test_unknown_minus_one_is_still_unknown(self) -> None:
        fix = parse_osmand_query(
            {**GOOD_QUERY, "speed": "-1", "bearing": "-1", "accuracy": "-1", "batt": "-1"}
        )
        assert (
            fix.speed_mps is None and fix.bearing is None and fix.accuracy_m is None and fix.battery is None
        )

    def test_a_clock_a_few_hours_ahead_is_accepted(self) -> None:
        assert parse_time(str(NOW + 3 * 3600)) == (NOW + 3 * 3600) * 1000


def _json(coords: dict[str, Any] | None = None, **location: Any) -> dict[str, Any]:
    base = {
        "timestamp": "2026-03-08T01:30:00Z",
        "coords": {"latitude": 30.2, "longitude": 120.2, **(coords or {})},
    }
    return {"device_id": "r1", "location": {**base, **location}}


class TestJsonRanges:
    @pytest.mark.parametrize(
        ("doc", "field"),
        [
            (_json(timestamp="1970-01-01T00:00:00Z"), "location.timestamp"),
            (_json(timestamp="0001-01-01T00:00:00Z"), "location.timestamp"),
            (_json(timestamp="9999-01-01T00:00:00Z"), "location.timestamp"),
            (_json(timestamp=1e30), "location.timestamp"),
            (_json({"speed": 1e308}), "location.coords.speed"),
            (_json({"heading": 400}), "location.coords.heading"),
            (_json({"altitude": -1e6}), "location.coords.altitude"),
            (_json({"accuracy": 1e12}), "location.coords.accuracy"),
            (_json(battery={"level": 76}), "location.battery.level"),
            (_json({"latitude": float("nan")}), "location.coords.latitude"),
        ],
    )
    def test_out_of_range_names_the_field(self, doc: dict[str, Any], field: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            parse_osmand_json(doc)
        assert exc.value.field == field


class TestBatchRanges:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"t": 10**30}, "t"),
            ({"t": -(10**17)}, "t"),
            ({"t": 0}, "t"),
            ({"t": (NOW + 3 * 86_400) * 1000}, "t"),
            ({"t": float("inf")}, "t"),
            ({"speed": 1e308}, "speed"),
            ({"bearing": 1e10}, "bearing"),
            ({"accuracy": 1e300}, "accuracy"),
            ({"battery": 7}, "battery"),
            ({"lon": float("nan")}, "lon"),
        ],
    )
    def test_out_of_range_names_the_item_and_field(self, change: dict[str, Any], field: str) -> None:
        good = {"device_id": "r1", "t": NOW * 1000, "lon": 120.2, "lat": 30.2, "speed": 1.0}
        items = [dict(good, t=NOW * 1000 - i * 1000) for i in range(5)]
        items[3] = {**items[3], **change}
        with pytest.raises(ValidationFailed) as exc:
            parse_batch(items)
        assert exc.value.field == f"positions[3].{field}"


def _stored(session: Session, volunteer: PatrolVolunteer) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(PatrolPosition)
            .where(PatrolPosition.volunteer_id == volunteer.id)
        )
        or 0
    )


class TestOverHttp:
    @pytest.mark.parametrize("value", ["1e30", "9999999999999999999", "-1e17", "0"])
    def test_query_timestamp(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer, value: str
    ) -> None:
        r = client.post(f"/osmand?id={volunteer.device_id}&timestamp={value}&lat=30.2&lon=120.2", content=b"")
        assert r.status_code == 400 and r.json()["error"]["field"] == "timestamp"
        assert _stored(session, volunteer) == 0

    def test_json_speed(self, client: TestClient, session: Session, volunteer: PatrolVolunteer) -> None:
        doc = _json({"speed": 1e308})
        doc["device_id"] = volunteer.device_id
        r = client.post("/osmand", json=doc)
        assert r.status_code == 400 and r.json()["error"]["field"] == "location.coords.speed"
        assert _stored(session, volunteer) == 0

    def test_batch_time(self, client: TestClient, session: Session, volunteer: PatrolVolunteer) -> None:
        fixes = [
            {"device_id": volunteer.device_id, "t": NOW * 1000 - 5000, "lon": 120.2, "lat": 30.2},
            {"device_id": volunteer.device_id, "t": 9999999999999999999, "lon": 120.2, "lat": 30.2},
        ]
        r = client.post(
            "/api/v1/patrols/positions", json={"positions": fixes}, headers=auth(session, "admin")
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "positions[1].t"
        assert _stored(session, volunteer) == 0
