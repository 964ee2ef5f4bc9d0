"""Patrol phones in the one register of devices (``pingan.devices``): registered with their volunteer, heard
once per group-commit batch of fixes. Their liveness on the patrol pages stays :func:`positions.liveness`
(which knows a stationary phone pauses); the register gives the wall and ``/devices`` the same count for
phones as for cameras and stations. Phones raise no outage case (their kind has no outage category)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import utcnow
from pingan.devices import interface as devices
from pingan.patrols.models import PatrolVolunteer, VolunteerStatus

KIND = "patrol_phone"


def register_phones(
    session: Session, volunteer_ids: Iterable[int] | None = None, *, device_ids: Iterable[str] | None = None
) -> int:
    """Register (or update) the devices of these volunteers (or devices; default: all) that have a device id
    and have not left; no personal data goes to the register (the device id, the volunteer's community and
    id)."""
    stmt = select(PatrolVolunteer.id, PatrolVolunteer.device_id, PatrolVolunteer.area_code).where(
        PatrolVolunteer.device_id.is_not(None), PatrolVolunteer.status != VolunteerStatus.LEFT.value
    )
    if volunteer_ids is not None:
        stmt = stmt.where(PatrolVolunteer.id.in_(list(volunteer_ids)))
    if device_ids is not None:
        stmt = stmt.where(PatrolVolunteer.device_id.in_(list(device_ids)))
    rows = [
        {"external_id": device, "area_code": area, "attributes": {"volunteer_id": vid}}
        for vid, device, area in session.execute(stmt)
    ]
    if not rows:
        return 0
    counts = devices.register_devices(session, KIND, rows)
    return counts["added"] + counts["updated"]


class _HasDevice(Protocol):
    device_id: str


UNKNOWN_DEVICE = "unknown_device"  # positions.UNKNOWN_DEVICE (positions imports this file)


def record_heard(
    session: Session, fixes: Sequence[_HasDevice], results: Sequence[str], *, at: datetime | None = None
) -> int:
    """The phones whose fixes the writer accepted (stored or duplicate, not unknown) were heard ``at`` (now):
    one ``devices.heard`` call for the whole batch."""
    at = at or utcnow()
    if UNKNOWN_DEVICE in results:  # rare: leave out the fixes of unknown devices
        ids = {f.device_id for f, r in zip(fixes, results, strict=True) if r != UNKNOWN_DEVICE}
    else:  # the set comprehension alone: a third of the zip's cost over a 50,000-fix batch
        ids = {f.device_id for f in fixes}
    return devices.heard(session, KIND, dict.fromkeys(ids, at))
