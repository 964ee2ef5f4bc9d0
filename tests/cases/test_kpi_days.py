"""The KPIs' daily roll-up (cases.kpi_days): built by the demo, kept exact as cases move — a changed day is
marked stale in the change's transaction and read from the cases until the refresh rebuilds it — and every
KPI figure equal to the direct query's (the cases alone), today's reports included."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases import kpi_days, kpis, workflow
from pingan.cases.models import OPEN_STATES, Case, KpiDay, KpiDaysState, KpiStaleDay, Rating, State
from pingan.cases.service import raise_case
from pingan.core.clock import LOCAL_TZ, to_local, utcnow
from pingan.core.security import Actor
from tests.factories import actor

GROUPS = kpis.GROUPS


def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def _same(session: Session, who: Actor, **kwargs: Any) -> dict[str, Any]:
    """The KPIs from the roll-up, checked equal to the direct query's."""
    rolled = kpis.case_kpis(session, who, **kwargs)
    assert rolled == kpis.case_kpis_direct(session, who, **kwargs), kwargs
    return rolled


def _waiting_report(session: Session, admin: Actor) -> Case:
    """A report of a built day still waiting to be registered (the demo's command rooms register promptly, so
    one is made: reported five days ago, its day rebuilt)."""
    where = session.execute(select(Case.lon, Case.lat).where(Case.lon.is_not(None)).limit(1)).one()
    case = raise_case(
        session,
        admin,
        category_code="0502",
        description="占道经营",
        source="hotline",
        lon=where.lon,
        lat=where.lat,
    )
    case.reported_at = kpi_days.day_start(_today() - timedelta(days=5)) + timedelta(hours=10)
    session.flush()
    kpi_days.refresh(session)
    assert (
        case.state == State.REPORTED.value
        and session.get(KpiStaleDay, to_local(case.reported_at).date()) is None
    )
    return case


def _built_case(session: Session, *, states: tuple[str, ...], days_ago: int = 5) -> Case:
    """A case reported a few days ago (a built day) in one of ``states``."""
    before = kpi_days.day_start(_today() - timedelta(days=days_ago))
    case = session.scalar(
        select(Case)
        .where(Case.state.in_(states), Case.reported_at < before, Case.area_code.like("330108%"))
        .order_by(Case.reported_at.desc())
        .limit(1)
    )
    assert case is not None
    return case


class TestBuilt:
    def test_the_demo_builds_the_days_up_to_yesterday(self, session: Session) -> None:
        state = session.get(KpiDaysState, kpi_days.STATE)
        assert state is not None and state.built_through is not None
        assert _today() - timedelta(days=2) <= state.built_through < _today()
        rows = session.scalar(select(func.sum(KpiDay.received)))
        cases = session.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                Case.reported_at < kpi_days.day_start(state.built_through + timedelta(days=1)),
                Case.state != State.MERGED.value,
            )
        )
        assert rows == cases and rows

    @pytest.mark.parametrize("group_by", GROUPS)
    def test_every_group_equals_the_direct_query(self, session: Session, group_by: str) -> None:
        today = _today()
        where = session.execute(select(Case.lon, Case.lat).where(Case.lon.is_not(None)).limit(1)).one()
        raise_case(  # one of today's reports (never in the roll-up: read from the cases)
            session, actor(session, "admin"), category_code="0502", description="垃圾堆放", source="hotline",
            lon=where.lon, lat=where.lat,
        )  # fmt: skip
        result = _same(
            session,
            actor(session, "admin"),
            group_by=group_by,
            date_from=today - timedelta(days=75),
            date_to=today,
        )
        assert result["groups"]

    def test_scoped_and_filtered_actors_equal_the_direct_query(self, session: Session) -> None:
        today = _today()
        for name in ("street", "gridworker", "cadre", "handler"):
            for kwargs in (
                {"group_by": "grid"},
                {"group_by": "major", "category_prefix": "05"},
                {"group_by": "month", "area_code": "330108002"},
            ):
                _same(
                    session,
                    actor(session, name),
                    date_from=today - timedelta(days=40),
                    date_to=today,
                    **kwargs,
                )


