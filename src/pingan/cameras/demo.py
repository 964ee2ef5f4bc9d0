"""Demo cameras: ~4,500 public-security cameras along the district's roads (the named arteries and the
community streets that bound the grids), under ~150 NVRs and a lower platform per street, with GB/T 28181 IDs
under Binjiang's codes (330108…), and a week of liveness history with realistic outages: short drops,
a few cameras dark for days, whole NVRs going down (one still down now, one case for it). Deterministic for a
seed; the week is placed before now. Bulk inserts; the devices spine gets the register, the history and the
current state, and one sweep turns the current outages into maintenance cases."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.pii import get_protector
from pingan.devices import interface as devices

from . import gbid
from .models import Camera, VideoPlatform
from .module import CAMERA, MODULE, PARENT

Step = Callable[[str, float], None]
ROAD_CAMERAS = 2050
STREET_CAMERAS = 2550
PER_NVR = 30
LINK = "https://vms.binjiang.example/preview?channel={gb_id}&device={parent_gb_id}"
OWNERS = {
    "00": "杭州市公安局滨江区分局",
    "01": "{street}办事处",
    "04": "滨江区交警大队",
    "08": "滨江区城市管理局",
}
MAKES = (
    ("海康威视", "DS-2CD3T46"),
    ("大华", "DH-IPC-HFW4433"),
    ("宇视", "IPC-B314"),
    ("海康威视", "DS-2DE4425IW"),
)
HOUR = 3600.0


def generate(session: Session, *, seed: int, step: Step | None = None) -> None:
    """The demo cameras, parents, platform, liveness history and current outages."""
    report = step or (lambda _label, _share: None)
    rng = random.Random(seed + 1728)  # its own generator
    now = utcnow().replace(second=0, microsecond=0)
    report("cameras", 0.0)
    platform_id = _platform(session)
    streets = areas.list_areas(session, level=AreaLevel.STREET)
    if not streets:
        return
    points = _positions(session, rng)
    report("cameras", 0.2)
    rows, parents = _rows(session, rng, points, streets, platform_id, now)
    session.execute(insert(Camera), rows)
    report("cameras", 0.4)
    _register(session, rows)
    report("cameras", 0.6)
    _history(session, rng, rows, parents, now)
    report("cameras", 0.9)
    kinds = {kind.code: kind for kind in MODULE.device_kinds}
    devices.sweep(session, now, kinds)
    report("cameras", 1.0)


def _platform(session: Session) -> int:
    platform = VideoPlatform(
        code="binjiang-vms",
        name="滨江区视频监控联网平台",
        gb_id=gbid.make("33010800", "00", "200", "0", 1),
        link_template=LINK,
    )
    session.add(platform)
    session.flush()
    return platform.id


def _positions(session: Session, rng: random.Random) -> list[tuple[float, float, float, str, str]]:
    """(lon, lat, direction, road name, kind) of each camera: along the named roads in clusters at
    intersections and stretches (some stretches left unseen), and along the grids' bounding streets."""
    out: list[tuple[float, float, float, str, str]] = []
    roads = areas.road_lines(session)
    total = sum(_len_m(line) for _, _, line in roads) or 1.0
    for name, _kind, line in roads:
        share = _len_m(line) / total
        out.extend(_along(rng, line, int(ROAD_CAMERAS * share), name, "road", gaps=True))
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    shapes = [(g, areas.geometry_of(g)) for g in grids]
    rings = [(g, s.exterior if hasattr(s, "exterior") else s.boundary) for g, s in shapes if s is not None]
    per = STREET_CAMERAS / max(len(rings), 1)
    for i, (grid, ring) in enumerate(rings):
        n = int(per * (i + 1)) - int(per * i)
        out.extend(_along(rng, LineString(ring.coords), n, f"{grid.name}周边道路", "street", gaps=False))
    return out


def _len_m(line: BaseGeometry) -> float:
    lat = line.centroid.y
    scaled = shapely.affinity.scale(line, xfact=math.cos(math.radians(lat)), yfact=1.0, origin=(0, 0))
    return float(scaled.length) * 111_320.0


def _along(
    rng: random.Random, line: BaseGeometry, n: int, name: str, kind: str, *, gaps: bool
) -> list[tuple[float, float, float, str, str]]:
    parts = list(getattr(line, "geoms", [line]))
    out: list[tuple[float, float, float, str, str]] = []
    if n <= 0:
        return out
    lengths = [p.length for p in parts]
    whole = sum(lengths) or 1.0
    skip = [(rng.random(), 0.04 + 0.05 * rng.random()) for _ in range(3 if gaps else 0)]
    tries = 0
    while len(out) < n and tries < n * 20:
        tries += 1
        at = rng.random()
        if any(start <= at <= start + width for start, width in skip):
            continue  # a stretch without cameras (for the coverage gaps)
        position, index = at * whole, 0
        while index < len(parts) - 1 and position > lengths[index]:
            position -= lengths[index]
            index += 1
        part = parts[index]
        p = part.interpolate(position)
        q = part.interpolate(min(position + 1e-4, part.length))
        if p.equals(q):
            q = part.interpolate(max(position - 1e-4, 0.0))
        bearing = math.degrees(math.atan2((q.x - p.x) * math.cos(math.radians(p.y)), q.y - p.y)) % 360
        facing = (bearing + (180 if rng.random() < 0.5 else 0) + rng.uniform(-20, 20)) % 360
        side = (bearing + (90 if rng.random() < 0.5 else -90)) % 360
        offset = rng.uniform(4, 18)
        lon = p.x + offset * math.sin(math.radians(side)) / (111_320.0 * math.cos(math.radians(p.y)))
        lat = p.y + offset * math.cos(math.radians(side)) / 111_320.0
        out.append((lon, lat, facing, name, kind))
    return out


