"""The volunteer registry, teams, training, handbook, activities and the roster import."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.pii import get_protector
from pingan.core.security import Actor
from pingan.patrols import roster, training, volunteers
from pingan.patrols.models import PatrolVolunteer
from tests.factories import actor
from tests.patrols.conftest import Place, make_id_number, make_phone, register

SYSTEM = Actor.system("test")


class TestRegisterVolunteer:
    def test_personal_data_is_encrypted_indexed_and_masked(self, session: Session, place: Place) -> None:
        id_number, phone = make_id_number(), make_phone()
        v = volunteers.register_volunteer(
            session,
            actor(session, "street"),
            team_id=place.team_id,
            name="王小明",
            id_number=id_number,
            phone=phone,
        )
        assert v.name_masked == "王*明" and v.phone_masked == phone[:3] + "****" + phone[-4:]
        assert id_number.encode() not in v.id_number_enc and phone.encode() not in v.phone_enc
        assert get_protector().decrypt(v.id_number_enc) == id_number
        found, total = volunteers.list_volunteers(session, actor(session, "admin"), phone=phone)
        assert total == 1 and found[0].id == v.id
        assert v.area_code == place.community and v.sex in ("male", "female")

    def test_wrong_check_digit_names_the_field(self, session: Session, place: Place) -> None:
        bad = make_id_number()
        bad = bad[:17] + ("0" if bad[17] != "0" else "1")
        with pytest.raises(ValidationFailed) as exc:
            volunteers.register_volunteer(
                session, SYSTEM, team_id=place.team_id, name="李四", id_number=bad, phone=make_phone()
            )
        assert exc.value.field == "id_number"

    def test_same_id_number_twice_is_refused(self, session: Session, place: Place) -> None:
        id_number = make_id_number()
        volunteers.register_volunteer(
            session, SYSTEM, team_id=place.team_id, name="李四", id_number=id_number, phone=make_phone()
        )
        with pytest.raises(Conflict) as exc:
            volunteers.register_volunteer(
                session, SYSTEM, team_id=place.team_id, name="李四", id_number=id_number, phone=make_phone()
            )
        assert exc.value.field == "id_number"

    def test_device_ids_are_unique(self, session: Session, place: Place) -> None:
        register(session, place.team_id, device_id="SAME-1")
        with pytest.raises(Conflict) as exc:
            register(session, place.team_id, device_id="SAME-1")
        assert exc.value.field == "device_id"

    def test_out_of_scope_team_is_not_found(self, session: Session, place: Place) -> None:
        from pingan.core.security import Role
        from tests.factories import make_account

        make_account(session, "xixing_op", Role.STREET_OPERATOR, "330108001")
        with pytest.raises(NotFound):
            volunteers.register_volunteer(
                session,
                actor(session, "xixing_op"),
                team_id=place.team_id,
                name="李四",
                id_number=make_id_number(),
                phone=make_phone(),
            )


class TestListVolunteers:
    def test_scope_limits_the_list(self, session: Session, place: Place) -> None:
        _, district = volunteers.list_volunteers(session, actor(session, "admin"), limit=1)
        _, street = volunteers.list_volunteers(session, actor(session, "street"), limit=1)
        items, community = volunteers.list_volunteers(session, actor(session, "volunteer"), limit=500)
        assert district > street > community > 0
        assert all(v.area_code == place.community for v in items)

    def test_resident_is_refused(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            volunteers.list_volunteers(session, actor(session, "resident"))


class TestUpdateVolunteer:
    def test_status_skills_and_device(self, session: Session, volunteer: PatrolVolunteer) -> None:
        v = volunteers.update_volunteer(
            session,
            SYSTEM,
            volunteer_id=volunteer.id,
            status="paused",
            skills=["fire", "first_aid"],
            device_id="NEW-9",
        )
        assert (v.status, v.skills, v.device_id) == ("paused", ["fire", "first_aid"], "NEW-9")

    def test_unknown_skill(self, session: Session, volunteer: PatrolVolunteer) -> None:
        with pytest.raises(ValidationFailed) as exc:
            volunteers.update_volunteer(session, SYSTEM, volunteer_id=volunteer.id, skills=["flying"])
        assert exc.value.field == "skills"


class TestRevealVolunteer:
    def test_reveal_needs_a_reason_and_is_audited(self, session: Session, volunteer: PatrolVolunteer) -> None:
        street = actor(session, "street")
        with pytest.raises(ValidationFailed):
            volunteers.reveal_volunteer(
                session,
                street,
                volunteer_id=volunteer.id,
                fields=["name"],
                purpose="verify_identity",
                reason="",
            )
        full = volunteers.reveal_volunteer(
            session,
            street,
            volunteer_id=volunteer.id,
            fields=["name", "id_number"],
            purpose="verify_identity",
            reason="核实队员身份",
        )
        assert full["name"] == "测试队员" and len(full["id_number"] or "") == 18 and "phone" not in full
        record = session.scalar(
            select(AuditRecord).where(
                AuditRecord.subject_id == str(volunteer.id), AuditRecord.action == "pii.reveal"
            )
        )
        assert (
            record is not None
            and record.reason == "verify_identity: 核实队员身份"
            and record.username == "street"
        )

    def test_grid_worker_may_not_reveal(self, session: Session, volunteer: PatrolVolunteer) -> None:
        with pytest.raises(Forbidden):
            volunteers.reveal_volunteer(
                session,
                actor(session, "gridworker"),
                volunteer_id=volunteer.id,
                fields=["name"],
                purpose="verify_identity",
                reason="看看是谁啊",
            )


class TestExportRoster:
    def test_masked_export_is_audited_as_bulk_read(self, session: Session, place: Place) -> None:
        rows = volunteers.export_roster(session, actor(session, "street"), within=place.community)
        assert rows and all("*" in r["id_number"] for r in rows)
        record = session.scalar(
            select(AuditRecord).where(AuditRecord.action == "bulk.export").order_by(AuditRecord.id.desc())
        )
        assert record is not None and record.details["rows"] == len(rows)

    def test_full_export_needs_reason(self, session: Session) -> None:
        with pytest.raises(ValidationFailed):
            volunteers.export_roster(session, actor(session, "admin"), full=True)


def _csv(*rows: str) -> bytes:
    return ("姓名,身份证号,手机号,社区,技能,设备号\n" + "\n".join(rows) + "\n").encode()


class TestImportRoster:
    def test_clean_file_imports_everything(self, session: Session, place: Place) -> None:
        data = _csv(
            f"赵一,{make_id_number()},{make_phone()},月明社区,first_aid、fire,DEV-A1",
            f"钱二,{make_id_number()},{make_phone()},{place.community},,",
        )
        report = roster.import_roster(session, actor(session, "street"), data=data, filename="r.csv")
        assert (report.rows, report.imported, report.errors) == (2, 2, [])
        v = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.device_id == "DEV-A1"))
        assert v is not None and v.skills == ["fire", "first_aid"] and v.area_code == place.community

    def test_any_bad_row_writes_nothing(self, session: Session) -> None:
        before = session.scalar(select(func.count()).select_from(PatrolVolunteer))
        data = _csv(
            f"赵一,{make_id_number()},{make_phone()},月明社区,,",
            f"钱二,123,{make_phone()},月明社区,,",
            f"孙三,{make_id_number()},12,不存在社区,,",
        )
        with pytest.raises(ValidationFailed) as exc:
            roster.import_roster(session, SYSTEM, data=data, filename="r.csv")
        details = exc.value.details
        assert [(d["row"], d["field"]) for d in details] == [(3, "id_number"), (4, "community")]
        assert session.scalar(select(func.count()).select_from(PatrolVolunteer)) == before

    def test_valid_rows_only_with_error_file(self, session: Session) -> None:
        duplicate = make_id_number()
        data = _csv(
            f"赵一,{duplicate},{make_phone()},月明社区,,",
            f"钱二,{duplicate},{make_phone()},月明社区,,",
            f"孙三,{make_id_number()},{make_phone()},月明社区,swimmingx,",
        )
        report = roster.import_roster(session, SYSTEM, data=data, filename="r.csv", valid_only=True)
        assert report.imported == 1
        assert [e.row for e in report.errors] == [3, 4]
        assert report.error_csv().splitlines()[0] == "row,field,message"

    def test_out_of_scope_community_is_a_row_error(self, session: Session) -> None:
        data = _csv(f"赵一,{make_id_number()},{make_phone()},月明社区,,")
        report = roster.import_roster(
            session, actor(session, "gridworker"), data=data, filename="r.csv", valid_only=True
        )
        assert report.imported == 0 and report.errors[0].field == "community"

    def test_template_round_trip(self, session: Session) -> None:
        book = load_workbook(io.BytesIO(roster.template_xlsx()))
        sheet = book.active
        assert sheet is not None
        sheet.delete_rows(2)
        sheet.append(["周五", make_id_number(), make_phone(), "月明社区", "", "", "", "在岗", "2026-02-01"])
        buf = io.BytesIO()
        book.save(buf)
        report = roster.import_roster(session, SYSTEM, data=buf.getvalue(), filename="r.xlsx")
        # an empty team column means the community's default team "月明社区巡防队", which the demo created
        assert report.imported == 1 and report.teams_created == 0

    def test_template_example_imports_as_written(self, session: Session) -> None:
        """The template's example row (Chinese skill names, 在岗) imports as written (with new ids)."""
        book = load_workbook(io.BytesIO(roster.template_xlsx()))
        sheet = book.active
        assert sheet is not None
        example = [c.value for c in sheet[2]]
        assert "急救" in str(example[5])
        sheet["B2"], sheet["C2"] = make_id_number(), make_phone()
        buf = io.BytesIO()
        book.save(buf)
        report = roster.import_roster(session, SYSTEM, data=buf.getvalue(), filename="r.xlsx")
        assert (report.imported, report.errors) == (1, [])

    def test_chinese_and_english_names_of_every_enumerated_column(self, session: Session) -> None:
        data = (
            "姓名,身份证号,手机号,社区,技能,状态\n"
            f"赵一,{make_id_number()},{make_phone()},月明社区,急救、消防,暂停\n"
            f"钱二,{make_id_number()},{make_phone()},月明社区,First_Aid，调解,paused\n"
            f"孙三,{make_id_number()},{make_phone()},月明社区,游泳,Left\n"
            f"李四,{make_id_number()},{make_phone()},月明社区,驾驶;外语,退出\n"
        ).encode()
        report = roster.import_roster(session, SYSTEM, data=data, filename="r.csv")
        assert (report.imported, report.errors) == (4, [])
        rows = session.execute(
            select(PatrolVolunteer.skills, PatrolVolunteer.status)
            .order_by(PatrolVolunteer.id.desc())
            .limit(4)
        ).all()
        assert [tuple(r) for r in reversed(rows)] == [
            (["fire", "first_aid"], "paused"),
            (["first_aid", "mediation"], "paused"),
            (["swimming"], "left"),
            (["driving", "language"], "left"),
        ]

    def test_unknown_names_are_row_errors_naming_both_languages(self, session: Session) -> None:
        data = (
            "姓名,身份证号,手机号,社区,技能,状态\n"
            f"赵一,{make_id_number()},{make_phone()},月明社区,飞行,在岗\n"
            f"钱二,{make_id_number()},{make_phone()},月明社区,急救,休假\n"
        ).encode()
        with pytest.raises(ValidationFailed) as exc:
            roster.import_roster(session, SYSTEM, data=data, filename="r.csv")
        details = exc.value.details
        assert [(d["row"], d["field"]) for d in details] == [(2, "skills"), (3, "status")]
        assert "急救" in details[0]["message"] and "first_aid" in details[0]["message"]
        assert "在岗" in details[1]["message"] and "active" in details[1]["message"]

    def test_missing_columns(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as exc:
            roster.import_roster(
                session, SYSTEM, data="姓名,手机号\n张三,13800001111\n".encode(), filename="r.csv"
            )
        assert "身份证号" in exc.value.message

    def test_wrong_file_type(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as exc:
            roster.import_roster(session, SYSTEM, data=b"x", filename="r.pdf")
        assert exc.value.field == "file"


class TestTraining:
    def test_certificates_expire_after_the_course_validity(
        self, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        course = training.create_course(session, SYSTEM, code="T-1", title="急救", validity_months=12)
        held = training.schedule_session(
            session, SYSTEM, course_id=course.id, area_code=volunteer.area_code, held_on=date(2025, 1, 31)
        )
        (cert,) = training.issue_certificates(
            session, SYSTEM, session_id=held.id, volunteer_ids=[volunteer.id]
        )
        assert cert.expires_on == date(2026, 1, 31)
        states = training.volunteer_certificates(
            session, SYSTEM, volunteer_id=volunteer.id, today=date(2026, 1, 10)
        )
        assert states[0]["state"] == "expiring"
        states = training.volunteer_certificates(
            session, SYSTEM, volunteer_id=volunteer.id, today=date(2026, 2, 1)
        )
        assert states[0]["state"] == "expired"
        with pytest.raises(Conflict):
            training.issue_certificates(session, SYSTEM, session_id=held.id, volunteer_ids=[volunteer.id])


class TestHandbook:
    def test_each_version_is_acknowledged_separately(
        self, session: Session, volunteer: PatrolVolunteer
    ) -> None:
        admin = actor(session, "admin")
        before = training.handbook_status(session, admin)
        training.publish_handbook(session, admin, version="2099.1", title="新版手册", body="新规定")
        status = training.handbook_status(session, admin)
        assert status["version"] == "2099.1" and status["acknowledged"] == 0
        assert before["acknowledged"] > 0
        training.acknowledge_handbook(session, SYSTEM, volunteer_id=volunteer.id, version="2099.1")
        training.acknowledge_handbook(
            session, SYSTEM, volunteer_id=volunteer.id, version="2099.1"
        )  # idempotent
        assert training.handbook_status(session, admin)["acknowledged"] == 1

    def test_only_the_district_publishes(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            training.publish_handbook(session, actor(session, "street"), version="x1", title="t", body="b")


class TestActivityTotals:
    def test_turnouts_and_hours_per_team(
        self, session: Session, volunteer: PatrolVolunteer, place: Place
    ) -> None:
        start = datetime(2030, 1, 1, 1, tzinfo=UTC)
        for hours in (2.0, 3.5):
            training.record_activity(
                session, SYSTEM, volunteer_id=volunteer.id, kind="patrol", started_at=start, hours=hours
            )
        rows = training.activity_totals(session, SYSTEM, group_by="volunteer", since=start)
        assert rows == [{"key": str(volunteer.id), "turnouts": 2, "hours": 5.5}]
        teams = training.activity_totals(session, SYSTEM, group_by="team", since=start)
        assert teams[0]["key"] == str(place.team_id) and teams[0]["turnouts"] == 2

    def test_hours_out_of_range(self, session: Session, volunteer: PatrolVolunteer) -> None:
        with pytest.raises(ValidationFailed) as exc:
            training.record_activity(
                session,
                SYSTEM,
                volunteer_id=volunteer.id,
                kind="patrol",
                started_at=datetime.now(UTC),
                hours=30,
            )
        assert exc.value.field == "hours"
