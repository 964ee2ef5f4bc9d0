"""Readings in: normalised, refused with a reason (counted per station and reason), stored once per
(station, parameter, time) with an insert-or-ignore, the stations heard (devices spine), and each new sample
classified (GB 3838-2002) with its alerts raised as cases through the cases spine.

Alerts (one case per episode, by dedupe key, through ``cases.interface.raise_case``):
- *worse than target*: the station's class is worse than its target for ``consecutive`` samples in a row
  (raised once, when the streak reaches it; a sample within target ends the episode);
- *sudden jump*: one parameter's class worsens by ``jump_classes`` or more from its previous reading.
Samples older than the station's latest classified one are stored but not evaluated (late data).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core.clock import utcnow
from pingan.core.errors import PinganError
from pingan.core.security import Actor, Role, ensure_in_scope, require_role
from pingan.devices import interface as devices

from . import gb3838
from .gb3838 import WaterClass
from .models import Reading as ReadingRow
from .models import ReadingRefusal, River, RiverSegment, Station
from .module import QUALITY_CATEGORY, STATION_KIND
from .parameters import Refused, normalise

CONSECUTIVE = 3  # samples worse than target in a row that open a case
JUMP_CLASSES = 2  # a parameter worsening by this many classes from one reading to the next
FUTURE_SLACK = timedelta(minutes=10)  # clocks of field devices drift
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # older times are typing errors or unset device clocks
# who may send readings: a station gateway is an account of the sector clerk role (行业填报员, e.g. the river
# office) with a personal token (machine client, `Authorization: Bearer …`); district admins too
INGEST = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.SECTOR_CLERK)


@dataclass(frozen=True)
class Measure:
    station: str
    parameter: str
    value: float
    unit: str | None
    observed_at: datetime


@dataclass(frozen=True)
class RefusedMeasure:
    index: int
    station: str
    parameter: str
    reason: str
    detail: str


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    refused: list[RefusedMeasure] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # dedupe keys of the cases raised or signalled


def ingest(
    session: Session,
    measures: Sequence[Measure],
    *,
    now: datetime | None = None,
    actor: Actor | None = None,
    consecutive: int = CONSECUTIVE,
    jump_classes: int = JUMP_CLASSES,
) -> IngestReport:
    """Store a batch of readings (never commits); see the module's docstring. With ``actor``, stations
    outside its scope are refused as unknown (their existence is not revealed)."""
    now = now or utcnow()
    if actor is not None:
        require_role(actor, *INGEST)
    report = IngestReport()
    codes = {m.station for m in measures}
    stations = {
        s.code: s
        for s in session.scalars(select(Station).where(Station.code.in_(codes)))
        if actor is None or _covers(actor, s.area_code)
    }
    rows: dict[tuple[int, str, datetime], float] = {}
    for index, m in enumerate(measures):
        try:
            station, parameter, value, at = _check(m, stations, now)
        except Refused as exc:
            report.refused.append(RefusedMeasure(index, m.station, m.parameter, exc.reason, exc.detail))
            continue
        rows.setdefault((station.id, parameter, at), value)
    inserted = _insert_or_ignore(session, rows)
    report.accepted = len(inserted)
    report.duplicates = len(measures) - len(report.refused) - len(inserted)
    _count_refusals(session, report.refused, now)
    heard = {s.code: now for s in stations.values() if any(k[0] == s.id for k in rows)}
    devices.heard(session, STATION_KIND, heard)
    by_station: dict[int, dict[datetime, set[str]]] = defaultdict(lambda: defaultdict(set))
    for station_id, parameter, at in inserted:
        by_station[station_id][at].add(parameter)
    for station in stations.values():
        if station.id in by_station:
            _evaluate(session, station, by_station[station.id], report, consecutive, jump_classes)
    session.flush()
    return report


def _covers(actor: Actor, area_code: str) -> bool:
    try:
        ensure_in_scope(actor, area_code, what="station", roles=INGEST)
    except PinganError:
        return False
    return True


def _check(m: Measure, stations: dict[str, Station], now: datetime) -> tuple[Station, str, float, datetime]:
    station = stations.get(m.station)
    if station is None:
        raise Refused("unknown_station", f"no station with code {m.station!r}")
    parameter, value = normalise(m.parameter, m.value, m.unit)
    if parameter not in station.parameters:
        raise Refused("not_measured", f"station {station.code} does not measure {parameter}")
    try:
        at = m.observed_at.astimezone(UTC)
    except (OverflowError, ValueError):
        at = EARLIEST - timedelta(days=1)
    if at < EARLIEST:
        raise Refused("bad_time", f"observed at {m.observed_at.isoformat()} is before {EARLIEST.year}")
    if at > now + FUTURE_SLACK:
        raise Refused("future_time", f"observed at {at.isoformat()} is in the future")
    return station, parameter, value, at


def _insert_or_ignore(
    session: Session, rows: dict[tuple[int, str, datetime], float]
) -> list[tuple[int, str, datetime]]:
    """Insert the readings; a (station, parameter, time) already stored is ignored. The inserted keys."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ReadingRow)
        .on_conflict_do_nothing(index_elements=["station_id", "parameter", "observed_at"])
        .returning(ReadingRow.station_id, ReadingRow.parameter, ReadingRow.observed_at)
    )
    params = [
        {"station_id": s, "parameter": p, "observed_at": at, "value": v} for (s, p, at), v in rows.items()
    ]
    return [(int(s), str(p), at) for s, p, at in session.execute(stmt, params)]


