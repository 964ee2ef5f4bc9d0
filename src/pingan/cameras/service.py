"""The register of cameras and their parents (NVR/DVR/encoders, lower platforms), by GB/T 28181 ID; the video
platforms that push status; and the plain functions the SIP endpoint calls (:func:`sip_password`,
:func:`record_heard`, :func:`apply_catalog`). Liveness lives in the devices spine (kinds ``camera`` and
``camera_parent``); this module registers its devices there and reports what it hears."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core import geo
from pingan.core.clock import as_utc, utcnow
from pingan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pingan.core.pii import get_protector
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role
from pingan.core.validation import check_text
from pingan.devices import interface as devices

from . import gbid
from .models import Camera, VideoPlatform
from .module import CAMERA, PARENT

READ_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)
WRITE_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
ADMIN_ROLES = (Role.DISTRICT_ADMIN,)
TEXT_FIELDS = {
    "name": 200,
    "owner_unit": 100,
    "road": 100,
    "place_name": 200,
    "contract_no": 64,
    "manufacturer": 100,
    "model": 100,
}
FIELDS = (
    "gb_id",
    "name",
    "parent_gb_id",
    "platform",
    "lon",
    "lat",
    "crs",
    "area_code",
    "direction_deg",
    "fov_deg",
    "range_m",
    "owner_unit",
    "road",
    "place_name",
    "install_date",
    "contract_no",
    "contract_expires_on",
    "manufacturer",
    "model",
    "sip_password",
)
MAX_RANGE_M = 2000.0


def kind_of(camera: Camera) -> str:
    """The devices-spine kind of a row: ``camera``, or ``camera_parent`` for what cameras hang under."""
    return CAMERA if camera.role == "camera" else PARENT


# --- checking one record ----------------------------------------------------------------------------------


def _number(
    values: Mapping[str, Any], name: str, low: float, high: float, *, low_open: bool = False
) -> float | None:
    raw = values.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a number", field=name) from None
    if number != number or number > high or number < low or (low_open and number == low):
        bound = f"({low:g}, {high:g}]" if low_open else f"[{low:g}, {high:g}]"
        raise ValidationFailed(f"{name} must lie in {bound}", field=name)
    return number


def _date(values: Mapping[str, Any], name: str) -> date | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise ValidationFailed(f"{name} must be a date (YYYY-MM-DD)", field=name) from None


def clean_record(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """A camera record's fields checked and normalised (ValidationFailed naming the first bad field). The
    position is converted to WGS-84 from ``crs`` (wgs84, gcj02, bd09). ``partial``: only the given fields."""
    out: dict[str, Any] = {}
    if not partial or "gb_id" in values:
        out["gb_id"] = gbid.validate(values.get("gb_id"), field="gb_id")
    for name, size in TEXT_FIELDS.items():
        if name in values or (not partial and name == "name"):
            text = check_text(str(values.get(name) or "").strip(), field=name)
            if len(text) > size:
                raise ValidationFailed(f"{name} has at most {size} characters", field=name)
            if name == "name" and not text:
                raise ValidationFailed("name is required", field="name")
            out[name] = text
    for name in ("parent_gb_id", "platform", "area_code"):
        if name in values:
            out[name] = str(values.get(name) or "").strip() or None
    if out.get("parent_gb_id"):
        out["parent_gb_id"] = gbid.validate(out["parent_gb_id"], field="parent_gb_id")
    if "lon" in values or "lat" in values:
        lon, lat = _number(values, "lon", -180, 180), _number(values, "lat", -90, 90)
        if (lon is None) != (lat is None):
            raise ValidationFailed("lon and lat go together", field="lon" if lon is None else "lat")
        crs = geo.parse_crs(str(values.get("crs") or "wgs84"), field="crs")
        if lon is not None and lat is not None:
            geo.validate_lonlat(lon, lat)
            lon, lat = geo.to_wgs84(lon, lat, crs)
        out.update(lon=lon, lat=lat, crs=crs.value)
    if "direction_deg" in values:
        out["direction_deg"] = _number(values, "direction_deg", 0, 360)
    if "fov_deg" in values:
        out["fov_deg"] = _number(values, "fov_deg", 0, 360, low_open=True)
    if "range_m" in values:
        out["range_m"] = _number(values, "range_m", 0, MAX_RANGE_M, low_open=True)
    for name in ("install_date", "contract_expires_on"):
        if name in values:
            out[name] = _date(values, name)
    if (
        out.get("install_date")
        and out.get("contract_expires_on")
        and out["contract_expires_on"] < out["install_date"]
    ):
        raise ValidationFailed("contract_expires_on lies before install_date", field="contract_expires_on")
    if values.get("sip_password"):
        password = str(values["sip_password"])
        if not 8 <= len(password) <= 64 or not password.isprintable():
            raise ValidationFailed("sip_password has 8–64 printable characters", field="sip_password")
        out["sip_password"] = password
    return out


# --- the register -----------------------------------------------------------------------------------------


def _camera(session: Session, gb_id: str) -> Camera | None:
    return session.scalar(select(Camera).where(Camera.gb_id == gb_id))


def get_camera(session: Session, actor: Actor, *, gb_id: str) -> Camera:
    """One register row in the actor's scope (NotFound otherwise)."""
    require_role(actor, *READ_ROLES)
    camera = _camera(session, gbid.validate(gb_id))
    if camera is None:
        raise NotFound(f"camera {gb_id} not found", field="gb_id")
    ensure_in_scope(actor, camera.area_code, what="camera", roles=READ_ROLES)
    return camera


