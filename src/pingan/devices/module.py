"""The devices spine module's declaration: the one register of devices that report liveness, its sweep job
(offline, outage cases), its API, CLI, wall tile and staff page."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, CliGroup, Job, Module, NavLink, WallTile

MODULE = Module(
    name="devices",
    title_zh="设备",
    title_en="Devices",
    depends=("cases",),
    spine=True,
    api_routers=(ApiRouter("pingan.devices.api:router"),),
    page_routers=(ApiRouter("pingan.devices.pages:router"),),
    cli=(CliGroup("devices", "pingan.devices.cli:devices_app"),),
    models=("pingan.devices.models",),
    jobs=(Job("devices.sweep", 60.0, "pingan.devices.sweep:sweep_job"),),
    wall_tiles=(WallTile("devices", "设备在线率", "Devices online", "pingan.devices.tiles:online_tile"),),
    nav=(
        NavLink(
            "/devices",
            "设备",
            "Devices",
            roles=("district_admin", "street_operator", "grid_worker", "liaison_cadre"),
        ),
    ),
    templates="pingan.devices:templates",
    migrations="devices",
)
