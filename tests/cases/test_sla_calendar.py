"""SLA clocks in working time: the work calendar, natural vs working categories, pauses, admin days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.cases import routing, sla, workdays, workflow
from pingan.cases.models import Case, Category
from pingan.cases.worktime import WorkCalendar, parse_periods
from pingan.core.clock import LOCAL_TZ
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Actor
from tests.cases.helpers import point_in
from tests.factories import auth

SYSTEM = Actor.system("test")
CAL = WorkCalendar.build(parse_periods("08:30-12:00,13:30-17:30"))


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """An instant in Asia/Shanghai."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def category(clock: str, register: int = 240) -> Category:
    return Category(code="9901", clock=clock, sla_minutes={"normal": {"register": register}})


def reported(cat: Category, now: datetime, calendar: WorkCalendar = CAL) -> Case:
    case = Case(state="reported", priority="normal", paused_seconds=0)
    sla.start_stage(case, cat, now, calendar=calendar)
    sla.plan_close_due(case, cat, now, from_stage="register", calendar=calendar)
    return case


@pytest.fixture(autouse=True)
def _fresh_calendars() -> Iterator[None]:
    workdays.forget_calendars()
    yield
    workdays.forget_calendars()  # admin days of a rolled-back test must not outlive it


class TestWorkingMinutes:
    def test_friday_afternoon_report_is_due_monday_morning(self) -> None:
        case = reported(category("working"), at(2026, 12, 4, 16))  # Friday
        assert case.sla_clock == "working"
        assert case.stage_due_at == at(2026, 12, 7, 11)  # 1.5 h on Friday + 2.5 h from Monday 08:30

    def test_the_working_periods_are_configurable(self) -> None:
        short_friday = WorkCalendar.build(parse_periods("08:30-12:00,13:30-17:00"))
        case = reported(category("working"), at(2026, 12, 4, 16), short_friday)
        assert case.stage_due_at == at(2026, 12, 7, 11, 30)

    def test_the_lunch_break_does_not_count(self) -> None:
        assert CAL.add(at(2026, 12, 3, 11), 90) == at(2026, 12, 3, 14)
        assert CAL.add(at(2026, 12, 3, 11), 60) == at(2026, 12, 3, 12)  # ends with the morning

    def test_eve_of_national_day_waits_for_the_holiday(self) -> None:
        case = reported(category("working"), at(2025, 9, 30, 16))  # 10-01 … 10-08 off
        assert case.stage_due_at == at(2025, 10, 9, 11)

    def test_a_make_up_saturday_is_a_working_day(self) -> None:
        assert CAL.is_workday(date(2026, 10, 10)) and not CAL.is_workday(date(2026, 10, 3))
        case = reported(category("working"), at(2026, 10, 9, 16))  # Friday; Saturday 10-10 is 调休
        assert case.stage_due_at == at(2026, 10, 10, 11)

    def test_spring_festival_is_off(self) -> None:
        assert not any(CAL.is_workday(date(2026, 2, d)) for d in range(15, 24))
        assert CAL.is_workday(date(2026, 2, 14)) and CAL.is_workday(date(2026, 2, 28))

    def test_working_days_are_counted_in_working_day_lengths(self) -> None:
        start = at(2026, 12, 1, 8, 30)  # Tuesday
        assert CAL.add(start, 5 * CAL.day_minutes) == at(2026, 12, 7, 17, 30)  # Tue … Mon
        assert CAL.minutes_between(start, at(2026, 12, 7, 17, 30)) == 5 * 450

    def test_bad_periods_are_refused(self) -> None:
        for text in ("", "08:30", "12:00-08:30", "08:00-12:00,11:00-13:00", "25:00-26:00"):
            with pytest.raises(ValueError):
                parse_periods(text)


class TestNaturalClock:
    def test_natural_categories_ignore_the_calendar(self) -> None:
        case = reported(category("natural"), at(2026, 12, 4, 16))
        assert case.sla_clock == "natural"
        assert case.stage_due_at == at(2026, 12, 4, 20)

    def test_demo_fire_and_gas_are_natural_others_working(self, session: Session) -> None:
        clocks = {c.code: c.clock for c in routing.list_categories(session)}
        assert clocks["0701"] == clocks["0801"] == clocks["0410"] == "natural"
        assert clocks["0102"] == clocks["1301"] == "working"


