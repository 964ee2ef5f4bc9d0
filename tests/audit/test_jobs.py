from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import pingan.accounts.jobs  # noqa: F401  (registers "api_tokens")
from pingan.audit import jobs
from pingan.audit.models import AuditPurgeGuard, AuditRecord
from pingan.core.clock import utcnow
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor


def count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord).where(*where)) or 0  # type: ignore[arg-type]


class TestRegisterRetention:
    def test_modules_register_their_kinds(self) -> None:
        kinds = {k.kind for k in jobs.retention_kinds()}
        assert {"audit", "api_tokens"} <= kinds


class TestPurgeExpired:
    def test_purges_old_audit_records_and_audits_the_purge(self, session: Session) -> None:
        old = AuditRecord(
            username="old",
            action="pii.reveal",
            subject_type="person",
            details={},
            at=utcnow() - timedelta(days=400),
        )
        session.add(old)
        session.flush()
        recent = count(session)
        deleted = jobs.purge_expired(session, Actor.system("test"), overrides={"audit": 365}, kinds=["audit"])
        assert deleted == {"audit": 1}
        assert count(session, AuditRecord.username == "old") == 0
        assert count(session) == recent  # one gone, one summary written
        summary = session.scalar(select(AuditRecord).where(AuditRecord.action == "retention.purge"))
        assert summary is not None and summary.details["deleted"] == 1 and summary.subject_type == "audit"
        assert session.scalar(select(func.count()).select_from(AuditPurgeGuard)) == 0

    def test_zero_days_keeps_forever(self, session: Session) -> None:
        session.add(
            AuditRecord(
                username="ancient",
                action="x",
                subject_type="y",
                details={},
                at=utcnow() - timedelta(days=9000),
            )
        )
        session.flush()
        assert jobs.purge_expired(session, Actor.system(), overrides={"audit": 0}, kinds=["audit"]) == {}
        assert count(session, AuditRecord.username == "ancient") == 1

    def test_progress_is_reported(self, session: Session) -> None:
        seen: list[str] = []
        jobs.purge_expired(session, Actor.system(), progress=lambda label, done, total: seen.append(label))
        assert seen[-1] == "done" and "audit" in seen

    def test_unknown_kind_names_the_setting(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as exc:
            jobs.purge_expired(session, Actor.system(), overrides={"photos_of_cats": 3})
        assert exc.value.field == "retention_days"
