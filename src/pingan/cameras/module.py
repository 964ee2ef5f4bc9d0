"""The cameras module's declaration: the public video network (雪亮工程) — register of cameras and their
NVRs/platforms by GB/T 28181 ID, liveness through the devices spine (one case per outage, one per NVR),
online rate, view coverage, the cameras that see a case."""

from __future__ import annotations

from pingan.core.modules import (
    ApiRouter,
    CaseCategory,
    CasePanel,
    CliGroup,
    DeviceKind,
    Module,
    NavLink,
    WallTile,
)

CATEGORY = "1501"  # 视频监控离线 (major class 15 设施设备)
CAMERA = "camera"  # device kinds in the devices spine
PARENT = "camera_parent"  # NVR/DVR/encoders and lower platforms cameras hang under
# GB/T 28181: keepalive every 60 s, offline after 3 missed (shared/domain/video-gb28181.md)
KEEPALIVE_SECONDS = 60
KEEPALIVE_MISSED = 3
OUTAGE_AFTER_SECONDS = 3600  # an outage lasting an hour becomes a maintenance case
STAFF = ("district_admin", "street_operator", "grid_worker", "liaison_cadre")

MODULE = Module(
    name="cameras",
    title_zh="视频监控",
    title_en="Cameras",
    depends=("cases", "devices", "grids"),
    api_routers=(ApiRouter("pingan.cameras.api:router"),),
    page_routers=(ApiRouter("pingan.cameras.pages:router"),),
    cli=(CliGroup("cameras", "pingan.cameras.cli:cameras_app"),),
    models=("pingan.cameras.models",),
    demo=("pingan.cameras.demo:generate",),
    wall_tiles=(
        WallTile(
            "cameras",
            "视频在线率",
            "Camera online rate",
            "pingan.cameras.tiles:online_tile",
            points_key="cameras",
            toggle_zh="显示离线摄像机",
            toggle_en="Show offline cameras",
        ),
    ),
    case_panels=(CasePanel("cameras", "camera_case_panel.html", "pingan.cameras.pages:case_panel"),),
    nav=(NavLink("/cameras", "视频监控", "Cameras", roles=STAFF),),
    case_categories=(CaseCategory(CATEGORY, "视频监控离线", "Camera offline", is_public=False),),
    device_kinds=(
        DeviceKind(
            CAMERA,
            "摄像机",
            "Camera",
            offline_after_seconds=KEEPALIVE_SECONDS * KEEPALIVE_MISSED,
            outage_category=CATEGORY,
            outage_after_seconds=OUTAGE_AFTER_SECONDS,
        ),
        DeviceKind(
            PARENT,
            "录像机/下级平台",
            "NVR / lower platform",
            offline_after_seconds=KEEPALIVE_SECONDS * KEEPALIVE_MISSED,
            outage_category=CATEGORY,
            outage_after_seconds=OUTAGE_AFTER_SECONDS,
        ),
    ),
    templates="pingan.cameras:templates",
    migrations="cameras",
)
