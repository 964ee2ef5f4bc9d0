"""KPIs over the demo history and fresh cases: counts, on-time rate, YoY fall of public-order cases, scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import kpis, sla
from pingan.cases.models import Case, Category
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.errors import Forbidden, ValidationFailed
from tests.factories import actor, auth


class TestCaseKpis:
    def test_demo_history_is_not_empty(self, session: Session) -> None:
        result = kpis.case_kpis(session, actor(session, "admin"), group_by="major")
        groups = {g["key"]: g for g in result["groups"]}
        assert sum(g["received"] for g in groups.values()) > 50
        total = kpis.case_kpis(session, actor(session, "admin"))["groups"][0]
        assert 0 < total["on_time_closure_rate"] <= 1
        assert total["avg_minutes"]["handle"] > 0
        assert total["satisfaction"]["rated"] > 0

    def test_demo_history_counts_each_category_on_its_clock(self, session: Session) -> None:
        """Ordinary categories count working time, emergencies natural time: in the history too."""
        calendar = sla.calendar_for(session)
        seen: set[str] = set()
        for case in session.scalars(select(Case).where(Case.stage_due_at.is_not(None)).limit(400)):
            category = session.get(Category, case.category_code)
            assert case.stage is not None and case.stage_started_at and case.stage_due_at
            assert case.sla_clock == sla.clock_of(category)
            limit = sla.stage_minutes(category, case.priority)[case.stage]
            expected = sla.add_minutes(case.sla_clock, case.stage_started_at, limit, calendar)
            assert abs((case.stage_due_at - expected).total_seconds()) < 1, case.number
            seen.add(case.sla_clock)
        assert seen == {"working", "natural"}

    def test_public_order_falls_about_half_year_on_year(self, session: Session) -> None:
        today = utcnow().astimezone(LOCAL_TZ).date()
        result = kpis.case_kpis(
            session,
            actor(session, "admin"),
            group_by="major",
            date_from=today - timedelta(days=60),
            date_to=today - timedelta(days=1),
            category_prefix="06",
        )
        group = result["groups"][0]
        assert group["key"] == "06"
        assert -0.75 < group["yoy_change"] < -0.25  # generated to fall by about 49.7 %

    def test_monthly_series_has_mom_and_yoy(self, session: Session) -> None:
        today = utcnow().astimezone(LOCAL_TZ).date()
        result = kpis.case_kpis(
            session,
            actor(session, "admin"),
            group_by="month",
            date_from=today - timedelta(days=90),
            date_to=today,
        )
        assert len(result["groups"]) >= 3
        assert all("mom_change" in g and "yoy_change" in g for g in result["groups"])

    def test_scope_limits_the_numbers(self, session: Session) -> None:
        district = kpis.case_kpis(session, actor(session, "admin"), group_by="street")
        street = kpis.case_kpis(session, actor(session, "street"), group_by="street")
        assert {g["key"] for g in street["groups"]} <= {"330108002"}
        assert len(district["groups"]) >= 3

    def test_bad_group(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as err:
            kpis.case_kpis(session, actor(session, "admin"), group_by="weather")
        assert err.value.field == "group_by"

    def test_resident_may_not(self, session: Session) -> None:
        with pytest.raises(Forbidden):
            kpis.case_kpis(session, actor(session, "resident"))

    def test_api(self, client: TestClient, session: Session) -> None:
        r = client.get(
            "/api/v1/case-kpis",
            params={"group_by": "unit", "from": (date.today() - timedelta(days=30)).isoformat()},
            headers=auth(session, "admin"),
        )
        assert r.status_code == 200 and r.json()["groups"]
