"""The position stream: parse OsmAnd/Traccar Client fixes, ingest batches (idempotent, flagged, located),
liveness, grid enter/leave events and SOS cases.

Rows are written with SQLAlchemy Core in batches; :class:`GroupCommitWriter` gathers concurrent requests into
one transaction and answers each only after that transaction has committed.
"""

from __future__ import annotations

import gc
import hmac
import logging
import math
import operator
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pingan.areas import service as areas
from pingan.cases import interface as cases
from pingan.core.clock import utcnow
from pingan.core.config import get_settings
from pingan.core.db import transaction
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.geo import haversine_m
from pingan.core.groupcommit import GroupCommit
from pingan.core.pii import get_protector
from pingan.core.security import Actor
from pingan.patrols import phones
from pingan.patrols.common import from_ms, to_ms
from pingan.patrols.models import (
    DeviceState,
    PatrolEvent,
    PatrolPosition,
    PatrolVolunteer,
    PositionFlag,
    VolunteerStatus,
)
from pingan.patrols.shifts import on_duty_assignments

log = logging.getLogger("pingan.patrols")

KNOTS = 0.514444  # m/s per knot
POOR_ACCURACY_M = 50.0
JUMP_SPEED_MPS = 50.0  # 180 km/h between two fixes on foot or bicycle is not plausible
JUMP_MIN_M = 300.0
METRES_PER_DEGREE = 6371008.8 * math.pi / 180 * 1.000001  # of a meridian (a hair over: an upper bound)
FUTURE_TOLERANCE_MS = 10 * 60 * 1000  # later than this ahead of the server's clock: stored, flagged invalid
# What a fix may say at all (refused with a 400 naming the field, before it reaches the writer): a fix time
# from 2000 on and at most a day ahead of the server's clock (a phone whose clock is off by hours is flagged,
# one from 1970 or year 1 is refused); a speed below 1,000 m/s; an accuracy below 100 km; an altitude between
# -1 km and 50 km; a bearing of 0–360°; a battery of 0–100 % (JSON and batch: 0–1). Negative speed, bearing,
# accuracy and battery mean "unknown" (the apps send -1).
MIN_FIX_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_AHEAD_MS = 24 * 60 * 60 * 1000
MAX_SPEED_MPS = 1000.0
MAX_ACCURACY_M = 100_000.0
MIN_ALTITUDE_M, MAX_ALTITUDE_M = -1000.0, 50_000.0
SHANGHAI = ZoneInfo("Asia/Shanghai")

OK, DUPLICATE, UNKNOWN_DEVICE = "ok", "duplicate", "unknown_device"


@dataclass(slots=True)
class Fix:
    """One normalised fix: WGS-84, UTC epoch ms, speed m/s, battery 0–1."""

    device_id: str
    fixed_ms: int | None
    lon: float | None = None
    lat: float | None = None
    speed_mps: float | None = None
    bearing: float | None = None
    altitude: float | None = None
    accuracy_m: float | None = None
    battery: float | None = None
    is_moving: bool | None = None
    event: str | None = None
    mock: bool = False
    valid: bool = True
    alarm: str | None = None
    key: str | None = None
    # False for fixes of the public OsmAnd receiver, which must carry their device's key; fixes handed in
    # by a signed-in caller (the batch API) or by other services need none
    authenticated: bool = True


# --- parsing ------------------------------------------------------------------------------------------


