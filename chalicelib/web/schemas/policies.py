"""Cashback policies: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.web.schemas.common import MAX_WON, Out, PositiveWon, Strict


class TierIn(Strict):
    up_to: Annotated[int, Field(gt=0, le=10 * MAX_WON)] | None
    rate_bp: Annotated[int, Field(ge=0, le=10_000)]


class ProgramIn(Strict):
    program_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    funder: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    applies_to: Literal["all", "benefit-plus"] = "all"
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=20)]
    monthly_budget: Annotated[int, Field(ge=0, le=10**13)] | None = None


class PolicyIn(Strict):
    programs: Annotated[list[ProgramIn], Field(min_length=1, max_length=20)]
    monthly_charge_limit: PositiveWon
    balance_limit: PositiveWon


class TierOut(Out):
    up_to: int | None
    rate_bp: int


class ProgramOut(Out):
    program_id: str
    funder: str
    applies_to: str
    tiers: list[TierOut]
    monthly_budget: int | None = Field(default=None, description="Won per month from the funder; null: unlimited.")
    budget_remaining: int | None = Field(default=None, description="What is left of this month's budget.")


class PolicyOut(Out):
    effective_month: str
    programs: list[ProgramOut]
    monthly_charge_limit: int
    balance_limit: int


class ProposalOut(PolicyOut):
    status: Literal["proposed", "approved"] = Field(description="Only an approved policy takes effect.")
    proposed_by: str | None = Field(description="The staff member who proposed it (null: seeded).")
    proposed_at: str | None
    approved_by: str | None = Field(description="Another staff member than the proposer.")
    approved_at: str | None
