"""The wall's figures, from roll-ups of the cases (counted by the database), in the viewer's language.

Every number says what it counts and over what period; every change shows its arrow and its base. Nothing
here loads case rows: open cases are counted per grid and SLA colour, received and closed cases per day,
so the cost of one build does not grow with the number of open cases (the map shows the most urgent
``MARKERS`` of them; the grid colours count all). ``pingan.web.pages.wall_cache`` shares one build per
scope between every wall that shows it.
"""

from __future__ import annotations

import calendar
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.cases import rollups
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.db import base_engine
from pingan.core.errors import NotFound
from pingan.core.modules import WallTile, load
from pingan.core.security import Actor
from pingan.web import i18n
from pingan.web.pages.lookups import names

FEED_SIZE = 14
MARKERS = 400  # the most urgent open cases drawn on the map (overdue first); grid colours count every one
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FINAL = ("closed", "rejected", "merged")


def change_text(translate: i18n.Translator, key: str, value: int, base: int) -> tuple[str, str]:
    """ "↓49.7% vs same month last year (312 → 157)" and the trend class (up/down/flat)."""
    if not base:
        return translate(key + "_none"), ""
    pct = (value - base) / base * 100
    arrow = "↑" if pct > 0 else ("↓" if pct < 0 else "→")
    trend = "up" if pct > 0 else ("down" if pct < 0 else "")
    return translate(key, arrow=arrow, pct=f"{abs(pct):.1f}%", base=base, value=value), trend


def midnight(day: date) -> datetime:
    """The start of a local (Asia/Shanghai) day."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def received(session: Session, actor: Actor, scope: str, first: date, last: date) -> Counter[date]:
    """Cases received per local day from ``first`` to ``last`` (inclusive), counted as the KPI API counts
    them (``GET /api/v1/case-kpis``: merged cases excluded). The wall's one place that counts received cases
    (today, the 30 days, month-to-date, the monthly series): switch it to ``cases.kpis``' shared count."""
    return rollups.received_by_day(
        session, actor, within=scope or None, start=midnight(first), end=midnight(last + timedelta(days=1))
    )


_HISTORY: dict[tuple[Any, ...], tuple[float, Counter[date]]] = {}
HISTORY_TTL = 600.0
RECENT_DAYS = 40  # counted afresh at every build; the days before change seldom and are kept HISTORY_TTL


def received_days(session: Session, actor: Actor, scope: str, first: date, today: date) -> Counter[date]:
    """``received`` from ``first`` to today: the last ``RECENT_DAYS`` counted now, the months before them
    remembered for ``HISTORY_TTL`` seconds (per database, scope, viewer's grants and day)."""
    split = today - timedelta(days=RECENT_DAYS)
    key = (id(base_engine(session.get_bind())), scope, actor.grants, actor.account_id, first, split)
    hit = _HISTORY.get(key)
    if hit is None or time.monotonic() - hit[0] > HISTORY_TTL:
        if len(_HISTORY) > 64:
            _HISTORY.clear()
        hit = _HISTORY[key] = (
            time.monotonic(),
            received(session, actor, scope, first, split - timedelta(days=1)),
        )
    return hit[1] + received(session, actor, scope, split, today)


@dataclass
class OpenCounts:
    """Open cases by SLA colour, per grid and per ranked area (street or community)."""

    colours: Counter[str]
    grids: dict[str, dict[str, int]]
    by_rank: Counter[str]
    red_by_rank: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.colours.values())


def open_counts(session: Session, actor: Actor, scope: str, rank_level: AreaLevel) -> OpenCounts:
    """Open cases counted by the database per grid and SLA colour."""
    counts = OpenCounts(Counter(), defaultdict(lambda: {"open": 0, "overdue": 0}), Counter(), Counter())
    for g in rollups.open_groups(session, actor, within=scope or None):
        counts.colours[g.sla_color] += g.count
        counts.grids[g.area_code]["open"] += g.count
        rank_key = g.community_code if rank_level == AreaLevel.COMMUNITY else g.street_code
        counts.by_rank[rank_key or ""] += g.count
        if g.sla_color == "red":
            counts.grids[g.area_code]["overdue"] += g.count
            counts.red_by_rank[rank_key or ""] += g.count
    return counts


