"""The register through its service: positions converted to WGS-84, every field checked and named, duplicate
IDs refused, scope; and the functions the SIP endpoint calls (password, hearings, catalog)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from pingan.cameras import service
from pingan.cameras.module import CAMERA, PARENT
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, Forbidden, NotFound, PinganError, ValidationFailed
from pingan.devices import interface as devices
from tests.cameras.conftest import SYSTEM, MakeCamera, new_id
from tests.factories import actor
from tests.grids.conftest import point_in


class TestSave:
    def test_a_gcj02_position_is_stored_as_wgs84_and_the_device_registered(self, session: Session) -> None:
        camera = service.save_camera(
            session,
            SYSTEM,
            {
                "gb_id": new_id(),
                "name": "江南大道东向",
                "lon": 120.214534,
                "lat": 30.205570,
                "crs": "gcj02",
                "direction_deg": 90,
                "fov_deg": 60,
                "range_m": 80,
                "install_date": "2019-05-01",
                "contract_expires_on": "2027-04-30",
                "owner_unit": "滨江区交警大队",
            },
        )
        assert abs(camera.lon - 120.21) < 1e-5 and abs(camera.lat - 30.208) < 1e-5 and camera.crs == "gcj02"
        assert camera.area_code.startswith("330108") and len(camera.area_code) > 9
        assert (
            camera.install_date == date(2019, 5, 1) and camera.role == "camera" and camera.type_code == "132"
        )
        state = devices.device_states(session, CAMERA, [camera.gb_id])[camera.gb_id]
        assert state.status == "unknown"

    def test_a_camera_under_its_nvr_is_registered_under_it_in_the_devices_spine(
        self, session: Session, make_camera: MakeCamera
    ) -> None:
        nvr = make_camera("118")
        camera = make_camera(parent_gb_id=nvr.gb_id)
        assert camera.parent_id == nvr.id
        states = devices.device_states(session, CAMERA, [camera.gb_id])
        parents = devices.device_states(session, PARENT, [nvr.gb_id])
        assert states[camera.gb_id].parent_id is not None and nvr.gb_id in parents

    def test_a_duplicate_id_is_refused(self, session: Session, make_camera: MakeCamera) -> None:
        camera = make_camera()
        with pytest.raises(Conflict) as caught:
            service.save_camera(
                session,
                SYSTEM,
                {"gb_id": camera.gb_id, "name": "again", "lon": camera.lon, "lat": camera.lat},
            )
        assert caught.value.field == "gb_id"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"gb_id": "123"}, "gb_id"),
            ({"name": ""}, "name"),
            ({"direction_deg": 400}, "direction_deg"),
            ({"fov_deg": 0}, "fov_deg"),
            ({"range_m": "far"}, "range_m"),
            ({"lon": 200}, "lon"),
            ({"lat": None}, "lat"),
            ({"crs": "mars"}, "crs"),
            ({"install_date": "2020-02-30"}, "install_date"),
            ({"install_date": "2020-01-01", "contract_expires_on": "2019-01-01"}, "contract_expires_on"),
            ({"sip_password": "short"}, "sip_password"),
            ({"parent_gb_id": "33010800001180999999"}, "parent_gb_id"),
            ({"platform": "nope"}, "platform"),
            ({"lon": 116.4, "lat": 39.9}, "lon"),  # Beijing: outside every grid
        ],
    )
    def test_bad_fields_are_refused_by_name(
        self, session: Session, grids: tuple[str, str], fields: dict, field: str
    ) -> None:
        lon, lat = point_in(session, grids[0])
        values = {"gb_id": new_id(), "name": "x", "lon": lon, "lat": lat, **fields}
        with pytest.raises(PinganError) as caught:
            service.save_camera(session, SYSTEM, values)
        assert caught.value.field == field and 400 <= caught.value.status < 500

    def test_a_camera_is_no_parent(self, session: Session, make_camera: MakeCamera) -> None:
        camera = make_camera()
        with pytest.raises(ValidationFailed) as caught:
            make_camera(parent_gb_id=camera.gb_id)
        assert caught.value.field == "parent_gb_id"

    def test_update_changes_the_given_fields_only(self, session: Session, make_camera: MakeCamera) -> None:
        camera = make_camera(owner_unit="甲", road="江南大道")
        service.save_camera(session, SYSTEM, {"owner_unit": "乙"}, create=False, gb_id=camera.gb_id)
        assert (camera.owner_unit, camera.road) == ("乙", "江南大道")

    def test_scope_and_roles(self, session: Session, grids: tuple[str, str], make_camera: MakeCamera) -> None:
        lon, lat = point_in(session, grids[1])  # 西兴街道
        with pytest.raises(Forbidden) as caught:
            service.save_camera(
                session, actor(session, "street"), {"gb_id": new_id(), "name": "x", "lon": lon, "lat": lat}
            )
        assert caught.value.field == "lon"
        with pytest.raises(Forbidden):
            service.save_camera(
                session,
                actor(session, "gridworker"),
                {"gb_id": new_id(), "name": "x", "lon": lon, "lat": lat},
            )
        theirs = make_camera(grid=1)
        with pytest.raises(NotFound):
            service.get_camera(session, actor(session, "gridworker"), gb_id=theirs.gb_id)


class TestSipFacing:
    def test_the_sip_password_is_stored_encrypted_and_read_back(
        self, session: Session, make_camera: MakeCamera
    ) -> None:
        nvr = make_camera("118", sip_password="nvr-secret-42")
        assert nvr.sip_password_enc is not None and b"nvr-secret-42" not in nvr.sip_password_enc
        assert service.sip_password(session, nvr.gb_id) == "nvr-secret-42"
        assert service.sip_password(session, new_id()) is None  # unknown device
        assert service.sip_password(session, "not-an-id") is None
        assert service.sip_password(session, make_camera().gb_id) is None  # no password of its own

    def test_record_heard_marks_known_devices_online_in_one_batch(
        self, session: Session, make_camera: MakeCamera
    ) -> None:
        nvr, camera = make_camera("118"), make_camera()
        at = utcnow() - timedelta(seconds=5)
        assert service.record_heard(session, [nvr.gb_id, camera.gb_id, new_id(), "junk"], at) == 2
        assert devices.device_states(session, CAMERA, [camera.gb_id])[camera.gb_id].last_seen_at == at
        assert devices.device_states(session, PARENT, [nvr.gb_id])[nvr.gb_id].status == "online"

    def test_apply_catalog_upserts_the_children_under_the_parent(
        self, session: Session, make_camera: MakeCamera, grids: tuple[str, str]
    ) -> None:
        nvr = make_camera("118")
        lon, lat = point_in(session, grids[0])
        one, two = new_id(), new_id("131")
        items = [
            {
                "DeviceID": one,
                "Name": "通道1",
                "Manufacturer": "海康威视",
                "Model": "DS-2CD",
                "ParentID": nvr.gb_id,
                "Status": "ON",
                "Longitude": str(lon),
                "Latitude": str(lat),
            },
            {
                "DeviceID": two,
                "Name": "通道2",
                "Status": "OFF",
                "Longitude": "0",
                "Latitude": "0",
                "Info": {"PTZType": "1"},
            },
            {"DeviceID": new_id("216"), "Name": "虚拟组织"},  # a catalog node, not a device
            {"DeviceID": "330108", "Name": "滨江区"},  # an administrative-division node
        ]
        assert service.apply_catalog(session, nvr.gb_id, items) == 2
        first = service.get_camera(session, SYSTEM, gb_id=one)
        second = service.get_camera(session, SYSTEM, gb_id=two)
        assert first.parent_id == nvr.id == second.parent_id and first.manufacturer == "海康威视"
        assert first.area_code == grids[0] and second.area_code == nvr.area_code and second.lon is None
        assert (first.fov_deg, second.fov_deg) == (None, 360.0)  # PTZType 1: a dome
        states = devices.device_states(session, CAMERA, [one, two])
        assert (states[one].status, states[two].status) == ("online", "offline")  # OFF: reported down
        assert service.apply_catalog(session, nvr.gb_id, [{"DeviceID": one, "Name": "通道1（改）"}]) == 1
        assert service.get_camera(session, SYSTEM, gb_id=one).name == "通道1（改）"

    def test_apply_catalog_needs_a_registered_parent(self, session: Session) -> None:
        with pytest.raises(NotFound) as caught:
            service.apply_catalog(session, new_id("118"), [])
        assert caught.value.field == "parent_gb_id"
        with pytest.raises(ValidationFailed):
            service.apply_catalog(session, "bad", [])
