"""cases.refresh_sla: colours, reminders, escalation by rule, one runner at a time; digest and reminders."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pingan.cases import jobs, service, workflow
from pingan.cases.models import Case, JobLease, Reminder
from pingan.core.clock import utcnow
from pingan.core.config import Settings
from pingan.core.db import create_db_engine, make_session_factory, transaction
from pingan.core.security import Actor
from tests.cases.helpers import point_in
from tests.factories import actor

SYSTEM = Actor.system("test")


def _case(session: Session, code: str = "0102") -> Case:
    lon, lat = point_in(session)
    return service.raise_case(
        session, SYSTEM, category_code=code, description="x", source="app", lon=lon, lat=lat
    )


class TestRefreshSla:
    def test_colours_reminders_and_escalation(self, session_factory: sessionmaker[Session]) -> None:
        session = session_factory()
        case = _case(session, "0401")  # natural clock: shares in calendar time (working: test_sla_calendar)
        session.commit()
        assert case.stage_due_at is not None and case.stage_started_at is not None
        allowance = case.stage_due_at - case.stage_started_at
        yellow_at = case.stage_started_at + allowance * 0.9
        report = jobs.refresh_sla(session_factory, holder="t1", now=yellow_at)
        assert report.ran and report.checked > 0
        session.expire_all()
        assert session.get(Case, case.id).sla_color == "yellow"  # type: ignore[union-attr]
        late = case.stage_due_at + allowance
        jobs.refresh_sla(session_factory, holder="t1", now=late)
        session.expire_all()
        refreshed = session.get(Case, case.id)
        assert refreshed is not None and refreshed.sla_color == "red" and refreshed.is_supervised
        assert refreshed.escalation_level == "district"
        kinds = set(session.scalars(select(Reminder.kind).where(Reminder.case_id == case.id)))
        assert kinds == {"warning", "overdue", "escalated", "supervised"}  # district, and street/unit
        jobs.refresh_sla(session_factory, holder="t1", now=late + timedelta(minutes=1))
        assert len(session.scalars(select(Reminder.id).where(Reminder.case_id == case.id)).all()) == 4
        session.close()

    def test_a_valid_lease_of_another_holder_skips(self, session_factory: sessionmaker[Session]) -> None:
        session = session_factory()
        session.merge(JobLease(name=jobs.JOB, holder="other", expires_at=utcnow() + timedelta(minutes=1)))
        session.commit()
        assert not jobs.refresh_sla(session_factory, holder="me").ran
        session.merge(JobLease(name=jobs.JOB, holder="other", expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        assert jobs.refresh_sla(session_factory, holder="me").ran
        session.close()

    def test_concurrent_runners_one_wins(self, session_factory: sessionmaker[Session]) -> None:
        session = session_factory()
        assert jobs.acquire_lease(session, "test.job", "a", timedelta(minutes=1), utcnow())
        assert not jobs.acquire_lease(session, "test.job", "b", timedelta(minutes=1), utcnow())
        assert jobs.acquire_lease(session, "test.job", "a", timedelta(minutes=1), utcnow())  # renew
        session.rollback()
        session.close()

    def test_suspended_cases_are_not_overdue(self, session_factory: sessionmaker[Session]) -> None:
        session = session_factory()
        case = _case(session)
        workflow.transition(session, SYSTEM, case_id=case.id, action="register")
        workflow.transition(session, SYSTEM, case_id=case.id, action="suspend", note="待定")
        session.commit()
        jobs.refresh_sla(session_factory, holder="t", now=utcnow() + timedelta(days=30))
        session.expire_all()
        assert session.get(Case, case.id).sla_color != "red"  # type: ignore[union-attr]
        session.close()


class TestDigestAndReminders:
    def test_handler_sees_own_unit_reminders(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        case = _case(session)
        workflow.transition(session, SYSTEM, case_id=case.id, action="register")
        workflow.transition(session, SYSTEM, case_id=case.id, action="dispatch")
        session.commit()
        assert case.stage_due_at is not None
        jobs.refresh_sla(session_factory, holder="t", now=case.stage_due_at + timedelta(minutes=1))
        mine = jobs.reminders_for(session, actor(session, "handler"))
        assert case.id in {r["case_id"] for r in mine}
        ack = jobs.acknowledge_reminder(session, actor(session, "handler"), reminder_id=mine[0]["id"])
        assert ack["acknowledged_at"]
        digest = jobs.daily_digest(session, actor(session, "admin"))
        assert any(row["unit_code"] == "330108-CG" and row["open"] >= 1 for row in digest)


class TestTicker:
    def test_ticker_runs_in_background(self, session_factory: sessionmaker[Session]) -> None:
        # the demo history's first pass escalates hundreds of open cases: done first, so that the ticker's
        # own pass (a recheck) fits the window below
        jobs.refresh_sla(session_factory, holder="warm-up")
        ticker = jobs.SlaTicker(session_factory, 0.05)
        ticker.start()
        threading.Event().wait(0.6)  # the test connection is used by the ticker thread alone meanwhile
        ticker.stop()
        session = session_factory()
        lease = session.get(JobLease, jobs.JOB)
        assert lease is not None and lease.last_run_at is not None and lease.holder == ticker.holder
        session.close()


class TestTickOverHttp:
    """``POST /api/v1/case-sla/tick`` on a real SQLite engine: the request must not hold the writer queue
    while the job waits for it (it answered 500 "database is locked (writer queue)" after 30 s)."""

    def test_admin_tick_answers_200(
        self, demo_db_template: Path, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from fastapi.testclient import TestClient

        from pingan.core import db as core_db
        from pingan.web.app import create_app
        from tests.cases.server import copy_db
        from tests.factories import auth

        if not settings.resolved_database_url().startswith("sqlite"):
            pytest.skip("the writer queue exists on SQLite only")
        monkeypatch.setattr(core_db, "SQLITE_WRITER_WAIT_SECONDS", 2.0)  # fail fast instead of after 30 s
        engine = create_db_engine(copy_db(demo_db_template, tmp_path / "tick.db"))
        try:
            app = create_app(settings, engine=engine)
            with TestClient(app, raise_server_exceptions=False) as client:
                with transaction(make_session_factory(engine)) as s:
                    headers = auth(s, "admin")
                r = client.post("/api/v1/case-sla/tick", headers=headers)
                assert r.status_code == 200, r.text
                assert r.json()["ran"] is True and r.json()["checked"] > 0
                with transaction(make_session_factory(engine)) as s:
                    street = auth(s, "street")
                assert client.post("/api/v1/case-sla/tick", headers=street).status_code == 403
        finally:
            engine.dispose()
