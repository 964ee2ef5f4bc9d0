"""Build the demo district in a database: areas, units and one account per role (deterministic by seed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.config import settings_of
from pingan.core.modules import Module, load, resolve
from pingan.core.pii import generating_demo
from pingan.core.security import Actor, Role
from pingan.demo.district import DISTRICT_CODE, STREETS, build_district, feature_collection
from pingan.units import service as units
from pingan.units.models import UnitKind

Step = Callable[[str, float], None]
DEMO_PASSWORD = "pingan-demo"

DEPARTMENTS = (
    ("330108-GA", "滨江公安分局"),
    ("330108-CG", "区城市管理局"),
    ("330108-YJ", "区应急管理局"),
    ("330108-SJ", "区市场监督管理局"),
    ("330108-HB", "滨江生态环境分局"),
    ("330108-HZB", "区河长制办公室"),
    ("330108-SF", "区司法局"),
    ("330108-JY", "区教育局"),
    ("330108-ZJ", "区住房和城乡建设局"),
    ("330108-XF", "滨江消防救援大队"),
    ("330108-JJ", "滨江交警大队"),
    ("330108-WJ", "区卫生健康局"),
    ("330108-YZ", "区邮政管理办公室"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str
    description: str


def is_empty(session: Session) -> bool:
    """Whether the database has no areas yet (the demo generates only into an empty database)."""
    return sum(areas.level_counts(session).values()) == 0


def generate_demo(
    session: Session, *, seed: int = 2016, step: Step | None = None, modules: Sequence[Module] | None = None
) -> list[DemoLogin]:
    """Create the demo district: the spine's areas, roads, units and accounts, then each enabled module's demo
    generators, dependencies first (``modules``; default: those the session's settings enable). Returns the
    demo logins (password: ``pingan-demo``). Personal data written by the services the generators call is
    encrypted as the generators' own rows are (``core.pii.generating_demo``), with or without a PII key."""
    with generating_demo():
        return _generate_demo(session, seed=seed, step=step, modules=modules)


def _generate_demo(
    session: Session, *, seed: int, step: Step | None, modules: Sequence[Module] | None
) -> list[DemoLogin]:
    report = step or (lambda _label, _share: None)
    report("areas", 0.0)
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # the register's indexes take ~100 MB: keep them in memory while hundreds of thousands go in
        session.execute(text("PRAGMA cache_size=-262144"))
    specs = build_district(seed)
    areas.import_geojson(
        session,
        feature_collection(specs),
        source="demo",
        progress=lambda done, total: report("areas", 0.6 * done / max(total, 1)),
    )
    from pingan.areas import roads
    from pingan.demo import roads as demo_roads

    roads.import_roads(session, demo_roads.feature_collection(), source="demo")
    report("units", 0.6)
    _create_units(session)
    report("accounts", 0.8)
    logins = _create_accounts(session, specs[-1].parent_code or DISTRICT_CODE)
    _create_desk_accounts(session)
    generate_modules(
        session,
        seed=seed,
        modules=resolve(settings_of(session).modules) if modules is None else modules,
        step=lambda label, share: report(label, 0.8 + 0.2 * share),
    )
    if session.get_bind().dialect.name == "postgresql":
        # The planner's statistics of the freshly filled tables (autovacuum would take a minute or more to
        # gather them; until then PostgreSQL plans the nearby-case search as if the cases table were empty).
        session.flush()
        _advance_sequences(session)
        session.execute(text("ANALYZE"))
    if sqlite:
        session.execute(text("PRAGMA cache_size=-2000"))  # SQLite's default again for this connection
    report("done", 1.0)
    return logins


def generate_modules(
    session: Session, *, seed: int, modules: Sequence[Module], step: Step | None = None
) -> None:
    """Each module's demo generators in dependency order (after the categories it declares). Each generator
    draws from its own random generator seeded from ``seed``: one module's data do not depend on which
    others run."""
    report = step or (lambda _label, _share: None)
    generators = [(module, load(ref)) for module in modules for ref in module.demo]
    for i, (module, generate) in enumerate(generators):

        def part(label: str, share: float, i: int = i) -> None:
            report(label, (i + share) / len(generators))

        _create_categories(session, module)
        generate(session, seed=seed, step=part)


def _create_categories(session: Session, module: Module) -> None:
    """The case categories the module declares, created when missing (its cases need them)."""
    from pingan.cases import routing

    known = {c.code for c in routing.list_categories(session)}
    for category in module.case_categories:
        if category.code not in known:
            routing.upsert_category(
                session,
                Actor.system("demo"),
                code=category.code,
                name_zh=category.name_zh,
                name_en=category.name_en,
                default_priority=category.default_priority,
                is_public=category.is_public,
            )


def _advance_sequences(session: Session) -> None:
    """The bulk demo writes give rows explicit ids; move each PostgreSQL id sequence past them, so the next
    row a user adds gets a fresh id (a sequence left at 1 refused the first new building as a duplicate)."""
    from sqlalchemy import Integer

    from pingan.core.db import Base

    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        name, column = table.name, keys[0].name
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{name}"'
            )
        )


