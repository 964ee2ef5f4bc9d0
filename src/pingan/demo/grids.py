"""Demo data of the grids module: staff and ~300 liaison cadres on the 239 grids, key places of every type,
a sample of buildings/households/residents per grid (synthetic, valid ID check digits), visits, tasks and
opinions. Deterministic from the seed; bulk inserts keep it within a few seconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.accounts.models import Account
from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.cases.worktime import official_days
from pingan.core.clock import LOCAL_TZ, utcnow
from pingan.core.pii import (
    ID_CHECK,
    ID_WEIGHTS,
    Protector,
    get_protector,
    mask_id_number,
    mask_name,
    mask_phone,
)
from pingan.demo.bulk import insert_columns, insert_rows
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


def generate_grids_demo(session: Session, *, seed: int = 2016, step: Step | None = None) -> dict[str, int]:
    """Fill the grids registers of the demo district; returns counts of what was created."""
    report = step or (lambda _label, _share: None)
    rng = np.random.default_rng(seed + 6)
    names = _Names(rng)
    protector = get_protector(demo=True)
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
    households, residents = _registers(
        session, rng, protector, grids, geoms, lambda label, share: report(label, 0.4 + 0.35 * share)
    )
    counts["households"], counts["residents"] = len(households), residents
    report("visits", 0.75)
    counts["visits"] = _visits(session, rng, households)
    report("tasks and opinions", 0.85)
    counts["tasks"] = _tasks(session, rng, [g.code for g in grids], _demo_grid(session))
    counts["opinions"] = _opinions(session, rng, households)
    # later place types on a generator of their own: the data above stay as they were before them
    counts["places"] += _more_places(session, np.random.default_rng(seed + 61), protector, grids, geoms)
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
    insert_rows(session, StaffLink, link_rows)
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
    _add_places(session, rows)
    return len(rows)


def _add_places(session: Session, rows: list[Place]) -> None:
    """Demo places and their register history (one ``create`` entry each)."""
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


# Restaurants (餐饮店: gas and fire safety, food inspections) and construction sites (建筑工地: safety and
# dust inspections), at the scale of a district of ~500,000 people and 239 grids.
RESTAURANTS = 420
CONSTRUCTION_SITES = 64
CUISINES = (
    "杭帮菜馆",
    "面馆",
    "沙县小吃",
    "兰州拉面",
    "川菜馆",
    "湘菜馆",
    "火锅店",
    "烧烤店",
    "快餐店",
    "茶餐厅",
)
PROJECTS = ("商品住宅", "安置房", "学校", "商业综合体", "产业园", "道路改造", "地铁站", "公园")


def _more_places(
    session: Session, rng: np.random.Generator, protector: Protector, grids: list[Any], geoms: dict[str, Any]
) -> int:
    names = _Names(rng)
    rows: list[Place] = []
    plan = [(PlaceType.RESTAURANT, i) for i in range(RESTAURANTS)]
    plan += [(PlaceType.CONSTRUCTION_SITE, i) for i in range(CONSTRUCTION_SITES)]
    for ptype, i in plan:
        grid = grids[int(rng.integers(0, len(grids)))]
        community = grid.name.split("社区")[0]
        if ptype is PlaceType.RESTAURANT:
            name = f"{community}{rng.choice(list(CUISINES))}{i + 1}号店"
            attributes: dict[str, Any] = {
                "seats": int(rng.integers(12, 240)),
                "gas": str(rng.choice(["piped", "bottled"], p=[0.7, 0.3])),
            }
        else:
            name = f"滨江区{community}{rng.choice(list(PROJECTS))}项目{i + 1}标段"
            attributes = {
                "permit": f"330108{2024 + i % 3}{i + 1:04d}",
                "floor_area_m2": int(rng.integers(3, 300)) * 1000,
            }
        x, y = _points_in(rng, geoms[grid.code], 1)[0]
        person, phone = names.person(), names.phone()
        rows.append(
            Place(
                area_code=grid.code,
                place_type=ptype.value,
                name=name,
                address=f"{rng.choice(list(ROADS))}{int(rng.integers(1, 999))}号",
                lon=float(x),
                lat=float(y),
                responsible_name_enc=protector.encrypt(person),
                responsible_name_masked=mask_name(person),
                responsible_phone_enc=protector.encrypt(phone),
                responsible_phone_masked=mask_phone(phone),
                status="active",
                attributes=attributes,
            )
        )
    _add_places(session, rows)
    return len(rows)


def _registers(
    session: Session,
    rng: np.random.Generator,
    protector: Protector,
    grids: list[Any],
    geoms: dict[str, Any],
    report: Step,
) -> tuple[list[tuple[int, str]], int]:
    """Every household and resident the area statistics state, per grid: buildings filled floor by floor
    until the grid's households are housed, its population spread over them. Returns (household id, grid)
    of every household and the number of residents."""
    building_rows: list[dict[str, Any]] = []
    household_rows: list[dict[str, Any]] = []
    next_building = int(session.scalar(select(func.max(Building.id))) or 0) + 1
    next_household = int(session.scalar(select(func.max(Household.id))) or 0) + 1
    sizes: list[np.ndarray] = []
    for g in grids:
        target = int(g.households or 0)
        if target <= 0:
            continue
        spots = _points_in(rng, geoms[g.code], 16)
        road = str(rng.choice(list(ROADS)))
        number = int(rng.integers(1, 400))
        made = 0
        while made < target:
            floors, units = int(rng.integers(6, 34)), int(rng.integers(1, 4))
            take = min(floors * units * 2, target - made)
            rental_building = rng.random() < 0.15
            x, y = spots[len(building_rows) % len(spots)]
            building_rows.append(
                {
                    "id": next_building,
                    "area_code": g.code,
                    "address": f"{road}{number}号{len(building_rows) % 9 + 1}幢",
                    "kind": "rental" if rental_building else "residential",
                    "floors": floors,
                    "lon": float(x) + float(rng.normal(0, 0.0003)),
                    "lat": float(y) + float(rng.normal(0, 0.0003)),
                }
            )
            rental = rng.random(take) < (1.0 if rental_building else 0.15)
            for k in range(take):
                per_unit = floors * 2
                household_rows.append(
                    {
                        "id": next_household,
                        "area_code": g.code,
                        "building_id": next_building,
                        "room": f"{k // per_unit + 1}单元{k % per_unit // 2 + 1}{k % 2 + 1:02d}室",
                        "kind": "rental" if rental[k] else "registered",
                    }
                )
                next_household += 1
            next_building += 1
            made += take
        # the grid's population over its households: everyone has a household, some live alone
        extra = max(int(g.population or 0) - target, 0)
        weights = rng.gamma(1.6, 1.0, target)
        sizes.append(1 + rng.multinomial(extra, weights / weights.sum()))
    insert_rows(session, Building, building_rows)
    insert_rows(session, Household, household_rows)
    report("households and residents", 0.1)
    size = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    residents = _residents(session, rng, protector, household_rows, size, report)
    return [(h["id"], h["area_code"]) for h in household_rows], residents


def _residents(
    session: Session,
    rng: np.random.Generator,
    protector: Protector,
    households: list[dict[str, Any]],
    size: np.ndarray,
    report: Step,
) -> int:
    """The people of the households (``size`` of each), their personal data protected in bulk."""
    n = int(size.sum())
    if n == 0:
        return 0
    owner = np.repeat(np.arange(len(households)), size)
    member = np.arange(n) - np.repeat(np.cumsum(size) - size, size)  # 0 = the head of the household
    alone = np.repeat(size == 1, size)
    elderly_alone = alone & (rng.random(n) < 0.5)
    age = np.where(member == 0, rng.integers(22, 86, n), rng.integers(0, 81, n))
    age = np.where(elderly_alone, rng.integers(70, 93, n), age)
    ids = _id_numbers(rng, age)
    names = _person_names(rng, n)
    with_phone = (member == 0) | (rng.random(n) < 0.5)
    phones = _phone_numbers(rng, int(with_phone.sum()))
    rental = np.array([h["kind"] == "rental" for h in households])[owner]
    floating = rng.random(n) < 0.15
    tag_draw = rng.random(n)
    tag_pick = rng.integers(1, len(CARE_TAGS), n)
    relation_pick = rng.integers(0, 3, n)
    report("households and residents", 0.2)
    name_enc = protector.encrypt_many(names)
    id_enc = protector.encrypt_many(ids)
    phone_enc = protector.encrypt_many(phones)
    report("households and residents", 0.7)
    phone_at = (np.cumsum(with_phone) - 1).tolist()
    has_phone, heads = with_phone.tolist(), (member == 0).tolist()
    rental_of, floating_of = rental.tolist(), floating.tolist()
    alone_of, draws, picks = elderly_alone.tolist(), tag_draw.tolist(), tag_pick.tolist()
    relations = [("配偶", "子女", "父母")[k] for k in relation_pick.tolist()]
    households_of = owner.tolist()
    alone_tags, no_tags = ["elderly_alone"], list[str]()  # shared: the same JSON text for the same list
    care = {k: [CARE_TAGS[k]] for k in range(len(CARE_TAGS))}
    columns: dict[str, list[Any]] = {
        "area_code": [households[h]["area_code"] for h in households_of],
        "household_id": [households[h]["id"] for h in households_of],
        "name_enc": name_enc,
        "name_masked": [mask_name(v) for v in names],
        "id_number_enc": id_enc,
        "id_number_index": [protector.blind_index("id:" + v) for v in ids],
        "id_number_masked": [mask_id_number(v) for v in ids],
        "phone_enc": [phone_enc[phone_at[i]] if has_phone[i] else None for i in range(n)],
        "phone_index": [protector.blind_index("phone:" + p) for p in phones],
        "phone_masked": [mask_phone(p) for p in phones],
        "sex": ["male" if int(v[16]) % 2 else "female" for v in ids],
        "birth_year": [int(v[6:10]) for v in ids],
        "category": [
            "rental" if r else ("floating" if f else "registered")
            for r, f in zip(rental_of, floating_of, strict=True)
        ],
        "care_tags": [
            alone_tags if a else (care[k] if d < 0.06 else no_tags)
            for a, d, k in zip(alone_of, draws, picks, strict=True)
        ],
        "relation": [
            "户主" if head else ("租客" if r else rel)
            for head, r, rel in zip(heads, rental_of, relations, strict=True)
        ],
        "is_active": [True] * n,
    }
    # the phone columns per person (the protected values were computed once per phone)
    for name in ("phone_index", "phone_masked"):
        per_phone = columns[name]
        columns[name] = [
            per_phone[phone_at[i]] if has_phone[i] else (None if name == "phone_index" else "")
            for i in range(n)
        ]
    report("households and residents", 0.8)
    insert_columns(
        session,
        Resident,
        columns,
        progress=lambda done: report("households and residents", 0.8 + 0.2 * done),
    )
    return n


def _id_numbers(rng: np.random.Generator, age: np.ndarray) -> list[str]:
    """Unique ID numbers (GB 11643 check characters) of people of the given ages (in years)."""
    reference = min(date.today(), REFERENCE_DAY).toordinal()  # fixed: the numbers depend on the seed only
    n = len(age)
    regions = np.array(["330108", "330106", "330109", "330110", "330621", "341122", "362323", "412721"])
    region = regions[rng.choice(len(regions), n, p=[0.45, 0.1, 0.08, 0.07, 0.1, 0.07, 0.07, 0.06])]
    born = reference - age * 365 - rng.integers(1, 365, n)
    seq = rng.integers(1, 1000, n)
    days = np.datetime64("0001-01-01") + (born - 1).astype("timedelta64[D]")  # ordinal → numpy date
    ymd = np.char.replace(days.astype(str), "-", "").tolist()
    first17 = [f"{r}{d}{q:03d}" for r, d, q in zip(region.tolist(), ymd, seq.tolist(), strict=True)]
    seen: set[str] = set()
    for i, value in enumerate(first17):
        while value in seen:  # a rare clash: the next sequence number of the same day
            value = value[:14] + f"{(int(value[14:]) % 999) + 1:03d}"
        seen.add(value)
        first17[i] = value
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48
    checks = (digits.astype(np.int64) @ np.array(ID_WEIGHTS, dtype=np.int64)) % 11
    return [f + ID_CHECK[c] for f, c in zip(first17, checks.tolist(), strict=True)]


def _person_names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = rng.integers(0, len(SURNAMES), n).tolist()
    first = rng.integers(0, len(GIVEN), n).tolist()
    second = rng.integers(0, len(GIVEN), n).tolist()
    two = (rng.random(n) < 0.65).tolist()
    return [
        SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "")
        for s, a, b, t in zip(surnames, first, second, two, strict=True)
    ]


def _phone_numbers(rng: np.random.Generator, n: int) -> list[str]:
    second = np.array(list("35789"))[rng.integers(0, 5, n)].tolist()
    rest = rng.integers(0, 1_000_000_000, n).tolist()
    return [f"1{a}{b:09d}" for a, b in zip(second, rest, strict=True)]


VISIT_NOTES = (
    "入户走访，了解家庭情况",
    "宣传防诈骗知识",
    "燃气安全检查",
    "独居老人关怀",
    "政策宣传",
    "出租房信息核对",
    "电动自行车充电安全提醒",
    "收集居民意见建议",
)
# Visits per person per working day: the full-time grid worker walks the grid, the others join now and then.
VISIT_RATES = {
    StaffRole.FULL_TIME.value: 4.0,
    StaffRole.GRID_LEADER.value: 1.0,
    StaffRole.PART_TIME.value: 0.8,
    StaffRole.LIAISON_CADRE.value: 0.15,
}


def _visits(session: Session, rng: np.random.Generator, households: list[tuple[int, str]]) -> int:
    """Door-to-door visits of the last and the current quarter by each grid's own staff, in working hours
    (Asia/Shanghai) on working days and some Saturdays; every household in turn, no one twice a quarter
    while others wait."""
    staff: dict[str, list[tuple[int, str, str]]] = {}
    accounts_of = dict(session.execute(select(Account.id, Account.username)).all())
    for staff_id, code, role, name, account_id in session.execute(
        select(
            StaffLink.staff_id, StaffLink.area_code, StaffLink.role, StaffMember.name, StaffMember.account_id
        )
        .join(StaffMember, StaffMember.id == StaffLink.staff_id)
        .order_by(StaffLink.staff_id)
    ):
        username = accounts_of.get(account_id) if account_id is not None else None
        staff.setdefault(code, []).append((staff_id, role, username or name))
    by_grid: dict[str, list[int]] = {}
    for hid, code in households:
        by_grid.setdefault(code, []).append(hid)
    now = utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    current = quarter_start(now)
    previous = quarter_start(current - timedelta(days=1))
    official = official_days()
    days: list[tuple[date, float]] = []  # (day, share of a working day's visits)
    day = previous.astimezone(LOCAL_TZ).date()
    while day <= today:
        flag = official.get(day)
        workday = day.weekday() < 5 if flag is None else flag[0]
        if workday:
            days.append((day, 1.0))
        elif day.weekday() == 5 and flag is None:
            days.append((day, 0.25))  # some Saturday visits to families out at work in the week
        day += timedelta(days=1)
    quarter_of_day = np.array([d >= current.astimezone(LOCAL_TZ).date() for d, _ in days])
    share = np.array([s for _, s in days])
    midnight = np.array(
        [datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ).timestamp() for d, _ in days], dtype=np.float64
    )
    rows: list[dict[str, Any]] = []
    no_issues: list[Any] = []
    for code in sorted(by_grid):
        people = staff.get(code, [])
        homes = by_grid[code]
        if not people or not homes:
            continue
        rates = np.array([VISIT_RATES.get(role, 0.5) for _, role, _ in people])
        counts = rng.poisson(np.outer(share, rates))  # days × people
        day_idx, person_idx = np.nonzero(counts)
        reps = counts[day_idx, person_idx]
        day_of = np.repeat(day_idx, reps)
        who = np.repeat(person_idx, reps)
        # 08:30–17:30 mostly, a tenth in the early evening (17:30–19:45) when families are home
        minute = np.where(
            rng.random(day_of.size) < 0.9,
            rng.uniform(510, 1050, day_of.size),
            rng.uniform(1050, 1185, day_of.size),
        )
        at = midnight[day_of] + minute * 60
        order = np.argsort(at, kind="stable")
        walk: dict[bool, np.ndarray] = {q: rng.permutation(len(homes)) for q in (False, True)}
        seen = {False: 0, True: 0}
        notes = rng.integers(0, len(VISIT_NOTES), day_of.size)
        stamps = (np.datetime64("1970-01-01T00:00:00", "us") + (at * 1e6).astype("timedelta64[us]")).astype(
            object
        )
        now_ts = now.timestamp()
        for k in order.tolist():
            if at[k] > now_ts:
                continue
            when = stamps[k]  # naive UTC (the columns' convention)
            q = bool(quarter_of_day[day_of[k]])
            home = homes[int(walk[q][seen[q] % len(homes)])]
            seen[q] += 1
            staff_id, _role, username = people[int(who[k])]
            rows.append(
                {
                    "area_code": code,
                    "household_id": home,
                    "staff_id": staff_id,
                    "account_id": None,
                    "username": username,
                    "visited_at": when,
                    "lon": None,
                    "lat": None,
                    "notes": VISIT_NOTES[int(notes[k])],
                    "issues": no_issues,
                    "created_at": when,
                }
            )
    insert_rows(session, Visit, rows)
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
        insert_rows(session, TaskTarget, target_rows)
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
                insert_rows(session, CheckItem, items)
    return len(plan)


def _opinions(session: Session, rng: np.random.Generator, households: list[tuple[int, str]]) -> int:
    now = utcnow()
    rows = []
    for i in range(80):
        household_id, area_code = households[int(rng.integers(0, len(households)))]
        text, tags = OPINION_TEXTS[i % len(OPINION_TEXTS)]
        answered = rng.random() < 0.5
        rows.append(
            {
                "area_code": area_code,
                "household_id": household_id,
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
    insert_rows(session, Opinion, rows)
    return len(rows)
