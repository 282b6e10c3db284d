"""The wallet: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.web.schemas.common import Dong, Month, Out, PositiveWon, Strict, must_be_true


class OpenWalletIn(Strict):
    dong: Dong
    agree_terms: Annotated[bool, must_be_true("the terms must be agreed (true)")]


class ChargeIn(Strict):
    amount: PositiveWon


class MeterLineOut(Out):
    """One program of the month's policy on the live meter."""

    program_id: str
    applies_to: str = Field(description="`all`, or `benefit-plus` (Benefit Plus shops and every delivery order).")
    eligible_spend: int = Field(description="The month's eligible spend counted in this program (won).")
    rate_bp: int = Field(description="The rate the next eligible won earns in this program now (basis points): "
                                     "its tier's, or 0 once the program's monthly budget is used up.")
    until_next: int | None = Field(description="How many won until the rate changes (null: never).")
    next_rate_bp: int | None = Field(description="The rate after that (null: none).")


class MonthOut(Out):
    month: Month
    eligible_spend: int
    charged: int
    pending_cashback: int
    pending_by_program: dict[str, int]
    meter: list[MeterLineOut] = Field(description="The live meter: each program of the month's policy, in order.")


class LimitsOut(Out):
    monthly_charge_limit: int
    balance_limit: int


class WalletOut(Out):
    user_id: str
    dong: str
    charged_balance: int
    cashback_balance: int
    adjustment_due: int = Field(
        description="Cashback still owed back from refunds of settled months (0 or negative)."
    )
    month: MonthOut
    limits: LimitsOut


class ChargeOut(Out):
    charge_id: str
    amount: int
    charged_balance: int
