"""Case tables: categories, routing rules, cases, their timeline, attachments, links, ratings, SLA data,
and the admin's days of the work calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

# the states and vocabularies live in cases.types; re-exported for the package itself and its callers
from pingan.cases.types import CLOCKS as CLOCKS
from pingan.cases.types import FINAL_STATES as FINAL_STATES
from pingan.cases.types import INTERNAL_SOURCES as INTERNAL_SOURCES
from pingan.cases.types import OPEN_STATES as OPEN_STATES
from pingan.cases.types import PRIORITIES as PRIORITIES
from pingan.cases.types import RATINGS as RATINGS
from pingan.cases.types import SOURCES as SOURCES
from pingan.cases.types import STAGES as STAGES
from pingan.cases.types import State as State
from pingan.core.clock import to_local, utcnow
from pingan.core.db import Base, UTCDateTime


class Category(Base):
    """One node of the event category tree (2-digit major, 4-digit minor), with SLA and dedupe rules."""

    __tablename__ = "case_categories"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("case_categories.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(200), default="")
    default_priority: Mapped[str] = mapped_column(String(10), default="normal")
    # {"normal": {"register": 60, "dispatch": 60, "handle": 2880, "verify": 240}, "urgent": {...}}
    sla_minutes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    clock: Mapped[str] = mapped_column(String(10), default="working", server_default="working")
    dedupe_radius_m: Mapped[float] = mapped_column(Float, default=50.0)
    dedupe_window_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # Open311 service definition


class RoutingRule(Base):
    """Category prefix × area prefix → owning unit; the most specific active rule wins."""

    __tablename__ = "case_routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_prefix: Mapped[str] = mapped_column(String(8), default="")
    area_prefix: Mapped[str] = mapped_column(String(20), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # "unit" = the unit above; "street_centre" / "community" = the centre of the case's street / community
    target: Mapped[str] = mapped_column(String(20), default="unit")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseCounter(Base):
    """Monotonic counter behind case numbers (SQLite; PostgreSQL uses a sequence)."""

    __tablename__ = "case_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """A case (事件/案卷): one problem moving through the workflow."""

    __tablename__ = "cases"
    __table_args__ = (
        # by state (the SLA job, open-case lists), and the wall's roll-ups of open cases read from the index
        # alone (pingan.cases.rollups: open cases per grid and SLA colour, the most urgent ones)
        Index(
            "ix_cases_open_rollup",
            "state",
            "stage_due_at",
            "sla_color",
            "area_code",
            "street_code",
            "community_code",
            "reported_at",
        ),
        # by report time (lists, KPIs), and received cases per day and category read from the index alone
        Index("ix_cases_reported_rollup", "reported_at", "state", "area_code", "category_code"),
        Index("ix_cases_category_reported", "category_code", "reported_at"),
        # nearby duplicates: a latitude band of a category's cases that are not duplicates themselves
        Index(
            "ix_cases_nearby",
            "category_code",
            "lat",
            "lon",
            sqlite_where=text("duplicate_of_id IS NULL"),
            postgresql_where=text("duplicate_of_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("case_categories.code"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    source_crs: Mapped[str] = mapped_column(String(10), default="wgs84")
    area_code: Mapped[str] = mapped_column(String(20), index=True)  # the grid, or a street/district
    community_code: Mapped[str | None] = mapped_column(String(20))
    street_code: Mapped[str | None] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), index=True)
    signal_count: Mapped[int] = mapped_column(Integer, default=1)
    last_signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    state: Mapped[str] = mapped_column(String(16))  # indexed by ix_cases_open_rollup
    suspended_from: Mapped[str | None] = mapped_column(String(16))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    routed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    escalation_level: Mapped[str] = mapped_column(String(10), default="street")  # street | district
    is_supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # reporter (protected personal data)
    reporter_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    reporter_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_name_masked: Mapped[str] = mapped_column(String(40), default="")
    reporter_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    reporter_phone_masked: Mapped[str] = mapped_column(String(40), default="")
    is_anonymous_public: Mapped[bool] = mapped_column(Boolean, default=False)
    tracking_digest: Mapped[str | None] = mapped_column(String(64))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media_url: Mapped[str | None] = mapped_column(String(500))
    # SLA
    stage: Mapped[str | None] = mapped_column(String(10))
    stage_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_color: Mapped[str] = mapped_column(String(8), default="green")
    # the clock the deadlines were computed with (set by sla.start_stage); "natural" for cases before clocks
    sla_clock: Mapped[str] = mapped_column(String(10), default="natural", server_default="natural")
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # milestones
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # ix_cases_reported_rollup
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    public_note: Mapped[str] = mapped_column(Text, default="")


class CaseEvent(Base):
    """One step on a case's timeline: who, when, what, from/to state, note, evidence."""

    __tablename__ = "case_events"
    __table_args__ = (  # what an Open311 front-end polls: the public steps of a time window
        Index(
            "ix_case_events_public_at",
            "at",
            sqlite_where=text("is_public"),
            postgresql_where=text("is_public"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key, like the step's account and unit: the timeline is history, written only by the case
    # services for a case they hold, and cases are never deleted (they end closed, rejected or merged).
    # The key's check — a locking read of the case row — was an eighth of PostgreSQL's time per report.
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    account_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Attachment(Base):
    """A photo or document of a case (report photo or handling evidence)."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    kind: Mapped[str] = mapped_column(String(12), default="report")  # report | evidence
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    uploaded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseLink(Base):
    """A relation between two cases: duplicate (auto or manual), merged, split_from."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "other_case_id", "kind", name="uq_case_links_all"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # no foreign keys, as on the timeline: links are written by the case services between cases they hold
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    other_case_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    distance_m: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class Rating(Base):
    """The reporter's verdict after closure: fixed or not, and satisfaction."""

    __tablename__ = "case_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    is_fixed: Mapped[bool] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SnoozedKey(Base):
    """A machine-signal dedupe key that opens no case until ``until``."""

    __tablename__ = "case_snoozed_keys"

    dedupe_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    suppressed: Mapped[int] = mapped_column(Integer, default=0)


class Reminder(Base):
    """An SLA reminder for a unit (and optionally one handler): warning, overdue, escalated."""

    __tablename__ = "case_reminders"
    __table_args__ = (UniqueConstraint("case_id", "kind", "stage", name="uq_case_reminders_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # warning | overdue | escalated
    stage: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobLease(Base):
    """A named lease so that one process at a time runs a periodic job."""

    __tablename__ = "case_job_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarDay(Base):
    """An admin's day of the work calendar: adds to or overrides weekends and the official arrangements."""

    __tablename__ = "case_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the KPIs' daily roll-up (pingan.cases.kpi_days; read by pingan.cases.kpis) ---------------------------


class KpiDay(Base):
    """The KPI counts and stage minutes of the cases reported on one local day in one grid (or street) and
    category, from one source, owned by one unit (merged cases left out). Rebuilt per day from the cases by
    ``kpi_days.refresh``; a day a case change has touched since is read from the cases until then."""

    __tablename__ = "case_kpi_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # Asia/Shanghai date of reported_at
    area_code: Mapped[str] = mapped_column(String(20))
    street_code: Mapped[str | None] = mapped_column(String(20))
    community_code: Mapped[str | None] = mapped_column(String(20))
    category_code: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    owner_unit_id: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    dispatched: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    late_closed: Mapped[int] = mapped_column(Integer)
    open: Mapped[int] = mapped_column(Integer)
    returned: Mapped[int] = mapped_column(Integer)
    reworked: Mapped[int] = mapped_column(Integer)
    sum_register: Mapped[float] = mapped_column(Float)
    n_register: Mapped[int] = mapped_column(Integer)
    sum_dispatch: Mapped[float] = mapped_column(Float)
    n_dispatch: Mapped[int] = mapped_column(Integer)
    sum_handle: Mapped[float] = mapped_column(Float)
    n_handle: Mapped[int] = mapped_column(Integer)
    sum_verify_close: Mapped[float] = mapped_column(Float)
    n_verify_close: Mapped[int] = mapped_column(Integer)
    r_satisfied: Mapped[int] = mapped_column(Integer)
    r_basically_satisfied: Mapped[int] = mapped_column(Integer)
    r_unsatisfied: Mapped[int] = mapped_column(Integer)


class KpiStaleDay(Base):
    """A local day whose roll-up rows a case change has made stale (marked in the change's transaction)."""

    __tablename__ = "case_kpi_stale_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KpiDaysState(Base):
    """How far the roll-up is built: every day up to ``built_through`` (but the stale ones) is in it."""

    __tablename__ = "case_kpi_days_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    built_through: Mapped[date | None] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The case columns the KPIs read (a change to one of them makes the case's day stale); close_due_at only
# decides "overdue now", which the KPIs always count from the cases.
KPI_COLUMNS = (
    "category_code",
    "area_code",
    "street_code",
    "community_code",
    "source",
    "owner_unit_id",
    "state",
    "reported_at",
    "registered_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "is_closed_on_time",
    "return_count",
    "rework_count",
)


@event.listens_for(Session, "after_flush")
def _mark_kpi_days(session: Session, _context: Any) -> None:
    """Mark the report days of the cases this flush changed in a KPI column (or rated) as stale, in the
    same transaction. Written through the ORM: intake's bulk insert writes today's cases, which the KPIs
    read from the cases until the day is over (``kpi_days``)."""
    days: set[date] = set()
    rated: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case):
            state = inspect(obj)
            if obj in session.dirty and not any(state.attrs[c].history.has_changes() for c in KPI_COLUMNS):
                continue
            with session.no_autoflush:
                reported = [obj.reported_at, *state.attrs.reported_at.history.deleted]
            days.update(to_local(when).date() for when in reported if when is not None)
        elif isinstance(obj, Rating) and obj.case_id is not None:
            rated.add(int(obj.case_id))
    if not days and not rated:
        return
    conn = session.connection()
    if rated:
        found = conn.execute(select(Case.reported_at).where(Case.id.in_(sorted(rated))))
        days.update(to_local(when).date() for (when,) in found if when is not None)
    now = utcnow()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(KpiStaleDay).values([{"day": day, "marked_at": now} for day in sorted(days)])
    # DO UPDATE, not DO NOTHING: it locks a mark that exists, so a refresh deleting it waits for this change
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["day"], set_={"marked_at": stmt.excluded.marked_at})
    )