def parse_time(value: Any, *, field: str = "timestamp") -> int:
    """Epoch ms from unix seconds or milliseconds, ISO-8601, or 'yyyy-MM-dd HH:mm:ss' (Shanghai time); from
    2000 on and at most a day ahead (:data:`MIN_FIX_MS`, :data:`MAX_AHEAD_MS`), else ValidationFailed."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        return check_time(int(number * 1000) if abs(number) < 2**31 else int(number), field)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)
        ms = int(round(moment.timestamp() * 1000))
    except (ValueError, OverflowError):
        raise ValidationFailed(
            f"{field} must be unix seconds/milliseconds or an ISO-8601 time", field=field
        ) from None
    return check_time(ms, field)


def check_time(ms: int, field: str) -> int:
    """``ms`` if it is a possible fix time (2000 to a day ahead), else ValidationFailed naming the field."""
    if not MIN_FIX_MS <= ms <= time.time() * 1000 + MAX_AHEAD_MS:
        raise ValidationFailed(f"{field} must lie between 2000-01-01 and a day from now", field=field)
    return ms


def _float(value: Any, field: str, *, low: float = -math.inf, high: float = math.inf) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a number", field=field) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationFailed(f"{field} must be between {low} and {high}", field=field)
    return number


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _unknown_negative(value: float | None) -> float | None:
    return None if value is None or value < 0 else value


def _device(value: Any, field: str) -> str:
    device = str(value or "").strip()
    if not device or len(device) > 64:
        raise ValidationFailed("device id is required (id=…, 1–64 characters)", field=field)
    return device


def parse_osmand_query(params: Mapping[str, str]) -> Fix:
    """A fix from the query/form variant (speed in knots, battery in percent)."""
    device = _device(params.get("id") or params.get("deviceid"), "id")
    lat, lon = params.get("lat"), params.get("lon")
    if (lat is None or lon is None) and params.get("location"):
        parts = str(params["location"]).split(",")
        if len(parts) != 2:
            raise ValidationFailed("location must be 'lat,lon'", field="location")
        lat, lon = parts[0], parts[1]
    fix = Fix(
        device_id=device,
        fixed_ms=parse_time(params["timestamp"]) if params.get("timestamp") not in (None, "") else None,
        lat=_float(lat, "lat", low=-90, high=90),
        lon=_float(lon, "lon", low=-180, high=180),
        bearing=_unknown_negative(_float(params.get("bearing", params.get("heading")), "bearing", high=360)),
        altitude=_float(params.get("altitude"), "altitude", low=MIN_ALTITUDE_M, high=MAX_ALTITUDE_M),
        accuracy_m=_unknown_negative(_float(params.get("accuracy"), "accuracy", high=MAX_ACCURACY_M)),
        mock=_bool(params.get("mock", params.get("is_mock", ""))),
        valid=params.get("valid") is None or _bool(params.get("valid")),
        alarm=(params.get("alarm") or None),
        key=params.get("key") or None,
        authenticated=False,
    )
    if (fix.lat is None) != (fix.lon is None):
        raise ValidationFailed("lat and lon come together", field="lat" if fix.lat is None else "lon")
    speed = _float(params.get("speed"), "speed", high=MAX_SPEED_MPS / KNOTS)
    fix.speed_mps = None if speed is None or speed < 0 else speed * KNOTS
    batt = _float(params.get("batt"), "batt", high=100)
    fix.battery = None if batt is None or batt < 0 else batt / 100.0
    return fix


def parse_osmand_json(doc: Any) -> Fix:
    """A fix from the JSON body of Traccar Client 9+ (speed m/s, battery 0–1, -1 = unknown)."""
    if not isinstance(doc, dict):
        raise ValidationFailed("JSON body must be an object", field="body")
    device = _device(doc.get("device_id") or doc.get("id"), "device_id")
    location = doc.get("location")
    if not isinstance(location, dict):
        raise ValidationFailed("location object is required", field="location")
    coords = location.get("coords")
    if coords is not None and not isinstance(coords, dict):
        raise ValidationFailed("location.coords must be an object", field="location.coords")
    coords = coords or {}
    battery: dict[str, Any] = location["battery"] if isinstance(location.get("battery"), dict) else {}
    activity: dict[str, Any] = location["activity"] if isinstance(location.get("activity"), dict) else {}
    extras: dict[str, Any] = location["extras"] if isinstance(location.get("extras"), dict) else {}
    stamp = location.get("timestamp")
    level = _float(battery.get("level"), "location.battery.level", high=1)
    moving = location.get("is_moving")
    if moving is None and activity.get("type"):
        moving = activity["type"] not in ("still", "unknown")
    fix = Fix(
        device_id=device,
        fixed_ms=parse_time(stamp, field="location.timestamp") if stamp not in (None, "") else None,
        lat=_float(coords.get("latitude"), "location.coords.latitude", low=-90, high=90),
        lon=_float(coords.get("longitude"), "location.coords.longitude", low=-180, high=180),
        speed_mps=_unknown_negative(_float(coords.get("speed"), "location.coords.speed", high=MAX_SPEED_MPS)),
        bearing=_unknown_negative(_float(coords.get("heading"), "location.coords.heading", high=360)),
        altitude=_float(
            coords.get("altitude"), "location.coords.altitude", low=MIN_ALTITUDE_M, high=MAX_ALTITUDE_M
        ),
        accuracy_m=_unknown_negative(
            _float(coords.get("accuracy"), "location.coords.accuracy", high=MAX_ACCURACY_M)
        ),
        battery=None if level is None or level < 0 else level,
        is_moving=None if moving is None else bool(moving),
        event=str(location["event"])[:20] if location.get("event") else None,
        mock=bool(location.get("mock") or extras.get("mock")),
        alarm=str(location.get("alarm") or extras.get("alarm") or "") or None,
        key=str(extras.get("key") or doc.get("key") or "") or None,
        authenticated=False,
    )
    if (fix.lat is None) != (fix.lon is None):
        raise ValidationFailed("latitude and longitude come together", field="location.coords")
    return fix


def parse_batch_item(item: Any, index: int) -> Fix:
    """A fix of our own batch API: {device_id, t (ISO or epoch s/ms), lon, lat, speed (m/s), accuracy,
    battery (0–1), is_moving, mock, alarm}."""
    where = f"positions[{index}]"
    if not isinstance(item, dict):
        raise ValidationFailed("each position must be an object", field=where)
    if item.get("lon") is None or item.get("lat") is None:
        raise ValidationFailed("lon and lat are required", field=f"{where}.lon")
    if item.get("t") in (None, ""):
        raise ValidationFailed("t (fix time) is required", field=f"{where}.t")
    battery = _float(item.get("battery"), f"{where}.battery", low=0, high=1)
    return Fix(
        device_id=_device(item.get("device_id"), f"{where}.device_id"),
        fixed_ms=parse_time(item["t"], field=f"{where}.t"),
        lon=_float(item["lon"], f"{where}.lon", low=-180, high=180),
        lat=_float(item["lat"], f"{where}.lat", low=-90, high=90),
        speed_mps=_float(item.get("speed"), f"{where}.speed", low=0, high=MAX_SPEED_MPS),
        bearing=_float(item.get("bearing"), f"{where}.bearing", low=0, high=360),
        accuracy_m=_float(item.get("accuracy"), f"{where}.accuracy", low=0, high=MAX_ACCURACY_M),
        battery=battery,
        is_moving=None if item.get("is_moving") is None else bool(item["is_moving"]),
        mock=bool(item.get("mock")),
        alarm=str(item["alarm"]) if item.get("alarm") else None,
    )


def parse_batch(items: list[Any]) -> list[Fix]:
    """Fixes of a batch: a fast path for well-formed numeric items, checked a field at a time over the whole
    batch (:func:`_batch_ok`); any irregular item is parsed alone so that the error names it
    (``positions[i].field``)."""
    fixes: list[Fix] = []
    try:
        for item in items:
            t, device = item["t"], item["device_id"]
            if (type(t) is not int and type(t) is not float) or type(device) is not str:
                raise TypeError
            fixes.append(
                Fix(
                    device,
                    int(t * 1000) if t < 2**31 else int(t),
                    float(item["lon"]),
                    float(item["lat"]),
                    item.get("speed"),
                    item.get("bearing"),
                    None,
                    item.get("accuracy"),
                    item.get("battery"),
                    item.get("is_moving"),
                    None,
                    bool(item.get("mock")),
                    True,
                    item.get("alarm"),
                )
            )
        if _batch_ok(fixes):
            return fixes
    except (TypeError, KeyError, ValueError, AttributeError, OverflowError):
        pass
    return [parse_batch_item(item, i) for i, item in enumerate(items)]


_NUMBERS = frozenset({int, float})
_FLAGS = frozenset({bool, type(None)})
_TEXTS = frozenset({str, type(None)})


def _batch_ok(fixes: list[Fix]) -> bool:
    """Whether every fix of the fast path meets :func:`parse_batch_item`'s rules. Each field is checked over
    the whole batch at once (types as a set, ranges by numpy or min/max): a chain of conditions per fix cost
    more than storing the fix."""
    if not fixes:
        return True
    lengths = [len(f.device_id) for f in fixes]
    times: list[int] = [f.fixed_ms for f in fixes]  # type: ignore[misc]  # all set by parse_batch
    return bool(
        0 < min(lengths)
        and max(lengths) <= 64
        and MIN_FIX_MS <= min(times)
        and max(times) <= time.time() * 1000 + MAX_AHEAD_MS
        and _within([f.lon for f in fixes], -180, 180, given=True)
        and _within([f.lat for f in fixes], -90, 90, given=True)
        and _within([f.speed_mps for f in fixes], 0, MAX_SPEED_MPS)
        and _within([f.accuracy_m for f in fixes], 0, MAX_ACCURACY_M)
        and _within([f.battery for f in fixes], 0, 1)
        and _within([f.bearing for f in fixes], 0, 360)
        and {type(f.is_moving) for f in fixes} <= _FLAGS
        and {type(f.alarm) for f in fixes} <= _TEXTS
    )


def _within(values: list[Any], low: float, high: float, *, given: bool = False) -> bool:
    """Every value (None: not sent, unless ``given``) is an int or a float from ``low`` to ``high``."""
    present = values if given else [v for v in values if v is not None]
    if not present:
        return True
    if not {type(v) for v in present} <= _NUMBERS:
        return False
    array = np.array(present, dtype=np.float64)
    return bool(((array >= low) & (array <= high)).all())  # NaN compares False


# --- ingestion ----------------------------------------------------------------------------------------


@dataclass
class _Known:
    volunteer_id: int
    area_code: str
    key_index: str | None  # the blind index of the device's key (None: a keyless device)
    state: dict[str, Any] | None
    max_ms: int | None = None  # the newest stored fix of the volunteer: later fixes cannot be duplicates
    has_state: bool = False  # a device-state row exists (updated, not inserted)


_VOLUNTEERS: Any = PatrolVolunteer.__table__
_STATES: Any = DeviceState.__table__
_KNOWN_COLUMNS = (
    _VOLUNTEERS.c.device_id,
    _VOLUNTEERS.c.id,
    _VOLUNTEERS.c.area_code,
    _VOLUNTEERS.c.device_key_index,
    _STATES.c.fixed_ms,
    _STATES.c.lon,
    _STATES.c.lat,
    _STATES.c.grid_code,
    _STATES.c.max_fixed_ms,
)


def _known_devices(session: Session, devices: list[str]) -> dict[str, _Known]:
    """The volunteers (not left) of these devices with their device state, by Core (one query per 500)."""
    found: dict[str, _Known] = {}
    connection = session.connection()
    for start in range(0, len(devices), 500):
        chunk = devices[start : start + 500]
        rows = connection.execute(
            select(*_KNOWN_COLUMNS)
            .select_from(_VOLUNTEERS.outerjoin(_STATES, _STATES.c.volunteer_id == _VOLUNTEERS.c.id))
            .where(_VOLUNTEERS.c.device_id.in_(chunk), _VOLUNTEERS.c.status != VolunteerStatus.LEFT.value)
        ).all()
        for device, vid, area, key, fixed_ms, lon, lat, grid, max_ms in rows:
            if device is None:
                continue
            state = None if fixed_ms is None else {"fixed_ms": fixed_ms, "lon": lon, "lat": lat, "grid": grid}
            found[device] = _Known(vid, area, key, state, max_ms, has_state=state is not None)
    return found


def _existing_keys(session: Session, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which (device, fix time) pairs are stored already: one key-range scan per device."""
    spans: dict[str, tuple[int, int]] = {}
    for device, t in keys:
        low, high = spans.get(device, (t, t))
        spans[device] = (min(low, t), max(high, t))
    wanted = set(keys)
    seen: set[tuple[str, int]] = set()
    devices = list(spans)
    for start in range(0, len(devices), 100):
        ranges = [
            and_(PatrolPosition.device_id == d, PatrolPosition.fixed_ms.between(*spans[d]))
            for d in devices[start : start + 100]
        ]
        rows = session.execute(select(PatrolPosition.device_id, PatrolPosition.fixed_ms).where(or_(*ranges)))
        seen.update((d, t) for d, t in rows if (d, t) in wanted)
    return seen


