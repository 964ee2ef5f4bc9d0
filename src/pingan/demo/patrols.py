"""Demo patrol data: a team per community (月明社区 included), ~21,863 synthetic volunteers with valid-looking
IDs and phones (encrypted like real ones), devices, the handbook, training, a week of shifts, and a replayable
day of tracks. Deterministic for a seed except that the week is placed around today, so the wall has people
on duty now. Written with bulk inserts (SQLAlchemy Core)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.errors import NotFound
from pingan.core.pii import ID_CHECK, ID_WEIGHTS, get_protector, mask_id_number, mask_name, mask_phone
from pingan.demo.bulk import insert_columns, insert_rows
from pingan.devices import interface as devices
from pingan.patrols.common import from_ms
from pingan.patrols.models import (
    Activity,
    Certificate,
    DeviceState,
    HandbookAck,
    HandbookVersion,
    PatrolEvent,
    PatrolPosition,
    PatrolTeam,
    PatrolVolunteer,
    Shift,
    ShiftAssignment,
    TrainingCourse,
    TrainingSession,
)
from pingan.patrols.phones import KIND as PHONE
from pingan.patrols.phones import register_phones
from pingan.patrols.volunteers import device_key_columns

Step = Callable[[str, float], None]
VOLUNTEERS = 21_863
SHANGHAI = ZoneInfo("Asia/Shanghai")
SLOTS = ((0, 6), (6, 12), (12, 18), (18, 24))  # local hours of the daily slots: every hour is covered
STEP_MS = 120_000  # one fix every 2 minutes in the demo tracks
DEMO_DEVICE = "31007745"  # the demo `volunteer` account's phone (the id used in docs/patrols.md)
JOINED = date(2015, 1, 1)
# the summit's final phase (G20 峰会决战阶段): 30 days ending 110 days back, ~5,100 turn-outs a day
SUMMIT_BACK_DAYS = 140
SUMMIT_DAYS = 30
SUMMIT_PER_DAY = 5_100
# 长河街道 (月明社区): a full replayable day of tracks; elsewhere the current shift only
TRACK_STREET = "330108002"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强春燕海峰晓"
    "东建华文辉丽娟国庆宏伟俊杰雪梅婷婷浩然子涵欣怡梓萱一鸣宇轩佳琪思远嘉怡立新永红"
)
HANDBOOK = """# 滨江区平安巡防工作手册（2016 版）