def _rows(
    session: Session,
    rng: random.Random,
    points: list[tuple[float, float, float, str, str]],
    streets: list[Any],
    platform_id: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], dict[int, list[int]]]:
    """Register rows (parents first, explicit ids) and the children of each NVR (row indexes)."""
    located = areas.locate_many(session, lon=[p[0] for p in points], lat=[p[1] for p in points])
    placed = [(p, found) for p, found in zip(points, located, strict=True) if found is not None]
    placed.sort(key=lambda pf: (pf[1].grid.code, pf[0][3]))
    next_id = (session.scalar(select(func.max(Camera.id))) or 0) + 1
    protector = get_protector(demo=True)
    rows: list[dict[str, Any]] = []
    serial = {"200": 1, "118": 0, "132": 0, "131": 0}
    street_no = {s.code: f"{i + 1:02d}" for i, s in enumerate(streets)}
    street_platform: dict[str, int] = {}
    for street in streets:  # a lower platform per street (its command centre's)
        serial["200"] += 1
        code = gbid.make(f"330108{street_no[street.code]}", "00", "200", "0", serial["200"])
        street_platform[street.code] = next_id
        rows.append(
            _row(next_id, code, f"{street.name}视频监控平台", None, platform_id, street.code, None, now)
        )
        next_id += 1
    children: dict[int, list[int]] = {}
    groups: dict[str, list[tuple[Any, Any]]] = {}
    for p, found in placed:
        street = found.street.code if found.street else streets[0].code
        groups.setdefault(street, []).append((p, found))
    cams: list[dict[str, Any]] = []
    for street, members in groups.items():
        for start in range(0, len(members), PER_NVR):
            chunk = members[start : start + PER_NVR]
            serial["118"] += 1
            first = chunk[0][1].grid.code
            nvr_code = gbid.make(f"330108{street_no[street]}", "00", "118", "0", serial["118"])
            nvr_id = next_id
            next_id += 1
            nvr = _row(
                nvr_id,
                nvr_code,
                f"{chunk[0][0][3]} NVR-{serial['118']:03d}",
                street_platform[street],
                platform_id,
                first,
                None,
                now,
            )
            nvr["sip_password_enc"] = protector.encrypt(f"demo-{rng.getrandbits(48):012x}")
            rows.append(nvr)
            children[nvr_id] = []
            for (lon, lat, facing, road, kind), found in chunk:
                industry = (
                    rng.choices(("00", "04", "01", "08"), (70, 12, 12, 6))[0]
                    if kind == "road"
                    else rng.choices(("00", "01", "08"), (55, 35, 10))[0]
                )
                type_code = "131" if rng.random() < 0.08 else "132"
                serial[type_code] += 1
                network = "6" if industry == "08" else "0"
                code = gbid.make(
                    f"330108{street_no[street]}", industry, type_code, network, serial[type_code]
                )
                dome = rng.random() < 0.15
                make, model = MAKES[3] if dome else rng.choice(MAKES[:3])
                installed = date(2009, 6, 1) + timedelta(days=rng.randrange(0, 16 * 365))
                installed = min(installed, now.date() - timedelta(days=30))
                street_name = found.street.name if found.street else ""
                row = _row(
                    next_id,
                    code,
                    f"{road}{'球机' if dome else '枪机'}{serial[type_code]:05d}",
                    nvr_id,
                    platform_id,
                    found.grid.code,
                    (lon, lat),
                    now,
                )
                row.update(
                    direction_deg=None if dome else round(facing, 1),
                    fov_deg=360.0 if dome else float(rng.choice((54, 60, 75, 90, 105))),
                    range_m=float(rng.choice((120, 150, 200)))
                    if dome
                    else float(rng.choice((40, 60, 80, 100, 150))),
                    owner_unit=OWNERS[industry].format(street=street_name),
                    road=road,
                    place_name="",
                    install_date=installed,
                    contract_no=f"BJWB-{installed.year}-{rng.randrange(1, 40):03d}",
                    contract_expires_on=date(
                        now.year + rng.choice((-1, 0, 0, 1, 1, 2)), rng.randrange(1, 13), 28
                    ),
                    manufacturer=make,
                    model=model,
                )
                cams.append(row)
                children[nvr_id].append(next_id)
                next_id += 1
    return rows + cams, children


