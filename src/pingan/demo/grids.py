"""Demo data of the grids module: staff and ~300 liaison cadres on the 239 grids, key places of every type,
a sample of buildings/households/residents per grid (synthetic, valid ID check digits), visits, tasks and
opinions. Deterministic from the seed; bulk inserts keep it within a few seconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.pii import Protector, id_check_char, mask_name, mask_phone
from pingan.grids.models import (
    Building,
    CheckItem,
    Household,
    Opinion,
    Place,
    PlaceType,
    RecordChange,
    Resident,
    StaffLink,
    StaffMember,
    StaffRole,
    Task,
    TaskTarget,
    Visit,
)
from pingan.grids.privacy import demo_protector
from pingan.grids.registers import protected_person_fields
from pingan.grids.visits import quarter_start

Step = Callable[[str, float], None]
REFERENCE_DAY = date(2025, 12, 31)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯健俊"
    "帆帅旭宁龙林欣怡佳琪梓涵子轩浩然雨萱嘉怡诗雨思远博文晨阳一鸣"
)
ROADS = (
    "江南大道",
    "滨盛路",
    "江晖路",
    "长河路",
    "浦沿路",
    "西兴路",
    "闻涛路",
    "春晓路",
    "江陵路",
    "丹枫路",
    "聚才路",
    "物联网街",
    "网商路",
    "长江路",
    "滨文路",
    "月明路",
    "东信大道",
    "火炬大道",
    "信诚路",
    "建业路",
)
ORGANISATIONS = (
    "区发改局",
    "区财政局",
    "区教育局",
    "区民政局",
    "区司法局",
    "区住建局",
    "区城管局",
    "区应急管理局",
    "区市场监管局",
    "区卫健局",
    "区人社局",
    "区农业农村局",
    "区商务局",
    "区文旅局",
    "区统计局",
    "区委组织部",
    "区委宣传部",
    "区委政法委",
    "区信访局",
    "区医保局",
    "区退役军人事务局",
    "区科技局",
    "区投促局",
    "区数据资源局",
)
OPINION_TEXTS = (
    ("小区东门路灯不亮，晚上出行不便", ["路灯", "基础设施"]),
    ("希望增设电动自行车集中充电桩，楼道里充电太危险", ["消防", "电动车"]),
    ("菜场周边早高峰乱停车严重", ["交通", "停车"]),
    ("楼下餐馆油烟扰民，多次沟通无果", ["环境", "油烟"]),
    ("建议社区多组织老年人健康讲座", ["养老", "建议"]),
    ("出租房租客频繁更换，希望加强登记", ["出租房", "治安"]),
    ("河道边有垃圾堆积，气味难闻", ["河道", "环境"]),
    ("快递柜太少，包裹经常堆在门卫室", ["快递", "民生"]),
    ("学校门口上下学时段拥堵，希望安排交警疏导", ["交通", "学校"]),
    ("独居老人家里燃气灶老化，担心安全", ["燃气", "独居老人"]),
)
PLACE_PLAN: tuple[tuple[PlaceType, int, str], ...] = (
    (PlaceType.RENTAL_BUILDING, 180, "出租楼"),
    (PlaceType.SMALL_VENUE, 260, "九小场所"),
    (PlaceType.LPG_OUTLET, 14, "瓶装燃气供应站"),
    (PlaceType.SCHOOL, 46, "学校"),
    (PlaceType.PARCEL_OUTLET, 120, "快递网点"),
    (PlaceType.PHARMACY, 90, "药店"),
    (PlaceType.ENTERPRISE, 150, "企业"),
    (PlaceType.MONITORING_STATION, 12, "水质监测站"),
    (PlaceType.RESIDENTIAL_ESTATE, 80, "住宅小区"),
)
SMALL_VENUES = (
    "小餐馆",
    "小旅馆",
    "小网吧",
    "小美发店",
    "小歌舞厅",
    "小商店",
    "小作坊",
    "小医疗诊所",
    "小学校(培训)",
)
SCHOOL_KINDS = ("小学", "中学", "实验学校", "外国语学校")
ESTATES = (
    "龙湖春江郦城",
    "江南豪园",
    "钱塘春晓",
    "星耀城",
    "滨江金色家园",
    "东方郡",
    "月明花苑",
    "缤纷北苑",
    "湘湖人家",
    "江滨花园",
    "东冠家园",
    "闻涛苑",
    "春波小区",
    "信诚公寓",
    "江虹公寓",
    "海威公寓",
)
PARCEL_BRANDS = (
    "顺丰速运",
    "中通快递",
    "圆通速递",
    "申通快递",
    "韵达快递",
    "邮政EMS",
    "京东物流",
    "极兔速递",
)
PHARMACIES = ("老百姓大药房", "海王星辰", "九州大药房", "同仁堂药店", "华东医药", "张同泰")
ENTERPRISES = ("科技有限公司", "网络技术有限公司", "电子有限公司", "智能设备有限公司", "信息服务有限公司")
RIVERS = ("建设河", "解放河", "北塘河", "官河", "湘滨河", "浦沿河")
CARE_TAGS = ("elderly_alone", "elderly", "disabled", "left_behind_child", "low_income", "veteran")


class _Names:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def person(self) -> str:
        given = "".join(self.rng.choice(list(GIVEN), size=int(self.rng.integers(1, 3))))
        return str(self.rng.choice(list(SURNAMES))) + given

    def phone(self) -> str:
        return (
            "1" + str(self.rng.choice(list("35789"))) + "".join(str(d) for d in self.rng.integers(0, 10, 9))
        )


def _points_in(rng: np.random.Generator, geom: Any, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        xs = rng.uniform(minx, maxx, n * 3)
        ys = rng.uniform(miny, maxy, n * 3)
        inside = shapely.contains_xy(geom, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
        out.append(pts)
        got += len(pts)
    return np.vstack(out)[:n]


def _id_number(rng: np.random.Generator, used: set[str], age_min: int = 0, age_max: int = 90) -> str:
    reference = min(date.today(), REFERENCE_DAY)  # fixed, so that the numbers depend on the seed only
    while True:
        region = str(
            rng.choice(["330108", "330106", "330109", "330110", "330621", "341122", "362323", "412721"])
        )
        born = reference - timedelta(days=int(rng.integers(age_min * 365 + 1, age_max * 365 + 365)))
        seq = int(rng.integers(1, 1000))
        first17 = f"{region}{born:%Y%m%d}{seq:03d}"
        value = first17 + id_check_char(first17)
        if value not in used:
            used.add(value)
            return value


def generate_grids_demo(session: Session, *, seed: int = 2016, step: Step | None = None) -> dict[str, int]:
    """Fill the grids registers of the demo district; returns counts of what was created."""
    report = step or (lambda _label, _share: None)
    rng = np.random.default_rng(seed + 6)
    names = _Names(rng)
    protector = demo_protector()
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    if not grids:
        return {}
    geoms = {g.code: areas.geometry_of(g) for g in grids}
    counts: dict[str, int] = {}
    report("grid staff and liaison cadres", 0.0)
    counts |= _staff(session, rng, names, protector, [g.code for g in grids])
    report("key places", 0.2)
    counts["places"] = _places(session, rng, names, protector, grids, geoms)
    report("households and residents", 0.4)
    households, residents = _registers(session, rng, names, protector, grids, geoms)
    counts["households"], counts["residents"] = len(households), residents
    report("visits", 0.75)
    counts["visits"] = _visits(session, rng, households)
    report("tasks and opinions", 0.85)
    counts["tasks"] = _tasks(session, rng, [g.code for g in grids], _demo_grid(session))
    counts["opinions"] = _opinions(session, rng, households)
    session.flush()
    report("grids done", 1.0)
    return counts


def _staff(
    session: Session, rng: np.random.Generator, names: _Names, protector: Protector, grids: list[str]
) -> dict[str, int]:
    members: list[StaffMember] = []
    roles: list[list[tuple[str, str]]] = []

    def add(
        name: str, organisation: str, home: str, links: list[tuple[str, str]], account: str | None = None
    ) -> None:
        phone = names.phone()
        account_id = None
        if account is not None:
            try:
                account_id = accounts.get_account_by_username(session, account).id
            except Exception:  # noqa: BLE001 - demo accounts are optional here
                account_id = None
        members.append(
            StaffMember(
                name=name,
                organisation=organisation,
                phone_enc=protector.encrypt(phone),
                phone_masked=mask_phone(phone),
                account_id=account_id,
                home_area_code=home,
            )
        )
        roles.append(links)

    demo_grid = _demo_grid(session)
    for code in grids:
        community = code[:12]
        add(names.person(), "社区居委会", community, [(code, StaffRole.GRID_LEADER.value)])
        add(
            names.person(),
            "社区网格工作站",
            community,
            [(code, StaffRole.FULL_TIME.value)],
            "gridworker" if code == demo_grid else None,
        )
        if rng.random() < 0.45:
            add(names.person(), "楼道长(兼职)", community, [(code, StaffRole.PART_TIME.value)])
    # ~300 government cadres paired with the grids: every grid has one, some grids two, some cadres two grids.
    order = list(rng.permutation(len(grids)))
    cadre_links: list[list[str]] = [[grids[i]] for i in order]
    for _extra in range(300 - len(grids)):
        cadre_links.append([grids[int(rng.integers(0, len(grids)))]])
    for links in cadre_links[: len(grids)]:
        if rng.random() < 0.12:
            other = grids[int(rng.integers(0, len(grids)))]
            if other not in links:
                links.append(other)
    for i, links in enumerate(cadre_links):
        if demo_grid is not None and demo_grid in links and not any(demo_grid in m for m in cadre_links[:i]):
            account = "cadre"
        else:
            account = None
        org = str(rng.choice(list(ORGANISATIONS)))
        add(names.person(), org, "330108", [(g, StaffRole.LIAISON_CADRE.value) for g in links], account)
    session.add_all(members)
    session.flush()
    link_rows = [
        {"staff_id": m.id, "area_code": code, "role": role, "since_at": utcnow()}
        for m, links in zip(members, roles, strict=True)
        for code, role in links
    ]
    session.execute(insert(StaffLink), link_rows)
    cadres = sum(1 for links in roles if links and links[0][1] == StaffRole.LIAISON_CADRE.value)
    return {"staff": len(members), "liaison_cadres": cadres}


def _demo_grid(session: Session) -> str | None:
    try:
        account = accounts.get_account_by_username(session, "gridworker")
    except Exception:  # noqa: BLE001 - the demo accounts may not exist (province scale)
        return None
    grants = accounts.actor_for(account).grants
    return grants[0].area_code if grants else None


def _places(
    session: Session,
    rng: np.random.Generator,
    names: _Names,
    protector: Protector,
    grids: list[Any],
    geoms: dict[str, Any],
) -> int:
    rows: list[Place] = []
    codes = [g.code for g in grids]
    by_name = {g.code: g.name for g in grids}

    def place(ptype: PlaceType, name: str, code: str, status: str = "active", **attributes: Any) -> None:
        x, y = _points_in(rng, geoms[code], 1)[0]
        person, phone = names.person(), names.phone()
        rows.append(
            Place(
                area_code=code,
                place_type=ptype.value,
                name=name,
                address=f"{rng.choice(list(ROADS))}{int(rng.integers(1, 999))}号",
                lon=float(x),
                lat=float(y),
                responsible_name_enc=protector.encrypt(person),
                responsible_name_masked=mask_name(person),
                responsible_phone_enc=protector.encrypt(phone),
                responsible_phone_masked=mask_phone(phone),
                status=status,
                attributes=attributes,
            )
        )

    def grid() -> str:
        return codes[int(rng.integers(0, len(codes)))]

    for ptype, n, label in PLACE_PLAN:
        for i in range(n):
            code = grid()
            community = by_name[code].split("社区")[0]
            if ptype is PlaceType.SCHOOL:
                name = f"杭州市滨江区{community}{rng.choice(list(SCHOOL_KINDS))}"
                place(
                    ptype,
                    name,
                    code,
                    level=str(rng.choice(["primary", "middle"])),
                    students=int(rng.integers(400, 2400)),
                )
                place(PlaceType.SCHOOL_KITCHEN, f"{name}食堂", code, sunshine_kitchen=True, school=name)
            elif ptype is PlaceType.RESIDENTIAL_ESTATE:
                name = (
                    ESTATES[i]
                    if i < len(ESTATES)
                    else f"{community}{rng.choice(['花园', '家园', '公寓', '苑'])}{i}期"
                )
                place(
                    ptype,
                    name,
                    code,
                    households=int(rng.integers(300, 2200)),
                    newly_built=name == "龙湖春江郦城",
                )
            elif ptype is PlaceType.PARCEL_OUTLET:
                place(ptype, f"{rng.choice(list(PARCEL_BRANDS))}{community}网点", code, real_name_checks=True)
            elif ptype is PlaceType.PHARMACY:
                place(ptype, f"{rng.choice(list(PHARMACIES))}({community}店)", code, traceability=True)
            elif ptype is PlaceType.ENTERPRISE:
                place(ptype, f"杭州{community}{names.person()[1:]}{rng.choice(list(ENTERPRISES))}", code)
            elif ptype is PlaceType.MONITORING_STATION:
                place(
                    ptype,
                    f"{RIVERS[i % len(RIVERS)]}{label}{i // len(RIVERS) + 1}号",
                    code,
                    river=RIVERS[i % len(RIVERS)],
                )
            elif ptype is PlaceType.SMALL_VENUE:
                place(
                    ptype,
                    f"{community}{rng.choice(list(SMALL_VENUES))}{i + 1}",
                    code,
                    venue_kind=str(rng.choice(list(SMALL_VENUES))),
                )
            elif ptype is PlaceType.LPG_OUTLET:
                place(ptype, f"{community}{label}", code, licensed=True)
            else:
                place(
                    ptype,
                    f"{community}{label}{i + 1}号",
                    code,
                    rooms=int(rng.integers(8, 60)),
                    bottled_gas_checked=False,
                )
    for i in range(23):  # the 23 illegal LPG filling/storage/sale sites shut in the joint operation
        code = grid()
        place(
            PlaceType.LPG_OUTLET,
            f"非法瓶装燃气点{i + 1:02d}",
            code,
            status="closed",
            illegal=True,
            closed_by="安监/城管/市场监管/公安联合执法",
        )
    session.add_all(rows)
    session.flush()
    session.execute(
        insert(RecordChange),
        [
            {
                "record_type": "place",
                "record_id": p.id,
                "area_code": p.area_code,
                "action": "create",
                "changes": {"name": [None, p.name]},
                "account_id": None,
                "username": "demo",
                "source": "demo",
                "changed_at": utcnow(),
            }
            for p in rows
        ],
    )
    return len(rows)


def _registers(
    session: Session,
    rng: np.random.Generator,
    names: _Names,
    protector: Protector,
    grids: list[Any],
    geoms: dict[str, Any],
) -> tuple[list[Household], int]:
    buildings: list[Building] = []
    for g in grids:
        pts = _points_in(rng, geoms[g.code], int(rng.integers(2, 4)))
        road = str(rng.choice(list(ROADS)))
        for j, (x, y) in enumerate(pts):
            kind = "rental" if rng.random() < 0.2 else "residential"
            buildings.append(
                Building(
                    area_code=g.code,
                    address=f"{road}{int(rng.integers(1, 600))}号{j + 1}幢",
                    kind=kind,
                    floors=int(rng.integers(5, 33)),
                    lon=float(x),
                    lat=float(y),
                )
            )
    session.add_all(buildings)
    session.flush()
    households: list[Household] = []
    for b in buildings:
        for k in range(int(rng.integers(4, 8))):
            unit = k // 4 + 1
            room = f"{unit}单元{int(rng.integers(1, (b.floors or 6) + 1))}{k % 4 + 1:02d}室"
            kind = "rental" if b.kind == "rental" or rng.random() < 0.15 else "registered"
            households.append(Household(area_code=b.area_code, building_id=b.id, room=room, kind=kind))
    session.add_all(households)
    session.flush()
    used: set[str] = set()
    rows: list[dict[str, Any]] = []
    for h in households:
        size = 1 if rng.random() < 0.12 else int(rng.integers(2, 4))
        for m in range(size):
            elderly_alone = size == 1 and rng.random() < 0.5
            id_number = (
                _id_number(rng, used, 70, 92)
                if elderly_alone
                else _id_number(rng, used, 18 if m == 0 else 0, 80)
            )
            phone = names.phone() if m == 0 or rng.random() < 0.5 else None
            category = (
                "rental" if h.kind == "rental" else ("floating" if rng.random() < 0.15 else "registered")
            )
            tags = (
                ["elderly_alone"]
                if elderly_alone
                else ([str(rng.choice(list(CARE_TAGS[1:])))] if rng.random() < 0.06 else [])
            )
            fields = protected_person_fields(protector, name=names.person(), id_number=id_number, phone=phone)
            relation = (
                "户主"
                if m == 0
                else ("租客" if category == "rental" else str(rng.choice(["配偶", "子女", "父母"])))
            )
            rows.append(
                {
                    **fields,
                    "area_code": h.area_code,
                    "household_id": h.id,
                    "category": category,
                    "care_tags": tags,
                    "relation": relation,
                    "is_active": True,
                }
            )
    session.execute(insert(Resident), rows)
    return households, len(rows)


def _visits(session: Session, rng: np.random.Generator, households: list[Household]) -> int:
    cadres: dict[str, list[int]] = {}
    for staff_id, code in session.execute(
        select(StaffLink.staff_id, StaffLink.area_code).where(StaffLink.role == StaffRole.LIAISON_CADRE.value)
    ):
        cadres.setdefault(code, []).append(staff_id)
    workers = {
        code: staff_id
        for staff_id, code in session.execute(
            select(StaffLink.staff_id, StaffLink.area_code).where(StaffLink.role == StaffRole.FULL_TIME.value)
        )
    }
    now = utcnow()
    start = quarter_start(now)
    span = max((now - start).total_seconds(), 3600.0)
    rows = []
    for h in households:
        r = rng.random()
        if r < 0.35:  # never visited
            continue
        staff = cadres.get(h.area_code, [None])[0] if rng.random() < 0.5 else workers.get(h.area_code)
        if r < 0.55:  # visited last quarter only
            when = start - timedelta(days=float(rng.uniform(5, 80)))
        else:
            when = start + timedelta(seconds=float(rng.uniform(0, span * 0.95)))
        rows.append(
            {
                "area_code": h.area_code,
                "household_id": h.id,
                "staff_id": staff,
                "account_id": None,
                "username": "demo",
                "visited_at": when,
                "lon": None,
                "lat": None,
                "notes": str(
                    rng.choice(
                        [
                            "入户走访，了解家庭情况",
                            "宣传防诈骗知识",
                            "燃气安全检查",
                            "独居老人关怀",
                            "政策宣传",
                        ]
                    )
                ),
                "issues": [],
                "created_at": now,
            }
        )
    session.execute(insert(Visit), rows)
    return len(rows)


def _tasks(session: Session, rng: np.random.Generator, grids: list[str], demo_grid: str | None) -> int:
    """Three tasks; the demo grid worker's grid has not acknowledged them yet (so the demo can)."""
    now = utcnow()
    plan = [
        (
            "task",
            "G20 前出租房瓶装燃气排查",
            "对辖区全部出租房逐户排查瓶装燃气使用、存放情况，发现隐患当场整改或上报。",
            "330108",
            grids,
            0.8,
            0.45,
        ),
        (
            "notice",
            "平安巡防志愿者招募通知",
            "请各网格动员居民报名参加平安巡防，佩戴红袖章上岗。",
            "330108",
            grids,
            0.9,
            0.0,
        ),
    ]
    changhe = [g for g in grids if g.startswith("330108002")]
    plan.append(
        (
            "population_check",
            "长河街道流动人口信息核对",
            "逐人核对在册人员信息：确认、更正或标记迁出。",
            "330108002",
            changhe[:12],
            0.6,
            0.0,
        )
    )
    for kind, title, body, issuer, targets, ack_share, done_share in plan:
        task = Task(
            kind=kind,
            title=title,
            body=body,
            area_code=issuer,
            due_at=now + timedelta(days=14),
            created_by="admin" if issuer == "330108" else "street",
            created_at=now - timedelta(days=3),
        )
        session.add(task)
        session.flush()
        target_rows = []
        for code in targets:
            r = rng.random()
            ack = (
                now - timedelta(hours=float(rng.uniform(1, 60)))
                if r < ack_share and code != demo_grid
                else None
            )
            done = ack + timedelta(hours=2) if ack is not None and r < done_share else None
            target_rows.append(
                {
                    "task_id": task.id,
                    "area_code": code,
                    "acknowledged_at": ack,
                    "acknowledged_by": "demo" if ack else None,
                    "completed_at": done,
                    "completed_by": "demo" if done else None,
                    "note": "已完成排查" if done else "",
                }
            )
        session.execute(insert(TaskTarget), target_rows)
        if kind == "population_check":
            tids = dict(
                session.execute(
                    select(TaskTarget.area_code, TaskTarget.id).where(TaskTarget.task_id == task.id)
                ).all()
            )
            items = []
            for rid, code in session.execute(
                select(Resident.id, Resident.area_code).where(Resident.area_code.in_(list(tids)))
            ):
                outcome = str(
                    rng.choice(
                        [
                            "pending",
                            "pending",
                            "confirmed",
                            "confirmed",
                            "confirmed",
                            "corrected",
                            "moved_out",
                        ],
                        p=None,
                    )
                )
                items.append(
                    {
                        "target_id": tids[code],
                        "area_code": code,
                        "resident_id": rid,
                        "outcome": "pending" if outcome in ("corrected", "moved_out") else outcome,
                        "checked_at": None if outcome == "pending" else now,
                        "checked_by": None if outcome == "pending" else "demo",
                        "note": "",
                    }
                )
            if items:
                session.execute(insert(CheckItem), items)
    return len(plan)


def _opinions(session: Session, rng: np.random.Generator, households: list[Household]) -> int:
    now = utcnow()
    rows = []
    for i in range(80):
        h = households[int(rng.integers(0, len(households)))]
        text, tags = OPINION_TEXTS[i % len(OPINION_TEXTS)]
        answered = rng.random() < 0.5
        rows.append(
            {
                "area_code": h.area_code,
                "household_id": h.id,
                "visit_id": None,
                "channel": str(rng.choice(["cadre", "grid_worker"])),
                "content": text,
                "tags": tags,
                "lon": None,
                "lat": None,
                "account_id": None,
                "username": "demo",
                "submitted_at": now - timedelta(days=float(rng.uniform(0, 60))),
                "state": "answered" if answered else "open",
                "answer": "已转相关部门并跟进，感谢您的反馈" if answered else None,
                "answered_at": now if answered else None,
                "answered_by": "demo" if answered else None,
                "case_id": None,
                "case_number": None,
            }
        )
    session.execute(insert(Opinion), rows)
    return len(rows)
