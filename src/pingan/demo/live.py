"""The demo district kept alive: a simulator of the district's phones and reporters, talking to the server
over HTTP through the same public paths a real client uses.

- Patrol volunteers booked for the shift under way walk a loop along their grid's edge streets and send a fix
  every ``fix_seconds`` through the OsmAnd/Traccar endpoint (``/osmand?id=…&lat=…&lon=…``, with ``key=``
  when the volunteer's device has one), so the wall stays live; the roster follows the shifts.
- Residents report through ``/api/v1/cases`` (anonymously on the web, signed in with the app), the 12345
  hotline through the street operator, the demo grid worker on rounds in working hours — at the history's
  daily volume and hour-of-day shape (``demo.cases``), so night is quiet and mid-morning busy.
- Rarely a patroller presses SOS (``alarm=sos`` on a fix).
- The command chain works the queue (``/api/v1/cases/{id}/actions/…``) as the demo's desk accounts
  (``demo.generate.desk_accounts``): each street's duty operator registers (or, now and then, rejects),
  dispatches, verifies and closes; each department's handler starts and reports back. A step is taken once a
  share of the stage's time limit has passed, drawn per case like the history's (one in eight handled late),
  by day; at night only what is about to run over. So the open backlog keeps the history's shape for hours.

The modules' jobs (the SLA job, the device sweep) tick in the server itself (``PINGAN_JOBS=all``, which
``pingan demo`` sets).
The simulator reads only what a phone knows of itself from the database (its device id and key, its shift's
grid); every write goes over HTTP. It runs on a daemon thread and stops with ``stop()``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
import shapely
from shapely.geometry import LineString, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pingan.areas.models import Area
from pingan.cases.models import Category
from pingan.core.clock import LOCAL_TZ
from pingan.core.pii import get_protector
from pingan.demo.cases import CHANNELS, DAILY_REPORTS, MIX, RESIDENT_HOURS, STAFF_HOURS
from pingan.demo.generate import desk_accounts
from pingan.patrols.models import PatrolVolunteer, Shift, ShiftAssignment
from pingan.units.models import Unit
from pingan.units.types import UnitKind

log = logging.getLogger("pingan.demo.live")
M_PER_DEG_LAT = 111_000.0
M_PER_DEG_LON = 96_000.0  # at 30°N
DESCRIPTIONS = {
    "0102": "小区门口垃圾桶满溢，垃圾散落一地",
    "0104": "路面有大片油污，行人容易滑倒",
    "0502": "人行道上违停车辆挡住盲道",
    "0501": "地铁口有流动摊贩占道经营",
    "0702": "楼道里有电动自行车在充电",
    "0701": "消防通道被杂物堵塞",
    "1301": "楼上住户深夜噪音，多次沟通无果",
    "1402": "路灯不亮，晚上一片漆黑",
    "0601": "小区围墙有破损，外人可随意进出",
}


@dataclass(frozen=True)
class LiveRates:
    """How busy the simulated district is (defaults: believable and light on a 2-core machine)."""

    fix_seconds: float = 120.0  # each patroller on shift sends a fix this often (the tracks' cadence)
    max_patrollers: int = 500  # at most this many phones at once (2 per grid and shift in the demo)
    reports_per_day: float = float(DAILY_REPORTS)  # resident, hotline and grid-worker reports a day
    sos_per_day: float = 1.0
    roster_seconds: float = 60.0  # how often the shift roster is read again
    desk_seconds: float = 60.0  # how often each desk account looks at its queue

    def __post_init__(self) -> None:
        for name in ("fix_seconds", "roster_seconds", "desk_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("reports_per_day", "sos_per_day", "max_patrollers"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")


@dataclass
class _Walker:
    volunteer_id: int
    device_id: str
    key: str | None
    grid: str
    route: LineString  # metres (local plane)
    offset: float
    speed: float  # m/s
    next_fix: float
    battery: float = 0.95


@dataclass
class _Desk:
    username: str
    role: str  # "operator" (a street's command room) or "handler" (a department)
    next_round: float = 0.0


# What each desk does with a case in each state, and the share of the stage's time limit it waits first.
OPERATOR_STATES = ("reported", "registered", "returned", "handled", "verified")
HANDLER_STATES = ("dispatched", "in_progress")
NEXT_ACTION = {
    "reported": "register",
    "registered": "dispatch",
    "returned": "dispatch",
    "dispatched": "start",
    "in_progress": "handle",
    "handled": "verify",
    "verified": "close",
}
STAGE_START = {  # the milestone the case's current stage runs from (the handle stage runs from dispatch)
    "reported": "reported_at",
    "registered": "registered_at",
    "returned": "updated_at",
    "dispatched": "dispatched_at",
    "in_progress": "dispatched_at",
    "handled": "handled_at",
    "verified": "verified_at",
}
NOTES = {
    "reject": "经核实不属于受理范围，已告知反映人（演示）",
    "handle": "已到现场处置完毕，附处置说明（演示）",
}
DESK_DAY = (7, 22)  # local hours the desks work their whole queue; at night only what is about to run over
NIGHT_HORIZON_S = 2 * 3600
DESK_STEPS_PER_ROUND = 8  # the phones' fixes share the simulator's thread: a round stays short
REJECT_SHARE = 0.04  # as in the history
LATE_SHARE = 0.12  # handled after the deadline, as in the history


def _draw(case_id: int, salt: int) -> float:
    """A number in [0, 1) fixed for the case (the same decision on every round and every restart)."""
    return (((case_id * 2_654_435_761) ^ (salt * 40_503)) % 4_294_967_291) / 4_294_967_291


def _wait_share(case_id: int, action: str) -> float:
    """How much of the stage's time limit passes before the desk takes ``action`` on the case."""
    u = _draw(case_id, sum(map(ord, action)))
    if action == "start":
        return 0.02 + 0.15 * u
    if action == "handle" and _draw(case_id, 7) < LATE_SHARE:
        return 1.05 + 0.5 * u
    if action in ("register", "close"):
        return 0.05 + 0.5 * u
    return 0.1 + 0.75 * u


