"""EventBridge schedule expressions (`rate(...)`, `cron(...)`) evaluated against the local clock.

EventBridge cron has six fields `min hour day-of-month month day-of-week year`, uses `?` for "any" and
numbers days of the week 1-7 = SUN-SAT, always in UTC; croniter has five fields and 0-6 = SUN-SAT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalice.app import ScheduleExpression
from croniter import croniter

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateSchedule:
    """Every `period`, counted from when the schedule was (re)based."""

    period: timedelta


@dataclass(frozen=True)
class CronSchedule:
    """Fixed wall-clock (UTC) instants."""

    expression: str  # croniter's five fields
    years: frozenset[int] | None  # None: every year

    def next_after(self, instant: datetime) -> datetime | None:
        """The first due time strictly after `instant` (None if the year field rules out all)."""
        it = croniter(self.expression, instant.astimezone(UTC))
        for _ in range(10_000):
            due: datetime = it.get_next(datetime)
            if self.years is None or due.year in self.years:
                return due
            if due.year > max(self.years):
                return None
        return None

    def latest_at_or_before(self, instant: datetime) -> datetime:
        """The most recent due time not after `instant` (the `time` of the event it sends)."""
        minute = instant.astimezone(UTC).replace(second=0, microsecond=0)
        if croniter.match(self.expression, minute):
            return minute
        prev: datetime = croniter(self.expression, minute).get_prev(datetime)
        return prev


Schedule = RateSchedule | CronSchedule


def _days_of_week(field: str) -> str:
    """Shift EventBridge's 1-7 (SUN-SAT) numbering to cron's 0-6; names and `L`/`#` forms carry over."""

    def shift(match: re.Match[str]) -> str:
        day = int(match.group(0))
        if not 1 <= day <= 7:
            raise ValueError(f"day of week {day} is outside 1-7")
        return str(day - 1)

    parts = []
    for part in field.split(","):
        base, slash, step = part.partition("/")
        base = re.sub(r"(?<![#\d])\d+", shift, base)  # not the n of `d#n`
        parts.append(base + slash + step)
    return ",".join(parts)


def _years(field: str) -> frozenset[int] | None:
    if field in ("*", "?"):
        return None
    years: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        first, _, last = base.partition("-")
        start = int(first)
        end = int(last) if last else (2199 if step else start)
        years.update(range(start, end + 1, int(step) if step else 1))
    return frozenset(years)


def parse(expression: str | ScheduleExpression) -> Schedule:
    """Parse a chalice `Rate`/`Cron` or an EventBridge expression string."""
    text = expression if isinstance(expression, str) else expression.to_string()
    text = text.strip()
    if rate := _RATE.match(text):
        value, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if value < 1:
            raise ValueError(f"{text}: a rate must be at least 1")
        return RateSchedule(timedelta(seconds=value * _UNITS[unit]))
    if cron := _CRON.match(text):
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ValueError(f"{text}: EventBridge cron has 6 fields (min hour dom month dow year)")
        minute, hour, dom, month, dow, year = fields
        if "W" in dom.upper():
            raise ValueError(f"{text}: the W (nearest weekday) form is not supported locally")
        dom = "*" if dom == "?" else dom
        dow = "*" if dow == "?" else _days_of_week(dow)
        five = f"{minute} {hour} {dom} {month} {dow}"
        if not croniter.is_valid(five):
            raise ValueError(f"{text}: not a valid schedule ({five!r} for croniter)")
        return CronSchedule(five, _years(year))
    raise ValueError(f"unsupported schedule expression {text!r}")
