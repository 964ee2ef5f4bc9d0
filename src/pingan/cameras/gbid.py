"""GB/T 28181 20-digit device IDs (统一编码规则 A): validate one and explain what it says.

Positions (1-based): 1–8 centre code (province, city, district/county, grassroots unit: the administrative
area of the centre), 9–10 industry, 11–13 type, 14 network (2016 version), 15–20 serial. The type and
network tables are the standard's (shared/domain/video-gb28181.md); the industry table beyond ``00`` is not
verified and kept as data here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pingan.core.errors import ValidationFailed

LENGTH = 20

TYPES: dict[str, tuple[str, str]] = {
    "111": ("DVR", "DVR"),
    "112": ("视频服务器", "Video server"),
    "113": ("编码器", "Encoder"),
    "114": ("解码器", "Decoder"),
    "115": ("视频切换矩阵", "Video switching matrix"),
    "116": ("音频切换矩阵", "Audio switching matrix"),
    "117": ("报警控制器", "Alarm controller"),
    "118": ("网络视频录像机 NVR", "NVR"),
    "130": ("混合硬盘录像机 HVR", "HVR"),
    "131": ("摄像机", "Camera"),
    "132": ("网络摄像机 IPC", "IP camera"),
    "133": ("显示器", "Display"),
    "134": ("报警输入设备", "Alarm input"),
    "135": ("报警输出设备", "Alarm output"),
    "136": ("语音输入设备", "Audio input"),
    "137": ("语音输出设备", "Audio output"),
    "138": ("移动传输设备", "Mobile transmission device"),
    "139": ("其他外围设备", "Other peripheral"),
    "200": ("中心信令控制服务器", "Central signalling server (SIP platform)"),
    "201": ("Web 应用服务器", "Web server"),
    "202": ("媒体分发服务器", "Media distribution server"),
    "203": ("代理服务器", "Proxy server"),
    "204": ("安全服务器", "Security server"),
    "205": ("报警服务器", "Alarm server"),
    "206": ("数据库服务器", "Database server"),
    "207": ("GIS 服务器", "GIS server"),
    "208": ("管理服务器", "Management server"),
    "209": ("接入网关", "Access gateway"),
    "210": ("媒体存储服务器", "Media storage server"),
    "211": ("信令安全路由网关", "Signalling security gateway"),
    "215": ("业务分组", "Business group"),
    "216": ("虚拟组织", "Virtual organisation"),
    "300": ("中心用户", "Centre user"),
    "400": ("终端用户", "End user"),
}
CAMERA_TYPES = ("131", "132")  # front-end cameras (channels)
PARENT_TYPES = ("111", "112", "113", "118", "130")  # recorders and encoders cameras hang under
PLATFORM_TYPES = ("200",)  # a lower platform (下级平台)
VIDEO_TYPES = ("111", "112", "118", "131", "132")  # channels that carry video

NETWORKS: dict[str, tuple[str, str]] = {
    **{str(d): ("监控报警专网", "Surveillance private network") for d in range(5)},
    "5": ("公安信息网", "Police information network"),
    "6": ("政务网", "E-government network"),
    "7": ("互联网", "Internet"),
    "8": ("社会资源接入网", "Social-resource access network"),
    "9": ("预留", "Reserved"),
}

# industry codes (positions 9–10): only 00 is verified; the rest follows common practice (data, not rules)
INDUSTRIES: dict[str, tuple[str, str]] = {
    "00": ("社会治安路面接入", "Public security: street"),
    "01": ("社会治安社区接入", "Public security: community"),
    "02": ("社会治安内部接入", "Public security: internal"),
    "03": ("社会治安其他接入", "Public security: other"),
    "04": ("交通路面接入", "Traffic: road"),
    "05": ("交通卡口接入", "Traffic: checkpoint"),
    "06": ("交通内部接入", "Traffic: internal"),
    "07": ("交通其他接入", "Traffic: other"),
    "08": ("城市管理接入", "City management"),
    "09": ("卫生环保接入", "Health and environment"),
    "10": ("商检海关接入", "Inspection and customs"),
    "11": ("教育部门接入", "Education"),
}

# administrative areas the district's IDs name (GB/T 2260); others are explained by their code alone
AREAS: dict[str, tuple[str, str]] = {
    "33": ("浙江省", "Zhejiang"),
    "3301": ("杭州市", "Hangzhou"),
    "330108": ("滨江区", "Binjiang District"),
}


@dataclass(frozen=True)
class GbId:
    """What a 20-digit ID says."""

    gb_id: str
    centre_code: str  # positions 1–8
    province: str
    city: str
    district: str
    grassroots: str  # 基层接入单位, 00 if none
    area_code: str  # the administrative area (GB/T 2260) of the centre, 2–6 digits
    area_name_zh: str
    area_name_en: str
    industry: str
    industry_zh: str
    industry_en: str
    type_code: str
    type_zh: str
    type_en: str
    role: str  # camera | parent | platform | other
    network: str
    network_zh: str
    network_en: str
    serial: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _refuse(reason: str, field: str) -> ValidationFailed:
    return ValidationFailed(f"GB/T 28181 ID: {reason}", field=field)


def validate(value: object, *, field: str = "gb_id") -> str:
    """The ID as 20 digits, or ValidationFailed naming ``field`` with the reason (length, digits, area,
    type code)."""
    raw = str(value if value is not None else "").strip()
    if len(raw) != LENGTH:
        raise _refuse(f"must have 20 digits (has {len(raw)} characters)", field)
    if not raw.isascii() or not raw.isdigit():
        raise _refuse("must have digits only", field)
    if raw[:2] == "00" or raw[2:4] == "00" and raw[4:6] != "00":
        raise _refuse(f"centre code {raw[:8]} names no administrative area (province or city 00)", field)
    if raw[10:13] not in TYPES:
        raise _refuse(f"type code {raw[10:13]} (digits 11–13) is not a type of the standard", field)
    return raw


def _area(code: str) -> tuple[str, str, str]:
    """The administrative area of a 6-digit code: its own name when known, else the nearest known parent's
    name with the code (``浙江省杭州市 330109``), else the code alone."""
    significant = code[:2] if code[2:] == "0000" else code[:4] if code[4:] == "00" else code
    if significant in AREAS:
        zh, en = AREAS[significant]
        return significant, zh, en
    for length in (4, 2):
        if code[:length] in AREAS:
            zh, en = AREAS[code[:length]]
            return significant, f"{zh} {code}", f"{en} {code}"
    return significant, code, code


def role_of(type_code: str) -> str:
    """camera, parent (recorders, encoders), platform or other."""
    if type_code in CAMERA_TYPES:
        return "camera"
    if type_code in PARENT_TYPES:
        return "parent"
    if type_code in PLATFORM_TYPES:
        return "platform"
    return "other"


def explain(value: object, *, field: str = "gb_id") -> GbId:
    """Validate an ID and decode it: centre code with its administrative area, industry, type, network and
    serial (ValidationFailed naming ``field`` and the reason for a malformed one)."""
    gb = validate(value, field=field)
    area_code, area_zh, area_en = _area(gb[:6])
    industry = gb[8:10]
    industry_zh, industry_en = INDUSTRIES.get(industry, ("其他行业", "Other industry"))
    type_zh, type_en = TYPES[gb[10:13]]
    network_zh, network_en = NETWORKS[gb[13]]
    return GbId(
        gb_id=gb,
        centre_code=gb[:8],
        province=gb[:2],
        city=gb[2:4],
        district=gb[4:6],
        grassroots=gb[6:8],
        area_code=area_code,
        area_name_zh=area_zh,
        area_name_en=area_en,
        industry=industry,
        industry_zh=industry_zh,
        industry_en=industry_en,
        type_code=gb[10:13],
        type_zh=type_zh,
        type_en=type_en,
        role=role_of(gb[10:13]),
        network=gb[13],
        network_zh=network_zh,
        network_en=network_en,
        serial=gb[14:],
    )


def make(centre: str, industry: str, type_code: str, network: str, serial: int) -> str:
    """An ID from its parts (the demo, tests): centre 8 digits, industry 2, type 3, network 1, serial."""
    return validate(f"{centre:0<8}{industry:0>2}{type_code}{network}{serial:06d}")
