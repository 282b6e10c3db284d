"""Health and the local clock: request and response models (API.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from chalicelib.web.schemas.common import Out, Strict


class HealthOut(Out):
    status: Literal["ok"]
    stage: str


class ClockIn(Strict):
    now: AwareDatetime = Field(description="An instant between 2000-01-01 and 2999-12-31 (KST), with its offset.")


class ClockOut(Out):
    now: str
    moved: bool