1. 巡防时佩戴红袖章，按排班到岗，开始和结束时签到、签退。
2. 手机打开定位（Traccar Client），巡防期间保持在所负责网格内。
3. 发现治安隐患、可疑人员物品、消防通道堵塞等，通过平安 App 上报，不擅自处置。
4. 遇紧急情况按 App 的 SOS 键，指挥中心会立即派员支援。
5. 不泄露巡防中获知的群众个人信息。
"""


def _names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.7
    return [
        SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "")
        for s, a, b, t in zip(surnames.tolist(), g1.tolist(), g2.tolist(), two.tolist(), strict=True)
    ]


def _id_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """Unique 18-character ID numbers of Hangzhou districts with correct GB 11643 check characters."""
    regions = ("330108", "330106", "330102", "330109", "330110", "330105")
    start = date(1951, 1, 1).toordinal()
    days = rng.integers(0, date(2004, 12, 31).toordinal() - start, n)
    out = []
    seen: set[str] = set()
    for i, d in enumerate(days.tolist()):
        seq = 100 + i % 900
        first17 = ""
        while not first17 or first17 in seen:  # move the birthday until the number is unused
            first17 = f"{regions[i % len(regions)]}{date.fromordinal(start + d):%Y%m%d}{seq:03d}"
            d += 1
        seen.add(first17)
        out.append(first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11])
    return out


def _phones(n: int, seed: int) -> list[str]:
    prefixes = ("135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "187", "188")
    step = 7_919 + seed % 1000 * 2  # odd step over 10^8: unique numbers
    return [f"{prefixes[i % len(prefixes)]}{(i * step + 12_345_678) % 100_000_000:08d}" for i in range(n)]


def generate_patrols(
    session: Session, *, seed: int = 2016, step: Step | None = None, volunteers: int = VOLUNTEERS
) -> dict[str, int]:
    """Create the demo patrol data; returns counts per kind."""
    report = step or (lambda _label, _share: None)
    rng = np.random.default_rng(seed + 7)
    communities = areas.list_areas(session, level=AreaLevel.COMMUNITY)
    if not communities:
        return {}
    report("patrol teams", 0.0)
    teams = _teams(session, communities)
    report("patrol volunteers", 0.1)
    team_of = _volunteers(session, rng, teams, volunteers, seed)
    report("handbook and training", 0.45)
    _handbook_and_training(session, rng, team_of)
    report("shifts", 0.55)
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    assignments = _shifts(session, rng, grids, team_of)
    report("summit turn-outs", 0.6)
    summit = summit_turnouts(
        session, rng, team_of, step=lambda share: report("summit turn-outs", 0.6 + share / 10)
    )
    report("tracks", 0.7)
    fixes = _tracks(session, rng, grids, assignments)
    report("patrol phones", 0.95)
    _phones_in_register(session)
    report("patrols done", 1.0)
    return {
        "teams": len(teams),
        "volunteers": len(team_of),
        "assignments": len(assignments),
        "summit_turnouts": summit,
        "positions": fixes,
    }


def summit_days(today: date) -> tuple[date, date]:
    """The summit's final phase in the demo's history (local dates, the end excluded): the last 30 days of
    the G20 base investigation (which the inspections demo places 200 to 110 days back)."""
    return today - timedelta(days=SUMMIT_BACK_DAYS), today - timedelta(days=SUMMIT_BACK_DAYS - SUMMIT_DAYS)


def summit_turnouts(
    session: Session,
    rng: np.random.Generator,
    team_of: dict[int, tuple[int, str]],
    *,
    per_day: int = SUMMIT_PER_DAY,
    step: Callable[[float], None] | None = None,
) -> int:
    """The summit's final phase: the district's volunteers turned out in daytime and evening shifts of a few
    hours (150,000+ turn-outs, 600,000+ hours in all), one activity row per person and shift."""
    if not team_of:
        return 0
    first, end = summit_days(utcnow().astimezone(SHANGHAI).date())
    ids = np.array(sorted(team_of), dtype=np.int64)
    area_of = {vid: area for vid, (_, area) in team_of.items()}
    n_days = (end - first).days
    per_day = min(per_day, len(ids))
    starts = np.array([8.0, 14.0, 18.5])  # local start hours: morning, afternoon, evening
    lengths = np.array([3.5, 4.0, 4.5, 5.0])
    columns: dict[str, list[Any]] = {
        k: [] for k in ("volunteer_id", "area_code", "kind", "started_at", "hours")
    }
    for d in range(n_days):
        midnight = datetime.combine(first + timedelta(days=d), datetime.min.time(), tzinfo=SHANGHAI)
        who = rng.choice(ids, per_day, replace=False)  # one shift a day per person
        slot = rng.choice(3, per_day, p=[0.35, 0.3, 0.35])
        minutes = rng.integers(0, 30, per_day)
        length = rng.choice(lengths, per_day, p=[0.15, 0.45, 0.25, 0.15])
        # the 90 possible start times of the day (3 shifts, a start within their first half hour)
        at = [
            [(midnight + timedelta(hours=float(start), minutes=m)).astimezone(UTC) for m in range(30)]
            for start in starts
        ]
        who_list = who.tolist()
        columns["volunteer_id"].extend(who_list)
        columns["area_code"].extend(area_of[vid] for vid in who_list)
        columns["started_at"].extend(at[s_][m] for s_, m in zip(slot.tolist(), minutes.tolist(), strict=True))
        columns["hours"].extend(length.tolist())
    total = len(columns["volunteer_id"])
    columns["kind"] = ["patrol"] * total
    columns["note"] = ["G20峰会安保巡防"] * total
    return insert_columns(session, Activity, columns, progress=step)


def _teams(session: Session, communities: list[Any]) -> list[PatrolTeam]:
    rows = [{"name": f"{c.name}巡防队", "area_code": c.code} for c in communities]
    insert_rows(session, PatrolTeam, rows)
    return list(session.scalars(select(PatrolTeam).order_by(PatrolTeam.area_code)))


def _volunteers(
    session: Session, rng: np.random.Generator, teams: list[PatrolTeam], n: int, seed: int
) -> dict[int, tuple[int, str]]:
    """Insert the roster; returns volunteer id → (team id, community code)."""
    protector = get_protector(demo=True)
    names, ids, phones = _names(rng, n), _id_numbers(rng, n), _phones(n, seed)
    skills_pool = ("first_aid", "fire", "driving", "mediation", "cycling", "language")
    team_index = np.sort(rng.integers(0, len(teams), n))
    # the demo volunteer account belongs to 月明社区's team
    yueming = next((t for t in teams if t.name.startswith("月明社区")), teams[0])
    k = rng.integers(0, 3, n)
    picks = rng.integers(0, len(skills_pool), (n, 2))
    status_draw = rng.random((n, 2))
    joined = rng.integers(0, 600, n)
    account = _demo_account(session)
    device_ids = demo_device_ids(seed, n)  # random-looking 8-digit ids (like the app's own), unique
    rows = []
    for i in range(n):
        team = teams[int(team_index[i])] if i else yueming
        status = "active" if status_draw[i, 0] < 0.93 else ("paused" if status_draw[i, 1] < 0.6 else "left")
        rows.append(
            {
                "team_id": team.id,
                "area_code": team.area_code,
                "name_enc": protector.encrypt(names[i]),
                "name_masked": mask_name(names[i]),
                "id_number_enc": protector.encrypt(ids[i]),
                "id_number_index": protector.blind_index(ids[i]),
                "id_number_masked": mask_id_number(ids[i]),
                "phone_enc": protector.encrypt(phones[i]),
                "phone_index": protector.blind_index(phones[i]),
                "phone_masked": mask_phone(phones[i]),
                "sex": "male" if int(ids[i][16]) % 2 else "female",
                "birth_year": int(ids[i][6:10]),
                "skills": sorted({skills_pool[j] for j in picks[i, : k[i]].tolist()}),
                "status": status,
                "device_id": device_ids[i],
                **device_key_columns(demo_device_key(seed, device_ids[i]), protector),
                "joined_on": JOINED + timedelta(days=int(joined[i])),
                "account_id": account if i == 0 else None,
            }
        )
    rows[0]["status"] = "active"
    for start in range(0, n, 5000):
        insert_rows(session, PatrolVolunteer, rows[start : start + 5000])
    return {
        vid: (tid, area)
        for vid, tid, area in session.execute(
            select(PatrolVolunteer.id, PatrolVolunteer.team_id, PatrolVolunteer.area_code)
            .where(PatrolVolunteer.status == "active")
            .order_by(PatrolVolunteer.id)
        )
    }


def _demo_account(session: Session) -> int | None:
    try:
        return accounts.get_account_by_username(session, "volunteer").id
    except NotFound:
        return None


def _handbook_and_training(
    session: Session, rng: np.random.Generator, team_of: dict[int, tuple[int, str]]
) -> None:
    published = datetime(2016, 3, 1, 2, 0, tzinfo=UTC)
    session.execute(
        insert(HandbookVersion),
        [
            {
                "version": "2016.1",
                "title": "滨江区平安巡防工作手册",
                "body": HANDBOOK,
                "published_at": published,
            }
        ],
    )
    version_id = session.scalar(select(HandbookVersion.id).where(HandbookVersion.version == "2016.1"))
    ids = np.array(sorted(team_of), dtype=np.int64)
    acked = ids[rng.random(ids.size) < 0.9]
    session.execute(
        insert(HandbookAck),
        [
            {
                "volunteer_id": int(v),
                "version_id": version_id,
                "acknowledged_at": published + timedelta(days=7),
            }
            for v in acked
        ],
    )
    session.execute(
        insert(TrainingCourse),
        [
            {"code": "XF-01", "title": "巡防基础（公安分局培训）", "validity_months": 24},
            {"code": "JJ-01", "title": "应急救护（红十字会）", "validity_months": 36},
        ],
    )
    course_id = session.scalar(select(TrainingCourse.id).where(TrainingCourse.code == "XF-01"))
    held = utcnow().date() - timedelta(days=400)
    streets = sorted({area[:9] for _, area in team_of.values()})
    session.execute(
        insert(TrainingSession),
        [
            {
                "course_id": course_id,
                "area_code": s,
                "held_on": held,
                "trainer": "滨江公安分局",
                "place": "街道会议室",
            }
            for s in streets
        ],
    )
    sessions = {
        area: sid
        for sid, area in session.execute(
            select(TrainingSession.id, TrainingSession.area_code).where(
                TrainingSession.course_id == course_id
            )
        )
    }
    trained = ids[rng.random(ids.size) < 0.8]
    expires = date(held.year + 2, held.month, min(held.day, 28))
    session.execute(
        insert(Certificate),
        [
            {
                "volunteer_id": int(v),
                "course_id": course_id,
                "session_id": sessions[team_of[int(v)][1][:9]],
                "issued_on": held,
                "expires_on": expires,
            }
            for v in trained
        ],
    )


def _slot_bounds(day: date, slot: tuple[int, int]) -> tuple[datetime, datetime]:
    midnight = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    return (
        (midnight + timedelta(hours=slot[0])).astimezone(UTC),
        (midnight + timedelta(hours=slot[1])).astimezone(UTC),
    )


def _shifts(
    session: Session, rng: np.random.Generator, grids: list[Any], team_of: dict[int, tuple[int, str]]
) -> list[dict[str, Any]]:
    """A week of shifts (3 days back, today, 3 ahead), four 6-hour slots a day, 2 people per grid and slot
    from its community."""
    now = utcnow()
    today = now.astimezone(SHANGHAI).date()
    by_community: dict[str, list[int]] = {}
    for vid, (_, area) in team_of.items():
        by_community.setdefault(area, []).append(vid)
    shift_rows = []
    for offset in range(-3, 4):
        day = today + timedelta(days=offset)
        for slot in SLOTS:
            start, end = _slot_bounds(day, slot)
            for grid in grids:
                shift_rows.append(
                    {"grid_code": grid.code, "starts_at": start, "ends_at": end, "headcount": 2, "note": ""}
                )
    insert_rows(session, Shift, shift_rows)
    shift_list = session.execute(
        select(Shift.id, Shift.grid_code, Shift.starts_at, Shift.ends_at).order_by(Shift.id)
    ).all()
    cursor: dict[str, int] = {}
    assignments: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    community_of = {g.code: g.parent_code for g in grids}
    for sid, grid_code, start, end in shift_list:
        pool = by_community.get(community_of[grid_code] or "", [])
        if len(pool) < 2:
            continue
        # people of the community take turns; a volunteer works at most one slot at a time
        for _ in range(2):
            i = cursor.get(grid_code, int(rng.integers(0, len(pool))))
            vid = pool[i % len(pool)]
            cursor[grid_code] = i + len(grids) // 60 + 1
            status, cin, cout = _status_at(start, end, now)
            row: dict[str, Any] = {
                "shift_id": sid,
                "volunteer_id": vid,
                "starts_at": start,
                "ends_at": end,
                "how": "assigned",
                "status": status,
                "checked_in_at": cin,
                "checked_out_at": cout,
                "grid_code": grid_code,
            }
            assignments.append(row)
    seen: set[tuple[int, int]] = set()
    unique = []
    for row in assignments:  # the rotation may repeat a person within one shift: keep one booking
        key = (row["shift_id"], row["volunteer_id"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    unique = _drop_overlaps(unique)
    unique = _demo_on_duty(session, unique, shift_list, grids, now)
    for row in unique:
        area = team_of[row["volunteer_id"]][1]
        if row["checked_in_at"] is not None:
            events.append(_event(row, area, "check_in", row["checked_in_at"]))
        if row["checked_out_at"] is not None:
            events.append(_event(row, area, "check_out", row["checked_out_at"]))
            activities.append(
                {
                    "volunteer_id": row["volunteer_id"],
                    "area_code": area,
                    "kind": "patrol",
                    "started_at": row["checked_in_at"],
                    "hours": round((row["checked_out_at"] - row["checked_in_at"]).total_seconds() / 3600, 2),
                    "shift_id": row["shift_id"],
                    "note": "",
                }
            )
    session.execute(
        insert(ShiftAssignment), [{k: v for k, v in r.items() if k != "grid_code"} for r in unique]
    )
    if activities:
        insert_rows(session, Activity, activities)
    if events:
        insert_rows(session, PatrolEvent, events)
    return unique


def _demo_on_duty(
    session: Session, rows: list[dict[str, Any]], shift_list: Sequence[Any], grids: list[Any], now: datetime
) -> list[dict[str, Any]]:
    """The demo `volunteer` account patrols its community's first grid now, so dispatch can be tried."""
    account = _demo_account(session)
    own = session.execute(
        select(PatrolVolunteer.id, PatrolVolunteer.area_code).where(PatrolVolunteer.account_id == account)
    ).first()
    if account is None or own is None:
        return rows
    vid, community = own
    grid = min((g.code for g in grids if g.parent_code == community), default=None)
    current = next((s for s in shift_list if s[1] == grid and s[2] <= now < s[3]), None)
    if current is None:
        return rows
    sid, grid_code, start, end = current
    kept = [r for r in rows if not (r["volunteer_id"] == vid and r["starts_at"] == start)]
    status, cin, cout = _status_at(start, end, now)
    kept.append(
        {
            "shift_id": sid,
            "volunteer_id": vid,
            "starts_at": start,
            "ends_at": end,
            "how": "assigned",
            "status": status,
            "checked_in_at": cin,
            "checked_out_at": cout,
            "grid_code": grid_code,
        }
    )
    return kept