def ingest_fixes(session: Session, fixes: list[Fix], *, now_ms: int | None = None) -> list[str]:
    """Store a batch of fixes; returns per fix "ok", "duplicate" or "unknown_device". Never commits."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    known = _known_devices(session, sorted({f.device_id for f in fixes}))
    results = [OK] * len(fixes)
    accepted: list[tuple[int, Fix, _Known]] = []
    batch_keys: set[tuple[str, int]] = set()
    check_key = _KeyCheck()
    for i, fix in enumerate(fixes):
        k = known.get(fix.device_id)
        if k is None or not (fix.authenticated or check_key(fix.key, k)):
            results[i] = UNKNOWN_DEVICE
            continue
        if fix.fixed_ms is None:
            fix.fixed_ms = now_ms
        key = (fix.device_id, fix.fixed_ms)
        if fix.lat is not None and key in batch_keys:
            results[i] = DUPLICATE
            continue
        batch_keys.add(key)
        accepted.append((i, fix, k))
    positioned = [(i, f, k) for i, f, k in accepted if f.lat is not None and f.lon is not None]
    maybe_stored = [
        (f.device_id, f.fixed_ms or 0)
        for _, f, k in positioned
        if k.max_ms is not None and (f.fixed_ms or 0) <= k.max_ms
    ]
    existing = _existing_keys(session, maybe_stored) if maybe_stored else set()
    fresh = []
    for i, f, k in positioned:
        if (f.device_id, f.fixed_ms) in existing:
            results[i] = DUPLICATE
        else:
            fresh.append((i, f, k))
    fresh.sort(key=lambda item: (item[1].device_id, item[1].fixed_ms or 0))
    grids = _grids_of(session, fresh)
    rows, transitions, sos = _flag_and_rows(fresh, grids, now_ms)
    _insert_positions(session, rows)
    _update_states(session, accepted, fresh, rows, now_ms)
    _record_transitions(session, transitions, now_ms)
    for fix, known_device, row in sos:
        _raise_sos(session, fix, known_device, row)
    _count_rejects(session, check_key.rejected, now_ms)
    return results


class _KeyCheck:
    """Whether a fix's ``key`` is its device's (blind indexes compared, each key computed once a batch); a
    keyless device passes only when ``PINGAN_PATROLS_KEYLESS_DEVICES`` allows it. Refusals counted."""

    def __init__(self) -> None:
        self.keyless = get_settings().patrols_keyless_devices
        self.rejected: dict[int, int] = {}
        self._indexes: dict[str, str] = {}
        self._protector: Any = None

    def __call__(self, key: str | None, known: _Known) -> bool:
        if known.key_index is None:
            ok = self.keyless
        elif not key:
            ok = False
        else:
            index = self._indexes.get(key)
            if index is None:
                if self._protector is None:
                    self._protector = get_protector()
                index = self._indexes[key] = self._protector.blind_index("device-key:" + key)
            ok = hmac.compare_digest(index, known.key_index)
        if not ok:
            self.rejected[known.volunteer_id] = self.rejected.get(known.volunteer_id, 0) + 1
        return ok


def _count_rejects(session: Session, rejected: dict[int, int], now_ms: int) -> None:
    """Add the batch's refused fixes (wrong or missing key) to each volunteer's count (seen by operators)."""
    if not rejected:
        return
    table = _VOLUNTEERS
    stmt = (
        update(table)
        .where(table.c.id == bindparam("v_id"))
        .values(key_rejects=table.c.key_rejects + bindparam("v_n"), key_rejected_at=bindparam("v_at"))
    )
    at = from_ms(now_ms)
    session.connection().execute(stmt, [{"v_id": vid, "v_n": n, "v_at": at} for vid, n in rejected.items()])


def _grids_of(session: Session, fresh: list[tuple[int, Fix, _Known]]) -> list[str | None]:
    if not fresh:
        return []
    locator = areas.get_locator(session)
    lon = np.fromiter((f.lon for _, f, _ in fresh), dtype=np.float64, count=len(fresh))
    lat = np.fromiter((f.lat for _, f, _ in fresh), dtype=np.float64, count=len(fresh))
    idx = locator.locate_indices(lon, lat).tolist()
    codes = locator.grid_codes
    return [codes[j] if j >= 0 else None for j in idx]


def _flag_and_rows(
    fresh: list[tuple[int, Fix, _Known]], grids: list[str | None], now_ms: int
) -> tuple[
    list[dict[str, Any]],
    list[tuple[_Known, str | None, str | None, int]],
    list[tuple[Fix, _Known, dict[str, Any]]],
]:
    rows: list[dict[str, Any]] = []
    transitions: list[tuple[_Known, str | None, str | None, int]] = []
    sos: list[tuple[Fix, _Known, dict[str, Any]]] = []
    for (_, f, k), grid in zip(fresh, grids, strict=True):
        assert f.lon is not None and f.lat is not None and f.fixed_ms is not None
        flags = 0
        if f.mock:
            flags |= PositionFlag.MOCK
        if f.accuracy_m is not None and f.accuracy_m > POOR_ACCURACY_M:
            flags |= PositionFlag.POOR_ACCURACY
        if not f.valid or (f.lon == 0 and f.lat == 0) or f.fixed_ms > now_ms + FUTURE_TOLERANCE_MS:
            flags |= PositionFlag.INVALID
        if f.alarm and f.alarm.lower() == "sos":
            flags |= PositionFlag.SOS
        state = k.state
        if state is not None and f.fixed_ms < state["fixed_ms"]:
            flags |= PositionFlag.OUT_OF_ORDER
        elif state is not None:
            seconds = max((f.fixed_ms - state["fixed_ms"]) / 1000.0, 1.0)
            # the haversine only when a cheap upper bound of the distance (a meridian plus a parallel path is
            # no shorter than the great circle) could make a jump: most steps of a walk are metres
            bound = (abs(f.lat - state["lat"]) + abs(f.lon - state["lon"])) * METRES_PER_DEGREE
            if bound > JUMP_MIN_M and bound / seconds > JUMP_SPEED_MPS:
                distance = haversine_m(state["lon"], state["lat"], f.lon, f.lat)
                if distance > JUMP_MIN_M and distance / seconds > JUMP_SPEED_MPS:
                    flags |= PositionFlag.JUMP
        row = {
            "device_id": f.device_id,
            "volunteer_id": k.volunteer_id,
            "fixed_ms": f.fixed_ms,
            "received_ms": now_ms,
            "lon": f.lon,
            "lat": f.lat,
            "speed_mps": f.speed_mps,
            "bearing": f.bearing,
            "altitude": f.altitude,
            "accuracy_m": f.accuracy_m,
            "battery": f.battery,
            "is_moving": f.is_moving,
            "flags": flags,
            "grid_code": grid,
        }
        rows.append(row)
        if flags & PositionFlag.SOS:
            sos.append((f, k, row))
        in_order = not flags & (PositionFlag.OUT_OF_ORDER | PositionFlag.NOT_COUNTED)
        if in_order:
            previous = state["grid"] if state is not None else None
            if previous != grid:
                transitions.append((k, previous, grid, f.fixed_ms))
            k.state = {"fixed_ms": f.fixed_ms, "lon": f.lon, "lat": f.lat, "grid": grid}
        elif state is None and not flags & PositionFlag.OUT_OF_ORDER:
            k.state = {"fixed_ms": f.fixed_ms, "lon": f.lon, "lat": f.lat, "grid": grid}
    return rows, transitions, sos


POSITION_COLUMNS = (
    "device_id",
    "fixed_ms",
    "volunteer_id",
    "received_ms",
    "lon",
    "lat",
    "speed_mps",
    "bearing",
    "altitude",
    "accuracy_m",
    "battery",
    "is_moving",
    "flags",
    "grid_code",
)
_row_tuple = operator.itemgetter(*POSITION_COLUMNS)


def _insert_positions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append rows in executemany batches straight to the driver (idempotent on the key)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _insert_positions_unnest(connection, rows)
        return
    style = connection.dialect.paramstyle
    marks = ", ".join("?" if style == "qmark" else "%s" for _ in POSITION_COLUMNS)
    sql = (
        f"INSERT INTO patrol_positions ({', '.join(POSITION_COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (device_id, fixed_ms) DO NOTHING"
    )
    for start in range(0, len(rows), 10_000):
        connection.exec_driver_sql(sql, [_row_tuple(r) for r in rows[start : start + 10_000]])


_PG_TYPES = (
    "text", "int8", "int4", "int8", "float8", "float8", "float8",
    "float8", "float8", "float8", "float8", "bool", "int2", "text",
)  # fmt: skip


def _insert_positions_unnest(connection: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: one INSERT … SELECT FROM unnest(arrays) per 50,000 rows (no per-row binds)."""
    arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
    sql = (
        f"INSERT INTO patrol_positions ({', '.join(POSITION_COLUMNS)}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (device_id, fixed_ms) DO NOTHING"
    )
    for start in range(0, len(rows), 50_000):
        columns = list(zip(*(_row_tuple(r) for r in rows[start : start + 50_000]), strict=True))
        connection.exec_driver_sql(sql, tuple(list(c) for c in columns))