def area_for(session: Session, item: dict[str, Any], parent: Camera | None) -> str:
    """The grid a record stands in: located from its point, else given, else its parent's."""
    if item.get("lon") is not None and item.get("lat") is not None:
        found = areas.locate(session, lon=item["lon"], lat=item["lat"])
        if found is None:
            raise ValidationFailed("lon/lat lie outside every grid of the district", field="lon")
        return found.grid.code
    if item.get("area_code"):
        try:
            areas.get_area(session, item["area_code"])
        except Exception:  # noqa: BLE001 - NotFound of the spine: named for this field
            raise ValidationFailed(
                f"area_code {item['area_code']} is not an area", field="area_code"
            ) from None
        return str(item["area_code"])
    if parent is not None:
        return parent.area_code
    raise ValidationFailed("give lon/lat (or area_code) for where the device stands", field="lon")


def _platform_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    found = session.scalar(select(VideoPlatform.id).where(VideoPlatform.code == code))
    if found is None:
        raise ValidationFailed(f"platform {code} is not a registered video platform", field="platform")
    return found


def find_parent(session: Session, gb_id: str | None) -> Camera | None:
    if not gb_id:
        return None
    parent = _camera(session, gb_id)
    if parent is None:
        raise ValidationFailed(f"parent {gb_id} is not in the register", field="parent_gb_id")
    if parent.role == "camera":
        raise ValidationFailed(
            f"parent {gb_id} is a camera, not an NVR/DVR or platform", field="parent_gb_id"
        )
    return parent


def save_camera(
    session: Session,
    actor: Actor,
    values: Mapping[str, Any],
    *,
    create: bool = True,
    gb_id: str | None = None,
) -> Camera:
    """Add a register row (``create``; a duplicate ID is a Conflict) or update the row ``gb_id`` with the
    given fields; the device is registered with the devices spine. Checked in the actor's scope."""
    require_role(actor, *WRITE_ROLES)
    item = clean_record(values, partial=not create)
    if create:
        if _camera(session, item["gb_id"]) is not None:
            raise Conflict(f"camera {item['gb_id']} is already registered", field="gb_id")
        camera = Camera(gb_id=item["gb_id"], created_at=utcnow())
    else:
        camera = get_camera(session, actor, gb_id=gb_id or "")
        ensure_in_scope(actor, camera.area_code, what="camera", roles=WRITE_ROLES)
        if "gb_id" in item and item["gb_id"] != camera.gb_id:
            raise ValidationFailed("gb_id cannot change (register the device anew)", field="gb_id")
    parent = find_parent(session, item.get("parent_gb_id")) if "parent_gb_id" in item else None
    if parent is not None and parent.gb_id == camera.gb_id:
        raise ValidationFailed("a device cannot be its own parent", field="parent_gb_id")
    apply_fields(session, camera, item, parent)
    if "lon" in item or "area_code" in item or create:
        camera.area_code = area_for(session, {**_position(camera), **item}, parent)
    check_write_scope(actor, camera.area_code)
    session.add(camera)
    session.flush()
    register_with_devices(session, [camera])
    return camera


