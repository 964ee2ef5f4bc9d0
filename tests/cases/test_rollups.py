"""The wall's roll-ups colour an open case as its page does: red from the moment a deadline passes, not
from the SLA job's next tick."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from pingan.cases import rollups, service, sla
from pingan.core.clock import utcnow
from pingan.core.security import Actor
from tests.cases.helpers import GRID, point_in

SYSTEM = Actor.system("test")


def _overdue_but_stored_green(session: Session) -> int:
    lon, lat = point_in(session, GRID)
    case = service.submit_report(
        session, SYSTEM, category_code="0102", description="rollup", source="resident_web", lon=lon, lat=lat
    )
    case.stage_due_at = utcnow() - timedelta(minutes=1)  # the job has not ticked since
    case.sla_color = "green"
    session.flush()
    assert sla.status_of(case).color == "red"
    return case.id


def test_open_groups_count_a_passed_deadline_red(session: Session) -> None:
    before = sum(g.count for g in rollups.open_groups(session, SYSTEM, within=GRID) if g.sla_color == "red")
    _overdue_but_stored_green(session)
    after = sum(g.count for g in rollups.open_groups(session, SYSTEM, within=GRID) if g.sla_color == "red")
    assert after == before + 1


def test_the_overdue_case_is_among_the_urgent_markers_and_the_feed_says_red(session: Session) -> None:
    case_id = _overdue_but_stored_green(session)
    urgent = rollups.urgent_open(session, SYSTEM, within=GRID, limit=10_000)
    mine = next(r for r in urgent if r.id == case_id)
    assert mine.sla_color == "red"
    assert all(r.sla_color == "red" for r in urgent[: urgent.index(mine)])
    feed = rollups.newest(session, SYSTEM, within=GRID, limit=5)
    assert next(r for r in feed if r.id == case_id).sla_color == "red"


def test_a_paused_case_keeps_its_colour(session: Session) -> None:
    case_id = _overdue_but_stored_green(session)
    from pingan.cases.models import Case

    case = session.get(Case, case_id)
    assert case is not None
    case.paused_at = utcnow()
    session.flush()
    feed = rollups.newest(session, SYSTEM, within=GRID, limit=5)
    assert next(r for r in feed if r.id == case_id).sla_color == "green"
