"""The module's demo data, deterministic from the seed: the shipped checklists; a finished district-wide base
investigation (the pre-summit 大排查) over the register's key places — places found during it added to the
register once — with 2,061 hazards, most rectified (some late), some still open and overdue (those raised as
cases); and a campaign running now, whose visits and hazards went through the ordinary paths."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.security import Actor
from pingan.grids import interface as places

from . import enforcement, major, service
from .checklists import BUILTIN
from .hazards import DEADLINES, RANK, _raise_one
from .models import Campaign, Checklist, Hazard, Visit
from .module import HAZARD_CATEGORIES, THREE_IN_ONE
from .schemas import MajorOperationCreate, OperationCreate, TargetCreate

HAZARDS = 2061  # the base investigation's hazards (seed facts)
FOUND_DURING = 200  # three-in-one premises found by the inspectors, added to the register
OPEN_SHARE = 0.04  # still open (and overdue) when the campaign closed
LATE_SHARE = 0.08  # rectified after the deadline
SHANGHAI = ZoneInfo("Asia/Shanghai")
TYPES = tuple(BUILTIN)
# the G20 operation's period: the same local dates as the patrols demo's summit turn-outs
SUMMIT_BACK_DAYS = 140
SUMMIT_DAYS = 30
KEY_PLACES_PER_DAY = 5  # the base investigation's visits reach about 4.4 a day over the period


def generate(session: Session, *, seed: int, step: Callable[[str, float], None] | None = None) -> None:
    """Checklists, the finished base investigation and the running campaign."""
    rng = random.Random(seed + 16)  # its own generator: other modules' data do not depend on this one
    report = step or (lambda _label, _share: None)
    report("inspections", 0.0)
    actor = Actor.system("demo")
    service.install_builtin_checklists(session)
    now = utcnow()
    _found_during(session, actor, rng)
    report("inspections", 0.3)
    finished = _campaign(
        session,
        "G20-BASE",
        "G20峰会前全域隐患大排查",
        ["330108"],
        TYPES,
        now - timedelta(days=200),
        now - timedelta(days=110),
    )
    _finished_campaign(session, actor, rng, finished, now)
    report("inspections", 0.8)
    running = _campaign(
        session,
        "WINTER-GAS",
        "冬季瓶装燃气安全专项排查",
        ["330108002"],
        ("lpg_outlet", "restaurant"),
        now - timedelta(days=10),
        now + timedelta(days=20),
    )
    _running_campaign(session, actor, rng, running, now)
    lpg = _joint_operation(session, actor, rng, finished)
    _g20_operation(session, actor, finished, lpg, now)
    report("inspections", 1.0)


def _campaign(
    session: Session,
    code: str,
    name: str,
    area_codes: list[str],
    types: tuple[str, ...],
    start: datetime,
    end: datetime,
) -> Campaign:
    ids = {t: c.id for t in types if (c := service.latest_checklist(session, t)) is not None}
    streets = [a.code for a in areas.list_areas(session, level=AreaLevel.STREET)]
    campaign = Campaign(
        code=code,
        name=name,
        area_codes=area_codes,
        checklist_ids=ids,
        teams=[f"{s}-排查组" for s in streets if any(s.startswith(c) for c in area_codes)],
        starts_at=start,
        ends_at=end,
        severity_threshold="major",
        repeat_days=180,
        created_by="demo",
    )
    session.add(campaign)
    session.flush()
    return campaign


def _found_during(session: Session, actor: Actor, rng: random.Random) -> None:
    """Three-in-one premises the inspectors found, added to the register (once each)."""
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    for n in range(FOUND_DURING):
        grid = rng.choice(grids)
        shape = areas.geometry_of(grid)
        if shape is None:
            continue
        point = shape.representative_point()
        min_lon, min_lat, max_lon, max_lat = shape.bounds
        for _ in range(10):
            p = Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat))
            if shape.contains(p):
                point = p
                break
        places.find_or_add_place(
            session,
            actor,
            place_type=THREE_IN_ONE,
            name=f"{grid.name}三合一场所{n + 1}",
            address=f"{grid.name}{rng.randint(1, 300)}号",
            lon=point.x,
            lat=point.y,
            area_code=grid.code,
            source="inspections",
        )


def _all_places(session: Session, types: tuple[str, ...], area_codes: list[str]) -> list[places.PlaceRef]:
    out: list[places.PlaceRef] = []
    offset = 0
    while True:
        batch, total = places.list_places(
            session, types=list(types), area_codes=area_codes, limit=500, offset=offset
        )
        out += batch
        offset += 500
        if offset >= total:
            return out


def _working_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment between 08:30 and 17:30 Shanghai time on a weekday of the period, in UTC."""
    days = max(1, (end - start).days)
    for _ in range(50):
        day = (start + timedelta(days=rng.randrange(days))).astimezone(SHANGHAI).date()
        if day.weekday() < 5:
            break
    minute = rng.randrange(8 * 60 + 30, 17 * 60 + 30)
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=SHANGHAI)
    return min(local.astimezone(UTC), end)


