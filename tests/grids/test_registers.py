"""Registers: buildings, households, residents (protected personal data), key places, change history."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.security import Actor
from pingan.grids import buildings, households, places, registers, residents, service
from pingan.grids.models import Resident
from tests.grids.conftest import id_number, point_in


def _household(session: Session, actor: Actor, grid: str) -> int:
    lon, lat = point_in(session, grid)
    building = buildings.create_building(
        session, actor, address="测试路1号", lon=lon, lat=lat, area_code=grid
    )
    return households.create_household(session, actor, building_id=building.id, room="1单元101室").id


class TestCreateBuilding:
    def test_point_inside_its_grid(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        building = buildings.create_building(session, gridworker, address="江南大道1号", lon=lon, lat=lat)
        assert building.area_code == grid_a
        changes = registers.record_history(session, gridworker, record_type="building", record_id=building.id)
        assert changes[0].action == "create" and changes[0].username == "gridworker"

    def test_address_outside_its_grid_is_an_error(
        self, session: Session, admin: Actor, grid_a: str, grid_b: str
    ) -> None:
        lon, lat = point_in(session, grid_b)
        with pytest.raises(ValidationFailed) as err:
            buildings.create_building(session, admin, address="x", lon=lon, lat=lat, area_code=grid_a)
        assert err.value.field == "lon"

    def test_other_grid_is_not_found_for_a_grid_worker(
        self, session: Session, gridworker: Actor, grid_b: str
    ) -> None:
        lon, lat = point_in(session, grid_b)
        with pytest.raises(NotFound):
            buildings.create_building(session, gridworker, address="x", lon=lon, lat=lat)

    def test_outside_the_district(self, session: Session, admin: Actor) -> None:
        with pytest.raises(ValidationFailed):
            buildings.create_building(session, admin, address="x", lon=121.5, lat=31.2)


class TestCreateResident:
    def test_protected_and_masked(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="张三丰", id_number=id_number(1), phone="13812345678"
        )
        assert r.name_masked == "张*丰" and r.phone_masked == "138****5678"
        assert r.id_number_masked.startswith("330108") and "*" in r.id_number_masked
        assert b"13812345678" not in r.phone_enc and r.area_code == grid_a
        assert r.birth_year == 1985 and r.sex in ("male", "female")

    def test_wrong_check_digit(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        bad = id_number(2)[:-1] + ("0" if id_number(2)[-1] != "0" else "1")
        with pytest.raises(ValidationFailed) as err:
            residents.create_resident(session, gridworker, household_id=hh, name="李四", id_number=bad)
        assert err.value.field == "id_number"

    def test_bad_phone(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        with pytest.raises(ValidationFailed) as err:
            residents.create_resident(
                session, gridworker, household_id=hh, name="李四", id_number=id_number(3), phone="12345"
            )
        assert err.value.field == "phone"

    def test_duplicate_id_number(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        residents.create_resident(session, gridworker, household_id=hh, name="王五", id_number=id_number(4))
        with pytest.raises(Conflict) as err:
            residents.create_resident(
                session, gridworker, household_id=hh, name="王六", id_number=id_number(4)
            )
        assert err.value.field == "id_number"

    def test_cadre_may_read_but_not_write(
        self, session: Session, gridworker: Actor, cadre: Actor, grid_a: str
    ) -> None:
        hh = _household(session, gridworker, grid_a)
        assert households.get_household(session, cadre, hh).id == hh
        with pytest.raises(Forbidden):
            residents.create_resident(session, cadre, household_id=hh, name="赵七", id_number=id_number(5))

    def test_other_grid_household_is_not_found(
        self, session: Session, admin: Actor, gridworker: Actor, grid_b: str
    ) -> None:
        hh = _household(session, admin, grid_b)
        with pytest.raises(NotFound):
            residents.create_resident(
                session, gridworker, household_id=hh, name="赵七", id_number=id_number(6)
            )


class TestListResidents:
    def test_scoped_to_the_grid(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        rows = list(session.scalars(residents.list_residents(session, gridworker)))
        assert rows and {r.area_code for r in rows} == {grid_a}

    def test_lookup_by_id_number_through_blind_index(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="钱八", id_number=id_number(7), phone="13900001111"
        )
        found = list(session.scalars(residents.list_residents(session, gridworker, id_number=id_number(7))))
        assert [x.id for x in found] == [r.id]
        by_phone = list(session.scalars(residents.list_residents(session, gridworker, phone="139-0000-1111")))
        assert [x.id for x in by_phone] == [r.id]

    def test_care_tag_filter(self, session: Session, admin: Actor) -> None:
        rows = list(
            session.scalars(residents.list_residents(session, admin, care_tag="elderly_alone").limit(20))
        )
        assert rows and all("elderly_alone" in r.care_tags for r in rows)


class TestUpdateResident:
    def test_history_holds_masked_values_only(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="孙九", id_number=id_number(8)
        )
        residents.update_resident(
            session,
            gridworker,
            resident_id=r.id,
            changes={"phone": "13711112222", "care_tags": ["elderly_alone"]},
        )
        changes = registers.record_history(session, gridworker, record_type="resident", record_id=r.id)
        assert [c.action for c in changes] == ["create", "update"]
        assert changes[1].changes["phone"] == ["", "137****2222"]
        assert "13711112222" not in str(changes[1].changes)

    def test_a_change_behind_the_same_mask_is_recorded(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="郑十二", id_number=id_number(12), phone="13711112222"
        )
        residents.update_resident(session, gridworker, resident_id=r.id, changes={"phone": "13799992222"})
        residents.update_resident(session, gridworker, resident_id=r.id, changes={"name": "郑二二"})
        changes = registers.record_history(session, gridworker, record_type="resident", record_id=r.id)
        assert [c.action for c in changes] == ["create", "update", "update"]
        assert changes[1].changes == {"phone": ["137****2222", "137****2222"]}
        assert changes[2].changes == {"name": ["郑*二", "郑*二"]}
        assert "13799992222" not in str(changes[1].changes) and "13711112222" not in str(changes[1].sealed)

    def test_the_same_value_again_is_no_change(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="冯十三", id_number=id_number(13), phone="13711113333"
        )
        residents.update_resident(
            session, gridworker, resident_id=r.id, changes={"phone": "137-1111-3333", "name": "冯十三"}
        )
        changes = registers.record_history(session, gridworker, record_type="resident", record_id=r.id)
        assert [c.action for c in changes] == ["create"]

    def test_full_old_and_new_values_are_a_reveal(
        self, session: Session, gridworker: Actor, cadre: Actor, grid_a: str
    ) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="陈十四", id_number=id_number(14), phone="13711114444"
        )
        residents.update_resident(session, gridworker, resident_id=r.id, changes={"phone": "13799994444"})
        change = registers.record_history(session, gridworker, record_type="resident", record_id=r.id)[-1]
        with pytest.raises(Forbidden):
            registers.reveal_change(
                session, cadre, change_id=change.id, purpose="data_correction", reason="核对号码变更"
            )
        with pytest.raises(ValidationFailed):
            registers.reveal_change(
                session, gridworker, change_id=change.id, purpose="data_correction", reason=""
            )
        with pytest.raises(ValidationFailed):
            registers.reveal_change(
                session, gridworker, change_id=change.id, purpose=None, reason="核对号码变更"
            )
        shown = registers.reveal_change(
            session, gridworker, change_id=change.id, purpose="data_correction", reason="核对号码变更"
        )
        assert shown == {"phone": {"old": "13711114444", "new": "13799994444"}}
        audits = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "pii.reveal", AuditRecord.subject_id == str(r.id))
        ).all()
        assert {f for a in audits for f in a.details["fields"]} >= {"phone.old", "phone.new"}
        assert all(a.details["purpose"] == "data_correction" for a in audits)

    def test_place_responsible_phone_change_is_recorded(
        self, session: Session, gridworker: Actor, grid_a: str
    ) -> None:
        lon, lat = point_in(session, grid_a)
        place = places.create_place(
            session,
            gridworker,
            place_type="pharmacy",
            name="历史药房",
            lon=lon,
            lat=lat,
            responsible_phone="13911115555",
        )
        places.update_place(
            session, gridworker, place_id=place.id, changes={"responsible_phone": "13999995555"}
        )
        changes = registers.record_history(session, gridworker, record_type="place", record_id=place.id)
        assert changes[-1].action == "update" and list(changes[-1].changes) == ["responsible_phone"]

    def test_move_out(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="周十", id_number=id_number(9)
        )
        residents.move_out_resident(session, gridworker, resident_id=r.id)
        assert r.is_active is False


class TestRevealResident:
    def test_full_values_audited(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        hh = _household(session, gridworker, grid_a)
        r = residents.create_resident(
            session, gridworker, household_id=hh, name="吴十一", id_number=id_number(10), phone="13800000000"
        )
        full = residents.reveal_resident(
            session,
            gridworker,
            resident_id=r.id,
            fields=["name", "id_number", "phone"],
            purpose="verify_identity",
            reason="核对身份",
        )
        assert full == {"name": "吴十一", "id_number": id_number(10), "phone": "13800000000"}
        audits = session.scalars(
            select(AuditRecord).where(
                AuditRecord.subject_id == str(r.id), AuditRecord.subject_type == "grid_resident"
            )
        ).all()
        [audit] = audits
        assert audit.details["fields"] == ["name", "id_number", "phone"] and audit.action == "pii.reveal"
        assert audit.reason == "verify_identity: 核对身份"

    def test_reason_required(self, session: Session, gridworker: Actor) -> None:
        rid = session.scalars(residents.list_residents(session, gridworker)).first()
        assert rid is not None
        with pytest.raises(ValidationFailed):
            residents.reveal_resident(
                session, gridworker, resident_id=rid.id, fields=["name"], purpose="verify_identity", reason=""
            )

    def test_cadre_cannot_reveal(self, session: Session, cadre: Actor) -> None:
        r = session.scalars(residents.list_residents(session, cadre)).first()
        assert r is not None
        with pytest.raises(Forbidden):
            residents.reveal_resident(
                session,
                cadre,
                resident_id=r.id,
                fields=["name"],
                purpose="verify_identity",
                reason="想看看呢",
            )


class TestListPlaces:
    def test_demo_places_of_every_type(self, session: Session, admin: Actor) -> None:
        from pingan.grids.models import PlaceType

        for ptype in PlaceType:
            assert service.list_places(session, admin, type=ptype.value, limit=1), ptype

    def test_every_school_has_a_sunshine_kitchen(self, session: Session, admin: Actor) -> None:
        schools = service.list_places(session, admin, type="school")
        kitchens = service.list_places(session, admin, type="school_kitchen")
        assert len(kitchens) == len(schools) > 0
        assert all(k.attributes.get("sunshine_kitchen") for k in kitchens)

    def test_23_closed_illegal_lpg_sites_and_named_estate(self, session: Session, admin: Actor) -> None:
        closed = service.list_places(session, admin, type="lpg_outlet", status="closed")
        assert len(closed) == 23 and all(p.attributes.get("illegal") for p in closed)
        estates = [p.name for p in service.list_places(session, admin, type="residential_estate")]
        assert "龙湖春江郦城" in estates

    def test_scoped(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        assert {p.area_code for p in service.list_places(session, gridworker)} <= {grid_a}


class TestCreatePlace:
    def test_responsible_person_protected(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        place = places.create_place(
            session,
            gridworker,
            place_type="pharmacy",
            name="测试药房",
            lon=lon,
            lat=lat,
            responsible_name="郑十二",
            responsible_phone="13511112222",
        )
        assert place.responsible_name_masked == "郑*二" and place.area_code == grid_a
        assert places.reveal_place(
            session,
            gridworker,
            place_id=place.id,
            fields=["responsible_phone"],
            purpose="contact",
            reason="检查联系",
        ) == {"responsible_phone": "13511112222"}

    def test_unknown_type(self, session: Session, gridworker: Actor, grid_a: str) -> None:
        lon, lat = point_in(session, grid_a)
        with pytest.raises(ValidationFailed) as err:
            places.create_place(session, gridworker, place_type="casino", name="x", lon=lon, lat=lat)
        assert err.value.field == "place_type"


def test_demo_residents_have_valid_protected_ids(session: Session, admin: Actor) -> None:
    from pingan.core.pii import get_protector, normalise_id_number

    protector = get_protector()
    for r in session.scalars(select(Resident).limit(50)):
        assert normalise_id_number(protector.decrypt(r.id_number_enc))
