"""raise_case (the contract other modules call), intake rules, dedupe and snoozes, routing, reveal."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.cases import routing, service
from pingan.cases.models import Case, CaseEvent, State
from pingan.core.errors import Conflict, Forbidden, ValidationFailed
from pingan.core.security import Actor
from pingan.units import service as units
from tests.cases.helpers import GRID, point_in
from tests.factories import actor

SYSTEM = Actor.system("test")


class TestRaiseCase:
    def test_point_is_located_and_routed(self, session: Session) -> None:
        lon, lat = point_in(session)
        case = service.raise_case(
            session,
            SYSTEM,
            category_code="0702",
            description="楼道充电",
            source="inspection",
            lon=lon,
            lat=lat,
        )
        assert case.number.startswith("BJ") and len(case.number) >= 14
        assert case.area_code == GRID
        assert case.community_code == GRID[:12] and case.street_code == GRID[:9]
        assert case.state == "reported" and case.priority == "high"
        assert case.owner_unit_id == units.get_unit_by_code(session, "330108-XF").id
        assert case.stage == "register" and case.stage_due_at > case.reported_at
        assert case.close_due_at > case.stage_due_at

    def test_internal_raiser_without_point_gets_district_case(self, session: Session) -> None:
        case = service.raise_case(
            session, SYSTEM, category_code="1501", description="摄像头离线", source="camera"
        )
        assert case.area_code == "330108" and case.street_code is None and case.lon is None
        assert case.escalation_level == "district"

    def test_internal_raiser_with_area_code(self, session: Session) -> None:
        case = service.raise_case(
            session,
            SYSTEM,
            category_code="1001",
            description="COD 超标",
            source="sensor",
            area_code=GRID[:12],
        )
        assert case.area_code == GRID[:12] and case.street_code == GRID[:9]

    def test_resident_source_needs_a_point(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as err:
            service.raise_case(
                session, actor(session, "resident"), category_code="0102", description="x", source="app"
            )
        assert err.value.field == "lon"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"source": "pigeon"}, "source"),
            ({"category_code": "01"}, "category_code"),
            ({"category_code": "0000"}, "category_code"),
            ({"description": "  "}, "description"),
            ({"priority": "asap"}, "priority"),
            ({"area_code": "999999"}, "area_code"),
            ({"lon": 120.2}, "lat"),
            ({"lon": 200.0, "lat": 30.0}, "lon"),
        ],
    )
    def test_bad_input_names_the_field(self, session: Session, kwargs: dict[str, object], field: str) -> None:
        args: dict[str, object] = {"category_code": "0102", "description": "x", "source": "system"} | kwargs
        before = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
        with pytest.raises(ValidationFailed) as err:
            service.raise_case(session, SYSTEM, **args)  # type: ignore[arg-type]
        assert err.value.field == field
        assert session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) == before

    def test_hotline_needs_an_operator(self, session: Session) -> None:
        lon, lat = point_in(session)
        with pytest.raises(Forbidden):
            service.raise_case(
                session,
                actor(session, "gridworker"),
                category_code="0102",
                description="x",
                source="hotline",
                lon=lon,
                lat=lat,
            )


class TestMachineSignals:
    def test_dedupe_key_counts_signals_on_the_open_case(self, session: Session) -> None:
        first = service.raise_case(
            session,
            SYSTEM,
            category_code="1501",
            description="离线",
            source="camera",
            dedupe_key="camera:7:offline",
        )
        for _ in range(5):
            again = service.raise_case(
                session,
                SYSTEM,
                category_code="1501",
                description="离线",
                source="camera",
                dedupe_key="camera:7:offline",
            )
            assert again.id == first.id
        assert first.signal_count == 6
        assert (
            session.scalar(select(Case.id).where(Case.dedupe_key == "camera:7:offline", Case.id != first.id))
            is None
        )

    def test_closed_key_opens_a_new_case(self, session: Session) -> None:
        first = service.raise_case(
            session,
            SYSTEM,
            category_code="1501",
            description="离线",
            source="camera",
            dedupe_key="camera:8:offline",
        )
        first.state = State.CLOSED.value
        second = service.raise_case(
            session,
            SYSTEM,
            category_code="1501",
            description="离线",
            source="camera",
            dedupe_key="camera:8:offline",
        )
        assert second.id != first.id

    def test_snoozed_key_opens_nothing(self, session: Session) -> None:
        first = service.raise_case(
            session,
            SYSTEM,
            category_code="1502",
            description="站点离线",
            source="sensor",
            dedupe_key="station:3",
        )
        first.state = State.CLOSED.value
        service.snooze_key(
            session, actor(session, "admin"), dedupe_key="station:3", minutes=60, reason="flapping"
        )
        again = service.raise_case(
            session,
            SYSTEM,
            category_code="1502",
            description="站点离线",
            source="sensor",
            dedupe_key="station:3",
        )
        assert again.id == first.id and again.state == "closed"

    def test_snoozed_key_without_history_is_a_conflict(self, session: Session) -> None:
        service.snooze_key(session, actor(session, "admin"), dedupe_key="station:404", minutes=60)
        with pytest.raises(Conflict) as err:
            service.raise_case(
                session,
                SYSTEM,
                category_code="1502",
                description="x",
                source="sensor",
                dedupe_key="station:404",
            )
        assert err.value.field == "dedupe_key"

    def test_only_operators_snooze(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            service.snooze_key(session, actor(session, "gridworker"), dedupe_key="x", minutes=5)


class TestAutoLink:
    def test_second_report_nearby_is_linked_not_dropped(self, session: Session) -> None:
        lon, lat = point_in(session)
        first = service.raise_case(
            session, SYSTEM, category_code="0104", description="路脏", source="app", lon=lon, lat=lat
        )
        second = service.raise_case(
            session,
            SYSTEM,
            category_code="0104",
            description="路很脏",
            source="app",
            lon=lon + 0.0002,
            lat=lat,
        )
        assert second.id != first.id and second.duplicate_of_id == first.id
        notes = session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == second.id)).all()
        assert "link" in notes

    def test_other_category_is_not_linked(self, session: Session) -> None:
        lon, lat = point_in(session)
        service.raise_case(
            session, SYSTEM, category_code="0104", description="路脏", source="app", lon=lon, lat=lat
        )
        other = service.raise_case(
            session, SYSTEM, category_code="1402", description="灯坏", source="app", lon=lon, lat=lat
        )
        assert other.duplicate_of_id is None


class TestRouting:
    def test_most_specific_rule_wins(self, session: Session) -> None:
        admin = actor(session, "admin")
        sf = units.get_unit_by_code(session, "330108-SF")
        routing.save_rule(
            session, admin, category_prefix="0102", area_prefix=GRID[:9], unit_id=sf.id, priority=5
        )
        lon, lat = point_in(session)
        case = service.raise_case(
            session, SYSTEM, category_code="0102", description="x", source="app", lon=lon, lat=lat
        )
        assert case.owner_unit_id == sf.id

    def test_only_district_admin_edits_rules(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            routing.save_rule(session, actor(session, "street"), category_prefix="01", target="street_centre")

    def test_bad_rule_names_field(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as err:
            routing.save_rule(session, actor(session, "admin"), category_prefix="0102", target="unit")
        assert err.value.field == "unit_id"


class TestRevealReporter:
    def test_reveal_is_audited_and_stored_encrypted(self, session: Session) -> None:
        lon, lat = point_in(session)
        case = service.submit_report(
            session,
            SYSTEM,
            category_code="0102",
            description="x",
            source="resident_web",
            lon=lon,
            lat=lat,
            reporter_name="李四",
            reporter_phone="+86 139-0000-2222",
        )
        assert case.reporter_phone_enc and b"13900002222" not in case.reporter_phone_enc
        assert case.reporter_phone_masked == "139****2222" and case.reporter_name_masked == "李*"
        street = actor(session, "street")
        shown = service.reveal_reporter(
            session, street, case_id=case.id, fields=["name", "phone"], purpose="contact", reason="回访报事人"
        )
        assert shown == {"name": "李四", "phone": "13900002222"}
        only = service.reveal_reporter(
            session, street, case_id=case.id, fields=["phone"], purpose="contact", reason="回访报事人"
        )
        assert only == {"phone": "13900002222"}
        record = session.scalar(
            select(AuditRecord)
            .where(AuditRecord.subject_type == "case_reporter")
            .order_by(AuditRecord.id.desc())
        )
        assert (
            record is not None
            and record.subject_id == str(case.id)
            and record.reason == "contact: 回访报事人"
        )
        assert record.action == "pii.reveal" and record.details["fields"] == ["phone"]

    def test_lookup_by_phone_uses_the_blind_index(self, session: Session) -> None:
        lon, lat = point_in(session)
        case = service.submit_report(
            session,
            SYSTEM,
            category_code="0102",
            description="x",
            source="resident_web",
            lon=lon,
            lat=lat,
            reporter_phone="13900003333",
        )
        found, total = service.list_cases(
            session, actor(session, "admin"), filters=service.CaseFilter(reporter_phone="139 0000 3333")
        )
        assert total == 1 and found[0].id == case.id


class TestHotline:
    def test_operator_enters_a_callers_report_audited(self, session: Session) -> None:
        lon, lat = point_in(session)
        street = actor(session, "street")
        case = service.submit_report(
            session,
            street,
            category_code="0502",
            description="堵门违停",
            source="hotline",
            lon=lon,
            lat=lat,
            reporter_name="王五",
            reporter_phone="13700001111",
            on_behalf=True,
        )
        assert case.source == "hotline" and case.entered_by_id == street.account_id
        assert case.reporter_account_id is None
        record = session.scalar(
            select(AuditRecord).where(AuditRecord.action == "pii_collect").order_by(AuditRecord.id.desc())
        )
        assert record is not None and record.subject_id == str(case.id)

    def test_hotline_needs_the_callers_phone(self, session: Session) -> None:
        lon, lat = point_in(session)
        with pytest.raises(ValidationFailed) as err:
            service.submit_report(
                session,
                actor(session, "street"),
                category_code="0502",
                description="x",
                source="hotline",
                lon=lon,
                lat=lat,
                on_behalf=True,
            )
        assert err.value.field == "reporter_phone"