def due_action(case: dict[str, Any], now: datetime) -> str | None:
    """The workflow action a desk takes on ``case`` at ``now`` (aware UTC), or ``None`` for not yet."""
    state = case.get("state")
    action = NEXT_ACTION.get(str(state))
    start = _parse(case.get(STAGE_START.get(str(state), "updated_at")) or case.get("updated_at"))
    if action is None or start is None or case.get("is_paused") or case.get("escalation_level") == "district":
        return None
    due = _parse(case.get("stage_due_at"))
    limit = (due - start).total_seconds() if due is not None and due > start else 3600.0
    act_at = start.timestamp() + _wait_share(int(case["id"]), action) * limit
    if now.timestamp() < act_at:
        return None
    hour = now.astimezone(LOCAL_TZ).hour
    if not DESK_DAY[0] <= hour < DESK_DAY[1] and case.get("priority") not in ("urgent", "high"):
        if due is None or (due - now).total_seconds() > NIGHT_HORIZON_S:
            return None  # the night duty takes only what is about to run over
    if action == "register" and _draw(int(case["id"]), 3) < REJECT_SHARE:
        return "reject"
    return action


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass
class Stats:
    fixes: int = 0
    reports: int = 0
    steps: int = 0
    sos: int = 0
    errors: int = 0
    last_error: str = ""
    started: float = field(default_factory=time.time)


