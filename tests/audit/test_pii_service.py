import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import pii_service
from pingan.audit.models import AuditRecord
from pingan.core.config import Settings
from pingan.core.errors import Forbidden, NotFound, ValidationFailed
from pingan.core.pii import protect_id_number, protector_for
from pingan.core.security import Role
from tests.factories import actor, make_account

ID = "11010519491231002X"
GRID_A_STREET = "330108002"


def reveal(
    session: Session, settings: Settings, username: str, area: str, reason: str | None = "家访核实"
) -> str:
    protected = protect_id_number(protector_for(settings), ID)
    return pii_service.reveal(
        session,
        actor(session, username),
        protector=protector_for(settings),
        subject_type="person",
        subject_id=5,
        area_code=area,
        field="id_number",
        ciphertext=protected.ciphertext,
        reason=reason,
        purpose="home_visit",
    )


class TestReveal:
    def test_in_scope_operator_gets_the_value_and_a_record(
        self, session: Session, settings: Settings
    ) -> None:
        assert reveal(session, settings, "street", GRID_A_STREET + "001") == ID
        rec = session.scalar(select(AuditRecord).where(AuditRecord.action == "pii.reveal"))
        assert rec is not None and rec.username == "street" and rec.reason == "home_visit: 家访核实"
        assert rec.details == {"fields": ["id_number"], "purpose": "home_visit"} and rec.subject_id == "5"

    def test_out_of_scope_is_not_found(self, session: Session, settings: Settings) -> None:
        with pytest.raises(NotFound):
            reveal(session, settings, "street", "330108001001")

    def test_role_without_need_is_forbidden(self, session: Session, settings: Settings) -> None:
        for username in ("gridworker", "auditor", "resident"):
            with pytest.raises(Forbidden):
                reveal(session, settings, username, GRID_A_STREET)

    def test_reason_is_required(self, session: Session, settings: Settings) -> None:
        with pytest.raises(ValidationFailed) as exc:
            reveal(session, settings, "admin", GRID_A_STREET, reason="  ")
        assert exc.value.field == "reason"
        assert session.scalar(select(AuditRecord).where(AuditRecord.action == "pii.reveal")) is None

    def test_handler_only_for_own_unit(self, session: Session, settings: Settings) -> None:
        handler = actor(session, "handler")
        unit_id = handler.grants[0].unit_id
        protected = protect_id_number(protector_for(settings), ID)
        kwargs = dict(
            protector=protector_for(settings),
            subject_type="case",
            subject_id=1,
            area_code=GRID_A_STREET,
            field="id_number",
            ciphertext=protected.ciphertext,
            reason="处置联系当事人",
            purpose="case_handling",
        )
        assert pii_service.reveal(session, handler, unit_id=unit_id, **kwargs) == ID  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            pii_service.reveal(session, handler, unit_id=(unit_id or 0) + 1, **kwargs)  # type: ignore[arg-type]

    def test_callers_can_widen_the_roles(self, session: Session, settings: Settings) -> None:
        make_account(session, "gw2", Role.GRID_WORKER, GRID_A_STREET)
        protected = protect_id_number(protector_for(settings), ID)
        value = pii_service.reveal(
            session,
            actor(session, "gw2"),
            protector=protector_for(settings),
            subject_type="person",
            subject_id=1,
            area_code=GRID_A_STREET + "001",
            field="id_number",
            ciphertext=protected.ciphertext,
            reason="入户走访",
            purpose="home_visit",
            roles=(Role.GRID_WORKER,),
        )
        assert value == ID


class TestAuditBulkRead:
    def test_export_needs_a_reason_and_is_recorded(self, session: Session) -> None:
        admin = actor(session, "admin")
        with pytest.raises(ValidationFailed):
            pii_service.audit_bulk_read(
                session, admin, subject_type="person", count=3, fields=["phone"], export=True
            )
        pii_service.audit_bulk_read(
            session,
            admin,
            subject_type="person",
            count=3,
            fields=["phone", "id_number"],
            export=True,
            reason="quarterly report",
            area_code="330108",
            filters={"grid": "x"},
        )
        rec = session.scalar(select(AuditRecord).where(AuditRecord.action == "pii.export"))
        assert rec is not None and rec.details == {
            "count": 3,
            "fields": ["id_number", "phone"],
            "filters": {"grid": "x"},
        }
