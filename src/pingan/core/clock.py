"""Time: stored in UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Interpret a naive datetime as UTC (as the database returns it) and convert aware ones to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """The same instant in Asia/Shanghai."""
    return as_utc(value).astimezone(LOCAL_TZ)


def format_local(value: datetime | None) -> str:
    """Display form, e.g. ``2026-11-29 14:05`` (Asia/Shanghai)."""
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def format_duration(delta: timedelta, lang: str = "zh") -> str:
    """``2 h 15 min`` / ``2小时15分``."""
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if lang == "zh":
        parts = [
            f"{days}天" if days else "",
            f"{hours}小时" if hours else "",
            f"{mins}分" if mins or not (days or hours) else "",
        ]
        return sign + "".join(parts)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins or not (days or hours) else "",
    ]
    return sign + " ".join(p for p in parts if p)
