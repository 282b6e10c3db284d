"""Cashback policies: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.policy import BP_SCALE, SCOPE_ALL, SCOPES
from chalicelib.web.schemas.common import MAX_WON, Month, Out, PositiveWon, Strict, Timestamp, one_of, unique_by

RATE_CAP_SETTING = "max_rate_bp"
"""The setting that caps a tier's rate (`MAX_RATE_BP`): the document's `maximum` of `rate_bp` is this
deployment's value (`x-maximum-setting` names it; the OpenAPI generator fills it in)."""


class TierIn(Strict):
    up_to: Annotated[int, Field(gt=0, le=10 * MAX_WON)] | None = Field(
        description="The bracket's upper bound in won of the month's eligible spend; bounds rise strictly from "
                    "tier to tier, and only the last tier is unbounded (null).")
    rate_bp: Annotated[int, Field(ge=0, le=BP_SCALE)] = Field(
        description="Basis points earned on the bracket's part, at most this deployment's MAX_RATE_BP (above: 400).",
        json_schema_extra={"x-maximum-setting": RATE_CAP_SETTING})


class ProgramIn(Strict):
    program_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    funder: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    applies_to: Annotated[str, one_of(SCOPES, f"must be one of {', '.join(SCOPES)}")] = SCOPE_ALL
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=20)] = Field(
        description="Marginal brackets, lowest first: each bound above the one before, the last unbounded.",
        json_schema_extra={"x-rule": "up_to rises strictly; only the last tier has up_to null"})
    monthly_budget: Annotated[int, Field(ge=0, le=10**13)] | None = None


class PolicyIn(Strict):
    programs: Annotated[list[ProgramIn], Field(min_length=1, max_length=20),
                        unique_by("program_id", "duplicate program_id")]
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
    effective_month: Month
    programs: list[ProgramOut]
    monthly_charge_limit: int
    balance_limit: int


class ProposalOut(PolicyOut):
    status: Literal["proposed", "approved"] = Field(description="Only an approved policy takes effect.")
    proposed_by: str | None = Field(description="The staff member who proposed it (null: seeded).")
    proposed_at: Timestamp | None
    approved_by: str | None = Field(description="Another staff member than the proposer.")
    approved_at: Timestamp | None
