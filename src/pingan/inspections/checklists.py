"""The checklists the module ships (version 1 of each), as data: items with a severity, the hazard type a
failure raises and the legal basis or standard clause it rests on. A district edits them by publishing a new
version (``service.publish_checklist``); visits keep the version they answered."""

from __future__ import annotations

from typing import Any

SEVERITIES = ("minor", "major", "critical")
RESULTS = ("pass", "fail", "na")

_GAS_RULES = "《城镇燃气管理条例》"
_ZJ_GAS = "《浙江省燃气管理条例》"
_FIRE_LAW = "《中华人民共和国消防法》"
_EBIKE = "《高层民用建筑消防安全管理规定》第三十七条"


def _item(code: str, zh: str, en: str, severity: str, hazard_type: str, basis: str) -> dict[str, Any]:
    return {
        "code": code,
        "text_zh": zh,
        "text_en": en,
        "severity": severity,
        "hazard_type": hazard_type,
        "basis": basis,
    }


_CYLINDERS = [
    _item(
        "gas.storage",
        "钢瓶存放于通风良好的专用区域，不与明火同室",
        "Cylinders stored in a ventilated area away from open flame",
        "critical",
        "gas",
        f"{_GAS_RULES}第二十八条；GB 50028-2006 第8.6节",
    ),
    _item(
        "gas.count",
        "存放钢瓶不超过核定数量（实瓶不超过2瓶）",
        "No more cylinders kept than allowed (at most 2 full)",
        "major",
        "gas",
        f"{_ZJ_GAS}第三十六条",
    ),
    _item(
        "gas.hose",
        "连接软管为金属波纹管或专用软管，无老化、龟裂，长度不超过2米",
        "Hose is armoured or approved, not aged or cracked, at most 2 m",
        "critical",
        "gas",
        "GB 50028-2006 第10.2.8条",
    ),
    _item(
        "gas.valve",
        "使用合格减压阀，无私接三通",
        "Approved regulator, no improvised tee joints",
        "major",
        "gas",
        "GB 35844-2018",
    ),
    _item(
        "gas.alarm",
        "安装可燃气体泄漏报警装置并联动切断阀",
        "Gas leak alarm installed and linked to a shut-off valve",
        "critical",
        "gas",
        f"{_ZJ_GAS}第四十条；GB 50493-2019",
    ),
    _item(
        "gas.vent",
        "用气场所通风良好，排风设施正常",
        "Good ventilation where gas is used; extraction working",
        "major",
        "gas",
        "GB 50028-2006 第10.5.3条",
    ),
    _item(
        "gas.label",
        "钢瓶来自合法供应企业并有追溯标签",
        "Cylinders from a licensed supplier, with a traceability tag",
        "major",
        "gas",
        f"{_GAS_RULES}第二十五条",
    ),
    _item(
        "gas.extinguisher",
        "配备灭火器并在有效期内",
        "Extinguisher present and within date",
        "minor",
        "fire",
        f"{_FIRE_LAW}第十六条",
    ),
]

_LPG_OUTLET = [
    _item(
        "lpg.licence",
        "持有有效燃气经营许可证",
        "Valid gas business licence shown",
        "critical",
        "gas",
        f"{_GAS_RULES}第十五条",
    ),
    _item(
        "lpg.no_filling",
        "无违规倒灌、充装行为",
        "No decanting or filling on the premises",
        "critical",
        "gas",
        f"{_GAS_RULES}第十八条",
    ),
    _item(
        "lpg.store_room",
        "瓶库为独立建筑，防爆电气，门窗外开",
        "Store room separate, explosion-proof wiring, doors open outward",
        "critical",
        "gas",
        "GB 50028-2006 第8.6.4条",
    ),
    _item(
        "lpg.ledger",
        "实名销售台账完整，钢瓶可追溯",
        "Real-name sales ledger complete, cylinders traceable",
        "major",
        "gas",
        f"{_ZJ_GAS}第三十三条",
    ),
    _item(
        "lpg.alarm",
        "瓶库安装可燃气体报警器",
        "Gas detector in the store room",
        "critical",
        "gas",
        "GB 50493-2019",
    ),
    _item(
        "lpg.delivery",
        "配送车辆及人员持证",
        "Delivery vehicles and staff certified",
        "major",
        "gas",
        "《危险货物道路运输安全管理办法》",
    ),
    _item(
        "lpg.extinguisher",
        "配备足量干粉灭火器",
        "Enough dry-powder extinguishers",
        "major",
        "fire",
        "GB 50140-2005",
    ),
]

