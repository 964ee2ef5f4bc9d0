"""The inspections module's declaration: campaigns, checklists, visits, hazards (cases) and their reports."""

from __future__ import annotations

from pingan.core.modules import (
    ApiRouter,
    CaseCategory,
    CasePanel,
    CliGroup,
    Module,
    NavLink,
    PlaceType,
    VerificationCheck,
    WallTile,
)

# One case category per hazard type, under the spine's major class of its kind (03 施工, 07 消防, 08 燃气).
HAZARD_CATEGORIES: dict[str, CaseCategory] = {
    "fire": CaseCategory("0710", "消防安全隐患（排查）", "Fire hazard (inspection)", "high", False),
    "electric": CaseCategory("0711", "用电安全隐患（排查）", "Electrical hazard (inspection)", "high", False),
    "gas": CaseCategory("0810", "燃气安全隐患（排查）", "Gas hazard (inspection)", "high", False),
    "construction": CaseCategory(
        "0310", "施工安全隐患（排查）", "Construction safety hazard (inspection)", "high", False
    ),
}
THREE_IN_ONE = "three_in_one"  # 三合一场所: living, storage and business under one roof
ILLEGAL_LPG_SITE = "illegal_lpg_site"  # 非法瓶装燃气点: a target of joint enforcement

MODULE = Module(
    name="inspections",
    title_zh="隐患排查",
    title_en="Inspections",
    depends=("cases", "grids"),  # grids: the one register of places inspected
    api_routers=(ApiRouter("pingan.inspections.api:router"),),
    page_routers=(ApiRouter("pingan.inspections.pages:router"),),
    cli=(CliGroup("inspections", "pingan.inspections.cli:inspections_app"),),
    models=("pingan.inspections.models",),
    demo=("pingan.inspections.demo:generate",),
    wall_tiles=(WallTile("inspections", "未整改隐患", "Open hazards", "pingan.inspections.stats:wall_tile"),),
    nav=(
        NavLink(
            "/inspections/check",
            "排查",
            "Inspect",
            roles=("district_admin", "street_operator", "grid_worker"),
        ),
        NavLink("/inspections", "排查进度", "Inspection board", roles=("district_admin", "street_operator")),
        NavLink(
            "/inspections/operations",
            "联合执法",
            "Joint enforcement",
            roles=("district_admin", "street_operator"),
        ),
    ),
    case_categories=tuple(HAZARD_CATEGORIES.values()),
    place_types=(
        PlaceType(THREE_IN_ONE, "三合一场所", "Three-in-one premises"),
        PlaceType(ILLEGAL_LPG_SITE, "非法瓶装燃气点", "Illegal LPG site"),
    ),
    # the staff case page warns of a case at a previously closed illegal LPG site
    case_panels=(
        CasePanel("lpg_watch", "inspections_case_panel.html", "pingan.inspections.enforcement:case_panel"),
    ),
    # a hazard's case is verified (核查) by a passing re-inspection of its failed items, nothing else
    verification_checks=(
        VerificationCheck(
            tuple(c.code for c in HAZARD_CATEGORIES.values()), "pingan.inspections.hazards:verification_check"
        ),
    ),
    templates="pingan.inspections:templates",
    migrations="inspections",
)
