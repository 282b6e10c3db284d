"""Months are calendar months in Korea Standard Time (UTC+9, no DST), keyed `YYYY-MM`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
"""ASCII digits only (the regex digit class takes any script's digits), matched against the whole text."""
MONTH_RULE = "month must be YYYY-MM, from 2000-01 to 2999-12"


def month_of(instant: datetime) -> str:
    """The KST month an instant belongs to: 2020-02-01 00:30 KST is February although UTC says January."""
    return instant.astimezone(KST).strftime("%Y-%m")


def is_month(text: str) -> bool:
    """True for a well-formed `YYYY-MM` key of a year the service can hold (see `MONTH_RULE`)."""
    return bool(_MONTH.fullmatch(text)) and 2000 <= int(text[:4]) <= 2999


def month_start(month: str) -> datetime:
    """00:00 KST on the 1st of `month`: the instant the previous month closes."""
    year, mon = int(month[:4]), int(month[5:7])
    return datetime(year, mon, 1, tzinfo=KST)


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - (1 if mon == 1 else 0):04d}-{(mon - 2) % 12 + 1:02d}"


def month_closed(month: str, now: datetime) -> bool:
    """A month closes at 00:00 KST on the 1st of the next month."""
    return now >= month_start(next_month(month))


def kst_iso(instant: datetime) -> str:
    """ISO 8601 in KST with offset, second precision: the contract's time format."""
    return instant.astimezone(KST).replace(microsecond=0).isoformat()

