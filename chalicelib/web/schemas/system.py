"""Health and the local clock: request and response models (API.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.months import KST
from chalicelib.web.schemas.common import Instant, Out, Rule, Strict, Timestamp


def _in_the_years_of_months(instant: datetime) -> bool:
    """2000–2999 as written and in KST (the years a month key may have); the written year first, so that
    converting year 1 or 9999 to KST cannot overflow."""
    return 2000 <= instant.year <= 2999 and 2000 <= instant.astimezone(KST).year <= 2999


class HealthOut(Out):
    status: Literal["ok"]
    stage: str


class ClockIn(Strict):
    now: Annotated[Instant, Rule(_in_the_years_of_months, "must be between 2000-01-01 and 2999-12-31 (KST)",
                                       {"pattern": "^2[0-9]{3}-"})] = Field(
        description="An instant between 2000-01-01 and 2999-12-31 (KST), with its offset.")


class ClockOut(Out):
    now: Timestamp
    moved: bool
