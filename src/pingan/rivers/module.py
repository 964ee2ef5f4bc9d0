"""The rivers module's declaration (issue 18, 五水共治 / 河长制): rivers, segments, chiefs, water-quality
stations (devices of the kind ``water_station``), readings by HTTP batch, NGSI-LD and MQTT, GB 3838-2002
classes and alerts that raise cases through the cases spine."""

from __future__ import annotations

from pingan.core.modules import ApiRouter, CaseCategory, CliGroup, DeviceKind, Module, NavLink, WallTile

QUALITY_CATEGORY = "1001"  # 河道水质超标(监测), under the major class 10 生态环境与河道
STATION_CATEGORY = "1004"  # a silent station (the devices spine's outage case)
STATION_KIND = "water_station"

MODULE = Module(
    name="rivers",
    title_zh="河道水质",
    title_en="Rivers",
    depends=("cases", "devices"),
    api_routers=(ApiRouter("pingan.rivers.api:router"),),
    page_routers=(ApiRouter("pingan.rivers.pages:router"),),
    cli=(CliGroup("rivers", "pingan.rivers.cli:rivers_app"),),
    models=("pingan.rivers.models",),
    demo=("pingan.rivers.demo:generate",),
    case_categories=(
        CaseCategory(QUALITY_CATEGORY, "河道水质超标(监测)", "River quality breach (sensor)", "high", False),
        CaseCategory(STATION_CATEGORY, "水质监测站离线", "Water-quality station silent", "normal", False),
    ),
    # an automatic station reports hourly or more often: offline after 2 h silent, one case after 6 h
    device_kinds=(
        DeviceKind(STATION_KIND, "水质监测站", "Water-quality station", 7200, STATION_CATEGORY, 21600),
    ),
    wall_tiles=(
        WallTile("rivers", "水质达标站", "Stations meeting target", "pingan.rivers.views:wall_tile"),
    ),
    nav=(
        NavLink(
            "/rivers",
            "河道水质",
            "Rivers",
            roles=("district_admin", "street_operator", "grid_worker", "liaison_cadre", "sector_clerk"),
        ),
    ),
    templates="pingan.rivers:templates",
    migrations="rivers",
)