class TestPause:
    def test_a_pause_over_the_weekend_eats_no_working_time(self) -> None:
        case = reported(category("working"), at(2026, 12, 3, 16))  # Thursday → due Friday 11:00
        due, close = case.stage_due_at, case.close_due_at
        sla.pause(case, at(2026, 12, 4, 17, 45))  # Friday after work
        sla.resume(case, at(2026, 12, 7, 8), calendar=CAL)  # Monday before work
        assert (case.stage_due_at, case.close_due_at) == (due, close)
        assert case.paused_seconds == int((at(2026, 12, 7, 8) - at(2026, 12, 4, 17, 45)).total_seconds())

    def test_deadlines_move_by_the_working_time_paused(self) -> None:
        case = reported(category("working"), at(2026, 12, 4, 16))  # due Monday 11:00
        close = case.close_due_at
        assert case.stage_due_at == at(2026, 12, 7, 11) and close is not None
        sla.pause(case, at(2026, 12, 4, 16, 30))
        sla.resume(case, at(2026, 12, 7, 9), calendar=CAL)  # 60 min on Friday + 30 on Monday
        assert case.stage_due_at == at(2026, 12, 7, 14)  # 11:00 + 90 working minutes (lunch skipped)
        assert case.close_due_at == CAL.add(close, 90)

    def test_natural_pause_moves_by_calendar_time(self) -> None:
        case = reported(category("natural"), at(2026, 12, 4, 16))
        sla.pause(case, at(2026, 12, 4, 17))
        sla.resume(case, at(2026, 12, 7, 8), calendar=CAL)
        assert case.stage_due_at == at(2026, 12, 7, 11)  # 20:00 Friday + 63 h


class TestColour:
    def test_the_used_share_is_measured_in_working_time(self) -> None:
        case = reported(category("working"), at(2026, 12, 4, 16))  # due Monday 11:00
        assert sla.color_of(case, at(2026, 12, 7, 10), calendar=CAL) == "green"  # 180 of 240 min
        assert sla.color_of(case, at(2026, 12, 7, 10, 15), calendar=CAL) == "yellow"  # 195 of 240
        assert sla.color_of(case, at(2026, 12, 7, 11, 1), calendar=CAL) == "red"

    def test_natural_share_is_calendar_time(self) -> None:
        case = reported(category("natural"), at(2026, 12, 4, 16))  # due 20:00
        assert sla.color_of(case, at(2026, 12, 4, 19), calendar=CAL) == "green"
        assert sla.color_of(case, at(2026, 12, 4, 19, 15), calendar=CAL) == "yellow"


class TestWorkflowUsesTheCalendar:
    def test_register_on_friday_evening(self, session: Session) -> None:
        lon, lat = point_in(session)
        from pingan.cases import service

        case = service.raise_case(
            session, SYSTEM, category_code="0102", description="x", source="app", lon=lon, lat=lat
        )
        workflow.transition(session, SYSTEM, case_id=case.id, action="register", now=at(2026, 12, 4, 17))
        assert case.stage == "dispatch" and case.sla_clock == "working"
        assert case.stage_due_at == at(2026, 12, 7, 9)  # 30 min Friday + 30 min Monday


class TestAdminChangesAreAudited:
    def test_calendar_rules_and_categories(self, session: Session, client: TestClient) -> None:
        from sqlalchemy import select

        from pingan.audit.models import AuditRecord

        admin = auth(session, "admin")
        put = client.put("/api/v1/cases/calendar/2026-12-09", json={"is_workday": False}, headers=admin)
        assert put.status_code == 200, put.text
        assert client.delete("/api/v1/cases/calendar/2026-12-09", headers=admin).status_code == 204
        rule = client.post(
            "/api/v1/case-routing/rules",
            json={"category_prefix": "0102", "target": "street_centre"},
            headers=admin,
        )
        assert rule.status_code == 201, rule.text
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.username == "admin").order_by(AuditRecord.id)
        ).all()
        trail = [(r.action, r.subject_type, r.subject_id) for r in rows][-3:]
        assert trail == [
            ("calendar.set", "case_calendar", "2026-12-09"),
            ("calendar.unset", "case_calendar", "2026-12-09"),
            ("routing_rule.save", "routing_rule", str(rule.json()["id"])),
        ]
        assert rows[-3].details == {"is_workday": False, "note": ""}


