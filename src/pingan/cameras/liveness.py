"""Online rate (在线率) of cameras: online time as a share of registered cameras' time, per day
(Asia/Shanghai) and per street, grid, owner unit or camera type, from the devices spine's outage
history. A camera counts from its install date (or registration); one never heard counts as offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import LOCAL_TZ, as_utc, to_local, utcnow
from pingan.core.errors import ValidationFailed
from pingan.core.security import Actor, in_scope, require_role
from pingan.devices import interface as devices

from . import gbid
from .models import Camera
from .module import CAMERA
from .service import READ_ROLES

GROUPINGS = ("street", "grid", "owner", "type")
MAX_DAYS = 31


@dataclass
class _Cam:
    gb_id: str
    key: str
    since: float  # counted from (epoch seconds)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    return as_utc(start), as_utc(start + timedelta(days=1))


def _labels(session: Session, by: str, keys: set[str], lang: str) -> dict[str, str]:
    if by in ("street", "grid"):
        level = AreaLevel.STREET if by == "street" else AreaLevel.GRID
        return {a.code: a.name for a in areas.list_areas(session, level=level) if a.code in keys}
    if by == "type":
        return {k: gbid.TYPES.get(k, (k, k))[1 if lang == "en" else 0] for k in keys}
    return {k: k or ("(none)" if lang == "en" else "（未填）") for k in keys}


@dataclass(frozen=True)
class _Row:
    area_code: str
    owner_unit: str
    type_code: str


def _key_function(session: Session, by: str) -> Callable[[_Row], str]:
    if by == "street":
        streets = [a.code for a in areas.list_areas(session, level=AreaLevel.STREET)]

        def street_of(c: _Row) -> str:  # a grouping, not a filter
            return next((s for s in streets if c.area_code.startswith(s)), c.area_code[:9])  # lint-scope: ok

        return street_of
    if by == "grid":
        return lambda c: c.area_code
    if by == "type":
        return lambda c: c.type_code
    return lambda c: c.owner_unit


def online_rates(
    session: Session,
    actor: Actor,
    *,
    by: str = "street",
    days: int = 7,
    until: date | None = None,
    area: str | None = None,
    lang: str = "zh",
) -> dict[str, Any]:
    """Per group and day the online rate (0–1, None before any camera counted) and the cameras counted; the
    last day ends now when it is today. ``{"by", "days": [...], "groups": [{"key", "label", "cameras",
    "rates": [...], "rate"}], "overall": [...]}``."""
    require_role(actor, *READ_ROLES)
    if by not in GROUPINGS:
        raise ValidationFailed(f"by must be one of {', '.join(GROUPINGS)}", field="by")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"days must lie in 1–{MAX_DAYS}", field="days")
    now = utcnow()
    last = until or to_local(now).date()
    day_list = [last - timedelta(days=days - 1 - i) for i in range(days)]
    window_start, _ = _day_bounds(day_list[0])
    _, window_end = _day_bounds(day_list[-1])
    window_end = min(window_end, now)
    stmt = in_scope(select(Camera).where(Camera.role == "camera"), Camera.area_code, actor, roles=READ_ROLES)
    if area:
        if not area.isdigit() or len(area) > 20:
            raise ValidationFailed("area must be an area code (digits)", field="area")
        stmt = stmt.where(Camera.area_code.startswith(area, autoescape=True))  # lint-scope: ok (filter)
    key_of = _key_function(session, by)
    inner = stmt.subquery()
    columns = select(
        inner.c.gb_id,
        inner.c.area_code,
        inner.c.owner_unit,
        inner.c.type_code,
        inner.c.install_date,
        inner.c.created_at,
    )
    cams: dict[str, _Cam] = {}
    day_start: dict[date, float] = {}
    for gb, area_code, owner, type_code, installed, created in session.execute(columns):
        if installed is not None:
            if installed not in day_start:
                day_start[installed] = _day_bounds(installed)[0].timestamp()
            since = day_start[installed]
        else:
            since = as_utc(created).timestamp()
        cams[gb] = _Cam(gb, key_of(_Row(area_code, owner or "", type_code)), since)
    offline = _offline_spans(session, cams, window_start, window_end)
    return _aggregate(session, cams, offline, day_list, now, by, lang)


def _offline_spans(
    session: Session, cams: dict[str, _Cam], start: datetime, end: datetime
) -> dict[str, list[tuple[float, float]]]:
    spans: dict[str, list[tuple[float, float]]] = {}
    for outage in devices.outages(session, CAMERA, since=start, until=end):
        if outage.external_id in cams:
            stop = as_utc(outage.ended_at) if outage.ended_at else end
            spans.setdefault(outage.external_id, []).append(
                (as_utc(outage.started_at).timestamp(), stop.timestamp())
            )
    for gb, state in devices.device_states(session, CAMERA).items():
        if gb in cams and state.status == "unknown":
            spans[gb] = [(start.timestamp(), end.timestamp())]
    return spans


def _aggregate(
    session: Session,
    cams: dict[str, _Cam],
    offline: dict[str, list[tuple[float, float]]],
    day_list: list[date],
    now: datetime,
    by: str,
    lang: str,
) -> dict[str, Any]:
    n = len(day_list)
    up: dict[str, list[float]] = {}
    total: dict[str, list[float]] = {}
    counted: dict[str, int] = {}
    stamp = now.timestamp()
    bounds = [(a.timestamp(), min(b.timestamp(), stamp)) for a, b in map(_day_bounds, day_list)]
    for cam in cams.values():
        ups = up.setdefault(cam.key, [0.0] * n)
        totals = total.setdefault(cam.key, [0.0] * n)
        counted[cam.key] = counted.get(cam.key, 0) + 1
        spans = offline.get(cam.gb_id, ())
        for i, (day_start, day_end) in enumerate(bounds):
            start = max(day_start, cam.since)
            if day_end <= start:
                continue
            length = day_end - start
            down = sum(max(0.0, min(e, day_end) - max(s, start)) for s, e in spans) if spans else 0.0
            totals[i] += length
            ups[i] += max(0.0, length - down)
    labels = _labels(session, by, set(up), lang)

    def rates(u: list[float], t: list[float]) -> list[float | None]:
        return [round(a / b, 4) if b else None for a, b in zip(u, t, strict=True)]

    groups = [
        {
            "key": key,
            "label": labels.get(key, key),
            "cameras": counted[key],
            "rates": rates(up[key], total[key]),
            "rate": round(sum(up[key]) / sum(total[key]), 4) if sum(total[key]) else None,
        }
        for key in sorted(up, key=lambda k: labels.get(k, k))
    ]
    all_up = [sum(up[k][i] for k in up) for i in range(n)]
    all_total = [sum(total[k][i] for k in total) for i in range(n)]
    return {
        "by": by,
        "days": [d.isoformat() for d in day_list],
        "groups": groups,
        "overall": rates(all_up, all_total),
        "cameras": len(cams),
    }


def current_counts(session: Session, actor: Actor, scope: str = "") -> dict[str, int]:
    """Cameras of the actor's scope (and ``scope`` area) by current status: online, offline, unknown."""
    stmt = in_scope(select(Camera.gb_id).where(Camera.role == "camera"), Camera.area_code, actor)
    if scope:
        stmt = stmt.where(Camera.area_code.startswith(scope, autoescape=True))  # lint-scope: ok (filter)
    ids = set(session.scalars(stmt))
    counts = {"online": 0, "offline": 0, "unknown": 0}
    for gb, state in devices.device_states(session, CAMERA).items():
        if gb in ids:
            counts[state.status] = counts.get(state.status, 0) + 1
    counts["unknown"] += len(ids) - sum(counts.values())
    return counts
