"""What the module's files share: the roles, a visit's time checked, a photo decoded and judged."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from pingan.core.errors import TooLarge, ValidationFailed
from pingan.core.security import Role, sniff_image

MANAGERS = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
INSPECTORS = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)
MAX_PHOTO_BYTES = 3 * 1024 * 1024


def check_visited_at(
    value: datetime | None, starts_at: datetime, ends_at: datetime, now: datetime
) -> datetime:
    """When the visit was made (now when not given): with a time zone, not in the future, in the period."""
    visited = value or now
    if visited.tzinfo is None:
        raise ValidationFailed("visited_at needs a time zone (e.g. +08:00 or Z)", field="visited_at")
    if visited > now + timedelta(minutes=10):
        raise ValidationFailed("visited_at lies in the future", field="visited_at")
    if not starts_at <= visited <= ends_at + timedelta(days=1):
        raise ValidationFailed("visited_at lies outside the campaign's period", field="visited_at")
    return visited


def decode_photo(value: str, *, field: str) -> tuple[str, bytes]:
    """A photo sent as base64 (or a data: URL): its checked content type and bytes."""
    text = value.split(",", 1)[1] if value.startswith("data:") else value
    if len(text) > MAX_PHOTO_BYTES * 4 // 3 + 4:
        raise TooLarge(f"{field}: a photo is larger than 3 MB", field=field)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{field}: not base64", field=field) from None
    return sniff_image(data, field=field), data