def count_refusal(
    session: Session, *, station: str, reason: str, detail: str, now: datetime | None = None
) -> None:
    """Count one refusal that never became a measure (an unreadable MQTT message, say)."""
    _count_refusals(session, [RefusedMeasure(-1, station, "", reason, detail)], now or utcnow())


def _count_refusals(session: Session, refused: list[RefusedMeasure], now: datetime) -> None:
    """Add the refused readings to their station's count per reason (an upsert on both databases)."""
    if not refused:
        return
    counts: dict[tuple[str, str], tuple[int, str]] = {}
    for r in refused:
        n, _ = counts.get((r.station[:64], r.reason), (0, ""))
        counts[(r.station[:64], r.reason)] = (n + 1, r.detail[:300])
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for (code, reason), (n, detail) in counts.items():
        stmt = insert(ReadingRefusal).values(
            station_code=code, reason=reason, count=n, last_detail=detail, last_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["station_code", "reason"],
            set_={
                "count": ReadingRefusal.count + stmt.excluded.count,
                "last_detail": stmt.excluded.last_detail,
                "last_at": stmt.excluded.last_at,
            },
        )
        session.execute(stmt)


def _evaluate(
    session: Session,
    station: Station,
    new: dict[datetime, set[str]],
    report: IngestReport,
    consecutive: int,
    jump_classes: int,
) -> None:
    """Classify the station's samples with new readings from its latest classified one on, in time order
    (the latest again when more of its parameters arrive later: a sample may come in parts); raise alerts."""
    latest = station.classified_at
    times = sorted(t for t in new if latest is None or t >= latest)
    if not times:
        return
    lake = bool(
        session.scalar(
            select(River.is_lake)
            .join(RiverSegment, RiverSegment.river_id == River.id)
            .where(RiverSegment.id == station.segment_id)
        )
    )
    samples: dict[datetime, dict[str, float]] = defaultdict(dict)
    for parameter, at, value in session.execute(
        select(ReadingRow.parameter, ReadingRow.observed_at, ReadingRow.value).where(
            ReadingRow.station_id == station.id, ReadingRow.observed_at.in_(times)
        )
    ):
        samples[at][parameter] = value
    previous = _previous_values(session, station, times[0])
    target = WaterClass(station.target_class)
    for at in times:
        values = samples.get(at, {})
        found = gb3838.classify(values, lake=lake)
        fresh = {p: v for p, v in values.items() if p in new[at]}
        _jumps(session, station, fresh, previous, at, lake, report, jump_classes)
        previous.update(values)
        if found is None:
            continue
        again = station.classified_at == at  # the same sample, completed: its streak step counts once
        was_worse = again and station.current_class is not None and station.current_class > target
        base = station.streak_base if again else station.worse_streak
        station.current_class = int(found.water_class)
        station.deciding = ",".join(found.deciding)[:100]
        station.classified_at, station.streak_base = at, base
        if found.water_class > target:
            station.worse_streak = base + 1
            if station.worse_streak == consecutive and not was_worse:
                _raise_worse(session, station, found, target, consecutive, report)
        else:
            station.worse_streak = 0


def _previous_values(session: Session, station: Station, before: datetime) -> dict[str, float]:
    previous: dict[str, float] = {}
    for parameter in station.parameters:
        value = session.scalar(
            select(ReadingRow.value)
            .where(
                ReadingRow.station_id == station.id,
                ReadingRow.parameter == parameter,
                ReadingRow.observed_at < before,
            )
            .order_by(ReadingRow.observed_at.desc())
            .limit(1)
        )
        if value is not None:
            previous[parameter] = value
    return previous


def _jumps(
    session: Session,
    station: Station,
    values: dict[str, float],
    previous: dict[str, float],
    at: datetime,
    lake: bool,
    report: IngestReport,
    jump_classes: int,
) -> None:
    for parameter, value in values.items():
        if parameter not in gb3838.CLASSIFIED or parameter not in previous:
            continue
        key = "TP_lake" if lake and parameter == "TP" else parameter
        before = gb3838.classify_value(key, previous[parameter])
        now_class = gb3838.classify_value(key, value)
        if now_class - before >= jump_classes:
            description = (
                f"{station.name}（{station.code}）{parameter} 由 {previous[parameter]:g}（{before.label}类）"
                f"突变为 {value:g}（{now_class.label}类），时间 {at.isoformat()}。"
            )
            title = f"水质突变：{station.name} {parameter}"
            _raise(session, station, f"rivers:jump:{station.code}:{parameter}", title, description, report)


def _raise_worse(
    session: Session,
    station: Station,
    found: gb3838.Classification,
    target: WaterClass,
    consecutive: int,
    report: IngestReport,
) -> None:
    description = (
        f"{station.name}（{station.code}）连续 {consecutive} 次监测水质为 {found.water_class.label} 类，"
        f"劣于目标 {target.label} 类；定类项目：{'、'.join(found.deciding)}。"
    )
    title = f"水质超标：{station.name} {found.water_class.label}类（目标{target.label}类）"
    _raise(session, station, f"rivers:quality:{station.code}", title, description, report)


def _raise(
    session: Session, station: Station, key: str, title: str, description: str, report: IngestReport
) -> Any:
    try:
        cases.raise_case(
            session,
            Actor.system("rivers"),
            category_code=QUALITY_CATEGORY,
            title=title[:200],
            description=description,
            source="sensor",
            lon=station.lon,
            lat=station.lat,
            area_code=station.area_code,
            source_ref=f"river-station:{station.id}",
            dedupe_key=key,
        )
    except PinganError as exc:
        if exc.code != "snoozed":
            raise
    report.alerts.append(key)