def _update_states(
    session: Session,
    accepted: list[tuple[int, Fix, _Known]],
    fresh: list[tuple[int, Fix, _Known]],
    rows: list[dict[str, Any]],
    now_ms: int,
) -> None:
    """One state row per volunteer: latest in-order position, last heard, motion, SOS."""
    latest: dict[int, dict[str, Any]] = {}
    for _, f, k in accepted:
        entry = latest.setdefault(
            k.volunteer_id, {"volunteer_id": k.volunteer_id, "area_code": k.area_code, "received_ms": now_ms}
        )
        if f.is_moving is not None:
            entry["is_moving"] = f.is_moving
        if f.event:
            entry["event"] = f.event
        if f.battery is not None:
            entry["battery"] = f.battery
    for (_, _f, k), row in zip(fresh, rows, strict=True):
        entry = latest[k.volunteer_id]
        newest = max(entry.get("max_fixed_ms") or k.max_ms or 0, row["fixed_ms"])
        entry["max_fixed_ms"] = newest
        if row["flags"] & PositionFlag.SOS:
            entry["sos_ms"] = row["fixed_ms"]
        if k.state is not None and k.state["fixed_ms"] == row["fixed_ms"]:
            entry.update(
                fixed_ms=row["fixed_ms"],
                lon=row["lon"],
                lat=row["lat"],
                grid_code=row["grid_code"],
                accuracy_m=row["accuracy_m"],
            )
    if not latest:
        return
    have = {k.volunteer_id for _, _, k in accepted if k.has_state}  # read with the devices, under the lock
    new = [e for vid, e in latest.items() if vid not in have and "fixed_ms" in e]
    if new:
        session.execute(insert(DeviceState), [_state_defaults(e) for e in new])
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for vid, e in latest.items():
        if vid in have:
            by_shape.setdefault(tuple(sorted(e)), []).append(e)
    table: Any = DeviceState.__table__
    for shape_keys, entries in by_shape.items():
        values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in shape_keys if c != "volunteer_id"}
        stmt = update(table).where(table.c.volunteer_id == bindparam("v_volunteer_id")).values(values)
        session.connection().execute(stmt, [{f"v_{c}": e[c] for c in shape_keys} for e in entries])


