"""Device keys: every device gets one (registration, roster import, demo), stored protected, shown once with
the app's server URL and a QR code, rotated through the API and the CLI; the OsmAnd receiver refuses fixes
without the device's key and counts the refusals for operators."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from pingan.cli import app
from pingan.core.config import Settings
from pingan.core.db import transaction
from pingan.demo.patrols import DEMO_DEVICE, demo_device_key
from pingan.patrols.models import PatrolVolunteer
from pingan.patrols.volunteers import device_key_index, device_key_of
from tests.factories import auth
from tests.patrols.conftest import Place, make_id_number, make_phone, register


def _osmand(client: TestClient, device: str, key: str | None) -> int:
    query = f"id={device}&timestamp={int(time.time()) - 60}&lat=30.2&lon=120.2" + (
        f"&key={key}" if key else ""
    )
    return client.post(f"/osmand?{query}", content=b"").status_code


class TestRegistration:
    def test_the_key_is_shown_once_and_stored_protected(
        self, client: TestClient, session: Session, place: Place
    ) -> None:
        body = {
            "team_id": place.team_id,
            "name": "钥匙队员",
            "id_number": make_id_number(),
            "phone": make_phone(),
            "device_id": f"KEY{time.time_ns() % 10**9}",
        }
        r = client.post("/api/v1/patrols/volunteers", json=body, headers=auth(session, "admin"))
        assert r.status_code == 201, r.text
        created = r.json()
        key = created["device_key"]
        assert key and len(key) >= 20 and created["has_device_key"] is True
        again = client.get(
            f"/api/v1/patrols/volunteers/{created['id']}", headers=auth(session, "admin")
        ).json()
        assert again["device_key"] is None and again["has_device_key"] is True
        row = session.get(PatrolVolunteer, created["id"])
        assert row is not None and key.encode() not in (row.device_key_enc or b"")
        assert row.device_key_index == device_key_index(key) != key
        assert device_key_of(session, body["device_id"]) == key
        assert _osmand(client, body["device_id"], None) == 400
        assert _osmand(client, body["device_id"], key) == 200

    def test_the_demo_devices_have_deterministic_keys(self, session: Session) -> None:
        assert device_key_of(session, DEMO_DEVICE) == demo_device_key(2016, DEMO_DEVICE)
        keyless = session.scalar(
            select(PatrolVolunteer.id).where(
                PatrolVolunteer.device_id.is_not(None), PatrolVolunteer.device_key_index.is_(None)
            )
        )
        assert keyless is None

    def test_demo_device_ids_do_not_step(self, session: Session) -> None:
        ids = sorted(
            int(d) for d in session.scalars(select(PatrolVolunteer.device_id).limit(200)) if d.isdigit()
        )
        steps = {b - a for a, b in zip(ids, ids[1:], strict=False)}
        assert len(steps) > 50  # not one constant step someone could walk


class TestRotation:
    def test_api_rotation_replaces_the_key_and_counts_refusals(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        old = volunteer.new_device_key
        device = volunteer.device_id or ""
        assert _osmand(client, device, "guessed") == 400
        seen = client.get(f"/api/v1/patrols/volunteers/{volunteer.id}", headers=auth(session, "admin")).json()
        assert seen["key_rejects"] == 1 and seen["key_rejected_at"]
        r = client.post(
            f"/api/v1/patrols/volunteers/{volunteer.id}/device-key", headers=auth(session, "admin")
        )
        assert r.status_code == 200, r.text
        new = r.json()
        assert new["device_key"] != old and new["device_id"] == device
        assert new["server_url"].endswith(f"/osmand?key={new['device_key']}")
        assert new["qr_svg"].lstrip().startswith("<svg")
        assert _osmand(client, device, old) == 400
        assert _osmand(client, device, new["device_key"]) == 200

    def test_a_volunteer_cannot_rotate(
        self, client: TestClient, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        r = client.post(
            f"/api/v1/patrols/volunteers/{volunteer.id}/device-key", headers=auth(session, "volunteer")
        )
        assert r.status_code in (403, 404)

    def test_cli_rotation(self, tmp_path: Path, settings: Settings, engine: Engine, place: Place) -> None:
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with transaction(factory) as s:
            vid = register(s, place.team_id, device_id=f"CLI{time.time_ns() % 10**9}").id
        qr = tmp_path / "setup.svg"
        try:
            result = CliRunner().invoke(
                app,
                [
                    "patrols",
                    "rotate-key",
                    str(vid),
                    "--qr",
                    str(qr),
                    "--db",
                    settings.resolved_database_url(),
                ],
            )
            assert result.exit_code == 0, result.output
            key = result.output.split("key ", 1)[1].split()[0]
            with factory() as s:
                stored = s.get(PatrolVolunteer, vid)
                assert stored is not None and stored.device_key_index == device_key_index(key)
            assert qr.read_text(encoding="utf-8").lstrip().startswith("<svg")
            assert f"/osmand?key={key}" in result.output
        finally:
            with transaction(factory) as s:
                s.execute(delete(PatrolVolunteer).where(PatrolVolunteer.id == vid))