def check_can_write(actor: Actor) -> None:
    """Forbidden unless the actor may change the register."""
    require_role(actor, *WRITE_ROLES)


def check_write_scope(actor: Actor, area_code: str) -> None:
    """Forbidden (naming the position) when a device would stand outside the actor's scope."""
    try:
        ensure_in_scope(actor, area_code, what="camera", roles=WRITE_ROLES)
    except NotFound:
        raise Forbidden(f"grid {area_code} lies outside your scope", field="lon") from None


def _position(camera: Camera) -> dict[str, Any]:
    return {"lon": camera.lon, "lat": camera.lat}


def apply_fields(session: Session, camera: Camera, item: dict[str, Any], parent: Camera | None) -> None:
    explained = gbid.explain(camera.gb_id)
    camera.type_code, camera.role = explained.type_code, explained.role
    for name, value in item.items():
        if name in ("gb_id", "parent_gb_id", "platform", "area_code", "sip_password"):
            continue
        setattr(camera, name, value)
    if "parent_gb_id" in item:
        camera.parent_id = parent.id if parent is not None else None
    if "platform" in item:
        camera.platform_id = _platform_id(session, item["platform"])
    elif camera.platform_id is None and parent is not None:
        camera.platform_id = parent.platform_id
    if item.get("sip_password"):
        camera.sip_password_enc = get_protector().encrypt(item["sip_password"])
    camera.updated_at = utcnow()


def register_with_devices(session: Session, cameras: Sequence[Camera]) -> None:
    """Register (upsert) register rows with the devices spine, parents first, each under its parent."""
    parents = {c.id: c.gb_id for c in cameras if c.role != "camera"}
    missing = {c.parent_id for c in cameras if c.parent_id and c.parent_id not in parents}
    if missing:
        parents.update(
            dict(session.execute(select(Camera.id, Camera.gb_id).where(Camera.id.in_(missing))).all())
        )
    for kind, group in (
        (PARENT, [c for c in cameras if c.role != "camera"]),
        (CAMERA, [c for c in cameras if c.role == "camera"]),
    ):
        if not group:
            continue
        devices.register_devices(
            session,
            kind,
            [
                {
                    "external_id": c.gb_id,
                    "name": c.name,
                    "area_code": c.area_code,
                    "lon": c.lon,
                    "lat": c.lat,
                    "place_id": c.place_id,
                    "parent_kind": PARENT,
                    "parent_external_id": parents.get(c.parent_id) if c.parent_id else None,
                    "attributes": {"type_code": c.type_code, "owner_unit": c.owner_unit},
                }
                for c in group
            ],
        )


