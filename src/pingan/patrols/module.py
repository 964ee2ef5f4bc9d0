"""The patrols module's declaration: volunteers, shifts, GPS positions (OsmAnd/Traccar), dispatch to cases."""

from __future__ import annotations

from pingan.core.modules import (
    ApiLink,
    ApiRouter,
    CasePanel,
    CliGroup,
    DeviceKind,
    Figure,
    Module,
    NavLink,
    WallTile,
)

MODULE = Module(
    name="patrols",
    title_zh="巡防",
    title_en="Patrols",
    depends=("cases",),
    api_routers=(ApiRouter("pingan.patrols.api:router"), ApiRouter("pingan.patrols.osmand:router")),
    api_links=(
        ApiLink("/api/v1/patrols/volunteers", "/api/v1/patrols/volunteers/{volunteer_id}", "volunteer_id"),
    ),
    page_routers=(ApiRouter("pingan.patrols.pages:router"),),
    app_hooks=("pingan.patrols.osmand:install",),  # the hottest route first, as a plain route
    cli=(CliGroup("patrols", "pingan.patrols.cli:patrols_app"),),
    models=("pingan.patrols.models",),
    demo=("pingan.demo.patrols:generate_patrols",),
    wall_tiles=(
        WallTile(
            "patrols",
            "在岗巡防队员",
            "Patrollers on duty",
            "pingan.patrols.tiles:on_duty_tile",
            points_key="patrollers",
            toggle_zh="显示巡防队员",
            toggle_en="Show patrollers",
        ),
    ),
    case_panels=(CasePanel("patrols", "patrol_case_panel.html", "pingan.patrols.pages:case_panel"),),
    nav=(
        NavLink(
            "/patrols/roster",
            "巡防名册",
            "Patrol roster",
            roles=("district_admin", "street_operator", "grid_worker"),
        ),
        NavLink("/patrol", "我的巡防", "My patrol", roles=("patrol_volunteer",), landing=True),
    ),
    templates="pingan.patrols:templates",  # its pages' templates (they extend the shared base.html)
    # the volunteers' phones in the devices register (heard with every batch of fixes); off shift is no
    # outage: no outage cases and no outage history
    device_kinds=(
        DeviceKind("patrol_phone", "巡防手机", "Patrol phone", outage_category=None, keep_outages=False),
    ),
    # figures other modules read by name (pingan.core.figures), e.g. a major-event operation's board
    figures=(
        Figure(
            "patrols.turnouts", "巡防人次", "Patrol turn-outs", "pingan.patrols.figures:turnouts", "人次", ""
        ),
        Figure("patrols.hours", "巡防时长", "Patrol hours", "pingan.patrols.figures:hours", "小时", "h"),
    ),
    migrations="patrols",
)