def _state_defaults(entry: dict[str, Any]) -> dict[str, Any]:
    base = {
        "grid_code": None,
        "is_moving": None,
        "event": None,
        "battery": None,
        "accuracy_m": None,
        "sos_ms": None,
        "max_fixed_ms": None,
    }
    return {**base, **entry}


def _record_transitions(
    session: Session, transitions: list[tuple[_Known, str | None, str | None, int]], now_ms: int
) -> None:
    """Entering/leaving the assigned grid during a shift becomes an event."""
    if not transitions:
        return
    duty = on_duty_assignments(
        session, at=from_ms(now_ms), volunteer_ids=sorted({k.volunteer_id for k, _, _, _ in transitions})
    )
    for k, previous, grid, at_ms in transitions:
        assigned = duty.get(k.volunteer_id)
        if assigned is None:
            continue
        kind = "grid_enter" if grid == assigned else "grid_leave" if previous == assigned else None
        if kind:
            session.add(
                PatrolEvent(
                    volunteer_id=k.volunteer_id,
                    area_code=k.area_code,
                    kind=kind,
                    at=from_ms(at_ms),
                    grid_code=assigned,
                    details={"from": previous, "to": grid},
                )
            )


def _raise_sos(session: Session, fix: Fix, known: _Known, row: dict[str, Any]) -> None:
    """An SOS from the app: an urgent case at the volunteer's position, plus an event."""
    details: dict[str, Any] = {"lon": row["lon"], "lat": row["lat"], "device_id": fix.device_id}
    try:
        case = _sos_case(session, fix, known, row)
    except PinganError as exc:
        if exc.code != "snoozed":
            raise
        # an operator snoozed this device's SOS: the case is suppressed (and counted), the fix is not
        details.update(suppressed=True)
    else:
        details.update(case_id=case.id, case_number=case.number)
    session.add(
        PatrolEvent(
            volunteer_id=known.volunteer_id,
            area_code=known.area_code,
            kind="sos",
            at=from_ms(row["fixed_ms"]),
            grid_code=row["grid_code"],
            details=details,
        )
    )