def list_cameras(
    session: Session,
    actor: Actor,
    *,
    area: str | None = None,
    role: str | None = None,
    type_code: str | None = None,
    owner: str | None = None,
    q: str | None = None,
) -> Any:
    """The statement of register rows in the actor's scope with the filters, by ID (for a page)."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Camera), Camera.area_code, actor, roles=READ_ROLES)
    if area:
        if not area.isdigit() or len(area) > 20:
            raise ValidationFailed("area must be an area code (digits)", field="area")
        stmt = stmt.where(Camera.area_code.startswith(area, autoescape=True))  # lint-scope: ok (filter)
    if role:
        if role not in ("camera", "parent", "platform", "other"):
            raise ValidationFailed("role must be camera, parent, platform or other", field="role")
        stmt = stmt.where(Camera.role == role)
    if type_code:
        if type_code not in gbid.TYPES:
            raise ValidationFailed("type must be a GB/T 28181 type code (e.g. 132)", field="type")
        stmt = stmt.where(Camera.type_code == type_code)
    if owner:
        stmt = stmt.where(Camera.owner_unit == owner)
    if q:
        text = q.strip()[:100]
        stmt = stmt.where(
            or_(
                Camera.name.contains(text, autoescape=True),
                Camera.gb_id.startswith(text, autoescape=True),
                Camera.road.contains(text, autoescape=True),
            )
        )
    return stmt.order_by(Camera.gb_id)


def children_count(session: Session, camera: Camera) -> int:
    return session.scalar(select(func.count()).where(Camera.parent_id == camera.id)) or 0


def parent_gb_ids(session: Session, cameras: Iterable[Camera]) -> dict[int, str]:
    """The IDs of the parents of ``cameras`` (by parent row id)."""
    ids = {c.parent_id for c in cameras if c.parent_id}
    if not ids:
        return {}
    return dict(session.execute(select(Camera.id, Camera.gb_id).where(Camera.id.in_(ids))).all())


# --- video platforms --------------------------------------------------------------------------------------


def _token_columns(token: str) -> dict[str, Any]:
    protector = get_protector()
    return {
        "token_enc": protector.encrypt(token),
        "token_index": protector.blind_index("camera-platform:" + token),
    }


def check_link_template(template: str) -> str:
    """A link template opens video in the platform: http(s), with ``{gb_id}`` (and optionally
    ``{parent_gb_id}``), nothing else in braces."""
    text = (template or "").strip()
    if not text:
        return ""
    if len(text) > 500 or not text.startswith(("https://", "http://")):
        raise ValidationFailed(
            "link_template must be an http(s) URL of at most 500 characters", field="link_template"
        )
    try:
        text.format(gb_id="x", parent_gb_id="y")
    except (KeyError, IndexError, ValueError):
        raise ValidationFailed(
            "link_template may only use {gb_id} and {parent_gb_id}", field="link_template"
        ) from None
    return text


def create_platform(
    session: Session, actor: Actor, *, code: str, name: str, gb_id: str | None = None, link_template: str = ""
) -> tuple[VideoPlatform, str]:
    """Register a video platform; returns it and its push token (shown once)."""
    require_role(actor, *ADMIN_ROLES)
    code = check_text((code or "").strip(), field="code")
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed("code has 1–32 letters, digits, - or _", field="code")
    name = check_text((name or "").strip(), field="name")
    if not name or len(name) > 100:
        raise ValidationFailed("name has 1–100 characters", field="name")
    if session.scalar(select(VideoPlatform.id).where(VideoPlatform.code == code)) is not None:
        raise Conflict(f"platform {code} exists", field="code")
    token = secrets.token_urlsafe(24)
    platform = VideoPlatform(
        code=code,
        name=name,
        gb_id=gbid.validate(gb_id, field="gb_id") if gb_id else None,
        link_template=check_link_template(link_template),
        **_token_columns(token),
    )
    session.add(platform)
    session.flush()
    return platform, token


def rotate_platform_token(session: Session, actor: Actor, *, code: str) -> tuple[VideoPlatform, str]:
    """A new push token for a platform (the old one stops working)."""
    require_role(actor, *ADMIN_ROLES)
    platform = session.scalar(select(VideoPlatform).where(VideoPlatform.code == code))
    if platform is None:
        raise NotFound(f"platform {code} not found", field="code")
    token = secrets.token_urlsafe(24)
    for name, value in _token_columns(token).items():
        setattr(platform, name, value)
    session.flush()
    return platform, token


def platform_camera_count(session: Session, platform: VideoPlatform) -> int:
    """How many register rows the platform relays."""
    return session.scalar(select(func.count()).where(Camera.platform_id == platform.id)) or 0


def list_platforms(session: Session, actor: Actor) -> list[VideoPlatform]:
    require_role(actor, *READ_ROLES)
    return list(session.scalars(select(VideoPlatform).order_by(VideoPlatform.code)))


def platform_by_token(session: Session, token: str) -> VideoPlatform | None:
    """The platform a push token belongs to (None: no such token)."""
    if not token or len(token) > 200:
        return None
    index = get_protector().blind_index("camera-platform:" + token)
    return session.scalar(select(VideoPlatform).where(VideoPlatform.token_index == index))


def video_link(platform: VideoPlatform | None, camera: Camera, parent_gb_id: str | None = None) -> str | None:
    """The URL that opens the camera's video in its platform (None without a template)."""
    if platform is None or not platform.link_template:
        return None
    return platform.link_template.format(gb_id=quote(camera.gb_id), parent_gb_id=quote(parent_gb_id or ""))


# --- liveness pushed by a platform ------------------------------------------------------------------------


