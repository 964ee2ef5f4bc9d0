"""Patrol phones in the devices register: the demo's and a newly added volunteer's phones are registered,
and a fix through the OsmAnd receiver marks the phone heard (once per group-commit batch)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.devices.models import Device
from pingan.patrols import phones
from pingan.patrols.models import PatrolVolunteer
from tests.factories import auth
from tests.patrols.conftest import Place, centre_of, make_id_number, make_phone

KIND = phones.KIND


def phone(session: Session, device_id: str) -> Device | None:
    found = session.scalar(select(Device).where(Device.kind == KIND, Device.external_id == device_id))
    if found is not None:
        session.refresh(found)
    return found


def test_the_demo_registers_its_volunteers_phones(session: Session) -> None:
    with_device = session.scalar(
        select(func.count()).where(PatrolVolunteer.device_id.is_not(None), PatrolVolunteer.status != "left")
    )
    registered = session.scalar(select(func.count()).select_from(Device).where(Device.kind == KIND))
    assert with_device and registered == with_device


def test_a_volunteer_added_through_the_api_registers_their_phone(
    client: TestClient, session: Session, place: Place
) -> None:
    body = {
        "team_id": place.team_id,
        "name": "王小明",
        "id_number": make_id_number(),
        "phone": make_phone(),
        "device_id": "NEWPHONE01",
    }
    r = client.post("/api/v1/patrols/volunteers", json=body, headers=auth(session, "admin"))
    assert r.status_code == 201, r.text
    device = phone(session, "NEWPHONE01")
    assert device is not None and device.area_code == place.community and device.status == "unknown"
    assert device.name == "" and device.attributes == {"volunteer_id": r.json()["id"]}  # no personal data


def test_a_fix_marks_the_phone_heard(
    client: TestClient, session: Session, volunteer: PatrolVolunteer, place: Place
) -> None:
    phones.register_phones(session, [volunteer.id])
    assert volunteer.device_id is not None
    lon, lat = centre_of(session, place.grid)
    key = volunteer.new_device_key  # type: ignore[attr-defined]  # shown once at registration
    r = client.post(
        f"/osmand?id={volunteer.device_id}&key={key}&timestamp={int(time.time())}&lat={lat}&lon={lon}"
    )
    assert r.status_code == 200
    device = phone(session, volunteer.device_id)
    assert device is not None and device.status == "online" and device.last_seen_at is not None
    assert phone(session, "no-such-device") is None
