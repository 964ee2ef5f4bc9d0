"""The grids module's declaration: registers of buildings, households, residents and key places, grid staff,
visits, tasks, opinions and party branches."""

from __future__ import annotations

from pingan.core.modules import ApiLink, ApiRouter, AreaPanel, CliGroup, Module, NavLink
from pingan.grids.placetypes import BUILTIN as BUILTIN_PLACE_TYPES

MODULE = Module(
    name="grids",
    title_zh="网格",
    title_en="Grids",
    depends=("cases",),
    api_routers=(ApiRouter("pingan.grids.api:router"), ApiRouter("pingan.grids.api:party_router")),
    api_links=tuple(
        ApiLink(f"/api/v1/grids/{things}", f"/api/v1/grids/{things}/{{{thing}_id}}", f"{thing}_id")
        for things, thing in (
            ("buildings", "building"),
            ("households", "household"),
            ("residents", "resident"),
            ("places", "place"),
            ("tasks", "task"),
            ("opinions", "opinion"),
        )
    ),
    page_routers=(ApiRouter("pingan.grids.pages:router"),),
    cli=(CliGroup("grids", "pingan.grids.cli:grids_app"),),
    models=("pingan.grids.models",),
    # the party branches draw their members from the grid staff: after them
    demo=("pingan.demo.grids:generate_grids_demo", "pingan.demo.party:generate_party_demo"),
    nav=(
        NavLink("/gridwork", "我的网格", "My grids", roles=("grid_worker", "liaison_cadre"), landing=True),
        NavLink(
            "/gridwork/coverage", "走访覆盖", "Visit coverage", roles=("district_admin", "street_operator")
        ),
    ),
    # the area page's figures of registered households and key places, and the area's staff
    area_panels=(AreaPanel("registers", "pingan.grids.pages:area_panel", "grids_area_panel.html"),),
    address_locators=("pingan.grids.geocode:locate_address",),  # reports with an address and no point
    place_types=BUILTIN_PLACE_TYPES,  # the one register of places; other modules add theirs the same way
    templates="pingan.grids:templates",  # its pages' templates (they extend the shared base.html)
    migrations="grids",
)