def _answers(checklist: Checklist, failing: set[str], rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "item": i["code"],
            "result": "fail" if i["code"] in failing else ("na" if rng.random() < 0.05 else "pass"),
            "note": "",
            "photo_ids": [],
        }
        for i in checklist.items
    ]


def _finished_campaign(
    session: Session, actor: Actor, rng: random.Random, campaign: Campaign, now: datetime
) -> None:
    targets = _all_places(session, TYPES, campaign.area_codes)
    checklists = {t: session.get(Checklist, cid) for t, cid in campaign.checklist_ids.items()}
    visits = [
        (p, _working_time(rng, campaign.starts_at, campaign.ends_at - timedelta(days=20))) for p in targets
    ]
    # the failed items at or above the threshold: HAZARDS of them, spread over the visits
    candidates = [
        (n, item)
        for n, (p, _) in enumerate(visits)
        for item in checklists[p.place_type].items  # type: ignore[union-attr]
        if RANK[item["severity"]] >= RANK[campaign.severity_threshold]
    ]
    rng.shuffle(candidates)
    chosen = candidates[:HAZARDS]
    failing: dict[int, set[str]] = {}
    for n, item in chosen:
        failing.setdefault(n, set()).add(item["code"])
    rows = []
    for n, (p, at) in enumerate(visits):
        checklist = checklists[p.place_type]
        assert checklist is not None
        rows.append(
            {
                "visit_uid": f"demo-{campaign.code}-{n}",
                "kind": "inspection",
                "campaign_id": campaign.id,
                "place_id": p.id,
                "place_type": p.place_type,
                "area_code": p.area_code,
                "checklist_id": checklist.id,
                "inspector": f"inspector{rng.randrange(1, 60):02d}",
                "team": campaign.teams[0] if campaign.teams else "",
                "visited_at": at,
                "received_at": at,
                "lon": p.lon,
                "lat": p.lat,
                "signed_by": "检查员",
                "answers": _answers(checklist, failing.get(n, set()), rng),
                "failed": len(failing.get(n, ())),
            }
        )
    session.execute(insert(Visit), rows)
    session.flush()
    ids: dict[str, int] = {
        uid: vid
        for uid, vid in session.execute(
            select(Visit.visit_uid, Visit.id).where(Visit.campaign_id == campaign.id)
        )
    }
    still_open = []
    hazard_rows = []
    for n, item in chosen:
        p, at = visits[n]
        due = at + DEADLINES[item["severity"]]
        draw = rng.random()
        row = {
            "campaign_id": campaign.id,
            "visit_id": ids[f"demo-{campaign.code}-{n}"],
            "place_id": p.id,
            "place_type": p.place_type,
            "area_code": p.area_code,
            "item": item["code"],
            "hazard_type": item["hazard_type"],
            "severity": item["severity"],
            "description": item["text_zh"],
            "responsible": f"{p.name}经营者",
            "found_at": at,
            "due_at": due,
            "case_id": None,
            "status": "rectified",
            "rectified_at": None,
            "reinspection_visit_id": None,
            "is_repeat": rng.random() < 0.03,
        }
        if draw < OPEN_SHARE:
            still_open.append((n, item))
            continue
        late = draw < OPEN_SHARE + LATE_SHARE
        span = (due - at).total_seconds()
        row["rectified_at"] = (
            due + timedelta(days=rng.randint(1, 10))
            if late
            else at + timedelta(seconds=span * rng.uniform(0.2, 0.95))
        )
        hazard_rows.append(row)
    session.execute(insert(Hazard), hazard_rows)
    for n, item in still_open:  # open hazards are live cases in the queues
        p, at = visits[n]
        visit = session.get(Visit, ids[f"demo-{campaign.code}-{n}"])
        assert visit is not None
        _raise_one(session, actor, campaign=campaign, visit=visit, place=p, item=item, note="")
    session.flush()