def _sos_case(session: Session, fix: Fix, known: _Known, row: dict[str, Any]) -> cases.Case:
    """The urgent case of an SOS (Conflict "snoozed" while an operator snoozed the device's SOS)."""
    return cases.raise_case(
        session,
        Actor.system("patrols"),
        category_code="0410",
        description=(
            f"巡防队员紧急求助(SOS)：设备 {fix.device_id}，定位精度 {row['accuracy_m'] or '未知'} 米"
        ),
        source="patrol",
        lon=row["lon"],
        lat=row["lat"],
        priority="urgent",
        source_ref=f"patrol_volunteer:{known.volunteer_id}",
        # one open case per device: repeated presses add signals to it (an hourly key split a press
        # at 07:59:58 and one at 08:00:03 into two cases); once it is closed, a new SOS opens a new one
        dedupe_key=f"sos:{fix.device_id}",
    )


# --- liveness -----------------------------------------------------------------------------------------

ONLINE_MS = 10 * 60 * 1000
STATIONARY_ONLINE_MS = 60 * 60 * 1000
UNKNOWN_MS = 60 * 60 * 1000
STATIONARY_UNKNOWN_MS = 3 * 60 * 60 * 1000
SOS_HOLD_MS = 60 * 60 * 1000


def liveness(
    *, received_ms: int, is_moving: bool | None, event: str | None, sos_ms: int | None, now_ms: int
) -> str:
    """online / unknown / offline, or sos; a phone that stopped sending because it stands still stays online
    (the Traccar Client ≥ 9 pauses while stationary)."""
    if sos_ms is not None and now_ms - sos_ms < SOS_HOLD_MS:
        return "sos"
    age = now_ms - received_ms
    stationary = is_moving is False or event == "heartbeat"
    if age <= ONLINE_MS or (stationary and age <= STATIONARY_ONLINE_MS):
        return "online"
    if age <= UNKNOWN_MS or (stationary and age <= STATIONARY_UNKNOWN_MS):
        return "unknown"
    return "offline"