class DistrictSimulator:
    """Simulated phones and reporters of the demo district against a running server at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        factory: sessionmaker[Session],
        *,
        rates: LiveRates | None = None,
        seed: int = 2016,
        password: str = "pingan-demo",
        tick_seconds: float = 1.0,
        patrols: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.patrols = patrols  # False where PINGAN_MODULES leaves patrols out: reports and the SLA job only
        self.factory = factory
        self.rates = rates or LiveRates()
        self.rng = np.random.default_rng(seed)
        self.password = password
        self.tick_seconds = tick_seconds
        self._last_tick: float | None = None
        self.stats = Stats()
        self._walkers: dict[int, _Walker] = {}
        self._protector = get_protector(demo=True)  # the phones' keys, as the phones themselves hold them
        self._routes: dict[str, LineString] = {}
        self._grids: list[tuple[str, Polygon]] = []
        self._categories: list[str] = []
        self._weights = np.zeros(0)
        self._tokens: dict[str, str] = {}
        self._gridworker_grid: Polygon | None = None
        self._desks = [_Desk(d.username, "handler" if d.unit_code else "operator") for d in desk_accounts()]
        self._rooms: dict[str, int] = {}  # street code → its command room's unit id (cases routed nowhere)
        self._next_roster = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    # --- life cycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pingan-demo-live", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            self._client = client
            try:
                self._setup()
            except Exception as exc:  # noqa: BLE001 - the demo server keeps serving without the simulation
                log.warning("live demo could not start: %s", exc)
                self.stats.errors += 1
                self.stats.last_error = str(exc)
                return
            log.info("live demo running against %s", self.base_url)
            while not self._stop.is_set():
                started = time.time()
                try:
                    self.tick(started)
                except Exception as exc:  # noqa: BLE001 - one bad round must not end the simulation
                    self._error(exc)
                self._stop.wait(max(0.0, self.tick_seconds - (time.time() - started)))

    def _setup(self) -> None:
        with self.factory() as session:
            for code, geometry in session.execute(
                select(Area.code, Area.geometry).where(Area.level == "grid")
            ):
                if geometry is not None:
                    self._grids.append((code, shapely.from_wkb(geometry)))
            public = set(session.scalars(select(Category.code).where(Category.is_public.is_(True))))
            self._rooms = {
                area: unit_id
                for unit_id, area in session.execute(
                    select(Unit.id, Unit.area_code).where(Unit.kind == UnitKind.STREET_CENTRE.value)
                )
            }
        self._grids.sort(key=lambda g: g[0])
        self._categories = [c for c in MIX if c in public]
        weights = np.array([MIX[c] for c in self._categories])
        self._weights = weights / weights.sum()
        for username in ("resident", "street", "gridworker"):
            token = self._login(username)
            if token:
                self._tokens[username] = token
        if "gridworker" in self._tokens:
            me = self._http("GET", "/api/v1/auth/me", token=self._tokens["gridworker"])
            grants = (me.json().get("grants") or me.json().get("roles") or []) if me is not None else []
            codes = [g.get("area_code") for g in grants if isinstance(g, dict)]
            self._gridworker_grid = next((poly for code, poly in self._grids if code in codes), None)

    def _login(self, username: str) -> str | None:
        response = self._http(
            "POST", "/api/v1/auth/token", data={"username": username, "password": self.password}
        )
        if response is None or response.status_code != 200:
            return None
        return str(response.json()["access_token"])

    # --- one round ----------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Everything due at ``now`` (epoch seconds): roster, fixes, reports, SOS."""
        if self.patrols and now >= self._next_roster:
            self._roster(now)
            self._next_roster = now + self.rates.roster_seconds
        for walker in list(self._walkers.values()):
            if walker.next_fix <= now:
                self._send_fix(walker, now)
                walker.next_fix = now + self.rates.fix_seconds
        hour = datetime.fromtimestamp(now, LOCAL_TZ).hour
        shape = np.array(RESIDENT_HOURS)
        per_second = self.rates.reports_per_day / 86_400 * shape[hour] / shape.mean()
        # the time since the last round, not the nominal tick: a round that ran long (a busy server, a desk's
        # backlog) must not thin out the reports
        elapsed = self.tick_seconds if self._last_tick is None else min(max(now - self._last_tick, 0.0), 60.0)
        self._last_tick = now
        for _ in range(int(self.rng.poisson(per_second * elapsed))):
            self._report(now, hour)
        if self._walkers and self.rng.random() < self.rates.sos_per_day / 86_400 * elapsed:
            walkers = list(self._walkers.values())
            self._send_fix(walkers[int(self.rng.integers(len(walkers)))], now, alarm="sos")
        for i, desk in enumerate(self._desks):
            if not desk.next_round:  # the desks look at their queues in turn, not all in one second
                desk.next_round = now + i * self.rates.desk_seconds / len(self._desks)
            if desk.next_round <= now:
                desk.next_round = now + self.rates.desk_seconds
                self._work_queue(desk, now)

    def _work_queue(self, desk: _Desk, now: float) -> None:
        """One look at a desk's queue: every case whose next step is due gets it (HTTP, as that account)."""
        states = OPERATOR_STATES if desk.role == "operator" else HANDLER_STATES
        params: dict[str, Any] = {"state": list(states), "limit": 200}
        response = self._as(desk.username, "GET", "/api/v1/cases", params=params)
        if response is None or response.status_code != 200:
            return
        at = datetime.fromtimestamp(now, UTC)
        taken = 0
        for case in response.json().get("items", []):
            action = due_action(case, at)
            if action is None:
                continue
            if taken == DESK_STEPS_PER_ROUND:  # a backlog is worked off over a few rounds
                break
            taken += 1
            body: dict[str, Any] = {"note": NOTES.get(action, "")}
            if action == "dispatch" and not (case.get("routed_unit_id") or case.get("owner_unit_id")):
                # routed nowhere: the street's own command room handles it
                body["unit_id"] = self._rooms.get(str(case.get("street_code")))
            path = f"/api/v1/cases/{case['id']}/actions/{action}"
            done = self._as(desk.username, "POST", path, json=body)
            if done is not None and done.status_code == 200:
                self.stats.steps += 1
            elif done is not None and done.status_code != 409:  # 409: someone moved it first
                self._error(RuntimeError(f"{desk.username} {action} {done.status_code}: {done.text[:200]}"))

    def _as(self, username: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """A request as ``username``, signing in (again) when needed."""
        token = self._tokens.get(username) or self._login(username)
        if token is None:
            return None
        self._tokens[username] = token
        response = self._http(method, path, token=token, **kwargs)
        if response is not None and response.status_code == 401:
            fresh = self._login(username)
            if fresh is None:
                return None
            self._tokens[username] = fresh
            response = self._http(method, path, token=fresh, **kwargs)
        return response

    def _roster(self, now: float) -> None:
        """The volunteers booked for the shift under way (planned or checked in), with their phones."""
        at = datetime.fromtimestamp(now, UTC)
        columns: list[Any] = [
            PatrolVolunteer.id,
            PatrolVolunteer.device_id,
            Shift.grid_code,
            PatrolVolunteer.device_key_enc,
        ]
        stmt = (
            select(*columns)
            .join(ShiftAssignment, ShiftAssignment.volunteer_id == PatrolVolunteer.id)
            .join(Shift, Shift.id == ShiftAssignment.shift_id)
            .where(
                ShiftAssignment.status.in_(("planned", "on_duty")),
                ShiftAssignment.starts_at <= at,
                ShiftAssignment.ends_at > at,
                PatrolVolunteer.device_id.is_not(None),
            )
            .order_by(Shift.grid_code, PatrolVolunteer.id)
            .limit(self.rates.max_patrollers)
        )
        with self.factory() as session:
            rows = session.execute(stmt).all()
        current: dict[int, _Walker] = {}
        for row in rows:
            vid, device, grid = row[0], row[1], row[2]
            walker = self._walkers.get(vid)
            key = self._protector.decrypt(row[3]) if row[3] else None
            if walker is None or walker.grid != grid:
                route = self._route(grid)
                if route is None:
                    continue
                walker = _Walker(
                    volunteer_id=vid,
                    device_id=str(device),
                    key=key,
                    grid=grid,
                    route=route,
                    offset=float(self.rng.uniform(0, route.length)),
                    speed=float(self.rng.uniform(0.9, 1.5)),
                    # spread the phones over the interval so the server sees a steady trickle
                    next_fix=now + float(self.rng.uniform(0, min(self.rates.fix_seconds, 30.0))),
                )
            walker.key = key
            current[vid] = walker
        self._walkers = current

    def _route(self, grid: str) -> LineString | None:
        """A loop along the grid's edge streets (the boundary drawn 40 m inside), in local metres."""
        if grid in self._routes:
            return self._routes[grid]
        polygon = next((p for code, p in self._grids if code == grid), None)
        if polygon is None:
            return None
        local = shapely.transform(polygon, lambda xy: xy * [M_PER_DEG_LON, M_PER_DEG_LAT])
        inner = local.buffer(-40)
        if inner.is_empty:
            inner = local
        if inner.geom_type == "MultiPolygon":
            inner = max(inner.geoms, key=lambda g: g.area)
        route = LineString(inner.exterior.coords)
        self._routes[grid] = route
        return route

    def _send_fix(self, walker: _Walker, now: float, alarm: str | None = None) -> None:
        walker.offset = (walker.offset + walker.speed * self.rates.fix_seconds) % max(
            walker.route.length, 1.0
        )
        here = walker.route.interpolate(walker.offset)
        ahead = walker.route.interpolate((walker.offset + 5) % max(walker.route.length, 1.0))
        bearing = float(np.degrees(np.arctan2(ahead.x - here.x, ahead.y - here.y)) % 360)
        walker.battery = max(0.15, walker.battery - 0.0005)
        params: dict[str, Any] = {
            "id": walker.device_id,
            "lat": f"{here.y / M_PER_DEG_LAT + float(self.rng.normal(0, 0.00003)):.6f}",
            "lon": f"{here.x / M_PER_DEG_LON + float(self.rng.normal(0, 0.00003)):.6f}",
            "timestamp": int(now),
            "speed": f"{walker.speed:.2f}",
            "bearing": f"{bearing:.0f}",
            "accuracy": f"{self.rng.uniform(4, 15):.0f}",
            "batt": f"{walker.battery * 100:.0f}",
            "altitude": "9",
        }
        if walker.key:
            params["key"] = walker.key
        if alarm:
            params["alarm"] = alarm
        response = self._http("GET", "/osmand", params=params)
        if response is not None and response.status_code == 200:
            self.stats.fixes += 1
            self.stats.sos += alarm == "sos"
        elif response is not None:
            self._error(RuntimeError(f"osmand {response.status_code} for device {walker.device_id}"))

    def _report(self, now: float, hour: int) -> None:
        """One report through the public intake API, by a channel of the hour."""
        names = [c for c, _ in CHANNELS]
        shares = np.array([s for _, s in CHANNELS])
        if not STAFF_HOURS[hour]:  # staff are not on their rounds at night
            shares = np.where(np.isin(names, ["grid_worker", "patrol"]), 0.0, shares)
        if not self.patrols:
            shares = np.where(np.isin(names, ["patrol"]), 0.0, shares)
        channel = names[int(self.rng.choice(len(names), p=shares / shares.sum()))]
        who: str | None = None
        polygon: Polygon | None = None
        if channel == "grid_worker" and "gridworker" in self._tokens and self._gridworker_grid is not None:
            who, polygon = "gridworker", self._gridworker_grid
        elif channel == "hotline" and "street" in self._tokens:
            who = "street"
        elif channel in ("app", "open311", "patrol") and "resident" in self._tokens:
            channel, who = "app", "resident"
        else:
            channel = "resident_web"
        if polygon is None:
            if channel == "hotline":  # the street operator takes calls of their own street
                street = [p for code, p in self._grids if code.startswith("330108002")]
                polygon = street[int(self.rng.integers(len(street)))] if street else None
            if polygon is None:
                polygon = self._grids[int(self.rng.integers(len(self._grids)))][1]
        point = _point_in(self.rng, polygon)
        code = self._categories[int(self.rng.choice(len(self._categories), p=self._weights))]
        body: dict[str, Any] = {
            "category_code": code,
            "description": DESCRIPTIONS.get(code, "发现问题，请尽快处理") + "（演示实时上报）",
            "lon": round(point[0], 6),
            "lat": round(point[1], 6),
            "source": channel,
        }
        if channel in ("resident_web", "hotline"):
            body["reporter_phone"] = f"1{self.rng.choice(list('3578'))}{int(self.rng.integers(0, 10**9)):09d}"
        token = self._tokens.get(who) if who else None
        response = self._http("POST", "/api/v1/cases", json=body, token=token)
        if response is not None and response.status_code == 401 and who:  # the sign-in expired: again
            fresh = self._login(who)
            if fresh:
                self._tokens[who] = fresh
                response = self._http("POST", "/api/v1/cases", json=body, token=fresh)
        if response is not None and response.status_code == 201:
            self.stats.reports += 1
        elif response is not None:
            self._error(RuntimeError(f"report {response.status_code}: {response.text[:200]}"))

    # --- plumbing -----------------------------------------------------------------------------------

    def _http(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response | None:
        assert self._client is not None
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            return self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self._error(exc)
            return None

    def _error(self, exc: Exception) -> None:
        self.stats.errors += 1
        self.stats.last_error = str(exc)
        if self.stats.errors <= 5 or self.stats.errors % 100 == 0:
            log.warning("live demo: %s (%d errors so far)", exc, self.stats.errors)


def _point_in(rng: np.random.Generator, polygon: Polygon) -> tuple[float, float]:
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(50):
        x, y = float(rng.uniform(minx, maxx)), float(rng.uniform(miny, maxy))
        if shapely.contains_xy(polygon, x, y):
            return x, y
    point = polygon.representative_point()
    return float(point.x), float(point.y)
