"""The wall's figures, from the cases service and KPIs, formatted in the viewer's language.

Every number says what it counts and over what period; every change shows its arrow and its base.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.cases import kpis, service
from pingan.core.clock import LOCAL_TZ, to_local, utcnow
from pingan.core.errors import NotFound
from pingan.core.security import Actor
from pingan.web import i18n
from pingan.web.pages.lookups import names

PAGE = 500
MAX_OPEN = 5000
FEED_SIZE = 14
RECENT_DAYS = 90
# optional modules with a wall tile, shown only when installed (camera and river tiles join when they exist)
MODULE_TILES = ("patrols",)
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def change_text(translate: i18n.Translator, key: str, value: int, base: int) -> tuple[str, str]:
    """ "↓49.7% vs same month last year (312 → 157)" and the trend class (up/down/flat)."""
    if not base:
        return translate(key + "_none"), ""
    pct = (value - base) / base * 100
    arrow = "↑" if pct > 0 else ("↓" if pct < 0 else "→")
    trend = "up" if pct > 0 else ("down" if pct < 0 else "")
    return translate(key, arrow=arrow, pct=f"{abs(pct):.1f}%", base=base, value=value), trend


def _open_cases(session: Session, actor: Actor, scope: str) -> tuple[list[Any], int]:
    found: list[Any] = []
    page, total = 1, 0
    while len(found) < MAX_OPEN:
        items, total = service.list_cases(
            session,
            actor,
            filters=service.CaseFilter(is_open=True, area_code=scope),
            page=page,
            page_size=PAGE,
        )
        found.extend(items)
        if len(items) < PAGE:
            break
        page += 1
    return found, total


def _recent(session: Session, actor: Actor, scope: str, since: datetime) -> list[Any]:
    found: list[Any] = []
    page = 1
    while True:
        items, _total = service.list_cases(
            session,
            actor,
            filters=service.CaseFilter(area_code=scope, reported_from=since),
            page=page,
            page_size=PAGE,
        )
        found.extend(items)
        if len(items) < PAGE or len(found) >= 20_000:
            return found
        page += 1


@dataclass
class Recent:
    """Counts over the cases reported in the last 90 days (one read, several figures)."""

    received: Counter[date] = field(default_factory=Counter)
    closed: Counter[date] = field(default_factory=Counter)
    majors_this_month: Counter[str] = field(default_factory=Counter)


def _recent_counts(session: Session, actor: Actor, scope: str, today: date) -> Recent:
    since = datetime(today.year, today.month, today.day, tzinfo=LOCAL_TZ) - timedelta(days=RECENT_DAYS)
    month = (today.year, today.month)
    counts = Recent()
    for case in _recent(session, actor, scope, since):
        day = to_local(case.reported_at).date()
        counts.received[day] += 1
        if (day.year, day.month) == month and case.state != "merged":
            counts.majors_this_month[case.category_code[:2]] += 1
        if case.closed_at is not None:
            counts.closed[to_local(case.closed_at).date()] += 1
    return counts


def _daily(recent: Recent, today: date, lang: str) -> dict[str, Any]:
    """Reported and closed per day over the last 30 days (closures of cases reported in the last 90 days)."""
    days = [today - timedelta(days=29 - i) for i in range(30)]
    return {
        "labels": [f"{d.month}/{d.day}" if lang == "en" else f"{d.month}-{d.day:02d}" for d in days],
        "received": [recent.received[d] for d in days],
        "closed": [recent.closed[d] for d in days],
    }


_MONTHS_CACHE: dict[tuple[Any, ...], tuple[float, list[dict[str, Any]]]] = {}
MONTHS_TTL = 300.0


def _months(session: Session, actor: Actor, scope: str, today: date) -> list[dict[str, Any]]:
    """Cases per month over the last 12 months with the same months a year before (cached 5 minutes)."""
    key = (actor.grants, actor.is_system, scope, today)
    hit = _MONTHS_CACHE.get(key)
    if hit is not None and time.monotonic() - hit[0] < MONTHS_TTL:
        return hit[1]
    groups: list[dict[str, Any]] = kpis.case_kpis(
        session,
        actor,
        group_by="month",
        date_from=_shift_month(today.replace(day=1), -11),
        date_to=today,
        area_code=scope,
    )["groups"]
    if len(_MONTHS_CACHE) > 100:
        _MONTHS_CACHE.clear()
    _MONTHS_CACHE[key] = (time.monotonic(), groups)
    return groups


def _level_of(session: Session, code: str) -> str | None:
    try:
        return areas.get_area(session, code).level if code else None
    except NotFound:
        return None


def _month_label(month: str, lang: str, translate: i18n.Translator) -> str:
    m = int(month[5:7])
    return MONTHS_EN[m - 1] if lang == "en" else translate("wall.month", m=m, name=MONTHS_EN[m - 1])


def build(
    session: Session, actor: Actor, scope: str, lang: str, modules: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Everything the wall shows apart from the boundaries."""
    translate = i18n.translator(lang)
    lookup = names(session, lang, within=scope[:6] if scope else None)
    now = utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    month_start = today.replace(day=1)
    open_cases, open_total = _open_cases(session, actor, scope)
    by_colour = Counter(c.sla_color for c in open_cases)
    recent = _recent_counts(session, actor, scope, today)

    grids: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "overdue": 0})
    for case in open_cases:
        grids[case.area_code]["open"] += 1
        if case.sla_color == "red":
            grids[case.area_code]["overdue"] += 1

    today_n = recent.received[today]
    yesterday_n = recent.received[today - timedelta(days=1)]

    # this month by street: on-time closure rate, and the same dates a year before for the change
    # a district wall ranks its streets; a street's wall ranks its communities
    rank_level = (
        AreaLevel.COMMUNITY if _level_of(session, scope) == AreaLevel.STREET.value else AreaLevel.STREET
    )
    month_streets = kpis.case_kpis(
        session, actor, group_by=rank_level.value, date_from=month_start, date_to=today, area_code=scope
    )["groups"]
    closed = sum(g["closed"] for g in month_streets)
    on_time = sum(g["closed_on_time"] for g in month_streets)
    should = sum(g["should_close"] for g in month_streets)
    rate = f"{on_time / should * 100:.1f}%" if should else "–"
    this_month = sum(g["received"] for g in month_streets)
    last_year_same = sum(g["received_yoy"] for g in month_streets)
    yoy_text, yoy_trend = change_text(translate, "wall.sub.yoy", this_month, last_year_same)
    last_month_same = sum(g["received_mom"] for g in month_streets)
    mom_text, mom_trend = change_text(translate, "wall.sub.mom", this_month, last_month_same)
    months = _months(session, actor, scope, today)
    rate_by_street = {g["key"]: g for g in month_streets}
    streets = areas.list_areas(session, level=rank_level, within=scope or None)
    key = (lambda c: c.community_code) if rank_level == AreaLevel.COMMUNITY else (lambda c: c.street_code)
    street_open: Counter[str] = Counter(key(c) for c in open_cases)
    street_red: Counter[str] = Counter(key(c) for c in open_cases if c.sla_color == "red")
    ranking: list[dict[str, Any]] = []
    for street in streets:
        g = rate_by_street.get(street.code)
        r = g["on_time_closure_rate"] if g else None
        ranking.append(
            {
                "code": street.code,
                "name": street.name,
                "open": street_open[street.code],
                "overdue": street_red[street.code],
                "on_time": f"{r * 100:.1f}%" if r is not None else "–",
            }
        )
    ranking.sort(key=lambda r: (-r["open"], r["code"]))

    feed_items, _n = service.list_cases(
        session, actor, filters=service.CaseFilter(area_code=scope), page=1, page_size=FEED_SIZE
    )
    feed = [
        {
            "id": c.id,
            "number": c.number,
            "title": c.title,
            "state": c.state,
            "sla_color": c.sla_color if c.state not in ("closed", "rejected", "merged") else None,
            "at_text": f"{to_local(c.reported_at):%m-%d %H:%M}",
            "where": lookup.place(c.street_code, c.community_code),
        }
        for c in feed_items
    ]
    kpi = {
        "today_received": {"value": str(today_n), "sub": translate("wall.sub.yesterday", n=yesterday_n)},
        "on_time_rate": {
            "value": rate,
            "sub": translate("wall.sub.on_time", closed=closed, on_time=on_time)
            if closed
            else translate("wall.sub.on_time_none"),
        },
        "overdue": {
            "value": str(by_colour["red"]),
            "sub": translate("wall.sub.overdue", share=f"{by_colour['red'] / open_total * 100:.1f}%")
            if open_total
            else "",
        },
        "open": {
            "value": str(open_total),
            "sub": translate("wall.sub.open", yellow=by_colour["yellow"], green=by_colour["green"]),
        },
    }
    module_tiles, patrollers = _module_kpis(session, actor, scope, translate, modules)
    kpi.update(module_tiles)
    return {
        "generated_at": now.isoformat(),
        "patrollers": patrollers,
        "ranking_level": rank_level.value,
        "kpis": kpi,
        "grids": grids,
        "ranking": ranking,
        "feed": feed,
        "markers": [
            {
                "id": c.id,
                "number": c.number,
                "title": c.title,
                "lon": c.lon,
                "lat": c.lat,
                "sla_color": c.sla_color,
            }
            for c in open_cases
            if c.lon is not None and c.lat is not None
        ],
        "trends": {
            "daily": _daily(recent, today, lang),
            "yoy": {
                "labels": [_month_label(g["key"], lang, translate) for g in months],
                "this_year": [g["received"] for g in months],
                "last_year": [g["received_yoy"] for g in months],
                "this_label": translate("wall.series.this_year_12"),
                "last_label": translate("wall.series.last_year_12"),
                "summary": yoy_text,
                "trend": yoy_trend,
                "mom_summary": mom_text,
                "mom_trend": mom_trend,
            },
            "categories": [
                {"name": lookup.category(code), "value": n}
                for code, n in recent.majors_this_month.most_common(8)
            ],
        },
    }


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _module_kpis(
    session: Session, actor: Actor, scope: str, translate: i18n.Translator, modules: frozenset[str]
) -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    """Tiles (and map points) of the optional modules that are installed; never a made-up number."""
    tiles: dict[str, dict[str, str]] = {}
    points: list[dict[str, Any]] = []
    if "patrols" in modules:
        from pingan.patrols import dispatch

        duty = dispatch.on_duty_now(session, actor, within=scope or None)
        counts = duty["counts"]
        tiles["patrols"] = {
            "value": str(duty["on_duty"]),
            "sub": translate(
                "wall.sub.patrols", online=counts["online"], offline=counts["offline"], sos=counts["sos"]
            ),
        }
        # positions and liveness only: no names on the wall
        points = [{"lon": p["lon"], "lat": p["lat"], "status": p["status"]} for p in duty["patrollers"]]
    return tiles, points
