"""Position parsing, ingestion (idempotent, flagged, located), events, SOS and liveness."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.errors import ValidationFailed
from pingan.patrols.models import DeviceState, PatrolEvent, PatrolPosition, PatrolVolunteer, PositionFlag
from pingan.patrols.positions import (
    DUPLICATE,
    KNOTS,
    OK,
    UNKNOWN_DEVICE,
    Fix,
    ingest_fixes,
    liveness,
    parse_batch_item,
    parse_osmand_json,
    parse_osmand_query,
    parse_time,
)
from tests.patrols.conftest import Place, centre_of, on_shift


def _now_ms() -> int:
    return int(time.time() * 1000)


def _rows(session: Session, volunteer_id: int) -> list[PatrolPosition]:
    return list(
        session.scalars(
            select(PatrolPosition)
            .where(PatrolPosition.volunteer_id == volunteer_id)
            .order_by(PatrolPosition.fixed_ms)
        )
    )


class TestParseTime:
    def test_unix_seconds_and_milliseconds(self) -> None:
        assert parse_time("1772933400") == 1772933400000
        assert parse_time("1772933400123") == 1772933400123

    def test_iso_with_zone(self) -> None:
        assert parse_time("2026-03-08T01:30:00Z") == int(
            datetime(2026, 3, 8, 1, 30, tzinfo=UTC).timestamp() * 1000
        )
        assert parse_time("2026-03-08T01:30:00.000Z") == parse_time("2026-03-08T01:30:00Z")

    def test_local_text_is_shanghai_time(self) -> None:
        assert parse_time("2026-03-08 09:30:00") == parse_time("2026-03-08T01:30:00Z")

    def test_garbage_names_the_field(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            parse_time("yesterday")
        assert exc.value.field == "timestamp"


class TestParseOsmandQuery:
    def test_legacy_client_units(self) -> None:
        fix = parse_osmand_query(
            {
                "id": "31007745",
                "timestamp": "1772933400",
                "lat": "30.20851",
                "lon": "120.21193",
                "speed": "2.7",
                "bearing": "88.0",
                "altitude": "9.0",
                "accuracy": "0.0",
                "batt": "76.0",
            }
        )
        assert fix.device_id == "31007745"
        assert fix.fixed_ms == 1772933400000
        assert (fix.lon, fix.lat) == (120.21193, 30.20851)
        assert fix.speed_mps == pytest.approx(2.7 * KNOTS)
        assert fix.battery == pytest.approx(0.76)
        assert fix.bearing == 88.0 and fix.accuracy_m == 0.0 and not fix.mock

    def test_location_pair_deviceid_mock_and_sos(self) -> None:
        fix = parse_osmand_query(
            {"deviceid": "a1b2", "location": "30.2,120.2", "mock": "true", "alarm": "sos"}
        )
        assert (fix.lat, fix.lon) == (30.2, 120.2)
        assert fix.mock and fix.alarm == "sos" and fix.fixed_ms is None

    def test_heartbeat_without_position(self) -> None:
        fix = parse_osmand_query({"id": "a1b2", "timestamp": "1772933400"})
        assert fix.lat is None and fix.lon is None

    def test_missing_id(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            parse_osmand_query({"lat": "30.2", "lon": "120.2"})
        assert exc.value.field == "id"

    def test_latitude_out_of_range(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            parse_osmand_query({"id": "x1y", "lat": "95", "lon": "120.2"})
        assert exc.value.field == "lat"


class TestParseOsmandJson:
    def test_new_client_units(self) -> None:
        fix = parse_osmand_json(
            {
                "device_id": "31007745",
                "location": {
                    "timestamp": "2026-03-08T01:30:00.000Z",
                    "coords": {
                        "latitude": 30.20851,
                        "longitude": 120.21193,
                        "accuracy": 4.8,
                        "speed": 1.4,
                        "heading": 88.0,
                        "altitude": 9.0,
                    },
                    "is_moving": True,
                    "odometer": 1520.5,
                    "event": "motionchange",
                    "battery": {"level": 0.76, "is_charging": False},
                    "activity": {"type": "walking"},
                    "extras": {},
                    "_": "&id=999&lat=1&lon=1&timestamp=2020-01-01T00:00:00Z&",
                },
            }
        )
        assert fix.device_id == "31007745"
        assert fix.speed_mps == 1.4  # m/s already, not knots
        assert fix.battery == 0.76  # a fraction already, not percent
        assert fix.fixed_ms == parse_time("2026-03-08T01:30:00Z")
        assert fix.is_moving is True and fix.event == "motionchange"

    def test_unknown_values_are_minus_one(self) -> None:
        fix = parse_osmand_json(
            {
                "device_id": "d1x",
                "location": {
                    "timestamp": "2026-03-08T01:30:00Z",
                    "coords": {"latitude": 30.2, "longitude": 120.2, "speed": -1, "heading": -1},
                    "battery": {"level": -1},
                    "activity": {"type": "still"},
                },
            }
        )
        assert fix.speed_mps is None and fix.bearing is None and fix.battery is None
        assert fix.is_moving is False

    def test_location_required(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            parse_osmand_json({"device_id": "d1x"})
        assert exc.value.field == "location"


class TestParseBatchItem:
    def test_names_the_item(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            parse_batch_item({"device_id": "d1x", "t": 1772933400, "lon": 120.2}, 7)
        assert exc.value.field == "positions[7].lon"


class TestIngestFixes:
    def test_stores_locates_and_is_idempotent(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        t = _now_ms() - 60_000
        fix = Fix(device_id=volunteer.device_id or "", fixed_ms=t, lon=lon, lat=lat, accuracy_m=5.0)
        assert ingest_fixes(session, [fix]) == [OK]
        again = Fix(device_id=volunteer.device_id or "", fixed_ms=t, lon=lon, lat=lat, accuracy_m=5.0)
        assert ingest_fixes(session, [again, again]) == [DUPLICATE, DUPLICATE]
        rows = _rows(session, volunteer.id)
        assert len(rows) == 1 and rows[0].grid_code == place.grid and rows[0].flags == 0
        state = session.get(DeviceState, volunteer.id)
        assert state is not None and state.grid_code == place.grid and state.fixed_ms == t

    def test_unknown_device_is_rejected_and_nothing_stored(self, session: Session) -> None:
        before = session.scalar(select(func.count()).select_from(PatrolPosition))
        assert ingest_fixes(
            session, [Fix(device_id="nobody-here", fixed_ms=_now_ms(), lon=120.2, lat=30.2)]
        ) == [UNKNOWN_DEVICE]
        assert session.scalar(select(func.count()).select_from(PatrolPosition)) == before

    def test_a_public_fix_needs_its_device_key(self, session: Session, volunteer: PatrolVolunteer) -> None:
        """Every device has a key from registration; a fix of the public receiver without it, or with a wrong
        one, is refused and counted on the volunteer; the right key is accepted."""
        key = getattr(volunteer, "new_device_key", None)
        assert key and volunteer.has_device_key and volunteer.device_key_enc != key.encode()
        fix = Fix(
            device_id=volunteer.device_id or "", fixed_ms=_now_ms(), lon=120.2, lat=30.2, authenticated=False
        )
        assert ingest_fixes(session, [fix]) == [UNKNOWN_DEVICE]
        fix.key = "wrong"
        assert ingest_fixes(session, [fix]) == [UNKNOWN_DEVICE]
        session.refresh(volunteer)
        assert volunteer.key_rejects == 2 and volunteer.key_rejected_at is not None
        fix.key = key
        assert ingest_fixes(session, [fix]) == [OK]

    def test_a_keyless_device_only_by_configuration(
        self, session: Session, volunteer: PatrolVolunteer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from pingan.core.config import get_settings

        volunteer.device_key_enc = volunteer.device_key_index = None
        session.flush()
        fix = Fix(
            device_id=volunteer.device_id or "", fixed_ms=_now_ms(), lon=120.2, lat=30.2, authenticated=False
        )
        assert ingest_fixes(session, [fix]) == [UNKNOWN_DEVICE]
        monkeypatch.setattr(get_settings(), "patrols_keyless_devices", True)
        assert ingest_fixes(session, [fix]) == [OK]

    def test_out_of_order_is_kept_flagged_and_does_not_move_the_state(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        t = _now_ms() - 600_000
        device = volunteer.device_id or ""
        ingest_fixes(session, [Fix(device_id=device, fixed_ms=t, lon=lon, lat=lat)])
        ingest_fixes(session, [Fix(device_id=device, fixed_ms=t - 120_000, lon=lon + 0.0005, lat=lat)])
        rows = _rows(session, volunteer.id)
        assert [r.flags & PositionFlag.OUT_OF_ORDER for r in rows] == [PositionFlag.OUT_OF_ORDER, 0]
        state = session.get(DeviceState, volunteer.id)
        assert state is not None and state.fixed_ms == t

    def test_jump_poor_accuracy_and_mock_are_flagged(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        t = _now_ms() - 600_000
        device = volunteer.device_id or ""
        ingest_fixes(
            session,
            [
                Fix(device_id=device, fixed_ms=t, lon=lon, lat=lat),
                Fix(device_id=device, fixed_ms=t + 10_000, lon=lon + 0.05, lat=lat),  # ~5 km in 10 s
                Fix(device_id=device, fixed_ms=t + 20_000, lon=lon, lat=lat, accuracy_m=400.0),
                Fix(device_id=device, fixed_ms=t + 30_000, lon=lon, lat=lat, mock=True),
            ],
        )
        flags = [r.flags for r in _rows(session, volunteer.id)]
        assert flags == [0, PositionFlag.JUMP, PositionFlag.POOR_ACCURACY, PositionFlag.MOCK]

    def test_heartbeat_updates_liveness_only(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        lon, lat = centre_of(session, place.grid)
        device = volunteer.device_id or ""
        ingest_fixes(session, [Fix(device_id=device, fixed_ms=_now_ms() - 3_600_000, lon=lon, lat=lat)])
        ingest_fixes(session, [Fix(device_id=device, fixed_ms=None, is_moving=False, event="heartbeat")])
        state = session.get(DeviceState, volunteer.id)
        assert state is not None and state.is_moving is False and state.event == "heartbeat"
        assert len(_rows(session, volunteer.id)) == 1

    def test_entering_and_leaving_the_assigned_grid_during_a_shift(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        on_shift(session, place.grid, volunteer.id)
        inside = centre_of(session, place.grid)
        outside = centre_of(session, place.other_grid)
        t = _now_ms() - 1_800_000
        device = volunteer.device_id or ""
        ingest_fixes(
            session,
            [
                Fix(device_id=device, fixed_ms=t, lon=outside[0], lat=outside[1]),
                Fix(device_id=device, fixed_ms=t + 600_000, lon=inside[0], lat=inside[1]),
                Fix(device_id=device, fixed_ms=t + 1_200_000, lon=outside[0], lat=outside[1]),
            ],
        )
        kinds = list(
            session.scalars(
                select(PatrolEvent.kind)
                .where(PatrolEvent.volunteer_id == volunteer.id, PatrolEvent.kind.like("grid_%"))
                .order_by(PatrolEvent.at)
            )
        )
        assert kinds == ["grid_enter", "grid_leave"]

    def test_sos_raises_one_urgent_case(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        from pingan.cases.models import Case

        lon, lat = centre_of(session, place.grid)
        t = _now_ms() - 30_000
        device = volunteer.device_id or ""
        ingest_fixes(session, [Fix(device_id=device, fixed_ms=t, lon=lon, lat=lat, alarm="sos")])
        ingest_fixes(session, [Fix(device_id=device, fixed_ms=t + 5_000, lon=lon, lat=lat, alarm="sos")])
        cases = list(session.scalars(select(Case).where(Case.dedupe_key == f"sos:{device}")))
        assert len(cases) == 1
        assert cases[0].category_code == "0410" and cases[0].source == "patrol"
        assert cases[0].signal_count == 2
        event = session.scalar(
            select(PatrolEvent).where(PatrolEvent.volunteer_id == volunteer.id, PatrolEvent.kind == "sos")
        )
        assert event is not None and event.details["case_number"] == cases[0].number
        state = session.get(DeviceState, volunteer.id)
        assert state is not None and state.sos_ms == t + 5_000

    def test_a_snoozed_sos_stores_the_batch_and_answers_ok(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        """A snooze suppresses the SOS case only: the batch (with another phone's fixes) is stored, the SOS
        fix too, and every fix is answered ok; the suppressed press is counted and kept as an event."""
        from pingan.cases import service as cases
        from pingan.cases.models import Case, SnoozedKey
        from pingan.core.security import Actor
        from tests.patrols.conftest import register

        other = register(session, place.team_id, device_id=f"SZ{_now_ms()}")
        device = volunteer.device_id or ""
        cases.snooze_key(session, Actor.system("test"), dedupe_key=f"sos:{device}", minutes=60)
        lon, lat = centre_of(session, place.grid)
        t = _now_ms() - 60_000
        fixes = [
            Fix(device_id=other.device_id or "", fixed_ms=t + i * 1000, lon=lon, lat=lat) for i in range(16)
        ]
        fixes.insert(7, Fix(device_id=device, fixed_ms=t, lon=lon, lat=lat, alarm="sos"))
        assert ingest_fixes(session, fixes) == [OK] * 17
        assert len(_rows(session, other.id)) == 16
        [sos] = _rows(session, volunteer.id)
        assert sos.flags & PositionFlag.SOS
        assert (
            session.scalar(select(func.count()).select_from(Case).where(Case.dedupe_key == f"sos:{device}"))
            == 0
        )
        snooze = session.get(SnoozedKey, f"sos:{device}")
        assert snooze is not None and snooze.suppressed == 1
        event = session.scalar(
            select(PatrolEvent).where(PatrolEvent.volunteer_id == volunteer.id, PatrolEvent.kind == "sos")
        )
        assert event is not None and event.details.get("suppressed") is True

    def test_left_volunteer_device_is_unknown(self, session: Session, volunteer: PatrolVolunteer) -> None:
        volunteer.status = "left"
        session.flush()
        fix = Fix(device_id=volunteer.device_id or "", fixed_ms=_now_ms(), lon=120.2, lat=30.2)
        assert ingest_fixes(session, [fix]) == [UNKNOWN_DEVICE]


class TestLiveness:
    now = 10_000_000_000

    def test_recent_is_online(self) -> None:
        assert (
            liveness(received_ms=self.now - 60_000, is_moving=True, event=None, sos_ms=None, now_ms=self.now)
            == "online"
        )

    def test_standing_still_is_not_lost(self) -> None:
        quiet = self.now - 40 * 60_000
        assert (
            liveness(received_ms=quiet, is_moving=False, event=None, sos_ms=None, now_ms=self.now) == "online"
        )
        assert (
            liveness(received_ms=quiet, is_moving=True, event=None, sos_ms=None, now_ms=self.now) == "unknown"
        )

    def test_long_silence_is_offline(self) -> None:
        assert (
            liveness(
                received_ms=self.now - 5 * 3_600_000,
                is_moving=False,
                event=None,
                sos_ms=None,
                now_ms=self.now,
            )
            == "offline"
        )

    def test_sos_overrides(self) -> None:
        assert (
            liveness(
                received_ms=self.now, is_moving=True, event=None, sos_ms=self.now - 1000, now_ms=self.now
            )
            == "sos"
        )