def _running_campaign(
    session: Session, actor: Actor, rng: random.Random, campaign: Campaign, now: datetime
) -> None:
    targets = _all_places(session, ("lpg_outlet", "restaurant"), campaign.area_codes)
    rng.shuffle(targets)
    checklists = {t: session.get(Checklist, cid) for t, cid in campaign.checklist_ids.items()}
    for p in targets[: max(1, len(targets) // 3)]:
        checklist = checklists[p.place_type]
        assert checklist is not None
        at = _working_time(rng, campaign.starts_at, now - timedelta(hours=1))
        eligible = [i for i in checklist.items if RANK[i["severity"]] >= RANK["major"]]
        failing = {rng.choice(eligible)["code"]} if rng.random() < 0.25 else set()
        visit = Visit(
            visit_uid=f"demo-{campaign.code}-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}",
            kind="inspection",
            campaign_id=campaign.id,
            place_id=p.id,
            place_type=p.place_type,
            area_code=p.area_code,
            checklist_id=checklist.id,
            inspector=f"inspector{rng.randrange(1, 20):02d}",
            team=campaign.teams[0],
            visited_at=at,
            received_at=at,
            lon=p.lon,
            lat=p.lat,
            signed_by="检查员",
            answers=_answers(checklist, failing, rng),
            failed=len(failing),
        )
        session.add(visit)
        session.flush()
        place = places.get_place(session, p.id)
        for item in checklist.items:
            if item["code"] in failing:
                _raise_one(session, actor, campaign=campaign, visit=visit, place=place, item=item, note="")
    session.flush()


CLOSED_SITES = 23  # illegal LPG sites the joint operation shut (seed facts)
DEPARTMENTS = ["区应急管理局（安监）", "区城管执法局", "区市场监管局", "公安滨江分局", "属地街道"]
_KINDS = (
    ("lpg_filling", "非法充装点", "现场发现违规倒灌设备及液化气钢瓶"),
    ("lpg_storage", "非法储存点", "民房内违规储存液化气钢瓶，无防爆措施"),
    ("lpg_transport", "非法运输点", "无资质车辆运输液化气钢瓶"),
    ("lpg_sale", "非法销售点", "无燃气经营许可证销售瓶装液化气"),
)


def _joint_operation(session: Session, actor: Actor, rng: random.Random, campaign: Campaign) -> int:
    """The bottled-gas joint operation: 23 illegal sites shut (cylinders seized, fines, referrals), and a
    few targets warned and left open under follow-up."""
    operation = enforcement.create_operation(
        session,
        actor,
        OperationCreate(
            code="LPG-JOINT",
            name="瓶装液化气非法经营联合整治行动",
            departments=DEPARTMENTS,
            area_codes=["330108"],
            starts_at=campaign.starts_at + timedelta(days=14),
            ends_at=campaign.ends_at,
        ),
    )
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    for n in range(CLOSED_SITES + 5):
        kind, label, finding = _KINDS[n % len(_KINDS)]
        grid = rng.choice(grids)
        shape = areas.geometry_of(grid)
        if shape is None:
            continue
        point = shape.representative_point()
        closed = n < CLOSED_SITES
        enforcement.add_target(
            session,
            actor,
            operation_id=operation.id,
            body=TargetCreate(
                target_type=kind,
                name=f"{grid.name}{label}{n + 1}",
                address=f"{grid.name}{rng.randint(1, 200)}号",
                lon=point.x + rng.uniform(-0.0008, 0.0008),
                lat=point.y + rng.uniform(-0.0008, 0.0008),
                findings=finding,
                cylinders_seized=rng.randint(8, 120) if closed else rng.randint(0, 6),
                is_closed=closed,
                fine_yuan=rng.choice([0, 5000, 10000, 20000, 50000]) if closed else 0,
                is_referred_to_police=closed and rng.random() < 0.3,
                follow_up="已取缔，纳入回访名单" if closed else "责令限期整改，街道跟踪回访",
                acted_at=_working_time(rng, operation.starts_at, operation.ends_at),
            ),
        )
    return operation.id


def _g20_operation(
    session: Session, actor: Actor, campaign: Campaign, operation_id: int, now: datetime
) -> None:
    """The G20 summit as one major-event operation (平安护航) over the district: its final phase, the last
    SUMMIT_DAYS days of the base investigation, whose patrol turn-outs and hours the patrols demo records
    (the same local dates: SUMMIT_BACK_DAYS back), the base investigation and the LPG operation linked."""
    today = now.astimezone(SHANGHAI).date()
    first = datetime.combine(today - timedelta(days=SUMMIT_BACK_DAYS), time(0), tzinfo=SHANGHAI)
    major.create(
        session,
        actor,
        MajorOperationCreate(
            code="G20",
            name="G20杭州峰会平安护航",
            area_codes=["330108"],
            starts_at=first,
            ends_at=first + timedelta(days=SUMMIT_DAYS),
            target_turnouts=150_000,
            target_hours=600_000,
            target_key_places_per_day=KEY_PLACES_PER_DAY,
            campaign_ids=[campaign.id],
            operation_ids=[operation_id],
            case_categories=[c.code for c in HAZARD_CATEGORIES.values()],
        ),
    )
