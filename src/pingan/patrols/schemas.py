"""Request and response shapes of the patrols API."""

from __future__ import annotations

from datetime import date, datetime
from typing import NotRequired

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from pingan.audit.schemas import RevealRequest as RevealRequest  # one shape for every reveal
from pingan.core.pagination import Page, PageQuery


class TeamCreate(BaseModel):
    area_code: str = Field(description="community code")
    name: str


class VolunteerCreate(BaseModel):
    team_id: int
    name: str
    id_number: str = Field(description="citizen ID number (GB 11643, 18 characters)")
    phone: str
    skills: list[str] = Field(default_factory=list)
    device_id: str | None = Field(None, description="the id the Traccar Client / OsmAnd app sends")
    status: str = "active"
    joined_on: date | None = None
    account_id: int | None = None


class VolunteerUpdate(BaseModel):
    status: str | None = None
    skills: list[str] | None = None
    device_id: str | None = None
    clear_device: bool = False
    team_id: int | None = None
    phone: str | None = None


class VolunteerRead(BaseModel):
    """A volunteer with personal data masked."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    area_code: str
    name_masked: str
    id_number_masked: str
    phone_masked: str
    sex: str
    birth_year: int | None
    skills: list[str]
    status: str
    device_id: str | None
    joined_on: date | None
    has_device_key: bool = False
    key_rejects: int = Field(0, description="fixes refused for a wrong or missing device key")
    key_rejected_at: datetime | None = None
    device_key: str | None = Field(
        None,
        validation_alias="new_device_key",
        description="the device's new key: only in the answer that created it (registration, rotation)",
    )


class VolunteerSearch(PageQuery):
    """The filters of ``GET /api/v1/patrols/volunteers`` in a POST body: phones and ID numbers never travel
    in a URL (so never land in an access log)."""

    team_id: int | None = None
    status: str | None = None
    phone: str | None = None
    id_number: str | None = None
    within: str | None = None


class VolunteerPage(Page[VolunteerRead]):
    """One page of volunteers (the one list envelope)."""


class TeamRead(BaseModel):
    id: int
    name: str
    area_code: str


class TeamListed(TeamRead):
    active_members: int


class CourseRead(BaseModel):
    id: int
    code: str
    title: str
    validity_months: int


class TrainingSessionRead(BaseModel):
    id: int
    course_id: int
    area_code: str
    held_on: date


class CertificateIssued(BaseModel):
    id: int
    volunteer_id: int
    expires_on: date


class CourseCreate(BaseModel):
    code: str
    title: str
    validity_months: int = 24


class TrainingSessionCreate(BaseModel):
    course_id: int
    area_code: str
    held_on: date
    trainer: str = ""
    place: str = ""


class CertificatesCreate(BaseModel):
    volunteer_ids: list[int] = Field(min_length=1, max_length=2000)


class HandbookCreate(BaseModel):
    version: str
    title: str
    body: str


class HandbookAckCreate(BaseModel):
    version: str
    volunteer_id: int | None = None


class ActivityCreate(BaseModel):
    volunteer_id: int
    kind: str
    started_at: datetime
    hours: float
    note: str = ""


class ShiftCreate(BaseModel):
    grid_code: str
    starts_at: datetime
    ends_at: datetime
    headcount: int = 2
    note: str = ""


class ShiftRead(BaseModel):
    id: int
    grid_code: str
    starts_at: datetime
    ends_at: datetime
    headcount: int
    booked: int
    note: str


class BookingCreate(BaseModel):
    volunteer_id: int | None = Field(None, description="omit to sign yourself up")


class BookingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shift_id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    how: str
    status: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class DispatchCreate(BaseModel):
    case_id: int
    volunteer_id: int
    note: str = ""


class DispatchReport(BaseModel):
    status: str = Field(description="accepted, arrived, done or declined")
    outcome: str = ""


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    unknown_devices: list[str]
    results: list[str] | None = None


class DeviceKeyRead(BaseModel):
    """A device's new key, shown once, and how to set up the phone app with it."""

    volunteer_id: int
    device_id: str
    device_key: str
    server_url: str = Field(description="the app's server URL with the key (Traccar Client / OsmAnd)")
    qr_svg: str = Field(description="a QR code of the setup link, as SVG (scan with Traccar Client)")


class VolunteerCertificateRead(BaseModel):
    """A volunteer's certificate and its state on today's date."""

    id: int
    course_code: str
    course_title: str
    issued_on: date
    expires_on: date
    state: str = Field(description="valid, expiring (within 30 days) or expired")


class TrackPoint(TypedDict):
    """One fix: ``t`` when it was taken; ``flags`` among mock, poor_accuracy, jump, out_of_order, sos,
    invalid. (A typed dict: a track holds up to 20,000 points, checked and written without an object each.)"""

    t: datetime
    lon: float
    lat: float
    flags: list[str]
    grid_code: str | None


class TrackRead(BaseModel):
    """A volunteer's fixes over a period, oldest first (at most 20,000)."""

    volunteer_id: int
    points: list[TrackPoint]


class RosterRowError(BaseModel):
    row: int
    field: str
    message: str


class RosterImportRead(BaseModel):
    """What a roster import did; ``error_file`` only when rows were refused."""

    rows: int
    imported: int
    teams_created: int
    errors: list[RosterRowError]
    error_file: str | None = Field(None, description="the refused rows as CSV (row, field, message)")


class HandbookStatusRead(BaseModel):
    """The current handbook version and how many active volunteers in scope acknowledged it."""

    body: str
    version: str
    title: str
    active_volunteers: int
    acknowledged: int


class HandbookVersionRead(BaseModel):
    id: int
    version: str
    title: str


class HandbookAckRead(BaseModel):
    volunteer_id: int
    version: str
    acknowledged_at: datetime


class ActivityRead(BaseModel):
    id: int
    volunteer_id: int
    kind: str
    hours: float


class ActivityTotal(TypedDict):
    """Turn-outs (人次) and hours of one group: ``key`` is the volunteer id, team id, community or street
    code; ``name`` the team's name, only when grouped by team. (A typed dict: one row per volunteer.)"""

    key: str
    turnouts: int
    hours: float
    name: NotRequired[str]