class TestAdminDays:
    def test_an_override_via_the_api_changes_deadlines(self, session: Session, client: TestClient) -> None:
        friday = at(2026, 12, 4, 16)
        assert reported(category("working"), friday, sla.calendar_for(session)).stage_due_at == at(
            2026, 12, 7, 11
        )
        r = client.put(
            "/api/v1/cases/calendar/2026-12-07",
            json={"is_workday": False, "note": "区政府通知"},
            headers=auth(session, "admin"),
        )
        assert r.status_code == 200, r.text
        assert r.json() == r.json() | {"date": "2026-12-07", "is_workday": False, "source": "admin"}
        tuesday = at(2026, 12, 8, 11)
        assert reported(category("working"), friday, sla.calendar_for(session)).stage_due_at == tuesday
        assert reported(category("working"), friday, workdays.default_calendar()).stage_due_at == tuesday
        listed = client.get(
            "/api/v1/cases/calendar", params={"year": 2026}, headers=auth(session, "street")
        ).json()
        assert {"date": "2026-12-07", "source": "admin"}.items() <= next(
            d for d in listed["days"] if d["date"] == "2026-12-07"
        ).items()
        assert listed["periods"] == ["08:30-12:00", "13:30-17:30"] and listed["workday_minutes"] == 450
        r = client.delete("/api/v1/cases/calendar/2026-12-07", headers=auth(session, "admin"))
        assert r.status_code == 204
        assert reported(category("working"), friday, sla.calendar_for(session)).stage_due_at == at(
            2026, 12, 7, 11
        )

    def test_a_weekend_can_become_a_working_day(self, session: Session) -> None:
        workdays.set_day(session, SYSTEM, day=date(2026, 12, 5), is_workday=True, note="加班")
        case = reported(category("working"), at(2026, 12, 4, 16), sla.calendar_for(session))
        assert case.stage_due_at == at(2026, 12, 5, 11)

    def test_an_operator_reads_but_cannot_write(self, session: Session, client: TestClient) -> None:
        headers = auth(session, "street")
        assert client.get("/api/v1/cases/calendar", headers=headers).status_code == 200
        r = client.put("/api/v1/cases/calendar/2026-12-07", json={"is_workday": False}, headers=headers)
        assert r.status_code == 403


class TestBadInput:
    @pytest.mark.parametrize(
        ("path", "body", "field"),
        [
            ("/api/v1/cases/calendar/2026-02-30", {"is_workday": False}, "day"),
            ("/api/v1/cases/calendar/tomorrow", {"is_workday": False}, "day"),
            ("/api/v1/cases/calendar/2026-12-07", {"is_workday": "maybe"}, "is_workday"),
            ("/api/v1/cases/calendar/2026-12-07", {"note": "no flag"}, "is_workday"),
            ("/api/v1/cases/calendar/2026-12-07", {"is_workday": True, "note": "x" * 201}, "note"),
        ],
    )
    def test_bad_input_names_the_field(
        self, session: Session, client: TestClient, path: str, body: dict[str, object], field: str
    ) -> None:
        r = client.put(path, json=body, headers=auth(session, "admin"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field

    def test_removing_a_missing_day_is_404(self, session: Session, client: TestClient) -> None:
        r = client.delete("/api/v1/cases/calendar/2026-12-09", headers=auth(session, "admin"))
        assert r.status_code == 404 and r.json()["error"]["field"] == "day"

    def test_bad_year_and_cli_date(self, session: Session) -> None:
        with pytest.raises(ValidationFailed) as err:
            workdays.parse_day("2026-13-01")
        assert err.value.field == "day"
        with pytest.raises(ValidationFailed) as err:
            workdays.list_days(session, SYSTEM, year=99999)
        assert err.value.field == "year"
        with pytest.raises(NotFound):
            workdays.unset_day(session, SYSTEM, day=date(2026, 12, 9))

    def test_a_category_clock_must_be_known(self, session: Session, client: TestClient) -> None:
        body = {"name_zh": "道路不洁", "clock": "lunar"}
        r = client.put("/api/v1/case-categories/0104", json=body, headers=auth(session, "admin"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "clock"
        body["clock"] = "natural"
        r = client.put("/api/v1/case-categories/0104", json=body, headers=auth(session, "admin"))
        assert r.status_code == 200 and r.json()["clock"] == "natural"
