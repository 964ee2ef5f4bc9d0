"""The declaration: everything Pingan needs to wire the street-lights module in."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, CaseCategory, DeviceKind, Module, NavLink, PlaceType, WallTile

PACKAGE = __name__.rsplit(".", 1)[0]
CATEGORY = "1409"  # under the major class 14 基础设施 of the cases spine
CABINET_PLACE = "lighting_cabinet"  # the place type it adds to the one register of places (grids)
CABINET = "streetlight_cabinet"  # the lights' control cabinets report liveness (pingan.devices.interface)

MODULE = Module(
    name="streetlights",
    title_zh="路灯",
    title_en="Street lights",
    depends=("cases", "grids"),  # grids: the register of places its cabinets are in
    api_routers=(ApiRouter(f"{PACKAGE}.api:router"),),
    page_routers=(ApiRouter(f"{PACKAGE}.pages:router"),),
    models=(f"{PACKAGE}.models",),
    demo=(f"{PACKAGE}.demo:generate",),
    wall_tiles=(
        WallTile("streetlights", "故障路灯", "Broken street lights", f"{PACKAGE}.service:wall_tile"),
    ),
    nav=(NavLink("/streetlights", "路灯", "Street lights", roles=("district_admin", "street_operator")),),
    case_categories=(CaseCategory(CATEGORY, "路灯损坏（台账）", "Street light broken (register)"),),
    place_types=(PlaceType(CABINET_PLACE, "路灯控制箱", "Street-light cabinet"),),
    # a cabinet silent for 10 min is offline; silent for 30 min, one case (snoozable) in CATEGORY
    device_kinds=(DeviceKind(CABINET, "路灯控制箱", "Light cabinet", 600, CATEGORY, 1800),),
    templates=f"{PACKAGE}:templates",
    migrations=None,  # a real module: its own labelled Alembic branch (docs/modules.md)
)