def push_status(
    session: Session, platform: VideoPlatform, items: Sequence[tuple[str, str, datetime]]
) -> dict[str, Any]:
    """A platform's batch of (gb_id, ON|OFF, when): ON is a hearing, OFF a reported outage, through the
    devices spine. IDs not in the register under this platform are answered back, not applied."""
    wanted = sorted({i[0] for i in items})
    known: dict[str, str] = {}
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            select(Camera.gb_id, Camera.role).where(
                Camera.gb_id.in_(wanted[start : start + 1000]), Camera.platform_id == platform.id
            )
        )
        known.update({g: (CAMERA if r == "camera" else PARENT) for g, r in rows})
    heard: dict[str, dict[str, datetime]] = {CAMERA: {}, PARENT: {}}
    down: dict[str, dict[str, datetime]] = {CAMERA: {}, PARENT: {}}
    for gb, status, at in items:
        if gb in known:
            target = heard if status == "ON" else down
            previous = target[known[gb]].get(gb)
            target[known[gb]][gb] = max(previous, at) if previous else at
    online = sum(devices.heard(session, kind, seen) for kind, seen in heard.items() if seen)
    offline = sum(devices.went_offline(session, kind, seen) for kind, seen in down.items() if seen)
    unknown = [g for g in wanted if g not in known]
    return {
        "received": len(items),
        "online": online,
        "offline": offline,
        "unknown": unknown[:100],
        "unknown_count": len(unknown),
    }


# --- what the SIP endpoint calls (through the integrator's adapter) ---------------------------------------


def sip_password(session: Session, gb_id: str) -> str | None:
    """The SIP digest password of a registered device (decrypted), or None: an unknown device, or one with no
    password of its own."""
    try:
        gb = gbid.validate(gb_id)
    except ValidationFailed:
        return None
    stored = session.scalar(select(Camera.sip_password_enc).where(Camera.gb_id == gb))
    if stored is None:
        return None
    return get_protector().decrypt(stored)


def record_heard(session: Session, gb_ids: Sequence[str], at: datetime) -> int:
    """Devices heard over SIP at ``at`` (REGISTER, keepalive, catalog): one batch through the devices spine.
    IDs not in the register are ignored; returns how many were recorded."""
    wanted = sorted({g for g in gb_ids if isinstance(g, str) and len(g) == 20 and g.isdigit()})
    when = as_utc(at)
    recorded = 0
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            select(Camera.gb_id, Camera.role).where(Camera.gb_id.in_(wanted[start : start + 1000]))
        )
        by_kind: dict[str, dict[str, datetime]] = {}
        for gb, role in rows:
            by_kind.setdefault(CAMERA if role == "camera" else PARENT, {})[gb] = when
        recorded += sum(devices.heard(session, kind, seen) for kind, seen in by_kind.items())
    return recorded


def apply_catalog(session: Session, parent_gb_id: str, items: Sequence[Mapping[str, object]]) -> int:
    """Upsert the devices of a MANSCDP Catalog response under the registered ``parent_gb_id``: each item's
    DeviceID, Name, Manufacturer, Model, ParentID (a registered parent, else ``parent_gb_id``), Status
    (ON: heard now; OFF: reported down), Longitude/Latitude (WGS-84) and PTZType (1, a dome: a 360° view).
    Items whose DeviceID is not a device
    ID (administrative-division nodes, business groups) are skipped. Returns how many were upserted."""
    parent = _camera(session, gbid.validate(parent_gb_id, field="parent_gb_id"))
    if parent is None:
        raise NotFound(f"device {parent_gb_id} is not in the register", field="parent_gb_id")
    now = utcnow()
    saved: list[Camera] = []
    status: dict[str, str] = {}
    for index, item in enumerate(items):
        try:
            gb = gbid.validate(item.get("DeviceID"), field=f"items[{index}].DeviceID")
        except ValidationFailed:
            continue
        if gbid.role_of(gb[10:13]) == "other" or gb == parent.gb_id:
            continue  # 215 business groups, 216 virtual organisations: catalog nodes, not devices
        camera = _camera(session, gb) or Camera(gb_id=gb, created_at=now, area_code=parent.area_code)
        _apply_item(session, camera, item, parent)
        session.add(camera)
        saved.append(camera)
        status[gb] = str(item.get("Status") or "").strip().upper()
    session.flush()
    register_with_devices(session, saved)
    for kind in (PARENT, CAMERA):
        group = [c.gb_id for c in saved if (c.role == "camera") == (kind == CAMERA)]
        devices.heard(session, kind, {g: now for g in group if status[g] == "ON"})
        devices.went_offline(session, kind, {g: now for g in group if status[g] == "OFF"})
    return len(saved)


