"""KPIs of the workflow (CJ/T 292 vocabulary): received, registered, dispatched, closed, 按期结案率, overdue,
average time per stage, return rate, satisfaction, with year-on-year and month-on-month change.

Computed from the case milestones over the cases reported in the period (Asia/Shanghai dates), in the
caller's scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from pingan.cases import kpi_days
from pingan.cases.access import NON_HANDLER_VIEW_ROLES, VIEW_ROLES, visible
from pingan.cases.models import OPEN_STATES, Case, Category, KpiDay, Rating, State
from pingan.core.clock import LOCAL_TZ, to_local, utcnow
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor, Role, require_role, scope_clause

GROUPS = ("total", "street", "community", "grid", "unit", "category", "major", "month", "source")
_OPEN = {s.value for s in OPEN_STATES}
_COLUMNS = (
    Case.id,
    Case.category_code,
    Case.area_code,
    Case.street_code,
    Case.community_code,
    Case.owner_unit_id,
    Case.source,
    Case.state,
    Case.reported_at,
    Case.registered_at,
    Case.dispatched_at,
    Case.handled_at,
    Case.closed_at,
    Case.close_due_at,
    Case.is_closed_on_time,
    Case.return_count,
    Case.rework_count,
    Case.sla_color,
)


def _shift_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return date(year, month, min(day.day, last[month - 1]))


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    start = datetime(date_from.year, date_from.month, date_from.day, tzinfo=LOCAL_TZ)
    end = datetime(date_to.year, date_to.month, date_to.day, tzinfo=LOCAL_TZ) + timedelta(days=1)
    return start, end


def _key(row: Any, group_by: str) -> str:
    if group_by == "total":
        return "total"
    if group_by == "street":
        return row.street_code or "district"
    if group_by == "community":
        return row.community_code or row.street_code or "district"
    if group_by == "grid":
        return row.area_code
    if group_by == "unit":
        return str(row.owner_unit_id) if row.owner_unit_id else "unassigned"
    if group_by == "category":
        return str(row.category_code)
    if group_by == "major":
        return str(row.category_code)[:2]
    if group_by == "source":
        return str(row.source)
    return f"{to_local(row.reported_at):%Y-%m}"


def _rows(
    session: Session,
    actor: Actor,
    start: datetime,
    end: datetime,
    area_code: str | None,
    category_prefix: str | None,
    unit_id: int | None,
) -> list[Any]:
    stmt = visible(select(*_COLUMNS), actor).where(Case.reported_at >= start, Case.reported_at < end)
    stmt = stmt.where(Case.state != State.MERGED.value)
    if area_code:
        stmt = stmt.where(Case.area_code.startswith(area_code, autoescape=True))  # lint-scope: ok (filter)
    if category_prefix:
        stmt = stmt.where(Case.category_code.startswith(category_prefix, autoescape=True))
    if unit_id is not None:
        stmt = stmt.where(Case.owner_unit_id == unit_id)
    return list(session.execute(stmt))


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds() / 60.0


def _aggregate(rows: list[Any], ratings: dict[int, str], now: datetime) -> dict[str, Any]:
    n = len(rows)
    registered = sum(1 for r in rows if r.registered_at is not None)
    rejected = sum(1 for r in rows if r.state == State.REJECTED.value)
    dispatched = sum(1 for r in rows if r.dispatched_at is not None)
    closed = [r for r in rows if r.state == State.CLOSED.value]
    on_time = sum(1 for r in closed if r.is_closed_on_time)
    open_rows = [r for r in rows if r.state in _OPEN]
    overdue_open = [r for r in open_rows if r.close_due_at is not None and r.close_due_at < now]
    should_close = len(closed) + len(overdue_open)
    stages: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for stage, a, b in (
            ("register", r.reported_at, r.registered_at),
            ("dispatch", r.registered_at, r.dispatched_at),
            ("handle", r.dispatched_at, r.handled_at),
            ("verify_close", r.handled_at, r.closed_at if r.state == State.CLOSED.value else None),
        ):
            m = _minutes(a, b)
            if m is not None and m >= 0:
                stages[stage].append(m)
    rated = [ratings[r.id] for r in rows if r.id in ratings]
    counts = {k: rated.count(k) for k in ("satisfied", "basically_satisfied", "unsatisfied")}
    returned = sum(1 for r in rows if r.return_count)
    return {
        "received": n,
        "registered": registered,
        "rejected": rejected,
        "dispatched": dispatched,
        "closed": len(closed),
        "closed_on_time": on_time,
        "should_close": should_close,
        "on_time_closure_rate": round(on_time / should_close, 4) if should_close else None,
        "open": len(open_rows),
        "overdue": len(overdue_open) + sum(1 for r in closed if r.is_closed_on_time is False),
        "overdue_open": len(overdue_open),
        "avg_minutes": {k: round(sum(v) / len(v), 1) for k, v in stages.items() if v},
        "return_rate": round(returned / dispatched, 4) if dispatched else None,
        "rework_rate": round(sum(1 for r in rows if r.rework_count) / dispatched, 4) if dispatched else None,
        "satisfaction": {
            **counts,
            "rated": len(rated),
            "satisfied_rate": round((counts["satisfied"] + counts["basically_satisfied"]) / len(rated), 4)
            if rated
            else None,
        },
    }


def _ratings(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk : chunk + 900]
        for case_id, satisfaction in session.execute(
            select(Rating.case_id, Rating.satisfaction).where(Rating.case_id.in_(part)).order_by(Rating.id)
        ):
            if satisfaction:
                out[case_id] = satisfaction  # the latest rating counts
    return out


def _change(now_value: int, before: int) -> float | None:
    return round((now_value - before) / before, 4) if before else None


def case_kpis_by_rows(
    session: Session,
    actor: Actor,
    *,
    group_by: str = "total",
    date_from: date | None = None,
    date_to: date | None = None,
    area_code: str | None = None,
    category_prefix: str | None = None,
    unit_id: int | None = None,
) -> dict[str, Any]:
    """The reference computation: every case row read and aggregated in Python (what ``case_kpis`` did
    before it aggregated in SQL). Kept to check the SQL path against, in the tests and in ``make bench``."""
    date_from, date_to = _period(actor, group_by, date_from, date_to)
    now = utcnow()
    periods = {
        "current": (date_from, date_to),
        "mom": (_shift_months(date_from, -1), _shift_months(date_to, -1)),
        "yoy": (_shift_months(date_from, -12), _shift_months(date_to, -12)),
    }
    grouped: dict[str, dict[str, list[Any]]] = {}
    for label, (a, b) in periods.items():
        start, end = _bounds(a, b)
        rows = _rows(session, actor, start, end, area_code, category_prefix, unit_id)
        buckets: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            key = _key(row, group_by) if label == "current" or group_by != "month" else "shifted"
            buckets[key].append(row)
        grouped[label] = buckets
    current = grouped["current"]
    ratings = _ratings(session, [r.id for rows in current.values() for r in rows])
    groups = []
    for key in sorted(current):
        stats = _aggregate(current[key], ratings, now)
        if group_by != "month":
            prev_m = len(grouped["mom"].get(key, []))
            prev_y = len(grouped["yoy"].get(key, []))
            stats["received_mom"] = prev_m
            stats["received_yoy"] = prev_y
            stats["mom_change"] = _change(stats["received"], prev_m)
            stats["yoy_change"] = _change(stats["received"], prev_y)
        groups.append({"key": key, **stats})
    if group_by == "month":
        _month_changes(session, actor, groups, area_code, category_prefix, unit_id)
    _name_groups(session, group_by, groups)
    return {
        "group_by": group_by,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "groups": groups,
    }


def _month_changes(
    session: Session,
    actor: Actor,
    groups: list[dict[str, Any]],
    area_code: str | None,
    category_prefix: str | None,
    unit_id: int | None,
) -> None:
    """For a monthly series: change against the previous month and the same month a year before."""
    if not groups:
        return
    first = date.fromisoformat(groups[0]["key"] + "-01")
    last = date.fromisoformat(groups[-1]["key"] + "-01")
    start, end = _bounds(_shift_months(first, -12), _shift_months(last, 1) - timedelta(days=1))
    counts: dict[str, int] = defaultdict(int)
    for row in _rows(session, actor, start, end, area_code, category_prefix, unit_id):
        counts[f"{to_local(row.reported_at):%Y-%m}"] += 1
    for group in groups:
        month = date.fromisoformat(group["key"] + "-01")
        prev_m = counts.get(f"{_shift_months(month, -1):%Y-%m}", 0)
        prev_y = counts.get(f"{_shift_months(month, -12):%Y-%m}", 0)
        group["received_mom"], group["received_yoy"] = prev_m, prev_y
        group["mom_change"] = _change(group["received"], prev_m)
        group["yoy_change"] = _change(group["received"], prev_y)


# --- the KPIs aggregated by the database: built days from the daily roll-up (cases.kpi_days), the others from
# the cases (one grouped query per period and source instead of every row in Python) ---


def _period(actor: Actor, group_by: str, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    require_role(actor, *VIEW_ROLES)
    if group_by not in GROUPS:
        raise ValidationFailed(f"group_by must be one of {', '.join(GROUPS)}", field="group_by")
    today = utcnow().astimezone(LOCAL_TZ).date()
    date_to = date_to or today
    date_from = date_from or (date_to - timedelta(days=29))
    if date_from > date_to:
        raise ValidationFailed("from must not be after to", field="from")
    if (date_to - date_from).days > 800:
        raise ValidationFailed("the period may span at most 800 days", field="from")
    return date_from, date_to


def _local_month(dialect: str) -> ColumnElement[Any]:
    """'YYYY-MM' of reported_at in Asia/Shanghai, computed by the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(LOCAL_TZ), Case.reported_at), "YYYY-MM")
    offset = int((utcnow().astimezone(LOCAL_TZ).utcoffset() or timedelta(0)).total_seconds() // 60)
    return func.strftime("%Y-%m", Case.reported_at, f"{offset:+d} minutes")  # stored as UTC text


def _group_key(group_by: str, dialect: str, src: Any = Case) -> ColumnElement[Any]:
    """The group's key over the cases (``src=Case``) or the roll-up's rows (``src=KpiDay``; by month:
    ``src`` is the roll-up's day column)."""
    if group_by == "month":
        if src is Case:
            return _local_month(dialect)
        if dialect == "postgresql":
            return func.to_char(src, "YYYY-MM")
        return func.substr(src, 1, 7)  # a roll-up day, stored as 'YYYY-MM-DD' text
    keys: dict[str, Any] = {
        "total": literal("total"),
        "street": func.coalesce(src.street_code, "district"),
        "community": func.coalesce(src.community_code, src.street_code, "district"),
        "grid": src.area_code,
        "unit": func.coalesce(sa_cast(src.owner_unit_id, String), "unassigned"),
        "category": src.category_code,
        "major": func.substr(src.category_code, 1, 2),
        "source": src.source,
    }
    return keys[group_by]


def _scoped(
    stmt: Any,
    actor: Actor,
    start: datetime,
    end: datetime,
    area_code: str | None,
    category_prefix: str | None,
    unit_id: int | None,
) -> Any:
    """The cases counted as received in [start, end): in scope, filtered, merged ones left out."""
    stmt = visible(stmt, actor).where(Case.reported_at >= start, Case.reported_at < end)
    stmt = stmt.where(Case.state != State.MERGED.value)
    if area_code:
        stmt = stmt.where(Case.area_code.startswith(area_code, autoescape=True))  # lint-scope: ok (filter)
    if category_prefix:
        stmt = stmt.where(Case.category_code.startswith(category_prefix, autoescape=True))
    if unit_id is not None:
        stmt = stmt.where(Case.owner_unit_id == unit_id)
    return stmt


def _stats(row: Mapping[str, Any]) -> dict[str, Any]:
    """One group's KPIs from its aggregated figures (the same figures and rounding as the reference)."""
    closed, on_time, dispatched = int(row["closed"]), int(row["on_time"]), int(row["dispatched"])
    overdue_open = int(row["overdue_open"])
    should_close = closed + overdue_open
    counts = {v: int(row[f"r_{v}"]) for v in kpi_days.RATED}
    rated = sum(counts.values())
    avg = {}
    for stage, *_rest in kpi_days.STAGE_SPANS:
        n = int(row[f"n_{stage}"])
        if n:
            avg[stage] = round(float(row[f"sum_{stage}"]) / n, 1)
    return {
        "received": int(row["received"]),
        "registered": int(row["registered"]),
        "rejected": int(row["rejected"]),
        "dispatched": dispatched,
        "closed": closed,
        "closed_on_time": on_time,
        "should_close": should_close,
        "on_time_closure_rate": round(on_time / should_close, 4) if should_close else None,
        "open": int(row["open"]),
        "overdue": overdue_open + int(row["late_closed"]),
        "overdue_open": overdue_open,
        "avg_minutes": avg,
        "return_rate": round(int(row["returned"]) / dispatched, 4) if dispatched else None,
        "rework_rate": round(int(row["reworked"]) / dispatched, 4) if dispatched else None,
        "satisfaction": {
            **counts,
            "rated": rated,
            "satisfied_rate": round((counts["satisfied"] + counts["basically_satisfied"]) / rated, 4)
            if rated
            else None,
        },
    }


@dataclass(frozen=True)
class _Ask:
    """One KPI request: who asks, grouped how, filtered how, at which time, from which sources."""

    session: Session
    actor: Actor
    group_by: str
    filters: tuple[str | None, str | None, int | None]  # area_code, category_prefix, unit_id
    now: datetime
    use_days: bool

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


def _days_serve(actor: Actor) -> bool:
    """Whether the roll-up can answer for the actor: its rows know the area and owner unit, not whether a
    case was dispatched, which a department handler's scope depends on (they are answered from the cases)."""
    return actor.is_system or not actor.grants_for((Role.DEPARTMENT_HANDLER,))


def _from_days(ask: _Ask, first: date, last: date, skip: list[date], names: tuple[str, ...]) -> Any:
    """The roll-up's figures per group for the built days ``first``..``last`` but ``skip``."""
    monthly = ask.group_by == "month"
    # by month: summed per day first, in the order of the index by day (SQLite then sorts ~760 rows, not one
    # per case and day: half the time of 25 months)
    key = KpiDay.day if monthly else _group_key(ask.group_by, ask.dialect, KpiDay)
    stmt = select(key.label("key"), *(func.sum(getattr(KpiDay, m)).label(m) for m in names))
    stmt = stmt.where(KpiDay.day.between(first, last))
    if skip:
        stmt = stmt.where(KpiDay.day.not_in(skip))
    if not ask.actor.is_system:
        stmt = stmt.where(
            scope_clause(
                KpiDay.area_code, ask.actor, roles=NON_HANDLER_VIEW_ROLES, unit_column=KpiDay.owner_unit_id
            )
        )
    area_code, category_prefix, unit_id = ask.filters
    if area_code:
        stmt = stmt.where(KpiDay.area_code.startswith(area_code, autoescape=True))  # lint-scope: ok (filter)
    if category_prefix:
        stmt = stmt.where(KpiDay.category_code.startswith(category_prefix, autoescape=True))
    if unit_id is not None:
        stmt = stmt.where(KpiDay.owner_unit_id == unit_id)
    stmt = stmt.group_by(key)
    if monthly:
        days = stmt.subquery()
        month = _group_key("month", ask.dialect, days.c.key)
        stmt = select(month.label("key"), *(func.sum(days.c[m]).label(m) for m in names)).group_by(month)
    return ask.session.execute(stmt)


def _from_cases(ask: _Ask, first: date, last: date, runs: list[tuple[date, date]] | None, full: bool) -> Any:
    """The cases' figures per group for the days of ``runs`` (None: every day ``first``..``last``), and the
    actor's own reports outside their scope (the roll-up counts only the scope); None when nothing is left."""
    own = not ask.actor.is_system and ask.actor.account_id is not None
    # the period, or only as far as the days asked when the actor's own reports are not looked for
    start, end = _bounds(first, last) if runs is None or own or not runs else _bounds(runs[0][0], runs[-1][1])
    key = _group_key(ask.group_by, ask.dialect)
    rating = kpi_days.latest_rating(None if runs is None else (start, end))
    cols = kpi_days.day_measures(ask.dialect, rating) if full else [func.count().label("received")]
    stmt = select(key.label("key"), *cols).select_from(Case)
    if full:
        stmt = stmt.outerjoin(rating, rating.c.case_id == Case.id)
    stmt = _scoped(stmt, ask.actor, start, end, *ask.filters)
    if runs is not None:
        parts: list[ColumnElement[bool]] = [
            and_(
                Case.reported_at >= kpi_days.day_start(a),
                Case.reported_at < kpi_days.day_start(b + timedelta(1)),
            )
            for a, b in runs
        ]
        if own:
            scope = scope_clause(
                Case.area_code, ask.actor, roles=NON_HANDLER_VIEW_ROLES, unit_column=Case.owner_unit_id
            )
            parts.append(
                and_(Case.reporter_account_id == ask.actor.account_id, sql_case((scope, 0), else_=1) == 1)
            )
        if not parts:
            return None
        stmt = stmt.where(or_(*parts))
    return ask.session.execute(stmt.group_by(key))


def _grouped(ask: _Ask, first: date, last: date, *, full: bool) -> dict[str, dict[str, Any]]:
    """Per group key the figures of the cases received ``first``..``last`` (``full``: every KPI figure;
    else ``received`` only): built days from the roll-up, the other days from the cases."""
    names = (*kpi_days.MEASURES, "overdue_open") if full else ("received",)
    out: dict[str, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(names, 0))

    def add(rows: Any) -> None:
        for row in rows or ():
            sums = out[str(row.key)]
            for name, value in row._mapping.items():
                if name != "key" and value is not None:
                    sums[name] += value

    cover = kpi_days.coverage(ask.session, date_from=first, date_to=last) if ask.use_days else None
    built_to = min(last, cover.built_through) if cover and cover.built_through else None
    if cover is None or built_to is None or built_to < first:
        add(_from_cases(ask, first, last, None, full))
    else:
        stale = sorted(d for d in cover.stale if first <= d <= built_to)
        add(_from_days(ask, first, built_to, stale, names[: len(names) - (1 if full else 0)]))
        runs = kpi_days.runs(stale) + ([(built_to + timedelta(1), last)] if built_to < last else [])
        add(_from_cases(ask, first, last, runs, full))
    if full:  # "overdue now" moves with the clock: always counted from the cases
        start, end = _bounds(first, last)
        key = _group_key(ask.group_by, ask.dialect)
        overdue = select(key.label("key"), func.count().label("overdue_open")).where(
            Case.state.in_(sorted(_OPEN)), Case.close_due_at.is_not(None), Case.close_due_at < ask.now
        )
        add(ask.session.execute(_scoped(overdue, ask.actor, start, end, *ask.filters).group_by(key)))
    return out


def case_kpis(
    session: Session,
    actor: Actor,
    *,
    group_by: str = "total",
    date_from: date | None = None,
    date_to: date | None = None,
    area_code: str | None = None,
    category_prefix: str | None = None,
    unit_id: int | None = None,
    use_days: bool = True,
) -> dict[str, Any]:
    """KPIs per group for cases reported from ``date_from`` to ``date_to`` (inclusive, local dates), with
    received counts a month and a year before; aggregated by the database, from the daily roll-up where it
    is built (``use_days=False``: from the cases alone, the direct query)."""
    date_from, date_to = _period(actor, group_by, date_from, date_to)
    ask = _Ask(
        session,
        actor,
        group_by,
        (area_code, category_prefix, unit_id),
        utcnow(),
        use_days and _days_serve(actor),
    )
    current = _grouped(ask, date_from, date_to, full=True)
    groups = [{"key": key, **_stats(current[key])} for key in sorted(current)]
    if group_by == "month":
        _month_changes_sql(ask, groups)
    else:
        for label, shift in (("mom", -1), ("yoy", -12)):
            before = _grouped(ask, _shift_months(date_from, shift), _shift_months(date_to, shift), full=False)
            for group in groups:
                group[f"received_{label}"] = (
                    int(before[group["key"]]["received"]) if group["key"] in before else 0
                )
        for group in groups:
            group["mom_change"] = _change(group["received"], group["received_mom"])
            group["yoy_change"] = _change(group["received"], group["received_yoy"])
    _name_groups(session, group_by, groups)
    return {"group_by": group_by, "from": date_from.isoformat(), "to": date_to.isoformat(), "groups": groups}


def case_kpis_direct(session: Session, actor: Actor, **kwargs: Any) -> dict[str, Any]:
    """``case_kpis`` from the cases alone (no roll-up): the reference the roll-up is checked against."""
    return case_kpis(session, actor, **kwargs, use_days=False)


def _month_changes_sql(ask: _Ask, groups: list[dict[str, Any]]) -> None:
    if not groups:
        return
    first = date.fromisoformat(groups[0]["key"] + "-01")
    last = date.fromisoformat(groups[-1]["key"] + "-01")
    found = _grouped(ask, _shift_months(first, -12), _shift_months(last, 1) - timedelta(days=1), full=False)
    counts = {key: int(sums["received"]) for key, sums in found.items()}
    for group in groups:
        month = date.fromisoformat(group["key"] + "-01")
        prev_m = counts.get(f"{_shift_months(month, -1):%Y-%m}", 0)
        prev_y = counts.get(f"{_shift_months(month, -12):%Y-%m}", 0)
        group["received_mom"], group["received_yoy"] = prev_m, prev_y
        group["mom_change"] = _change(group["received"], prev_m)
        group["yoy_change"] = _change(group["received"], prev_y)


def _name_groups(session: Session, group_by: str, groups: list[dict[str, Any]]) -> None:
    """Categories and majors by name (zh and en) beside their codes."""
    if group_by not in ("major", "category") or not groups:
        return
    names = {
        code: (zh, en)
        for code, zh, en in session.execute(
            select(Category.code, Category.name_zh, Category.name_en).where(
                Category.code.in_([g["key"] for g in groups])
            )
        )
    }
    for group in groups:
        zh, en = names.get(group["key"], (group["key"], group["key"]))
        group["name_zh"], group["name_en"] = zh, en or zh


def count_received(
    session: Session,
    actor: Actor,
    *,
    date_from: date,
    date_to: date | None = None,
    area_code: str | None = None,
    category_prefix: str | None = None,
) -> int:
    """Cases received from ``date_from`` to ``date_to`` (inclusive local dates) in the actor's scope, counted
    as the KPIs' ``received`` counts them: merged cases are not new reports. The wall's "today" uses this."""
    require_role(actor, *VIEW_ROLES)
    start, end = _bounds(date_from, date_to or date_from)
    stmt = _scoped(
        select(func.count()).select_from(Case), actor, start, end, area_code, category_prefix, None
    )
    return int(session.scalar(stmt) or 0)


def received_by_day(
    session: Session, actor: Actor, *, date_from: date, date_to: date, area_code: str | None = None
) -> dict[date, int]:
    """``count_received`` for each local day of the period (days without cases are 0)."""
    require_role(actor, *VIEW_ROLES)
    start, end = _bounds(date_from, date_to)
    stmt = _scoped(select(Case.reported_at), actor, start, end, area_code, None, None)
    out = {date_from + timedelta(days=i): 0 for i in range((date_to - date_from).days + 1)}
    for (reported_at,) in session.execute(stmt):
        out[to_local(reported_at).date()] += 1
    return out
