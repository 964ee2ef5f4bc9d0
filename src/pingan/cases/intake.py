"""Intake: how a report becomes a case, in two steps shared by every channel.

1. :func:`draft` checks a :class:`Report` and works out everything the new case needs before anything is
   written: category, priority, place (the grid locator fills grid, community and street), owning unit (the
   routing rules), SLA deadlines, protected reporter contact, a tracking token.
2. :func:`write` stores a list of drafts with SQLAlchemy Core — numbers drawn in one step, cases and their
   first timeline entries inserted in one statement each — then links possible duplicates, audits what a
   hotline operator collected, stores photos and queues the live-feed messages.

``service.raise_case`` / ``service.submit_report`` run both steps for one report inside the caller's
transaction. :class:`IntakeWriter` runs them for the concurrent requests of the intake API: each request's
draft is made and written in the batch of a group commit (:mod:`pingan.core.groupcommit`) and answered once
that transaction has committed. A report that fails its checks fails alone, with its 4xx error.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.audit import service as audit
from pingan.cases import hooks, live, routing, sla
from pingan.cases import intake_sql as sql
from pingan.cases.access import OPERATOR_ROLES
from pingan.cases.config import get_cases_settings
from pingan.cases.models import (
    INTERNAL_SOURCES,
    PRIORITIES,
    SOURCES,
    Case,
    CaseEvent,
    CaseLink,
    Category,
    State,
)
from pingan.cases.shapes import case_dict
from pingan.cases.timeline import attach_file
from pingan.core import geo
from pingan.core.clock import to_local, utcnow
from pingan.core.config import Settings, get_settings, use_settings
from pingan.core.db import (
    base_engine,
    create_db_engine,
    make_session_factory,
    pipelined,
    transaction,
)
from pingan.core.errors import NotFound, PinganError, ValidationFailed
from pingan.core.groupcommit import GroupCommit
from pingan.core.pii import get_protector, mask_name, mask_phone, normalise_phone
from pingan.core.security import Actor, Grant, Role, require_role
from pingan.core.validation import check_json, check_text, strip_unicode_space
from pingan.core.workerprocess import WorkerProcess

log = logging.getLogger("pingan.cases.intake")

MAX_DESCRIPTION = 4000
CASES = cast(Any, Case.__table__)
EVENTS = cast(Any, CaseEvent.__table__)
LINKS = cast(Any, CaseLink.__table__)


@dataclass(slots=True)
class Report:
    """What a channel hands in: a problem, where it is, and (for people) who reports it."""

    category_code: str
    description: str
    source: str
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    area_code: str | None = None  # internal raisers without a point: the grid/street/district concerned
    title: str | None = None
    priority: str | None = None
    source_ref: str | None = None
    dedupe_key: str | None = None
    address: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    is_anonymous_public: bool = False
    on_behalf: bool = False  # a hotline operator entering a caller's report
    # the account the case is for when staff raise it for a resident (a resident's opinion made a case): that
    # resident follows it as its reporter
    reporter_account_id: int | None = None
    attributes: dict[str, Any] | None = None
    media_url: str | None = None
    files: list[tuple[str, bytes]] | None = None


@dataclass(slots=True)
class Draft:
    """A checked report: the new case's columns (``case``), and what writing it needs besides."""

    case: SimpleNamespace
    actor: Actor
    category: Category
    route_reason: str
    tracking_token: str
    files: list[tuple[str, bytes]]
    collected: list[str]  # personal data a hotline operator entered for a caller (audited)


# --- step 1: draft -------------------------------------------------------------------------------------

_TEXT_FIELDS = ("category_code", "description", "title", "address", "reporter_name", "reporter_phone")


def tracking_digest(token: str) -> str:
    """What is stored of a reporter's tracking token (its SHA-256), to find the case by the token later."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_texts(report: Report) -> None:
    """Every channel's text under the shared rule (no control characters), attributes bounded."""
    for name in _TEXT_FIELDS:
        value = getattr(report, name)
        if value:
            check_text(value, field=name)
    if report.attributes:
        check_json(report.attributes, field="attributes")