class TestKeptExact:
    def test_a_change_marks_its_day_and_the_refresh_rebuilds_it(self, session: Session) -> None:
        admin = actor(session, "admin")
        case = _waiting_report(session, admin)
        day = to_local(case.reported_at).date()
        period = {"group_by": "category", "date_from": day - timedelta(days=3), "date_to": _today()}
        before = _same(session, admin, **period)
        workflow.transition(session, admin, case_id=case.id, action="reject", note="不属于受理范围")
        session.flush()
        assert session.get(KpiStaleDay, day) is not None  # marked in the change's transaction
        after = _same(session, admin, **period)
        assert after != before
        report = kpi_days.refresh(session)
        assert report.days >= 1
        assert session.get(KpiStaleDay, day) is None
        assert kpis.case_kpis(session, admin, **period) == after  # now from the rebuilt roll-up
        rejected = session.scalar(
            select(func.sum(KpiDay.rejected)).where(
                KpiDay.day == day,
                KpiDay.area_code == case.area_code,
                KpiDay.category_code == case.category_code,
            )
        )
        assert rejected and rejected >= 1

    def test_a_case_moving_to_another_grid_and_category(self, session: Session) -> None:
        admin = actor(session, "admin")
        case = _built_case(session, states=tuple(s.value for s in OPEN_STATES), days_ago=9)
        other = session.scalar(select(Case.area_code).where(Case.area_code != case.area_code).limit(1))
        assert other is not None
        case.area_code, case.category_code, case.owner_unit_id = other, "1601", None
        session.flush()
        day = to_local(case.reported_at).date()
        for group_by in ("grid", "category", "unit"):
            _same(session, admin, group_by=group_by, date_from=day, date_to=day)
        kpi_days.refresh(session)
        for group_by in ("grid", "category", "unit"):
            _same(session, admin, group_by=group_by, date_from=day, date_to=day)

    def test_a_rating_marks_the_rated_case_s_day(self, session: Session) -> None:
        admin = actor(session, "admin")
        case = _built_case(session, states=(State.CLOSED.value,), days_ago=20)
        day = to_local(case.reported_at).date()
        session.add(Rating(case_id=case.id, is_fixed=True, satisfaction="unsatisfied"))
        session.flush()
        assert session.get(KpiStaleDay, day) is not None
        result = _same(session, admin, group_by="total", date_from=day, date_to=day)
        kpi_days.refresh(session)
        assert _same(session, admin, group_by="total", date_from=day, date_to=day) == result

    def test_changes_outside_the_kpi_columns_mark_nothing(self, session: Session) -> None:
        # any state: how many cases of a month ago are still open depends on the hour the demo was built
        case = _built_case(session, states=tuple(s.value for s in State), days_ago=30)
        kpi_days.refresh(session)
        case.sla_color = "yellow" if case.sla_color != "yellow" else "green"
        case.public_note = "已到现场"
        session.flush()
        assert session.get(KpiStaleDay, to_local(case.reported_at).date()) is None

    def test_a_day_not_built_yet_is_read_from_the_cases(self, session: Session) -> None:
        """An empty roll-up (a database migrated before it, before its first refresh) answers as before."""
        session.query(KpiDay).delete()
        session.query(KpiDaysState).delete()
        today = _today()
        result = _same(
            session,
            actor(session, "admin"),
            group_by="month",
            date_from=today - timedelta(days=60),
            date_to=today,
        )
        assert sum(g["received"] for g in result["groups"]) > 50
        report = kpi_days.refresh(session)
        assert report.built_through == today - timedelta(days=1) or report.built_through == today - timedelta(
            days=2
        )
        assert session.scalar(select(func.count()).select_from(KpiDay))
        _same(
            session,
            actor(session, "admin"),
            group_by="month",
            date_from=today - timedelta(days=60),
            date_to=today,
        )