def _row(
    row_id: int,
    code: str,
    name: str,
    parent: int | None,
    platform: int,
    area: str,
    point: tuple[float, float] | None,
    now: datetime,
) -> dict[str, Any]:
    explained = gbid.explain(code)
    return {
        "id": row_id,
        "gb_id": code,
        "name": name[:200],
        "type_code": explained.type_code,
        "role": explained.role,
        "parent_id": parent,
        "platform_id": platform,
        "area_code": area,
        "lon": point[0] if point else None,
        "lat": point[1] if point else None,
        "crs": "wgs84",
        "direction_deg": None,
        "fov_deg": None,
        "range_m": None,
        "owner_unit": "杭州市公安局滨江区分局",
        "road": "",
        "place_name": "",
        "place_id": None,
        "install_date": date(2016, 8, 1),
        "contract_no": "",
        "contract_expires_on": None,
        "manufacturer": "",
        "model": "",
        "sip_password_enc": None,
        "created_at": now,
        "updated_at": now,
    }


def _register(session: Session, rows: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r["gb_id"] for r in rows}
    parents = [r for r in rows if r["role"] != "camera"]
    for kind, group in (
        (PARENT, [r for r in parents if r["parent_id"] is None]),
        (PARENT, [r for r in parents if r["parent_id"] is not None]),
        (CAMERA, [r for r in rows if r["role"] == "camera"]),
    ):
        devices.register_devices(
            session,
            kind,
            [
                {
                    "external_id": r["gb_id"],
                    "name": r["name"],
                    "area_code": r["area_code"],
                    "lon": r["lon"],
                    "lat": r["lat"],
                    "parent_kind": PARENT,
                    "parent_external_id": by_id.get(r["parent_id"]) if r["parent_id"] else None,
                    "attributes": {"type_code": r["type_code"], "owner_unit": r["owner_unit"]},
                }
                for r in group
            ],
        )


def _history(
    session: Session,
    rng: random.Random,
    rows: list[dict[str, Any]],
    children: dict[int, list[int]],
    now: datetime,
) -> None:
    """A week of outages (history), then each device's current state: heard now, or down since its outage."""
    week = now - timedelta(days=7)
    by_id = {r["id"]: r for r in rows}
    spans: dict[int, list[tuple[datetime, datetime | None]]] = {}

    def add(row_id: int, start: datetime, end: datetime | None) -> None:
        spans.setdefault(row_id, []).append((start, end))

    nvrs = sorted(children)
    down_now = rng.choice(nvrs)
    add(down_now, now - timedelta(hours=2, minutes=40), None)  # a whole NVR dark now: one case
    for nvr in rng.sample([n for n in nvrs if n != down_now], 6):  # NVRs that went down during the week
        start = week + timedelta(seconds=rng.uniform(0, 6.5 * 24 * HOUR))
        add(nvr, start, start + timedelta(seconds=rng.uniform(0.5, 8) * HOUR))
    for nvr_id, spans_of in list(spans.items()):
        for child in children.get(nvr_id, []):
            for start, end in spans_of:
                add(child, start, end)
    for row in rows:
        if row["role"] != "camera" or row["id"] in spans:
            continue
        if rng.random() < 0.012:  # dark for days, some still now (a maintenance case each)
            start = week + timedelta(seconds=rng.uniform(0, 6 * 24 * HOUR))
            add(row["id"], start, None if rng.random() < 0.6 else start + timedelta(days=rng.uniform(1, 3)))
            continue
        for _ in range(_poisson(rng, 0.35)):  # short drops: network, power, reboots
            start = week + timedelta(seconds=rng.uniform(0, 7 * 24 * HOUR - 600))
            length = min(rng.lognormvariate(math.log(25 * 60), 1.0), 10 * HOUR)
            end = start + timedelta(seconds=length)
            add(row["id"], start, end if end < now else None)
    history = []
    for row_id, list_of in spans.items():
        row = by_id[row_id]
        kind = CAMERA if row["role"] == "camera" else PARENT
        for start, end in sorted(list_of, key=lambda s: s[0]):
            history.append((kind, row["gb_id"], start, end))
    for kind in (PARENT, CAMERA):
        devices.import_outages(session, kind, [(g, s, e) for k, g, s, e in history if k == kind])
    ongoing = {(k, g): s for k, g, s, e in history if e is None}
    for kind in (PARENT, CAMERA):
        ids = [r["gb_id"] for r in rows if (CAMERA if r["role"] == "camera" else PARENT) == kind]
        devices.heard(session, kind, {g: now for g in ids if (kind, g) not in ongoing})
        down = {g: s for (k, g), s in ongoing.items() if k == kind}
        devices.heard(session, kind, down)  # last heard when the outage began …
        devices.went_offline(session, kind, down)  # … and down since


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
