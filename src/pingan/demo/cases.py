"""Demo cases: the category tree (every contract code), routing rules to the demo units, and ~25 months of
synthetic case history inserted in bulk (deterministic by seed; public-order categories fall ~49.7% YoY)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.cases import kpi_days, routing
from pingan.cases.models import Case, CaseCounter, CaseEvent, Category, Rating, RoutingRule
from pingan.cases.sla import WORKDAY, add_minutes, calendar_for, clock_of, minutes_between, stage_minutes
from pingan.cases.worktime import WorkCalendar, official_days
from pingan.core.clock import LOCAL_TZ, as_utc, to_local, utcnow
from pingan.core.security import Actor
from pingan.demo.bulk import insert_columns, insert_rows
from pingan.units import service as units

Step = Callable[[str, float], None]

# (code, zh, en, default priority, handle minutes (normal), dedupe radius m, public, routed unit suffix)
MAJORS: tuple[tuple[str, str, str], ...] = (
    ("01", "市容环境", "City appearance"),
    ("02", "宣传广告", "Advertising"),
    ("03", "施工管理", "Construction"),
    ("04", "突发事件", "Emergencies"),
    ("05", "街面秩序", "Street order"),
    ("06", "治安安全", "Public security"),
    ("07", "消防安全", "Fire safety"),
    ("08", "燃气安全", "Gas safety"),
    ("09", "道路交通", "Road traffic"),
    ("10", "生态环境与河道", "Environment and rivers"),
    ("11", "食品药品", "Food and drugs"),
    ("12", "寄递安全", "Parcel safety"),
    ("13", "矛盾纠纷", "Disputes"),
    ("14", "基础设施", "Infrastructure"),
    ("15", "设备运维", "Device operations"),
    ("16", "民生服务", "Public services"),
)

MINORS: tuple[tuple[str, str, str, str, int, float, bool, str], ...] = (
    ("0101", "私搭乱建", "Illegal structure", "normal", 20 * 1440, 50, True, "CG"),
    ("0102", "暴露垃圾", "Exposed garbage", "normal", 240, 50, True, "CG"),
    ("0103", "积存垃圾渣土", "Dumped waste", "normal", 4 * 1440, 80, True, "CG"),
    ("0104", "道路不洁", "Dirty road", "normal", 300, 80, True, "CG"),
    ("0201", "违规张贴小广告", "Illegal flyers", "low", 1440, 50, True, "CG"),
    ("0301", "施工扰民", "Construction noise", "normal", 1440, 150, True, "ZJ"),
    ("0302", "工地扬尘", "Construction dust", "normal", 1440, 150, True, "HB"),
    ("0401", "道路塌陷", "Road collapse", "urgent", 240, 100, True, "YJ"),
    ("0402", "管道爆裂", "Pipe burst", "urgent", 240, 100, True, "ZJ"),
    ("0410", "巡防队员紧急求助(SOS)", "Patrol SOS", "urgent", 30, 0, False, "GA"),
    ("0501", "无照经营游商", "Unlicensed vendor", "normal", 480, 80, True, "CG"),
    ("0502", "违章停车", "Illegal parking", "normal", 240, 30, True, "JJ"),
    ("0601", "治安隐患", "Public-order hazard", "high", 1440, 100, True, "GA"),
    ("0602", "可疑人员物品", "Suspicious person or object", "high", 240, 100, True, "GA"),
    ("0603", "盗窃线索", "Theft lead", "high", 1440, 100, True, "GA"),
    ("0701", "消防通道堵塞", "Blocked fire lane", "high", 480, 50, True, "XF"),
    ("0702", "电动自行车违规充电", "Illegal e-bike charging", "high", 480, 50, True, "XF"),
    ("0703", "消防设施损坏", "Damaged fire equipment", "normal", 3 * 1440, 50, True, "XF"),
    ("0704", "火灾隐患(检查发现)", "Fire hazard (inspection)", "high", 3 * 1440, 0, False, "XF"),
    ("0801", "瓶装燃气违规存放使用", "LPG cylinder misuse", "high", 1440, 50, True, "YJ"),
    ("0802", "非法充装储存运输销售", "Illegal LPG filling/sale", "urgent", 480, 100, True, "YJ"),
    ("0901", "交通设施损坏", "Damaged traffic facility", "normal", 2 * 1440, 50, True, "JJ"),
    ("0902", "交通拥堵", "Traffic jam", "high", 120, 200, True, "JJ"),
    ("1001", "河道水质超标(监测)", "River quality breach (sensor)", "high", 1440, 0, False, "HZB"),
    ("1002", "河道异味漂浮物", "River odour or debris", "normal", 2 * 1440, 200, True, "HZB"),
    ("1003", "违法排污", "Illegal discharge", "high", 1440, 200, True, "HB"),
    ("1101", "校园食堂食品安全", "School kitchen food safety", "high", 1440, 0, False, "SJ"),
    ("1102", "药品追溯异常", "Drug traceability anomaly", "high", 2 * 1440, 0, False, "SJ"),
    ("1103", "无证餐饮", "Unlicensed eatery", "normal", 5 * 1440, 50, True, "SJ"),
    ("1201", "寄递违禁品", "Prohibited item in parcel", "urgent", 240, 0, False, "YZ"),
    ("1202", "未实名收寄", "Parcel without real-name check", "normal", 3 * 1440, 0, False, "YZ"),
    ("1301", "邻里纠纷", "Neighbour dispute", "normal", 7 * 1440, 30, True, "community"),
    ("1302", "劳资纠纷", "Wage dispute", "high", 7 * 1440, 50, True, "SF"),
    ("1303", "征迁纠纷", "Relocation dispute", "high", 15 * 1440, 100, True, "street_centre"),
    ("1401", "井盖缺失破损", "Missing or broken manhole cover", "urgent", 240, 30, True, "ZJ"),
    ("1402", "路灯故障", "Street light fault", "normal", 2 * 1440, 30, True, "CG"),
    ("1501", "视频监控离线", "Camera offline", "normal", 1440, 0, False, "GA"),
    ("1502", "监测站点离线", "Monitoring station offline", "normal", 1440, 0, False, "HB"),
    ("1601", "群众意见建议转办", "Resident opinion referral", "low", 7 * 1440, 0, True, "street_centre"),
)

PRIORITY_FACTOR = {"low": 1.5, "normal": 1.0, "high": 0.5, "urgent": 0.25}
STAGE_BASE = {"register": 60, "dispatch": 60, "verify": 480}
PUBLIC_ORDER = ("0601", "0602", "0603")
# Counted 24/7 (natural clock): fire, gas/LPG and emergencies, plus public-safety emergencies (suspicious
# person or object, prohibited item in a parcel, missing manhole cover). Every other category counts its
# limits in working time, where a day of the table above means one 工作日.
NATURAL_MAJORS = ("04", "07", "08")
NATURAL_MINORS = ("0602", "1201", "1401")


def clock_for(code: str) -> str:
    """The demo SLA clock of a category code."""
    return "natural" if code[:2] in NATURAL_MAJORS or code in NATURAL_MINORS else "working"


def sla_table(handle_minutes: int, clock: str = "natural") -> dict[str, dict[str, int]]:
    """Per-priority stage limits derived from a subclass's normal handling limit (whole days become working
    days, ``sla.WORKDAY`` working minutes each, on the working clock)."""
    if clock == "working":
        days, rest = divmod(handle_minutes, 1440)
        handle_minutes = days * WORKDAY + rest
    table: dict[str, dict[str, int]] = {}
    for priority, factor in PRIORITY_FACTOR.items():
        table[priority] = {
            "register": max(10, int(STAGE_BASE["register"] * factor)),
            "dispatch": max(10, int(STAGE_BASE["dispatch"] * factor)),
            "handle": max(30, int(handle_minutes * factor)),
            "verify": max(30, int(STAGE_BASE["verify"] * factor)),
        }
    return table


def create_categories(session: Session) -> None:
    """The category tree with every contract code."""
    admin = Actor.system("demo")
    for code, zh, en in MAJORS:
        routing.upsert_category(session, admin, code=code, name_zh=zh, name_en=en, clock=clock_for(code))
    for code, zh, en, priority, handle, radius, public, _unit in MINORS:
        routing.upsert_category(
            session,
            admin,
            code=code,
            name_zh=zh,
            name_en=en,
            default_priority=priority,
            sla_minutes=sla_table(handle, clock_for(code)),
            clock=clock_for(code),
            dedupe_radius_m=radius,
            dedupe_window_minutes=24 * 60,
            is_public=public,
            attributes=_attributes(code),
        )


def _attributes(code: str) -> list[dict[str, Any]]:
    if code == "0701":
        return [
            {
                "variable": True,
                "code": "blocked_by",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 1,
                "description": "被什么堵塞? What is blocking it?",
                "values": [
                    {"key": "car", "name": "机动车"},
                    {"key": "ebike", "name": "电动自行车"},
                    {"key": "goods", "name": "杂物"},
                ],
            }
        ]
    return []


def create_rules(session: Session) -> None:
    """One rule per minor class to its department (or the street centre / community committee)."""
    admin = Actor.system("demo")
    for code, _zh, _en, _p, _h, _r, _pub, target in MINORS:
        if target in ("street_centre", "community"):
            routing.save_rule(session, admin, category_prefix=code, target=target, note="demo")
        else:
            unit = units.get_unit_by_code(session, f"330108-{target}")
            routing.save_rule(session, admin, category_prefix=code, unit_id=unit.id, note="demo")
    # 小事不出网格: city-appearance trifles in 西兴街道 go to the street centre first
    routing.save_rule(
        session,
        admin,
        category_prefix="0201",
        area_prefix="330108001",
        target="street_centre",
        priority=1,
        note="demo: street handles flyers",
    )


def generate_cases(session: Session, *, seed: int = 2016, step: Step | None = None, months: int = 25) -> int:
    """Categories, rules and synthetic history; returns the number of cases inserted."""
    report = step or (lambda _label, _share: None)
    create_categories(session)
    create_rules(session)
    report("cases: history", 0.0)
    count = _history(session, seed=seed, months=months, report=report)
    kpi_days.refresh(session)  # the KPIs' daily roll-up, built up to yesterday
    return count


# Reports a working day in the whole district, all channels (a district of ~270,000 registered residents
# and as many again working or renting here: 12345 hotline, the app, grid workers, patrols, Open311/web).
DAILY_REPORTS = 260
# Share of the day's reports by channel (camera, sensor and inspection categories have their own source).
CHANNELS = (
    ("hotline", 0.38),
    ("grid_worker", 0.26),
    ("app", 0.14),
    ("resident_web", 0.08),
    ("patrol", 0.08),
    ("open311", 0.06),
)
# Relative weight of each category among the day's reports (public-order ones follow their own trend).
MIX = {
    "0101": 2.0, "0102": 9.0, "0103": 3.0, "0104": 5.0, "0201": 4.0, "0301": 3.0, "0302": 2.0,
    "0401": 0.3, "0402": 0.4, "0501": 6.0, "0502": 10.0, "0701": 3.0, "0702": 4.0, "0703": 1.5,
    "0704": 1.0, "0801": 1.5, "0802": 0.2, "0901": 2.0, "0902": 2.0, "1001": 0.5, "1002": 1.5,
    "1003": 0.7, "1103": 1.5, "1301": 6.0, "1302": 2.0, "1303": 0.5, "1401": 1.0, "1402": 3.0,
    "1501": 1.5, "1601": 2.0,
}  # fmt: skip
PUBLIC_ORDER_DAILY = 24.0  # public-order reports a day at the start of the history, halving each year
YEARLY_PUBLIC_ORDER = 0.503  # criminal and public-order cases −49.7 % year on year
# Hour-of-day shape (Asia/Shanghai) of residents' reports and of staff on their rounds.
RESIDENT_HOURS = (
    0.6, 0.4, 0.3, 0.2, 0.2, 0.4, 1.0, 2.5, 5.0, 7.5, 8.0, 7.0,
    5.0, 5.5, 7.0, 7.5, 7.0, 6.0, 5.0, 5.0, 4.5, 3.5, 2.0, 1.2,
)  # fmt: skip
STAFF_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 6, 9, 9, 7, 3, 4, 8, 9, 8, 6, 2, 1, 0, 0, 0, 0)
PATROL_HOURS = (1, 1, 0.5, 0.5, 0.5, 0.5, 1, 2, 3, 4, 4, 3, 2, 3, 4, 4, 4, 4, 4, 5, 5, 4, 3, 2)
SENSOR_HOURS = (1,) * 24
OWN_SOURCE = {"1501": "camera", "0704": "inspection", "1001": "sensor"}
REPORTER = {
    "hotline": "12345热线",
    "app": "平安App",
    "resident_web": "网站",
    "open311": "Open311",
    "grid_worker": "网格员",
    "patrol": "巡防队员",
    "camera": "视频监控",
    "sensor": "监测设备",
    "inspection": "消防检查",
}


class _WorkIndex:
    """Working minutes of the work calendar as a cumulative array over the history (minute resolution,
    linear inside a minute): ``add`` is ``WorkCalendar.add`` for many instants at once."""

    def __init__(self, calendar: WorkCalendar, first: date, days: int) -> None:
        self.origin = datetime(first.year, first.month, first.day, tzinfo=LOCAL_TZ).astimezone(UTC)
        working = np.zeros(days * 1440, dtype=np.float64)
        for d in range(days):
            if calendar.is_workday(first + timedelta(days=d)):
                for a, b in calendar.periods:
                    working[d * 1440 + a : d * 1440 + b] = 1.0
        self.working = working
        self.cum = np.concatenate([[0.0], np.cumsum(working)])

    def minutes(self, when: datetime) -> float:
        return (when - self.origin).total_seconds() / 60

    def worked(self, t: np.ndarray) -> np.ndarray:
        i = np.floor(t).astype(np.int64)
        return self.cum[i] + self.working[i] * (t - i)

    def add(self, t: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        target = self.worked(t) + minutes
        j = np.searchsorted(self.cum, target, side="left")
        return (j - 1) + (target - self.cum[j - 1])


def _history(session: Session, *, seed: int, months: int, report: Step) -> int:
    rng = np.random.default_rng(seed + 11)
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    everything = {a.code: a for a in areas.list_areas(session)}
    chains = {g.code: _chain(everything, g.code) for g in grids}
    boxes = [
        (g, (g.min_lon or 0.0, g.min_lat or 0.0, g.max_lon or 0.0, g.max_lat or 0.0))
        for g in grids
        if None not in (g.min_lon, g.min_lat, g.max_lon, g.max_lat)
    ]
    cats = {c.code: c for c in session.scalars(select(Category))}
    rules_unit = _rule_units(session)
    calendar = calendar_for(session)
    now = utcnow().replace(minute=0, second=0, microsecond=0)  # up to this hour (deterministic within it)
    start_day = to_local(now - timedelta(days=int(months * 30.4))).date()
    days = (to_local(now).date() - start_day).days + 1
    index = _WorkIndex(calendar, start_day, days + 200)  # deadlines reach past today
    now_min = index.minutes(now)
    official = {d: flag for d, (flag, _note) in official_days().items()}

    # how many reports of each category each day: weekday/weekend, holidays, a summer swell, the trend
    day_dates = [start_day + timedelta(days=d) for d in range(days)]
    weekday = np.array([d.weekday() for d in day_dates])
    factor = np.choose(np.minimum(weekday, 6), [1.0, 1.0, 1.0, 1.0, 0.97, 0.72, 0.62])
    holiday = np.array([official.get(d) is False for d in day_dates])
    factor = np.where(holiday, 0.6, factor)
    doy = np.array([d.timetuple().tm_yday for d in day_dates])
    factor = factor * (1 + 0.12 * np.sin(2 * np.pi * (doy - 100) / 365))
    codes = [c for c in MIX if c in cats] + [c for c in PUBLIC_ORDER if c in cats]
    weights = np.array([MIX.get(c, 0.0) for c in codes])
    means = np.outer(factor, weights / weights.sum() * DAILY_REPORTS)
    years = np.arange(days) / 365.0
    for k, code in enumerate(codes):
        if code in PUBLIC_ORDER:
            means[:, k] = PUBLIC_ORDER_DAILY / len(PUBLIC_ORDER) * factor * YEARLY_PUBLIC_ORDER**years
    counts = rng.poisson(means)
    day_idx, code_idx = np.nonzero(counts)
    reps = counts[day_idx, code_idx]
    day_of = np.repeat(day_idx, reps)
    code_of = np.repeat(code_idx, reps)
    n = day_of.size
    report("cases: history", 0.1)

    # channel and time of day
    channel_names = [c for c, _ in CHANNELS]
    shares = np.array([s for _, s in CHANNELS])
    source = np.array(channel_names, dtype=object)[rng.choice(len(CHANNELS), n, p=shares / shares.sum())]
    code_arr = np.array(codes, dtype=object)[code_of]
    for code, own in OWN_SOURCE.items():
        source[code_arr == code] = own
    hour = np.empty(n, dtype=np.int64)
    for src in set(source.tolist()):
        mask = source == src
        shape = np.array(
            STAFF_HOURS
            if src in ("grid_worker", "inspection")
            else PATROL_HOURS
            if src == "patrol"
            else SENSOR_HOURS
            if src in ("camera", "sensor")
            else RESIDENT_HOURS,
            dtype=np.float64,
        )
        hour[mask] = rng.choice(24, int(mask.sum()), p=shape / shape.sum())
    reported = day_of * 1440.0 + hour * 60 + rng.uniform(0, 60, n)
    keep = reported < now_min
    day_of, code_of, code_arr, source, reported = (
        day_of[keep], code_of[keep], code_arr[keep], source[keep], reported[keep]
    )  # fmt: skip
    order = np.argsort(reported, kind="stable")  # case ids (and numbers) follow the time of report
    code_arr, source, reported = code_arr[order], source[order], reported[order]
    n = reported.size

    # limits and the clock of each case's category; step times on that clock
    limit = {stage: np.zeros(n) for stage in ("register", "dispatch", "handle", "verify")}
    working = np.zeros(n, dtype=bool)
    priority = np.empty(n, dtype=object)
    for code in codes:
        mask = code_arr == code
        cat = cats[code]
        for stage, minutes in stage_minutes(cat, cat.default_priority).items():
            limit[stage][mask] = minutes
        working[mask] = clock_of(cat) == "working"
        priority[mask] = cat.default_priority

    def after(t: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        return np.where(working, index.add(t, minutes), t + minutes)

    late = rng.random(n) < 0.12
    handle = limit["handle"] * np.where(late, rng.uniform(1.05, 1.6, n), rng.uniform(0.1, 0.9, n))
    registered = after(reported, 3 + rng.random(n) * (limit["register"] * 0.9 - 3))
    dispatched = after(registered, 2 + rng.random(n) * (limit["dispatch"] * 0.9 - 2))
    handled = after(dispatched, handle)
    verified = after(handled, 10 + rng.random(n) * (limit["verify"] * 0.8 - 10))
    closed = after(verified, rng.uniform(5, 60, n))
    close_due = after(reported, limit["register"] + limit["dispatch"] + limit["handle"] + limit["verify"])
    rejected = rng.random(n) < 0.04
    rejected_at = reported + rng.uniform(10, 240, n)  # refused at the register step: never registered
    returned = rng.random(n) < 0.06
    rework = rng.random(n) < 0.05
    supervised = late & (rng.random(n) < 0.5)
    # Open at ``now`` are the cases whose steps run past it. A few of the last weeks' cases are stuck at the
    # department (a handler who has not reported back; 3 %): cut at a moment after dispatch, so that the
    # backlog holds some overdue work, while registration and dispatch stay as prompt as the history's.
    stuck = (now_min - reported < 21 * 1440) & (rng.random(n) < 0.03) & (dispatched < now_min)
    cut = np.where(stuck, dispatched + (now_min - dispatched) * rng.random(n), now_min)
    report("cases: history", 0.4)

    grid_pick = rng.integers(0, len(boxes), n)
    jitter = rng.random((n, 2)) - 0.5
    places = [  # grid, community, street, community name
        (
            g.code,
            chains[g.code].community.code if chains[g.code].community else None,
            chains[g.code].street.code if chains[g.code].street else None,
            chains[g.code].community.name if chains[g.code].community else "",
        )
        for g, _ in boxes
    ]
    names = {code: cat.name_zh for code, cat in cats.items()}
    local_days = (
        (np.datetime64(index.origin.replace(tzinfo=None), "m") + np.floor(reported).astype("timedelta64[m]"))
        + np.timedelta64(8 * 60, "m")  # Asia/Shanghai: UTC+8 all year
    ).astype("datetime64[D]")
    day_text = np.char.replace(local_days.astype(str), "-", "").tolist()
    sources, priorities = source.tolist(), priority.tolist()
    box = np.array([b for _, b in boxes])[grid_pick]  # min lon, min lat, max lon, max lat
    lons = np.round((box[:, 0] + box[:, 2]) / 2 + jitter[:, 0] * (box[:, 2] - box[:, 0]) * 0.3, 6).tolist()
    lats = np.round((box[:, 1] + box[:, 3]) / 2 + jitter[:, 1] * (box[:, 3] - box[:, 1]) * 0.3, 6).tolist()
    first_id = int(session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0) + 1
    origin = np.datetime64(index.origin.replace(tzinfo=None), "us")

    def stamps(t: np.ndarray) -> list[datetime]:  # naive UTC datetimes (the columns' convention)
        return (origin + (t * 60_000_000).astype("timedelta64[us]")).astype(object).tolist()

    t_reported, t_registered, t_dispatched = stamps(reported), stamps(registered), stamps(dispatched)
    t_handled, t_verified, t_closed = stamps(handled), stamps(verified), stamps(closed)
    t_due, t_rejected, t_cut = stamps(close_due), stamps(rejected_at), stamps(cut)
    rows: list[dict[str, Any]] = []
    picks, codes_of = grid_pick.tolist(), code_arr.tolist()
    closed_list, due_list, cut_list = closed.tolist(), close_due.tolist(), cut.tolist()
    late_list, returned_list, rework_list = supervised.tolist(), returned.tolist(), rework.tolist()
    rejected_list, working_list = rejected.tolist(), working.tolist()
    for i in range(n):
        grid_code, community_code, street_code, community_name = places[picks[i]]
        code = codes_of[i]
        case_id = first_id + i
        unit = rules_unit.get(code)
        row: dict[str, Any] = {
            "id": case_id,
            "number": f"BJ{day_text[i]}{case_id:04d}",
            "category_code": code,
            "title": f"{names[code]}：{community_name}",
            "description": f"{names[code]}（演示数据）",
            "lon": lons[i],
            "lat": lats[i],
            "area_code": grid_code,
            "community_code": community_code,
            "street_code": street_code,
            "source": sources[i],
            "last_signal_at": t_reported[i],
            "priority": priorities[i],
            "state": "closed",
            "stage": None,
            "stage_started_at": None,
            "stage_due_at": None,
            "owner_unit_id": unit,
            "routed_unit_id": unit,
            "is_supervised": late_list[i],
            "tracking_digest": hashlib.sha256(f"demo-{case_id}".encode()).hexdigest(),
            "close_due_at": t_due[i],
            "sla_color": "grey",
            "sla_clock": "working" if working_list[i] else "natural",
            "reported_at": t_reported[i],
            "registered_at": t_registered[i],
            "dispatched_at": t_dispatched[i],
            "started_at": t_dispatched[i] + timedelta(minutes=5),
            "handled_at": t_handled[i],
            "verified_at": t_verified[i],
            "closed_at": t_closed[i],
            "updated_at": t_closed[i],
            "is_closed_on_time": closed_list[i] <= due_list[i],
            "return_count": int(returned_list[i]),
            "rework_count": int(rework_list[i]),
        }
        if rejected_list[i]:
            row.update(
                state="rejected",
                registered_at=None,
                dispatched_at=None,
                started_at=None,
                handled_at=None,
                verified_at=None,
                closed_at=t_rejected[i],
                updated_at=t_rejected[i],
                is_closed_on_time=None,
                owner_unit_id=None,
                return_count=0,
                rework_count=0,
            )
        elif closed_list[i] > cut_list[i]:  # still open: caught at the step it had reached by then
            row = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}
            _cut_open(row, as_utc(t_cut[i]), now, stage_minutes(cats[code], row["priority"]), calendar)
        rows.append(row)
    report("cases: history", 0.6)
    events = _events(rows)
    ratings = [
        _rating(rng, row)
        for row in rows
        if row["state"] == "closed" and row["source"] in ("resident_web", "hotline", "app", "open311")
        and rng.random() < 0.6
    ]  # fmt: skip
    report("cases: history", 0.7)
    defaults: dict[str, Any] = {
        "address": "", "source_crs": "wgs84", "source_ref": None, "dedupe_key": None, "signal_count": 1,
        "suspended_from": None, "escalation_level": "street", "duplicate_of_id": None,
        "reporter_account_id": None, "reporter_name_enc": None, "reporter_name_masked": "",
        "reporter_phone_enc": None, "reporter_phone_index": None, "reporter_phone_masked": "",
        "is_anonymous_public": False, "entered_by_id": None, "attributes": {}, "media_url": None,
        "paused_at": None, "paused_seconds": 0, "reopen_count": 0, "public_note": "",
    }  # fmt: skip
    columns: dict[str, list[Any]] = {key: [row[key] for row in rows] for key in rows[0]} if rows else {}
    for key, value in defaults.items():
        columns[key] = [value] * len(rows)
    insert_columns(session, Case, columns, progress=lambda done: report("cases: history", 0.7 + 0.1 * done))
    insert_columns(
        session, CaseEvent, events, progress=lambda done: report("cases: history", 0.8 + 0.15 * done)
    )
    if ratings:
        insert_rows(session, Rating, ratings)
    _bump_counter(session, first_id + n - 1)
    report("cases: done", 1.0)
    return n


@dataclass(frozen=True)
class _Chain:
    community: Any
    street: Any


def _chain(everything: dict[str, Any], grid_code: str) -> _Chain:
    community = everything.get(everything[grid_code].parent_code or "")
    street = everything.get(community.parent_code or "") if community is not None else None
    return _Chain(community, street)


def _rule_units(session: Session) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for rule in session.scalars(select(RoutingRule).where(RoutingRule.area_prefix == "")):
        out[rule.category_prefix] = rule.unit_id
    return out


def _bump_counter(session: Session, last: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT setval('case_number_seq', :n)"), {"n": max(last, 1)})
        session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :n)"), {"n": max(last, 1)})
        return
    row = session.get(CaseCounter, "case")
    if row is None:
        session.add(CaseCounter(name="case", last=last))
    else:
        session.execute(update(CaseCounter).where(CaseCounter.name == "case").values(last=last))
    session.flush()


def _cut_open(
    row: dict[str, Any], cut: datetime, now: datetime, limits: dict[str, int], calendar: WorkCalendar
) -> None:
    """Cases whose later milestones lie after ``cut`` are still open (SLA colours as of ``now``)."""
    clock = row["sla_clock"]
    order = (
        ("registered_at", "reported", "register"),
        ("dispatched_at", "registered", "dispatch"),
        ("handled_at", "in_progress", "handle"),
        ("verified_at", "handled", "verify"),
        ("closed_at", "verified", "verify"),
    )
    for column, state, stage in order:
        if row[column] is not None and row[column] > cut:
            for later, *_ in order[order.index((column, state, stage)) :]:
                row[later] = None
            row["state"] = state
            row["stage"] = stage
            started = {
                "register": row["reported_at"],
                "dispatch": row["registered_at"],
                "handle": row["dispatched_at"],
                "verify": row["handled_at"],
            }[stage]
            row["stage_started_at"] = started
            row["stage_due_at"] = add_minutes(clock, started, limits[stage], calendar)
            row["is_closed_on_time"] = None
            row["updated_at"] = started
            if row["started_at"] is not None and row["started_at"] > cut:
                row["started_at"] = None
            over = now > row["stage_due_at"] or now > row["close_due_at"]
            allowance = minutes_between(clock, started, row["stage_due_at"], calendar)
            used = minutes_between(clock, started, now, calendar) / max(allowance, 1.0)
            row["sla_color"] = "red" if over else ("yellow" if used >= 0.8 else "green")
            return


def _events(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The history events of the cases, column-wise: one per step each case has taken."""
    steps: tuple[tuple[str, str | None, str, str, str], ...] = (
        ("report", None, "reported", "reported_at", ""),
        ("register", "reported", "registered", "registered_at", "街道指挥室"),
        ("dispatch", "registered", "dispatched", "dispatched_at", "街道指挥室"),
        ("handle", "dispatched", "handled", "handled_at", "处置单位"),
        ("verify", "handled", "verified", "verified_at", "街道指挥室"),
        ("close", "verified", "closed", "closed_at", "街道指挥室"),
    )
    rejected = (
        ("report", None, "reported", "reported_at", ""),
        ("reject", "reported", "rejected", "closed_at", "街道指挥室"),
    )
    out: dict[str, list[Any]] = {
        k: [] for k in ("case_id", "at", "actor_name", "action", "from_state", "to_state", "unit_id")
    }
    for row in rows:
        for action, before, after, column, actor in rejected if row["state"] == "rejected" else steps:
            if row[column] is None:
                break
            out["case_id"].append(row["id"])
            out["at"].append(row[column])
            out["actor_name"].append(actor or REPORTER.get(row["source"], "演示"))
            out["action"].append(action)
            out["from_state"].append(before)
            out["to_state"].append(after)
            out["unit_id"].append(row["owner_unit_id"] if action == "dispatch" else None)
    size = len(out["case_id"])
    out |= {
        "account_id": [None] * size,
        "note": [""] * size,
        "is_public": [True] * size,
        "details": [{}] * size,
    }
    return out


def _rating(rng: np.random.Generator, row: dict[str, Any]) -> dict[str, Any]:
    roll = rng.random()
    satisfaction = "satisfied" if roll < 0.78 else ("basically_satisfied" if roll < 0.93 else "unsatisfied")
    return {
        "case_id": row["id"],
        "is_fixed": satisfaction != "unsatisfied" or rng.random() < 0.5,
        "satisfaction": satisfaction,
        "comment": "",
        "created_at": row["closed_at"] + timedelta(hours=float(rng.uniform(1, 48))),
    }
