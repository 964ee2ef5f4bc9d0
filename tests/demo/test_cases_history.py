"""The demo's case history: a district's volume, channel mix, week and day shape (the session's demo DB)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases.models import Case, CaseEvent
from pingan.core.clock import LOCAL_TZ, as_utc, utcnow


def _last_year(session: Session) -> list[tuple[str, str, datetime]]:
    since = utcnow() - timedelta(days=365)
    return [
        (source, code, as_utc(at).astimezone(LOCAL_TZ))
        for source, code, at in session.execute(
            select(Case.source, Case.category_code, Case.reported_at).where(Case.reported_at >= since)
        )
    ]


class TestCaseHistory:
    def test_a_few_hundred_reports_a_day_from_every_channel(self, session: Session) -> None:
        rows = _last_year(session)
        assert 150 <= len(rows) / 365 <= 600  # a district of half a million people, not a handful
        sources = Counter(source for source, _, _ in rows)
        for channel in ("hotline", "app", "grid_worker", "patrol", "open311", "resident_web"):
            assert sources[channel] > len(rows) * 0.03, channel
        assert sources.most_common(1)[0][0] == "hotline"  # 12345 takes the most calls
        majors = Counter(code[:2] for _, code, _ in rows)
        assert majors["01"] + majors["05"] > len(rows) * 0.3  # city appearance and street order lead
        for major in ("06", "07", "13"):  # public security, fire safety, disputes all present
            assert majors[major] > len(rows) * 0.02, major

    def test_weekdays_and_daytime_are_busier(self, session: Session) -> None:
        rows = _last_year(session)
        per_weekday = Counter(at.weekday() for _, _, at in rows)
        assert per_weekday[6] < per_weekday[2] * 0.85 and per_weekday[5] < per_weekday[2] * 0.9
        night = sum(1 for _, _, at in rows if at.hour < 6)
        morning = sum(1 for _, _, at in rows if 9 <= at.hour < 12)
        assert 0 < night < len(rows) * 0.06 and morning > len(rows) * 0.2
        staff = [at for source, _, at in rows if source == "grid_worker"]
        assert all(8 <= at.hour < 20 for at in staff)

    def test_the_open_backlog_is_a_working_districts(self, session: Session) -> None:
        """Open cases are recent and mostly within their limits: registration and dispatch are prompt, and
        only a few cases stuck at a department are overdue (no backlog of a command room nobody staffs)."""
        open_states = ("reported", "registered", "dispatched", "in_progress", "handled", "verified")
        rows = session.execute(
            select(Case.state, Case.reported_at, Case.sla_color).where(Case.state.in_(open_states))
        ).all()
        assert len(rows) >= 200
        red = sum(1 for _, _, color in rows if color == "red")
        assert red < len(rows) * 0.2, f"{red} of {len(rows)} open cases overdue"
        now = utcnow()
        waiting = [as_utc(at) for state, at, _ in rows if state in ("reported", "registered")]
        assert all(now - at < timedelta(days=8) for at in waiting)  # a long holiday at most

    def test_rejected_cases_were_never_registered(self, session: Session) -> None:
        rejected = session.scalar(select(func.count()).select_from(Case).where(Case.state == "rejected"))
        registered = session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.state == "rejected", Case.registered_at.is_not(None))
        )
        assert rejected and registered == 0
        steps = session.execute(
            select(CaseEvent.action)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.state == "rejected")
            .distinct()
        ).scalars()
        assert set(steps) == {"report", "reject"}
