"""``pingan cases …``: the SLA job, KPIs and case look-up from the shell (acting as the system actor)."""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from pingan.audit.cli import DbOption, cli_actor, db_session

if TYPE_CHECKING:
    from pingan.cases.kpi_days import RefreshReport as KpiDaysReport

# heavy modules are imported inside the commands: `pingan --help` stays fast. The groups of
# cases.kpis.GROUPS (tests/test_cli.py checks that they agree):
KPI_GROUPS = ("total", "street", "community", "grid", "unit", "category", "major", "month", "source")

cases_app = typer.Typer(help="Cases: SLA job, work calendar, KPIs, look-up.", no_args_is_help=True)
console = Console()


@cases_app.command("sla-tick")
def sla_tick(
    db: DbOption = None,
    every: Annotated[float, typer.Option(help="repeat every N seconds (0 = once)")] = 0.0,
) -> None:
    """Run the SLA job (colours, reminders, escalation) and refresh the KPIs' daily roll-up; safe beside
    running servers."""
    from pingan.cases import jobs, kpi_days
    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory

    url = normalise_database_url(db) if db else get_settings().resolved_database_url()
    factory = make_session_factory(create_db_engine(url))
    while True:
        report = jobs.tick_once(factory)
        if report.ran:
            console.print(
                f"checked {report.checked} open cases: {report.changed} changed colour, "
                f"{report.warnings} warnings, {report.overdue} overdue, {report.escalated} escalated "
                f"({', '.join(f'{k} {v}' for k, v in sorted(report.colors.items()))})"
            )
        else:
            console.print("another process holds the SLA lease; skipped")
        _print_kpi_days(kpi_days.refresh_job(factory))
        if not every:
            return
        time.sleep(every)


def _print_kpi_days(report: KpiDaysReport) -> None:
    console.print(
        f"KPI roll-up: {report.days} days (re)built ({report.rows} rows), "
        f"built through {report.built_through}"
    )


@cases_app.command("kpi-days")
def refresh_kpi_days(db: DbOption = None) -> None:
    """Build the KPIs' daily roll-up up to yesterday and rebuild the days changed since (the SLA tick does
    this too); the KPIs read the days it has not built from the cases."""
    from pingan.cases import kpi_days
    from pingan.core.config import get_settings, normalise_database_url
    from pingan.core.db import create_db_engine, make_session_factory

    url = normalise_database_url(db) if db else get_settings().resolved_database_url()
    _print_kpi_days(kpi_days.refresh_job(make_session_factory(create_db_engine(url))))


@cases_app.command("kpis")
def show_kpis(
    db: DbOption = None,
    group_by: Annotated[str, typer.Option(help=", ".join(KPI_GROUPS))] = "major",
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
) -> None:
    """KPIs per group (received, closed, 按期结案率, overdue, satisfaction, YoY)."""
    from rich.table import Table

    from pingan.cases import kpis

    with db_session(db) as session:
        result = kpis.case_kpis(
            session,
            cli_actor(),
            group_by=group_by,
            date_from=date.fromisoformat(date_from) if date_from else None,
            date_to=date.fromisoformat(date_to) if date_to else None,
        )
    table = Table(title=f"case KPIs by {group_by}, {result['from']} – {result['to']}")
    for col in ("group", "received", "closed", "on-time rate", "overdue", "return rate", "satisfied", "YoY"):
        table.add_column(col)
    for g in result["groups"]:
        table.add_row(
            g["key"],
            str(g["received"]),
            str(g["closed"]),
            _pct(g["on_time_closure_rate"]),
            str(g["overdue"]),
            _pct(g["return_rate"]),
            _pct(g["satisfaction"]["satisfied_rate"]),
            _pct(g.get("yoy_change")),
        )
    console.print(table)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@cases_app.command("show")
def show(number: str, db: DbOption = None) -> None:
    """One case and its timeline."""
    from pingan.cases import service
    from pingan.core.clock import format_local

    with db_session(db) as session:
        actor = cli_actor()
        case = service.get_case_by_number(session, actor, number=number)
        console.print(f"[bold]{case.number}[/] {case.title} — {case.state} ({case.sla_color})")
        console.print(
            f"category {case.category_code}, area {case.area_code}, owner unit {case.owner_unit_id}"
        )
        for event in service.timeline(session, actor, case_id=case.id):
            console.print(f"  {format_local(event.at)}  {event.action:<10} {event.actor_name}  {event.note}")


@cases_app.command("categories")
def categories(db: DbOption = None) -> None:
    """The category tree."""
    from pingan.cases import routing

    with db_session(db) as session:
        for major in routing.category_tree(session):
            console.print(f"[bold]{major['code']}[/] {major['name_zh']}")
            for minor in major["children"]:
                console.print(f"  {minor['code']} {minor['name_zh']} ({minor['default_priority']})")


calendar_app = typer.Typer(help="The work calendar of SLA working time: holidays, make-up days.")
cases_app.add_typer(calendar_app, name="calendar")


@calendar_app.command("list")
def calendar_list(
    db: DbOption = None,
    year: Annotated[int | None, typer.Option(help="the year (default: this year)")] = None,
) -> None:
    """Working periods and the year's holidays, make-up days and admin days."""
    from pingan.cases import workdays

    with db_session(db) as session:
        view = workdays.list_days(session, cli_actor(), year=year)
    console.print(
        f"{view['year']}: working periods {', '.join(view['periods'])} "
        f"({view['workday_minutes']} min per working day)"
    )
    if not view["has_official_arrangements"]:
        console.print(f"[yellow]no official holiday arrangement shipped for {view['year']}[/]")
    for day in view["days"]:
        flag = "work" if day["is_workday"] else "off "
        console.print(f"  {day['date']} {flag} {day['source']:<8} {day['note']}")


@calendar_app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    workday: Annotated[bool, typer.Option("--workday/--off", help="a working day or a day off")],
    note: Annotated[str, typer.Option(help="why, e.g. 区政府通知")] = "",
    db: DbOption = None,
) -> None:
    """Make a day a working day or a day off (overrides weekends and the official arrangement)."""
    from pingan.cases import workdays

    with db_session(db) as session:
        row = workdays.set_day(
            session, cli_actor(), day=workdays.parse_day(day), is_workday=workday, note=note
        )
        console.print(f"{row.day.isoformat()}: {'working day' if row.is_workday else 'day off'} {row.note}")


@calendar_app.command("unset")
def calendar_unset(day: Annotated[str, typer.Argument(help="YYYY-MM-DD")], db: DbOption = None) -> None:
    """Remove an admin's day: the official arrangement or the weekday rule applies again."""
    from pingan.cases import workdays

    with db_session(db) as session:
        workdays.unset_day(session, cli_actor(), day=workdays.parse_day(day))
    console.print(f"{day}: admin entry removed")
