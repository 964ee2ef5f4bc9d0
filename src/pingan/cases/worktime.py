"""A business calendar: working periods per day, weekends off, public holidays off, make-up days (调休) on.

``WorkCalendar`` is pure (no database): built from the working periods of the cases settings, the State
Council holiday arrangements shipped in ``holidays_cn.json`` and, through ``pingan.cases.workdays``, the
days an admin added or overrode. Adding working minutes and measuring working minutes between two instants
walk day by day, so they cost O(days spanned).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from pingan.core.clock import LOCAL_TZ, as_utc

Period = tuple[int, int]  # minutes after local midnight: [start, end)
MAX_IDLE_DAYS = 3 * 366  # a calendar with no working day in three years is a configuration error


def parse_periods(text: str) -> tuple[Period, ...]:
    """``"08:30-12:00,13:30-17:30"`` → ((510, 720), (810, 1050)); ValueError when malformed or overlapping."""
    periods: list[Period] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(f"working period {part!r}: expected HH:MM-HH:MM")
        periods.append((_minute_of_day(start), _minute_of_day(end)))
    periods.sort()
    if not periods:
        raise ValueError("at least one working period is needed")
    for (a, b), nxt in zip(periods, [*periods[1:], None], strict=True):
        if b <= a or (nxt is not None and nxt[0] < b):
            raise ValueError(f"working periods must be increasing and must not overlap: {text!r}")
    return tuple(periods)


def _minute_of_day(text: str) -> int:
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"time {text!r}: expected HH:MM")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 24 * 60 or int(minutes) >= 60:
        raise ValueError(f"time {text!r} is not a time of day")
    return value


@lru_cache(maxsize=1)
def official_days() -> dict[date, tuple[bool, str]]:
    """The shipped State Council arrangements: holidays (off) and make-up working days (on), with notes."""
    raw = json.loads(resources.files("pingan.cases").joinpath("holidays_cn.json").read_text("utf-8"))
    days: dict[date, tuple[bool, str]] = {}
    for first, last, note in raw["off"]:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            days[day] = (False, note)
            day += timedelta(days=1)
    for day_text, note in raw["on"]:
        days[date.fromisoformat(day_text)] = (True, note)
    return days


def official_years() -> list[int]:
    """The years whose arrangements are shipped."""
    return sorted({d.year for d in official_days()})


@dataclass(frozen=True)
class WorkCalendar:
    """Working periods per day plus explicit day flags (anything unlisted: Monday–Friday work)."""

    periods: tuple[Period, ...]
    days: Mapping[date, bool] = field(default_factory=dict)
    tz: ZoneInfo = LOCAL_TZ
    # recent answers of add(): a batch of reports made at one instant asks the same deadlines many times
    _added: dict[tuple[datetime, float], datetime] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def build(cls, periods: tuple[Period, ...], overrides: Iterable[tuple[date, bool]] = ()) -> WorkCalendar:
        """The official arrangements with ``overrides`` (an admin's days) on top."""
        days = {d: flag for d, (flag, _note) in official_days().items()}
        days.update(overrides)
        return cls(periods=periods, days=days)

    @property
    def day_minutes(self) -> int:
        """Working minutes of one working day (450 with 08:30–12:00 and 13:30–17:30): one 工作日."""
        return sum(b - a for a, b in self.periods)

    def is_workday(self, day: date) -> bool:
        flag = self.days.get(day)
        return day.weekday() < 5 if flag is None else flag

    def _local(self, value: datetime) -> tuple[date, float]:
        local = as_utc(value).astimezone(self.tz)
        return local.date(), local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60

    def _instant(self, day: date, minute: float) -> datetime:
        return (
            datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(minutes=minute)
        ).astimezone(UTC)

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant after ``minutes`` of working time from ``start`` (a limit ends inside a period)."""
        if minutes <= 0:
            return as_utc(start)
        key = (start, minutes)
        due = self._added.get(key)
        if due is None:
            if len(self._added) >= 64:
                self._added.clear()
            due = self._added[key] = self._add(start, minutes)
        return due

    def _add(self, start: datetime, minutes: float) -> datetime:
        day, offset = self._local(start)
        remaining = float(minutes)
        idle = 0
        while True:
            if self.is_workday(day):
                idle = 0
                for a, b in self.periods:
                    lo = max(float(a), offset)
                    if lo >= b:
                        continue
                    if remaining <= b - lo:
                        return self._instant(day, lo + remaining)
                    remaining -= b - lo
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise ValueError("the work calendar has no working day in three years")
            day, offset = day + timedelta(days=1), 0.0

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes in [start, end); 0 when ``end`` is not after ``start``."""
        if as_utc(end) <= as_utc(start):
            return 0.0
        day, offset = self._local(start)
        last, last_offset = self._local(end)
        total = 0.0
        while day <= last:
            if self.is_workday(day):
                hi_cap = last_offset if day == last else 24 * 60.0
                for a, b in self.periods:
                    lo, hi = max(float(a), offset), min(float(b), hi_cap)
                    if hi > lo:
                        total += hi - lo
            day, offset = day + timedelta(days=1), 0.0
        return total