# --- group commit -------------------------------------------------------------------------------------


class GroupCommitWriter:
    """Gathers the fixes of concurrent requests into one transaction (a :class:`GroupCommit`); each request's
    answer waits until that transaction committed (durable acknowledgement)."""

    def __init__(self, factory: sessionmaker[Session], *, max_batch: int = 50_000) -> None:
        self.factory = factory
        self._group: GroupCommit[Fix, str] = GroupCommit(self.write, max_batch=max_batch)
        self.batches = 0
        self.fixes = 0

    async def submit(self, fixes: list[Fix]) -> list[str]:
        """Queue fixes and wait until they are committed; returns one result per fix. A fix the writer could
        not store raises its exception here (the request's other fixes are stored; a retry finds them as
        duplicates); the other requests' fixes are not affected (:mod:`pingan.core.groupcommit`)."""
        results = await self._group.submit(fixes)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results  # type: ignore[return-value]

    def write(self, fixes: list[Fix]) -> list[str]:
        """One transaction for a batch (committed before returning). The cyclic garbage collector is paused
        meanwhile: a batch allocates ~10 objects per fix and nothing cyclic, and full collections over the
        whole application heap would otherwise cost a third of the time."""
        paused = gc.isenabled() and len(fixes) > 1000
        if paused:
            gc.disable()
        try:
            with transaction(self.factory) as session:
                results = ingest_fixes(session, fixes)
                phones.record_heard(session, fixes, results)  # the devices register: one call a batch
        finally:
            if paused:
                gc.enable()
        self.batches += 1
        self.fixes += len(fixes)
        return results


