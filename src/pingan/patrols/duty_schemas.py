"""Answer shapes of the patrols API on duty: planned and actual coverage, patrol statistics, the wall's live
view, events and dispatch.

The rows of the long lists (a patroller of the wall, an event, a volunteer's patrol total) are typed dicts:
pydantic checks and writes them like models, without building an object per row (the wall's answer holds
thousands of them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from pingan.patrols.schemas import BookingRead, VolunteerRead


class HourGap(BaseModel):
    grid_code: str
    hour: str = Field(description="the hour's start, ISO 8601 in UTC")


class CoveragePlanRead(BaseModel):
    """Per grid × hour: volunteers planned (booked) and required; the cells with no one planned."""

    since: datetime
    hours: int
    grids: list[str]
    planned: list[list[int]] = Field(description="per grid (as in grids), per hour: volunteers booked")
    required: list[list[int]] = Field(description="per grid, per hour: the headcount the shifts ask for")
    cells: int
    uncovered_cells: int
    uncovered: list[HourGap] = Field(description="the cells with no one planned (at most 2,000)")


class VolunteerPatrolTotal(TypedDict):
    """One volunteer's time and distance on patrol."""

    volunteer_id: int
    hours: float
    km: float
    fixes: int


class GroupPatrolTotal(TypedDict):
    """A team's, community's or street's time and distance on patrol: ``key`` is the team id, community or
    street code; ``name`` the team's name (group_by=team), else empty."""

    key: str
    name: str
    volunteers: int
    hours: float
    km: float


class CoverageRead(BaseModel):
    """Per grid × hour whether someone patrolled there; planned-but-uncovered and never-covered grids;
    per-volunteer time and distance on patrol."""

    since: datetime
    hours: int
    grids: list[str]
    patrollers: list[list[int]] = Field(description="per grid (as in grids), per hour: distinct patrollers")
    covered_cells: int
    cells: int
    coverage_share: float
    planned_uncovered: list[HourGap] = Field(description="planned cells nobody patrolled (at most 5,000)")
    never_covered: list[str]
    volunteers: list[VolunteerPatrolTotal]
    positions: int


class LiveCounts(BaseModel):
    online: int
    unknown: int
    offline: int
    sos: int


class LivePatroller(TypedDict):
    """A patroller on duty with their last position (masked name); ``status``: online, unknown, offline or
    sos."""

    volunteer_id: int
    name: str
    team_id: int
    team: str
    skills: list[str]
    lon: float
    lat: float
    grid_code: str | None
    shift_grid_code: str | None
    in_assigned_grid: bool
    status: str
    is_moving: bool | None
    battery: float | None
    fixed_at: datetime
    last_heard_at: datetime


class LiveRead(BaseModel):
    """Patrollers on duty now (SOS first) in the coordinate system asked for."""

    on_duty: int
    counts: LiveCounts
    crs: str
    patrollers: list[LivePatroller]


class PatrolEventRead(TypedDict):
    id: int
    volunteer_id: int
    kind: str
    at: datetime
    grid_code: str | None
    shift_id: int | None
    details: dict[str, Any]


class DispatchTarget(BaseModel):
    """Where to send someone (WGS-84); the case's id and number when asked for a case."""

    lon: float
    lat: float
    case_id: int | None = None
    case_number: str | None = None


class DispatchCandidate(BaseModel):
    volunteer_id: int
    name: str
    team: str
    skills: list[str]
    distance_m: float
    lon: float
    lat: float
    grid_code: str | None
    shift_grid_code: str | None
    last_heard_at: datetime
    status: str


class NearestRead(BaseModel):
    target: DispatchTarget
    candidates: list[DispatchCandidate] = Field(description="nearest first")


class DispatchRead(BaseModel):
    id: int
    case_id: int
    case_number: str
    volunteer_id: int
    status: str
    lon: float | None
    lat: float | None
    distance_m: float | None
    assigned_by: str
    assigned_at: datetime
    arrived_at: datetime | None
    finished_at: datetime | None
    instruction: str
    outcome: str


class PatrolMeRead(BaseModel):
    """The signed-in volunteer's own record, bookings and open dispatches."""

    volunteer: VolunteerRead
    bookings: list[BookingRead]
    dispatches: list[DispatchRead]


class NotAVolunteerRead(BaseModel):
    """The answer to an account that is no volunteer."""

    volunteer: None