def draft(session: Session, actor: Actor, report: Report, *, now: datetime) -> Draft:
    """Check a report and work out the case it becomes (reads only); ValidationFailed names the field."""
    if report.source not in SOURCES:
        raise ValidationFailed(f"source must be one of {', '.join(SOURCES)}", field="source")
    if report.source == "hotline":
        require_role(actor, *OPERATOR_ROLES)
    elif report.source == "grid_worker":
        require_role(actor, Role.GRID_WORKER, Role.LIAISON_CADRE)  # a cadre reports from a visit too
    _check_texts(report)
    category = routing.category_snapshot(session, strip_unicode_space(report.category_code or ""))
    if len(category.code) != 4:
        raise ValidationFailed(
            "choose a minor class (4-digit code), not a major class", field="category_code"
        )
    description = (report.description or "").strip()
    if not description:
        raise ValidationFailed("description is required", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    if report.title is not None and len(report.title) > 200:
        raise ValidationFailed("title is longer than 200 characters", field="title")
    priority = report.priority or category.default_priority
    if priority not in PRIORITIES:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
    phone = normalise_phone(report.reporter_phone, field="reporter_phone") if report.reporter_phone else None
    name = (report.reporter_name or "").strip() or None
    if name is not None and len(name) > 40:
        raise ValidationFailed("reporter name is longer than 40 characters", field="reporter_name")
    if report.on_behalf and phone is None:
        raise ValidationFailed("a hotline report needs the caller's phone", field="reporter_phone")
    address = (report.address or "").strip()
    if len(address) > 200:
        raise ValidationFailed("address is longer than 200 characters", field="address")
    files = report.files or []
    if len(files) > get_cases_settings().max_attachments:
        raise ValidationFailed(f"at most {get_cases_settings().max_attachments} files", field="media")
    internal = actor.is_system or report.source in INTERNAL_SOURCES
    lon, lat, area_code, community_code, street_code = _place(session, report, internal)

    unit_id, route_reason = routing.route_snapshot(
        session,
        category_code=category.code,
        area_code=area_code,
        street_code=street_code,
        community_code=community_code,
    )
    token = secrets.token_urlsafe(12)
    case = SimpleNamespace(
        id=None,
        number=None,
        category_code=category.code,
        title=(report.title or "").strip() or _default_title(category, description),
        description=description,
        address=address,
        lon=lon,
        lat=lat,
        source_crs=geo.parse_crs(report.crs).value if lon is not None else "wgs84",
        area_code=area_code,
        community_code=community_code,
        street_code=street_code,
        source=report.source,
        source_ref=report.source_ref,
        dedupe_key=report.dedupe_key,
        signal_count=1,
        last_signal_at=now,
        priority=priority,
        state=State.REPORTED.value,
        suspended_from=None,
        owner_unit_id=unit_id,
        routed_unit_id=unit_id,
        escalation_level="district" if street_code is None else "street",
        is_supervised=False,
        duplicate_of_id=None,
        reporter_account_id=report.reporter_account_id or (None if report.on_behalf else actor.account_id),
        reporter_name_enc=None,
        reporter_name_masked="",
        reporter_phone_enc=None,
        reporter_phone_index=None,
        reporter_phone_masked="",
        is_anonymous_public=report.is_anonymous_public,
        tracking_digest=tracking_digest(token),
        entered_by_id=actor.account_id if report.on_behalf else None,
        attributes=report.attributes or {},
        media_url=report.media_url,
        stage=None,
        stage_started_at=None,
        stage_due_at=None,
        close_due_at=None,
        sla_color="green",
        paused_at=None,
        paused_seconds=0,
        reported_at=now,
        registered_at=None,
        dispatched_at=None,
        started_at=None,
        handled_at=None,
        verified_at=None,
        closed_at=None,
        updated_at=now,
        is_closed_on_time=None,
        return_count=0,
        rework_count=0,
        reopen_count=0,
        public_note="",
    )
    as_case = cast(Case, case)  # the SLA functions read and set the same attributes on a namespace
    calendar = sla.calendar_for(session)  # cached per database: the shipped holidays plus the admin's days
    sla.start_stage(as_case, category, now, calendar=calendar)
    sla.plan_close_due(as_case, category, now, from_stage="register", calendar=calendar)
    if name or phone:
        protector = get_protector()
        if name:
            case.reporter_name_enc = protector.encrypt(name)
            case.reporter_name_masked = mask_name(name)
        if phone:
            case.reporter_phone_enc = protector.encrypt(phone)
            case.reporter_phone_index = protector.blind_index("phone:" + phone)
            case.reporter_phone_masked = mask_phone(phone)
    collected = [k for k, v in (("name", name), ("phone", phone)) if v] if report.on_behalf else []
    return Draft(case, actor, category, route_reason, token, files, collected)


# Address locators registered by modules above this one (see cases/hooks.py, which holds the list)
_ADDRESS_LOCATORS = hooks.ADDRESS_LOCATORS
register_address_locator = hooks.register_address_locator


def locate_address(session: Session, text: str) -> tuple[float, float] | None:
    """The point of an address by the first registered locator that knows it; None when none does."""
    for ref in _ADDRESS_LOCATORS:
        module, _, name = ref.partition(":")
        found = getattr(importlib.import_module(module), name)(session, text)
        if found is not None:
            return cast(tuple[float, float], found)
    return None


def _place(
    session: Session, report: Report, internal: bool
) -> tuple[float | None, float | None, str, str | None, str | None]:
    """(lon, lat) in WGS-84 and the grid, community and street codes of a report."""
    lon, lat = report.lon, report.lat
    crs = report.crs
    if (lon is None) != (lat is None):
        raise ValidationFailed("lon and lat must be sent together", field="lon" if lon is None else "lat")
    address = (report.address or "").strip()
    if lon is None and address:
        located = locate_address(session, address)
        if located is None and not internal:
            raise ValidationFailed(
                f"the address {address!r} is not in the district's address register "
                "(buildings and key places): send lon and lat",
                field="lon",
            )
        if located is not None:
            (lon, lat), crs = located, "wgs84"
    if lon is not None and lat is not None:
        parsed = geo.parse_crs(crs)
        geo.validate_lonlat(lon, lat)
        wlon, wlat = geo.to_wgs84(lon, lat, parsed)
        found = areas.locate(session, lon=wlon, lat=wlat)
        if found is None:
            raise ValidationFailed(
                f"lon/lat ({lon}, {lat}) in {parsed.value} lies outside the district's grids",
                code="outside_district",
                field="lon",
            )
        return (
            round(wlon, 7),
            round(wlat, 7),
            found.grid.code,
            found.community.code if found.community else None,
            found.street.code if found.street else None,
        )
    if not internal:
        raise ValidationFailed("a location is required: send lon and lat, or an address", field="lon")
    if report.area_code:
        try:
            chain = areas.ancestors(session, report.area_code)
        except NotFound:
            chain = []
        if not chain:
            raise ValidationFailed(f"no area with code {report.area_code}", field="area_code")
        levels = {a.level: a.code for a in chain}
        return (
            None,
            None,
            report.area_code,
            levels.get(AreaLevel.COMMUNITY.value),
            levels.get(AreaLevel.STREET.value),
        )
    district = district_code(session)
    if district is None:
        raise ValidationFailed("no district is configured", field="area_code")
    return None, None, district, None, None


_DISTRICTS: dict[Any, tuple[float, str]] = {}


def district_code(session: Session) -> str | None:
    """The code of the (first) district, remembered per database for a minute."""
    key = base_engine(session.get_bind())
    hit = _DISTRICTS.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    districts = areas.list_areas(session, level=AreaLevel.DISTRICT)
    if not districts:
        return None
    _DISTRICTS[key] = (time.monotonic() + 60.0, districts[0].code)
    return districts[0].code


def public_actor(session: Session, *, client_ip: str | None = None) -> Actor:
    """The actor of an anonymous resident using the public report form."""
    code = district_code(session)
    grants = (Grant(Role.RESIDENT, code),) if code else ()
    return Actor(account_id=None, username="public", grants=grants, client_ip=client_ip, display_name="市民")


def _default_title(category: Category, description: str) -> str:
    first = description.splitlines()[0][:40]
    return f"{category.name_zh}：{first}" if first else category.name_zh


# --- step 2: write -------------------------------------------------------------------------------------


def write(session: Session, drafts: list[Draft], *, now: datetime) -> None:
    """Store drafted cases in the session's transaction (never commits); sets each draft's id and number.

    PostgreSQL gets two round trips whatever the number of cases: numbers and ids drawn together with the
    search for stored cases near the batch, then the cases, their first timeline entries and their duplicate
    links inserted together. SQLite (in the process, no round trips) runs the same steps one by one."""
    if not drafts:
        return
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    located = (
        [d for d in drafts if d.case.lon is not None and not d.case.dedupe_key]
        if get_cases_settings().auto_link
        else []
    )
    boxes = [
        sql.box(i, d.category, d.case.lon, d.case.lat, now=now)
        for i, d in enumerate(located)
        if d.category.dedupe_radius_m > 0
    ]
    if postgres:
        drawn, *found = pipelined(
            conn, [(sql.DRAW_PG, {"n": len(drafts)})] + ([sql.search_pg(boxes)] if boxes else [])
        )
        near = found[0] if found else []
    else:
        near = sql.search_sqlite(conn, boxes)
        drawn = sql.draw_sqlite(conn, len(drafts))
    day = f"{to_local(now):%Y%m%d}"
    for d, (number, case_id) in zip(drafts, drawn, strict=True):
        d.case.number, d.case.id = f"BJ{day}{int(number):04d}", int(case_id)
    events = [
        _event_row(
            d.case.id,
            d.actor,
            now,
            action="report",
            to_state=State.REPORTED.value,
            note=f"{d.case.source}; {d.route_reason}",
            is_public=True,
            details={"source": d.case.source, "routed_unit_id": d.case.routed_unit_id},
        )
        for d in drafts
    ]
    links: list[dict[str, Any]] = []
    _link_duplicates(located, near, now, links, events)
    rows = [_row(d.case) for d in drafts]
    for d in drafts:
        live.queue_change(session, d.case, "reported")
    tables = ((CASES, rows), (EVENTS, events), (LINKS, links))
    if postgres:
        statements = [sql.insert_pg(table, values) for table, values in tables if values]
        notify = live.notify_statement(session)  # the live feed's messages go along (sent only on commit)
        pipelined(conn, statements + ([notify] if notify else []))
    else:
        for table, values in tables:
            if values:
                sql.insert_sqlite(conn, table, values)
    for d in drafts:
        if d.collected:
            audit.record(
                session,
                d.actor,
                action="pii_collect",
                subject_type="case_reporter",
                subject_id=d.case.id,
                area_code=d.case.area_code,
                reason="hotline report entered for a caller",
                details={"number": d.case.number, "fields": d.collected},
            )
        if d.files:
            for filename, data in d.files:
                attach_file(session, d.actor, cast(Case, d.case), filename=filename, data=data, kind="report")


_COLUMNS = [c.name for c in CASES.columns]


def _row(case: SimpleNamespace) -> dict[str, Any]:
    values = vars(case)
    return {name: values[name] for name in _COLUMNS if name in values}


def _event_row(
    case_id: int, actor: Actor | None, at: datetime, *, action: str, note: str, **values: Any
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "at": at,
        "account_id": actor.account_id if actor else None,
        "actor_name": (actor.display_name or actor.username) if actor else "system",
        "action": action,
        "from_state": values.get("from_state"),
        "to_state": values.get("to_state"),
        "unit_id": values.get("unit_id"),
        "note": note,
        "is_public": values.get("is_public", False),
        "details": values.get("details") or {},
    }


def nearby_rows(
    session: Session,
    category: Category,
    lon: float,
    lat: float,
    *,
    now: datetime,
    include_closed: bool,
    radius_m: float | None = None,
    exclude_id: int | None = None,
) -> list[tuple[float, int, str]]:
    """(distance in m, id, number) of the category's open (and recently closed) cases within its radius that
    are not themselves duplicates (nor ``exclude_id``), nearest first."""
    radius = category.dedupe_radius_m if radius_m is None else radius_m
    if radius <= 0:
        return []
    box = sql.box(
        0, category, lon, lat, now=now, radius_m=radius, include_closed=include_closed, not_id=exclude_id or 0
    )
    near = []
    for _i, case_id, number, clon, clat in sql.search(session.connection(), [box]):
        distance = geo.haversine_m(lon, lat, clon or 0.0, clat or 0.0)
        if distance <= radius:
            near.append((distance, case_id, number))
    near.sort()
    return near


def _link_duplicates(
    drafts: list[Draft],
    near: list[Any],
    now: datetime,
    links: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """A new report near an open case of its category — stored (``near``: the search's rows for the boxes
    of ``drafts``), or earlier in this batch — is linked to the nearest one (never dropped); found before
    the insert, so each case is written once."""
    stored: list[tuple[float, int, str] | None] = [None] * len(drafts)
    for i, case_id, number, clon, clat in near:
        d = drafts[i]
        distance = geo.haversine_m(d.case.lon, d.case.lat, clon or 0.0, clat or 0.0)
        current = stored[i]
        if distance <= d.category.dedupe_radius_m and (
            current is None or (distance, case_id) < (current[0], current[1])
        ):
            stored[i] = (distance, case_id, number)
    originals: list[Draft] = []  # this batch's reports that are not duplicates, in order
    for d, best in zip(drafts, stored, strict=True):
        radius = d.category.dedupe_radius_m
        band = radius / 111_000.0
        for o in originals:
            if o.category.code != d.category.code or abs(o.case.lat - d.case.lat) > band:
                continue
            distance = geo.haversine_m(d.case.lon, d.case.lat, o.case.lon, o.case.lat)
            if distance <= radius and (best is None or (distance, o.case.id) < (best[0], best[1])):
                best = (distance, o.case.id, o.case.number)
        if best is None:
            originals.append(d)
            continue
        distance, target_id, target_number = best
        d.case.duplicate_of_id = target_id
        links.append(
            {
                "case_id": d.case.id,
                "other_case_id": target_id,
                "kind": "duplicate",
                "distance_m": distance,
                "created_at": now,
                "created_by": "auto",
            }
        )
        events.append(
            _event_row(
                d.case.id,
                None,
                now,
                action="link",
                note=f"possible duplicate of {target_number} ({distance:.0f} m away); "
                "an operator may merge or split",
                details={"other_case_id": target_id, "other_number": target_number},
            )
        )


# --- the API's batched writer ----------------------------------------------------------------------------


@dataclass(slots=True)
class Pending:
    """One intake request waiting for the group commit: who (None = anonymous resident) and what."""

    actor: Actor | None
    report: Report
    client_ip: str | None = None


class IntakeWriter:
    """Writes the reports of concurrent intake requests in shared transactions (group commit).

    With ``process`` (the served default, ``PINGAN_CASES_INTAKE_PROCESS``) the batches are drafted and
    written by a child process (``pingan.core.workerprocess``): the writer's Python time — locating, routing,
    SLA deadlines, row building — then runs on the other core instead of taking turns with the server's
    requests for the interpreter. A database only this process can open (SQLite in memory, a test's shared
    connection) is always written here."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        max_batch: int = 256,
        process: bool | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.factory = factory
        # One batch at a time: SQLite has one writer, and on PostgreSQL here three in flight measured slower
        # (smaller batches, more round trips); a slow WAL disk may call for more.
        bind = factory.kw.get("bind")
        sqlite = bind is None or bind.dialect.name == "sqlite"
        cs = get_cases_settings()
        concurrency = 1 if sqlite else max(1, cs.intake_batches_in_flight)
        if process is None:
            process = cs.intake_process
        self._workers: list[WorkerProcess] = []
        if process and _shareable(bind):
            url = base_engine(bind).url.render_as_string(hide_password=False)
            for _ in range(concurrency):
                worker = WorkerProcess(
                    "pingan.cases.intake:process_writer",
                    url,
                    settings or get_settings(),
                    live.ORIGIN,
                    list(_ADDRESS_LOCATORS),
                    name="pingan-intake-writer",
                )
                self._workers.append(worker)
        # A writer process gets the next batch while it writes one: it starts on it the moment it is done.
        self._group: GroupCommit[Pending, dict[str, Any]] = GroupCommit(
            self.write,
            max_batch=max_batch,
            concurrency=2 * len(self._workers) if self._workers else concurrency,
            linger=cs.intake_linger_ms / 1000,
        )

    @property
    def workers(self) -> list[WorkerProcess]:
        """The writer processes (none when batches are written in this process)."""
        return list(self._workers)

    def start(self) -> None:
        """Start the writer processes now rather than at the first report."""
        for worker in self._workers:
            worker.start()

    def close(self) -> None:
        """End the writer processes (each after the batch in hand)."""
        for worker in self._workers:
            worker.close()

    async def submit(self, pending: Pending) -> dict[str, Any]:
        """The created case (staff view plus the tracking token), once committed; or its 4xx error."""
        return await self._group.submit_one(pending)

    async def write(self, items: list[Pending]) -> list[dict[str, Any] | BaseException]:
        """Write a batch in an idle writer process (in a thread of this process when there are none)."""
        if not self._workers:
            return await asyncio.get_running_loop().run_in_executor(None, self.write_here, items)
        worker = min(self._workers, key=lambda w: w.in_flight)
        return cast(list[dict[str, Any] | BaseException], await worker.call(items))

    def write_here(self, items: list[Pending]) -> list[dict[str, Any] | BaseException]:
        """Write a batch in this process, in one transaction. If it fails as a whole, the group commit
        (:mod:`pingan.core.groupcommit`) writes its halves again until the failing report stands alone."""
        return self._write(items)

    def _write(self, items: list[Pending]) -> list[dict[str, Any] | BaseException]:
        results: list[dict[str, Any] | BaseException | None] = [None] * len(items)
        drafts: list[tuple[int, Draft]] = []
        with transaction(self.factory) as session:
            now = utcnow()
            for i, item in enumerate(items):
                try:
                    actor = item.actor or public_actor(session, client_ip=item.client_ip)
                    drafts.append((i, draft(session, actor, item.report, now=now)))
                except PinganError as exc:
                    results[i] = exc
            write(session, [d for _, d in drafts], now=now)
        for i, d in drafts:
            results[i] = created_body(d)
        return [r if r is not None else RuntimeError("no result") for r in results]


def _shareable(bind: Any) -> bool:
    """Whether another process can open the database of ``bind`` (not SQLite in memory or a single
    shared connection)."""
    if not isinstance(bind, Engine):  # none, or a connection (a transaction others cannot see)
        return False
    engine = base_engine(bind)
    if isinstance(engine.pool, StaticPool | SingletonThreadPool):
        return False
    return engine.dialect.name != "sqlite" or (engine.url.database or ":memory:") != ":memory:"


def process_writer(
    url: str, settings: Settings, origin: str, address_locators: list[str]
) -> Callable[[list[Pending]], list[dict[str, Any] | BaseException]]:
    """The handler of an intake writer process: its server's settings, database, live-feed origin (so the
    server's own LISTEN bridge does not publish this process's changes twice) and address locators."""
    use_settings(settings)
    live.ORIGIN = origin
    for ref in address_locators:
        register_address_locator(ref)
    # No ping before each batch (a round trip on PostgreSQL): a connection that went stale fails its batch,
    # the pool drops it, and the group commit writes the batch's reports again (in halves) on a fresh one.
    engine = create_db_engine(url, pool_pre_ping=False)
    return IntakeWriter(make_session_factory(engine), process=False).write_here


def created_body(d: Draft) -> dict[str, Any]:
    """The answer to the reporter: the staff view of the case and, once, its tracking token."""
    body = case_dict(cast(Case, d.case))
    body["tracking_code"] = d.tracking_token
    body["tracking_token"] = d.tracking_token  # its former name, kept for clients written against it
    body["tracking_url"] = f"/api/v1/public/cases/{d.case.number}?tracking_code={d.tracking_token}"
    return body