def _create_units(session: Session) -> None:
    units.create_unit(
        session,
        code="330108-ZHZX",
        name="滨江区综合指挥中心",
        kind=UnitKind.DISTRICT_CENTRE,
        area_code=DISTRICT_CODE,
    )
    for code, name in DEPARTMENTS:
        units.create_unit(session, code=code, name=name, kind=UnitKind.DEPARTMENT, area_code=DISTRICT_CODE)
    for plan in STREETS:
        units.create_unit(
            session,
            code=f"{plan.code}-ZHXX",
            name=f"{plan.name}综合信息指挥室",
            kind=UnitKind.STREET_CENTRE,
            area_code=plan.code,
        )
    for community in areas.list_areas(session, level=None, within=DISTRICT_CODE):
        if community.level == "community":
            units.create_unit(
                session,
                code=f"{community.code}-JWH",
                name=f"{community.name}居委会",
                kind=UnitKind.COMMUNITY,
                area_code=community.code,
            )


def _create_accounts(session: Session, community_code: str) -> list[DemoLogin]:
    grid = areas.list_areas(session, parent_code=_community_named(session, "月明社区") or community_code)[0]
    street = grid.code[:9]
    chengguan = units.get_unit_by_code(session, "330108-CG")
    plan: list[tuple[str, str, Role, str, int | None, str]] = [
        (
            "admin",
            "区指挥中心 值班长",
            Role.DISTRICT_ADMIN,
            DISTRICT_CODE,
            None,
            "district commander / admin",
        ),
        ("street", "长河街道 指挥室操作员", Role.STREET_OPERATOR, street, None, "street operator"),
        (
            "handler",
            "城管局 处置员",
            Role.DEPARTMENT_HANDLER,
            DISTRICT_CODE,
            chengguan.id,
            "department handler (城管)",
        ),
        ("gridworker", "月明社区 网格员", Role.GRID_WORKER, grid.code, None, "grid worker of one grid"),
        ("cadre", "联系干部", Role.LIAISON_CADRE, grid.code, None, "liaison cadre"),
        ("volunteer", "平安巡防队员", Role.PATROL_VOLUNTEER, grid.code[:12], None, "patrol volunteer"),
        ("clerk", "快递网点 填报员", Role.SECTOR_CLERK, street, None, "sector clerk"),
        ("resident", "居民", Role.RESIDENT, DISTRICT_CODE, None, "resident (own reports)"),
        ("auditor", "审计员", Role.AUDITOR, DISTRICT_CODE, None, "auditor (audit trail)"),
    ]
    logins = []
    for username, display, role, scope, unit_id, description in plan:
        account = accounts.create_account(
            session, username=username, password=DEMO_PASSWORD, display_name=display, is_demo=True
        )
        accounts.grant_role(session, account_id=account.id, role=role, area_code=scope, unit_id=unit_id)
        logins.append(DemoLogin(username, role.value, scope, description))
    return logins


@dataclass(frozen=True)
class DeskAccount:
    """An account of the district's command chain that the live simulator works the case queue with: the
    duty operator of each street's command room (立案, 派遣, 核查, 结案) and a handler of each department
    (处置)."""

    username: str
    display_name: str
    role: Role
    area_code: str
    unit_code: str | None = None


def desk_accounts() -> list[DeskAccount]:
    """The command chain's accounts, one per street command room and one per department."""
    rooms = [
        DeskAccount(f"desk-{plan.code}", f"{plan.name} 指挥室值班员", Role.STREET_OPERATOR, plan.code)
        for plan in STREETS
    ]
    handlers = [
        DeskAccount(f"desk-{code.lower()}", f"{name} 处置员", Role.DEPARTMENT_HANDLER, DISTRICT_CODE, code)
        for code, name in DEPARTMENTS
    ]
    return rooms + handlers


def _create_desk_accounts(session: Session) -> None:
    for desk in desk_accounts():
        account = accounts.create_account(
            session,
            username=desk.username,
            password=DEMO_PASSWORD,
            display_name=desk.display_name,
            is_demo=True,
        )
        unit_id = units.get_unit_by_code(session, desk.unit_code).id if desk.unit_code else None
        accounts.grant_role(
            session, account_id=account.id, role=desk.role, area_code=desk.area_code, unit_id=unit_id
        )


def _community_named(session: Session, name: str) -> str | None:
    found = areas.find_areas(session, name=name, level=AreaLevel.COMMUNITY)
    return found[0].code if found else None
