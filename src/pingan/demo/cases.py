"""Demo cases: the category tree (every contract code), routing rules to the demo units, and ~25 months of
synthetic case history inserted in bulk (deterministic by seed; public-order categories fall ~49.7% YoY)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.cases import routing
from pingan.cases.models import Case, CaseCounter, CaseEvent, Category, Rating, RoutingRule
from pingan.cases.sla import WORKDAY, add_minutes, calendar_for, clock_of, minutes_between, stage_minutes
from pingan.cases.worktime import WorkCalendar
from pingan.core.clock import to_local, utcnow
from pingan.core.security import Actor
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
    return _history(session, seed=seed, months=months, report=report)


def _history(session: Session, *, seed: int, months: int, report: Step) -> int:
    rng = random.Random(seed)
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    everything = {a.code: a for a in areas.list_areas(session)}
    chains = {g.code: _chain(everything, g.code) for g in grids}
    boxes = [(g.code, g.min_lon, g.min_lat, g.max_lon, g.max_lat) for g in grids]
    cats = {c.code: c for c in session.scalars(select(Category))}
    rules_unit = _rule_units(session)
    calendar = calendar_for(session)
    now = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)  # deterministic within a day
    start = now - timedelta(days=int(months * 30.4))
    days = (now - start).days
    weights = {code: 1.0 for code, *_ in MINORS}
    weights.update(
        {"0102": 3.0, "0502": 3.0, "0501": 2.0, "0104": 2.0, "0702": 2.0, "1301": 1.5, "1402": 1.5}
    )
    codes = [c for c, *_ in MINORS if cats[c].is_public or c in ("1501", "0704", "1001")]
    case_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    rating_rows: list[dict[str, Any]] = []
    next_id = int(session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0) + 1
    first_n = next_id
    for day in range(days):
        when_day = start + timedelta(days=day)
        share_of_year = day / 365.0
        for code in codes:
            base = weights.get(code, 1.0) * 0.16
            if code in PUBLIC_ORDER:
                # falls by half a year later: YoY ratio 0.503 → about 49.7% down
                base = 0.9 * (0.503**share_of_year)
            n = np.random.default_rng(rng.randrange(1 << 30)).poisson(base)
            for _ in range(int(n)):
                row = _one_case(
                    rng, next_id, code, cats[code], when_day, now, boxes, chains, rules_unit, calendar
                )
                if row is None:
                    continue
                case_rows.append(row)
                event_rows.extend(_events(row))
                if (
                    row["state"] == "closed"
                    and row["source"] in ("resident_web", "hotline")
                    and rng.random() < 0.6
                ):
                    rating_rows.append(_rating(rng, row))
                next_id += 1
        if day % 30 == 0:
            report("cases: history", 0.9 * day / days)
    for chunk in range(0, len(case_rows), 2000):
        session.execute(insert(Case), case_rows[chunk : chunk + 2000])
    for chunk in range(0, len(event_rows), 5000):
        session.execute(insert(CaseEvent), event_rows[chunk : chunk + 5000])
    if rating_rows:
        session.execute(insert(Rating), rating_rows)
    _bump_counter(session, next_id - 1)
    report("cases: done", 1.0)
    return next_id - first_n


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


def _one_case(
    rng: random.Random,
    case_id: int,
    code: str,
    cat: Category,
    day: datetime,
    now: datetime,
    boxes: list[tuple[str, float | None, float | None, float | None, float | None]],
    chains: dict[str, Any],
    rules_unit: dict[str, int | None],
    calendar: WorkCalendar,
) -> dict[str, Any] | None:
    reported = day + timedelta(minutes=rng.randrange(7 * 60, 22 * 60) - 8 * 60)
    if reported >= now:
        return None
    grid_code, min_lon, min_lat, max_lon, max_lat = boxes[rng.randrange(len(boxes))]
    chain = chains.get(grid_code)
    if chain is None or min_lon is None or min_lat is None or max_lon is None or max_lat is None:
        return None
    lon = (min_lon + max_lon) / 2 + (rng.random() - 0.5) * (max_lon - min_lon) * 0.3
    lat = (min_lat + max_lat) / 2 + (rng.random() - 0.5) * (max_lat - min_lat) * 0.3
    priority = cat.default_priority
    limits = stage_minutes(cat, priority)
    clock = clock_of(cat)  # limits and times of each step count on the category's clock, as in the workflow

    def after(start: datetime, minutes: float) -> datetime:
        return add_minutes(clock, start, minutes, calendar)

    close_due = after(reported, sum(limits.values()))
    age = now - reported
    source = rng.choice(("resident_web", "hotline", "hotline", "grid_worker", "grid_worker", "app", "patrol"))
    if code in ("1501", "0704", "1001"):
        source = {"1501": "camera", "0704": "inspection", "1001": "sensor"}[code]
    rejected = rng.random() < 0.04
    late = rng.random() < 0.12
    handle = limits["handle"] * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.9))
    registered = after(reported, rng.uniform(3, limits["register"] * 0.9))
    dispatched = after(registered, rng.uniform(2, limits["dispatch"] * 0.9))
    handled = after(dispatched, handle)
    verified = after(handled, rng.uniform(10, limits["verify"] * 0.8))
    closed = after(verified, rng.uniform(5, 60))
    returned = rng.random() < 0.06
    row: dict[str, Any] = {
        "id": case_id,
        "number": f"BJ{to_local(reported):%Y%m%d}{case_id:04d}",
        "category_code": code,
        "title": f"{cat.name_zh}：{chains[grid_code].community.name if chains[grid_code].community else ''}",
        "description": f"{cat.name_zh}（演示数据）",
        "address": "",
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "source_crs": "wgs84",
        "area_code": grid_code,
        "community_code": chain.community.code if chain.community else None,
        "street_code": chain.street.code if chain.street else None,
        "source": source,
        "source_ref": None,
        "dedupe_key": None,
        "signal_count": 1,
        "last_signal_at": reported,
        "priority": priority,
        "state": "closed",
        "suspended_from": None,
        "owner_unit_id": rules_unit.get(code),
        "routed_unit_id": rules_unit.get(code),
        "escalation_level": "street",
        "is_supervised": late and rng.random() < 0.5,
        "duplicate_of_id": None,
        "reporter_account_id": None,
        "reporter_name_enc": None,
        "reporter_name_masked": "",
        "reporter_phone_enc": None,
        "reporter_phone_index": None,
        "reporter_phone_masked": "",
        "is_anonymous_public": False,
        "tracking_digest": hashlib.sha256(f"demo-{case_id}".encode()).hexdigest(),
        "entered_by_id": None,
        "attributes": {},
        "media_url": None,
        "stage": None,
        "stage_started_at": None,
        "stage_due_at": None,
        "close_due_at": close_due,
        "sla_color": "grey",
        "sla_clock": clock,
        "paused_at": None,
        "paused_seconds": 0,
        "reported_at": reported,
        "registered_at": registered,
        "dispatched_at": dispatched,
        "started_at": dispatched + timedelta(minutes=5),
        "handled_at": handled,
        "verified_at": verified,
        "closed_at": closed,
        "updated_at": closed,
        "is_closed_on_time": closed <= close_due,
        "return_count": 1 if returned else 0,
        "rework_count": 1 if rng.random() < 0.05 else 0,
        "reopen_count": 0,
        "public_note": "",
    }
    if rejected:
        row.update(
            state="rejected",
            dispatched_at=None,
            started_at=None,
            handled_at=None,
            verified_at=None,
            closed_at=registered,
            is_closed_on_time=None,
            updated_at=registered,
            owner_unit_id=None,
        )
        return row
    cut = now
    if age < timedelta(days=7) and rng.random() < 0.7:
        cut = reported + age * rng.random()  # recent cases are caught at every stage of the workflow
    _cut_open(row, cut, now, limits, calendar)
    return row


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


def _events(row: dict[str, Any]) -> list[dict[str, Any]]:
    steps: tuple[tuple[str, str | None, str, str], ...] = (
        ("report", None, "reported", "reported_at"),
        ("register", "reported", "registered", "registered_at"),
        ("dispatch", "registered", "dispatched", "dispatched_at"),
        ("handle", "dispatched", "handled", "handled_at"),
        ("verify", "handled", "verified", "verified_at"),
        ("close", "verified", "closed", "closed_at"),
    )
    out = []
    if row["state"] == "rejected":
        steps = (("report", None, "reported", "reported_at"), ("reject", "reported", "rejected", "closed_at"))
    for action, before, after, column in steps:
        if row[column] is None:
            break
        out.append(
            {
                "case_id": row["id"],
                "at": row[column],
                "account_id": None,
                "actor_name": "演示",
                "action": action,
                "from_state": before,
                "to_state": after,
                "unit_id": row["owner_unit_id"] if action == "dispatch" else None,
                "note": "",
                "is_public": True,
                "details": {},
            }
        )
    return out


def _rating(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    roll = rng.random()
    satisfaction = "satisfied" if roll < 0.78 else ("basically_satisfied" if roll < 0.93 else "unsatisfied")
    return {
        "case_id": row["id"],
        "is_fixed": satisfaction != "unsatisfied" or rng.random() < 0.5,
        "satisfaction": satisfaction,
        "comment": "",
        "created_at": row["closed_at"] + timedelta(hours=rng.uniform(1, 48)),
    }
