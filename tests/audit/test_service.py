from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from pingan.audit import service
from pingan.audit.models import AuditRecord
from pingan.core.clock import utcnow
from pingan.core.errors import Forbidden, ValidationFailed
from pingan.core.security import Actor, Role
from tests.factories import actor, make_account

CHANGHE = "330108002"
XIXING = "330108001"


def add(
    session: Session,
    *,
    username: str = "someone",
    action: str = "pii.reveal",
    area: str | None = CHANGHE,
    at_offset: timedelta = timedelta(0),
    subject_id: str = "1",
) -> AuditRecord:
    rec = service.record(
        session,
        Actor(account_id=None, username=username),
        action=action,
        subject_type="person",
        subject_id=subject_id,
        area_code=area,
        reason="why",
    )
    if at_offset:
        rec.at = utcnow() + at_offset  # only while not yet flushed is it not an UPDATE
    return rec


def search(session: Session, viewer: Actor, **filters: object) -> list[AuditRecord]:
    rows, _total = service.search_records(session, viewer, query=service.AuditQuery(**filters), limit=500)  # type: ignore[arg-type]
    return rows


class TestRecord:
    def test_writes_who_what_why_and_where_from(self, session: Session) -> None:
        who = Actor(account_id=7, username="zhang", client_ip="192.0.2.1")
        rec = service.record(
            session,
            who,
            action="pii.reveal",
            subject_type="person",
            subject_id=42,
            area_code=CHANGHE,
            reason="visit",
            details={"field": "phone"},
        )
        assert (rec.account_id, rec.username, rec.client_ip, rec.subject_id) == (
            7,
            "zhang",
            "192.0.2.1",
            "42",
        )
        assert rec.at is not None


class TestSearchRecords:
    def test_filters(self, session: Session) -> None:
        add(session, username="alice", action="pii.reveal")
        add(session, username="bob", action="pii.export", area=XIXING)
        add(session, username="bob", action="account.create", subject_id="9")
        auditor = actor(session, "auditor")
        assert {r.username for r in search(session, auditor, who="bob")} == {"bob"}
        assert {r.action for r in search(session, auditor, action="pii.")} == {"pii.reveal", "pii.export"}
        assert [r.username for r in search(session, auditor, area_code=XIXING)] == ["bob"]
        assert [r.subject_id for r in search(session, auditor, subject_type="person", subject_id="9")] == [
            "9"
        ]
        now = utcnow()
        assert search(session, auditor, since=now + timedelta(hours=1)) == []
        assert len(search(session, auditor, until=now + timedelta(hours=1), who="alice")) == 1

    def test_pagination_and_total(self, session: Session) -> None:
        for i in range(5):
            add(session, username="pager", subject_id=str(i))
        rows, total = service.search_records(
            session, actor(session, "auditor"), query=service.AuditQuery(who="pager"), limit=2, offset=2
        )
        assert total == 5 and len(rows) == 2

    def test_street_auditor_sees_only_own_street(self, session: Session) -> None:
        make_account(session, "street_auditor", Role.AUDITOR, XIXING)
        add(session, username="in", area=XIXING + "001")
        add(session, username="out", area=CHANGHE)
        add(session, username="nowhere", area=None)
        names = {r.username for r in search(session, actor(session, "street_auditor"))}
        assert "in" in names and "out" not in names and "nowhere" not in names
        assert "nowhere" in {r.username for r in search(session, actor(session, "auditor"))}

    def test_only_auditors(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            search(session, actor(session, "admin"))

    def test_inverted_time_range_names_the_field(self, session: Session) -> None:
        now = utcnow()
        with pytest.raises(ValidationFailed) as exc:
            search(session, actor(session, "auditor"), since=now, until=now - timedelta(days=1))
        assert exc.value.field == "since"


class TestAppendOnly:
    """The database itself refuses to change or delete audit records (triggers of 0003_security)."""

    def test_update_is_refused_by_the_database(self, session: Session) -> None:
        rec = add(session)
        with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
            session.execute(update(AuditRecord).where(AuditRecord.id == rec.id).values(reason="edited"))
        session.expire_all()
        assert session.get(AuditRecord, rec.id).reason == "why"  # type: ignore[union-attr]

    def test_delete_is_refused_by_the_database(self, session: Session) -> None:
        rec = add(session)
        with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
            session.execute(delete(AuditRecord).where(AuditRecord.id == rec.id))
        assert session.scalar(select(AuditRecord.id).where(AuditRecord.id == rec.id)) == rec.id

    def test_raw_sql_is_refused_too(self, session: Session) -> None:
        add(session)
        with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
            session.execute(text("DELETE FROM audit_records"))