_RENTAL = [
    _item(
        "fire.exit",
        "疏散通道、安全出口畅通，无堆放杂物",
        "Escape routes and exits clear of storage",
        "critical",
        "fire",
        f"{_FIRE_LAW}第二十八条",
    ),
    _item(
        "fire.ebike",
        "电动自行车未在室内、楼道停放或充电",
        "No e-bikes parked or charged indoors or in stairwells",
        "critical",
        "fire",
        _EBIKE,
    ),
    _item(
        "fire.wiring",
        "电气线路穿管保护，无私拉乱接",
        "Wiring in conduit, no improvised connections",
        "major",
        "electric",
        "GB 50016-2014 第10.2节",
    ),
    _item(
        "fire.extinguisher",
        "每层配备灭火器且在有效期内",
        "Extinguishers on every floor, within date",
        "major",
        "fire",
        "GB 50140-2005",
    ),
    _item(
        "fire.alarm",
        "安装独立式感烟火灾探测报警器",
        "Stand-alone smoke alarms fitted",
        "major",
        "fire",
        "《浙江省出租房屋消防安全管理规定》",
    ),
    _item(
        "fire.window",
        "窗户无影响逃生的防盗窗",
        "No fixed burglar bars blocking escape windows",
        "major",
        "fire",
        f"{_FIRE_LAW}第二十八条",
    ),
    _item(
        "fire.register",
        "租住人员登记信息完整",
        "Tenant register complete",
        "minor",
        "fire",
        "《浙江省流动人口居住登记条例》",
    ),
]

_THREE_IN_ONE = [
    _item(
        "tio.separation",
        "住宿与生产经营储存区域实体墙分隔",
        "Living quarters separated from work and storage by a solid wall",
        "critical",
        "fire",
        "GA 703-2007 第5.1条",
    ),
    _item(
        "tio.exit",
        "住宿区有独立疏散通道",
        "Living quarters have their own escape route",
        "critical",
        "fire",
        "GA 703-2007 第5.3条",
    ),
    *[i for i in _RENTAL if i["code"] in ("fire.ebike", "fire.wiring", "fire.extinguisher")],
]

_SMALL_VENUE = [
    _item(
        "fire.exit",
        "疏散通道、安全出口畅通",
        "Escape routes and exits clear",
        "critical",
        "fire",
        f"{_FIRE_LAW}第二十八条",
    ),
    _item(
        "venue.lights",
        "应急照明和疏散指示标志完好",
        "Emergency lights and exit signs working",
        "major",
        "fire",
        "GB 51309-2018",
    ),
    _item(
        "fire.extinguisher",
        "灭火器配置到位且在有效期内",
        "Extinguishers present and within date",
        "major",
        "fire",
        "GB 50140-2005",
    ),
    _item(
        "fire.wiring",
        "电气线路规范，无超负荷用电",
        "Wiring sound, no overloaded sockets",
        "major",
        "electric",
        "GB 50016-2014 第10.2节",
    ),
    _item(
        "venue.decor",
        "装修材料符合防火要求",
        "Fit-out materials meet fire ratings",
        "minor",
        "fire",
        "GB 50222-2017",
    ),
]

_CONSTRUCTION = [
    _item(
        "site.hot_work",
        "动火作业审批并有监护人",
        "Hot work permitted and watched",
        "critical",
        "construction",
        "GB 50720-2011 第6.3条",
    ),
    _item(
        "site.scaffold",
        "脚手架搭设验收合格",
        "Scaffolding inspected and accepted",
        "critical",
        "construction",
        "JGJ 130-2011",
    ),
    _item(
        "site.edges", "临边洞口防护到位", "Edges and openings guarded", "major", "construction", "JGJ 80-2016"
    ),
    _item(
        "site.power",
        "临时用电三级配电两级保护",
        "Temporary power with three-level distribution and RCDs",
        "major",
        "electric",
        "JGJ 46-2005",
    ),
    _item(
        "site.dorm",
        "工人宿舍无违规用电、电动车充电",
        "No illicit appliances or e-bike charging in workers' dorms",
        "major",
        "fire",
        "GB 50720-2011 第5.2条",
    ),
    _item(
        "site.gas",
        "工地食堂液化气使用规范",
        "Site canteen uses bottled gas safely",
        "major",
        "gas",
        f"{_GAS_RULES}第二十八条",
    ),
]

BUILTIN: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "lpg_outlet": ("瓶装燃气供应点检查表", "LPG outlet checklist", _LPG_OUTLET),
    "restaurant": ("餐饮场所瓶装燃气检查表", "Restaurant bottled-gas checklist", _CYLINDERS),
    "rental_building": ("出租房屋消防安全检查表", "Rental building fire-safety checklist", _RENTAL),
    "three_in_one": ("“三合一”场所检查表", "Three-in-one premises checklist", _THREE_IN_ONE),
    "small_venue": ("九小场所消防安全检查表", "Small venue fire-safety checklist", _SMALL_VENUE),
    "construction_site": ("建筑工地安全检查表", "Construction site safety checklist", _CONSTRUCTION),
}