def _level_of(session: Session, code: str) -> str | None:
    try:
        return areas.get_area(session, code).level if code else None
    except NotFound:
        return None


def _month_label(month: date, lang: str, translate: i18n.Translator) -> str:
    name = MONTHS_EN[month.month - 1]
    return name if lang == "en" else translate("wall.month", m=month.month, name=name)


def shift_month(day: date, months: int) -> date:
    """The first day of the month ``months`` before/after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def same_days(day: date, months: int) -> date:
    """The same day of the month ``months`` away (clamped to that month's length)."""
    first = shift_month(day, months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


def month_series(
    daily: Counter[date], today: date, now: datetime, lang: str, translate: i18n.Translator
) -> dict[str, Any]:
    """Received per month over the last 12 months and the same months a year before.

    The current month is month-to-date: its point is the month projected from the days elapsed so far
    (marked as a projection), and the year-on-year text compares month-to-date with the same days a year
    before — like with like, never a part of a month against a whole one."""
    month_start = today.replace(day=1)
    months = [shift_month(month_start, -11 + i) for i in range(12)]
    by_month: Counter[tuple[int, int]] = Counter()
    for day, n in daily.items():
        by_month[(day.year, day.month)] += n
    this_year = [by_month[(m.year, m.month)] for m in months]
    last_year = [by_month[(m.year - 1, m.month)] for m in months]
    mtd = this_year[-1]
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    elapsed = (now - midnight(month_start)).total_seconds() / 86400
    projected = round(mtd * days_in_month / elapsed) if elapsed >= 1 else None
    labels = [_month_label(m, lang, translate) for m in months]
    labels[-1] = translate("wall.month_to_date", month=labels[-1], day=today.day)
    return {
        "labels": labels,
        "this_year": this_year[:-1] + [projected],
        "last_year": last_year,
        "month_to_date": mtd,
        "projected": projected,
        "last_year_same_days": sum(
            n
            for d, n in daily.items()
            if d.year == today.year - 1 and d.month == today.month and d.day <= today.day
        ),
    }


def build(
    session: Session, actor: Actor, scope: str, lang: str, tiles: tuple[WallTile, ...] = ()
) -> dict[str, Any]:
    """Everything the wall shows apart from the boundaries; ``tiles``: the enabled modules' tiles."""
    translate = i18n.translator(lang)
    lookup = names(session, lang, within=scope[:6] if scope else None)
    now = utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    month_start = today.replace(day=1)
    # a district wall ranks its streets; a street's wall ranks its communities
    rank_level = (
        AreaLevel.COMMUNITY if _level_of(session, scope) == AreaLevel.STREET.value else AreaLevel.STREET
    )
    counts = open_counts(session, actor, scope, rank_level)
    daily = received_days(session, actor, scope, shift_month(month_start, -23), today)
    month_end = midnight(today + timedelta(days=1))
    closures = rollups.closure_by_area(
        session,
        actor,
        within=scope or None,
        level=rank_level.value,
        start=midnight(month_start),
        end=month_end,
        now=now,
    )
    closed = sum(c.closed for c in closures)
    on_time = sum(c.closed_on_time for c in closures)
    should = sum(c.should_close for c in closures)
    rate = f"{on_time / should * 100:.1f}%" if should else "–"
    series = month_series(daily, today, now, lang, translate)
    mtd = series["month_to_date"]
    yoy_text, yoy_trend = change_text(translate, "wall.sub.yoy", mtd, series["last_year_same_days"])
    last_month = sum(n for d, n in daily.items() if shift_month(month_start, -1) <= d <= same_days(today, -1))
    mom_text, mom_trend = change_text(translate, "wall.sub.mom", mtd, last_month)
    by_key = {c.key: c for c in closures}
    ranking: list[dict[str, Any]] = []
    for area in areas.list_areas(session, level=rank_level, within=scope or None):
        r = by_key[area.code].rate if area.code in by_key else None
        ranking.append(
            {
                "code": area.code,
                "name": area.name,
                "open": counts.by_rank[area.code],
                "overdue": counts.red_by_rank[area.code],
                "on_time": f"{r * 100:.1f}%" if r is not None else "–",
            }
        )
    ranking.sort(key=lambda r: (-r["open"], r["code"]))
    majors = rollups.received_by_major(
        session, actor, within=scope or None, start=midnight(month_start), end=month_end
    )
    start_30 = today - timedelta(days=29)
    closed_days = rollups.closed_by_day(
        session, actor, within=scope or None, start=midnight(start_30), end=month_end
    )
    days = [start_30 + timedelta(days=i) for i in range(30)]
    red, total = counts.colours["red"], counts.total
    kpi = {
        "today_received": {
            "value": str(daily[today]),
            "sub": translate("wall.sub.yesterday", n=daily[today - timedelta(days=1)]),
        },
        "on_time_rate": {
            "value": rate,
            "sub": translate("wall.sub.on_time", closed=closed, on_time=on_time)
            if closed
            else translate("wall.sub.on_time_none"),
        },
        "overdue": {
            "value": str(red),
            "sub": translate("wall.sub.overdue", share=f"{red / total * 100:.1f}%") if total else "",
        },
        "open": {
            "value": str(total),
            "sub": translate("wall.sub.open", yellow=counts.colours["yellow"], green=counts.colours["green"]),
        },
    }
    module_kpis, module_points = _module_tiles(session, actor, scope, translate, tiles)
    kpi.update(module_kpis)
    markers = rollups.urgent_open(session, actor, within=scope or None, limit=MARKERS)
    return {
        "generated_at": now.isoformat(),
        **module_points,
        "ranking_level": rank_level.value,
        "kpis": kpi,
        "grids": counts.grids,
        "ranking": ranking,
        "feed": [
            _feed_item(c) for c in rollups.newest(session, actor, within=scope or None, limit=FEED_SIZE)
        ],
        "markers": [
            {k: getattr(c, k) for k in ("id", "number", "title", "lon", "lat", "sla_color")} for c in markers
        ],
        "markers_note": translate("wall.markers_capped", shown=len(markers), total=total)
        if total > len(markers)
        else "",
        "trends": {
            "daily": {
                "labels": [f"{d.month}/{d.day}" if lang == "en" else f"{d.month}-{d.day:02d}" for d in days],
                "received": [daily[d] for d in days],
                "closed": [closed_days[d] for d in days],
            },
            "yoy": {
                "labels": series["labels"],
                "this_year": series["this_year"],
                "last_year": series["last_year"],
                "this_label": translate("wall.series.this_year_12"),
                "last_label": translate("wall.series.last_year_12"),
                "projected_note": translate(
                    "wall.sub.projected", mtd=mtd, projected=series["projected"], day=today.day
                )
                if series["projected"] is not None
                else "",
                "summary": yoy_text,
                "trend": yoy_trend,
                "mom_summary": mom_text,
                "mom_trend": mom_trend,
            },
            "categories": [{"name": lookup.category(code), "value": n} for code, n in majors.most_common(8)],
        },
    }


def _feed_item(c: Any) -> dict[str, Any]:
    """One line of the live feed, in the shape of the live feed's messages (``cases.live.case_payload``): the
    page renders both the same way, place names included."""
    return {
        "id": c.id,
        "number": c.number,
        "title": c.title,
        "state": c.state,
        "sla_color": c.sla_color if c.state not in FINAL else None,
        "reported_at": c.reported_at.isoformat(),
        "area_code": c.area_code,
        "street_code": c.street_code,
    }


def _module_tiles(
    session: Session, actor: Actor, scope: str, translate: i18n.Translator, tiles: tuple[WallTile, ...]
) -> tuple[dict[str, dict[str, str]], dict[str, list[dict[str, Any]]]]:
    """The enabled modules' tiles by key, and their map points by each tile's points key (never a made-up
    number: a module that is not enabled has no tile)."""
    kpis: dict[str, dict[str, str]] = {}
    points: dict[str, list[dict[str, Any]]] = {}
    for tile in tiles:
        built = load(tile.build)(session, actor, scope, translate)
        kpis[tile.key] = {"value": str(built["value"]), "sub": str(built.get("sub", ""))}
        if tile.points_key:
            points[tile.points_key] = list(built.get("points", []))
    return kpis, points