def utc_now_ms() -> int:
    return int(utcnow().astimezone(UTC).timestamp() * 1000)


def volunteer_track(
    session: Session, actor: Actor, *, volunteer_id: int, since: datetime, until: datetime | None = None
) -> dict[str, Any]:
    """One volunteer's fixes over a period (at most 7 days, 20,000 points) for replay."""
    from datetime import timedelta

    from pingan.patrols.volunteers import get_volunteer

    volunteer = get_volunteer(session, actor, volunteer_id)
    end = until or since + timedelta(hours=24)
    if end <= since or end - since > timedelta(days=7):
        raise ValidationFailed("until must be after since, at most 7 days later", field="until")
    rows = session.execute(
        select(
            PatrolPosition.fixed_ms,
            PatrolPosition.lon,
            PatrolPosition.lat,
            PatrolPosition.flags,
            PatrolPosition.grid_code,
        )
        .where(
            PatrolPosition.device_id == (volunteer.device_id or ""),  # the key: one range scan
            PatrolPosition.volunteer_id == volunteer.id,
            PatrolPosition.fixed_ms >= to_ms(since),
            PatrolPosition.fixed_ms < to_ms(end),
        )
        .order_by(PatrolPosition.fixed_ms)
        .limit(20_000)
    ).all()
    return {
        "volunteer_id": volunteer.id,
        "points": [
            {"t": from_ms(t), "lon": x, "lat": y, "flags": PositionFlag.names(f), "grid_code": g}
            for t, x, y, f, g in rows
        ],
    }