def _drop_overlaps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    busy: set[tuple[int, datetime]] = set()
    out = []
    for row in rows:
        key = (row["volunteer_id"], row["starts_at"])
        if key in busy:
            continue
        busy.add(key)
        out.append(row)
    return out


def _status_at(start: datetime, end: datetime, now: datetime) -> tuple[str, datetime | None, datetime | None]:
    if end <= now:
        return "done", start, end
    if start <= now:
        return "on_duty", start, None
    return "planned", None, None


def _event(row: dict[str, Any], area: str, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "volunteer_id": row["volunteer_id"],
        "area_code": area,
        "kind": kind,
        "at": at,
        "grid_code": row["grid_code"],
        "shift_id": row["shift_id"],
        "details": {},
    }


def _tracks(
    session: Session, rng: np.random.Generator, grids: list[Any], assignments: list[dict[str, Any]]
) -> int:
    """A fix every 2 minutes: a replayable day for 长河街道, the last hour of the current shift elsewhere."""
    now = utcnow()
    since = now - timedelta(hours=24)
    centre = {}
    for g in grids:
        geom = shapely.from_wkb(g.geometry)
        p = geom.representative_point()
        centre[g.code] = (p.x, p.y)
    devices = dict(
        session.execute(
            select(PatrolVolunteer.id, PatrolVolunteer.device_id).where(
                PatrolVolunteer.device_id.is_not(None)
            )
        ).all()
    )
    now_ms = int(now.timestamp() * 1000)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("vid", "t", "lon", "lat")}
    tracks = []
    for row in assignments:
        start, end = row["starts_at"], min(row["ends_at"], now)
        if end <= since or start >= now or row["volunteer_id"] not in devices:
            continue
        in_street = row["grid_code"].startswith(TRACK_STREET)
        if not in_street and row["ends_at"] <= now:
            continue
        start = max(start, since if in_street else now - timedelta(hours=1))
        t0 = int(start.timestamp() * 1000) // STEP_MS * STEP_MS
        t = np.arange(t0, int(end.timestamp() * 1000), STEP_MS, dtype=np.int64)
        if t.size:
            tracks.append((row, t))
    if not tracks:
        return 0
    # a mean-reverting walk (about 1 m/s) around a point inside the assigned grid, all tracks at once
    longest = max(t.size for _, t in tracks)
    steps = rng.normal(0.0, 0.0005, (len(tracks), longest, 2))
    pos = np.zeros_like(steps)
    for i in range(1, longest):
        pos[:, i] = pos[:, i - 1] * 0.85 + steps[:, i]
    for n, (row, t) in enumerate(tracks):
        cx, cy = centre[row["grid_code"]]
        cols["vid"].append(np.full(t.size, row["volunteer_id"], dtype=np.int64))
        cols["t"].append(t)
        cols["lon"].append(cx + pos[n, : t.size, 0] * 0.6)
        cols["lat"].append(cy + pos[n, : t.size, 1] * 0.5)
    vid = np.concatenate(cols["vid"])
    t = np.concatenate(cols["t"])
    lon = np.round(np.concatenate(cols["lon"]), 6)
    lat = np.round(np.concatenate(cols["lat"]), 6)
    locator = areas.get_locator(session)
    idx = locator.locate_indices(lon, lat)
    codes = locator.grid_codes
    speed = rng.uniform(0.6, 1.6, t.size).round(2)
    rows = [
        {
            "device_id": devices[v],
            "volunteer_id": v,
            "fixed_ms": ts,
            "received_ms": ts + 800,
            "lon": x,
            "lat": y,
            "speed_mps": s,
            "bearing": None,
            "altitude": 9.0,
            "accuracy_m": 6.0,
            "battery": None,
            "is_moving": True,
            "flags": 0,
            "grid_code": codes[g] if g >= 0 else None,
        }
        for v, ts, x, y, s, g in zip(
            vid.tolist(), t.tolist(), lon.tolist(), lat.tolist(), speed.tolist(), idx.tolist(), strict=True
        )
    ]
    insert_rows(session, PatrolPosition, rows)
    last: dict[int, dict[str, Any]] = {}
    area_of = dict(session.execute(select(PatrolVolunteer.id, PatrolVolunteer.area_code)).all())
    for r in rows:
        if r["fixed_ms"] > now_ms - 15 * 60_000:
            last[r["volunteer_id"]] = r
    session.execute(
        insert(DeviceState),
        [
            {
                "volunteer_id": v,
                "area_code": area_of[v],
                "fixed_ms": r["fixed_ms"],
                "lon": r["lon"],
                "lat": r["lat"],
                "grid_code": r["grid_code"],
                "is_moving": True,
                "event": None,
                "battery": 0.8,
                "accuracy_m": r["accuracy_m"],
                "sos_ms": None,
                "max_fixed_ms": r["fixed_ms"],
                "received_ms": r["received_ms"],
            }
            for v, r in last.items()
        ],
    ) if last else None
    return len(rows)