def _apply_item(session: Session, camera: Camera, item: Mapping[str, object], parent: Camera) -> None:
    explained = gbid.explain(camera.gb_id)
    camera.type_code, camera.role = explained.type_code, explained.role
    for key, name, size in (
        ("Name", "name", 200),
        ("Manufacturer", "manufacturer", 100),
        ("Model", "model", 100),
    ):
        if item.get(key):
            setattr(camera, name, str(item[key]).strip()[:size])
    direct = str(item.get("ParentID") or "").strip()
    own = _camera(session, direct) if direct and direct != camera.gb_id else None
    chosen = own if own is not None and own.role != "camera" else parent
    camera.parent_id = chosen.id
    camera.platform_id = camera.platform_id or chosen.platform_id
    try:
        lon, lat = float(str(item.get("Longitude"))), float(str(item.get("Latitude")))
        geo.validate_lonlat(lon, lat)
    except (TypeError, ValueError, ValidationFailed):
        lon = lat = None  # type: ignore[assignment]
    if lon is not None and lat is not None and (lon, lat) != (0.0, 0.0):
        found = areas.locate(session, lon=lon, lat=lat)
        camera.lon, camera.lat, camera.crs = lon, lat, "wgs84"
        camera.area_code = found.grid.code if found else (camera.area_code or chosen.area_code)
    camera.area_code = camera.area_code or chosen.area_code
    info = item.get("Info")
    ptz = str((info.get("PTZType") if isinstance(info, Mapping) else None) or item.get("PTZType") or "")
    if ptz.strip() == "1" and camera.fov_deg is None:
        camera.fov_deg = 360.0  # a dome (球机) sees all round
    camera.updated_at = utcnow()


# --- what readers see -------------------------------------------------------------------------------------


def camera_dicts(session: Session, cameras: Sequence[Camera]) -> list[dict[str, Any]]:
    """Register rows as the API and pages show them: with parent ID, platform, current liveness (devices
    spine) and the link that opens the video; never the SIP password."""
    parents = parent_gb_ids(session, cameras)
    platform_ids = {c.platform_id for c in cameras if c.platform_id}
    platforms = (
        {p.id: p for p in session.scalars(select(VideoPlatform).where(VideoPlatform.id.in_(platform_ids)))}
        if platform_ids
        else {}
    )
    states: dict[str, devices.DeviceState] = {}
    for kind in (CAMERA, PARENT):
        ids = [c.gb_id for c in cameras if kind_of(c) == kind]
        if ids:
            states.update(devices.device_states(session, kind, ids))
    out = []
    for c in cameras:
        state = states.get(c.gb_id)
        platform = platforms.get(c.platform_id or 0)
        parent = parents.get(c.parent_id or 0)
        out.append(
            {
                "id": c.id,
                "gb_id": c.gb_id,
                "name": c.name,
                "type_code": c.type_code,
                "type_name": gbid.TYPES.get(c.type_code, (c.type_code,))[0],
                "role": c.role,
                "parent_gb_id": parent,
                "platform": platform.code if platform else None,
                "area_code": c.area_code,
                "lon": c.lon,
                "lat": c.lat,
                "direction_deg": c.direction_deg,
                "fov_deg": c.fov_deg,
                "range_m": c.range_m,
                "owner_unit": c.owner_unit,
                "road": c.road,
                "place_name": c.place_name,
                "install_date": c.install_date,
                "contract_no": c.contract_no,
                "contract_expires_on": c.contract_expires_on,
                "manufacturer": c.manufacturer,
                "model": c.model,
                "has_sip_password": c.sip_password_enc is not None,
                "status": state.status if state else "unknown",
                "status_since": as_utc(state.status_since) if state else None,
                "last_seen_at": as_utc(state.last_seen_at) if state and state.last_seen_at else None,
                "outage_case_id": state.outage_case_id if state else None,
                "video_url": video_link(platform, c, parent),
            }
        )
    return out