def _phones_in_register(session: Session) -> None:
    """The volunteers' phones join the devices register, those that sent a fix lately heard then."""
    register_phones(session)
    last = session.execute(
        select(PatrolVolunteer.device_id, DeviceState.received_ms).join(
            DeviceState, DeviceState.volunteer_id == PatrolVolunteer.id
        )
    ).all()
    heard: dict[datetime, list[str]] = {}
    for device, received_ms in last:
        if device is not None:
            heard.setdefault(from_ms(received_ms), []).append(device)
    for at, ids in heard.items():
        devices.heard(session, PHONE, dict.fromkeys(ids, at))


def demo_device_ids(seed: int, n: int) -> list[str]:
    """The demo devices' ids: the demo volunteer's first, then ``n - 1`` random-looking unique 8-digit ids
    drawn from the seed (not a sequence someone could walk)."""
    drawn = np.random.default_rng([seed, 0x0D1CE]).choice(90_000_000, size=n, replace=False) + 10_000_000
    others = [str(d) for d in drawn.tolist() if str(d) != DEMO_DEVICE][: n - 1]
    return [DEMO_DEVICE, *others]


def demo_device_key(seed: int, device_id: str) -> str:
    """A demo device's key, derived from the seed (the demo's simulator and tests can rebuild it; it is also
    stored, encrypted, like any device key: ``pingan.patrols.volunteers.device_key_of``)."""
    digest = hashlib.sha256(f"pingan-demo-device-key|{seed}|{device_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
