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


class MonthOut(Out):
    month: Month
    eligible_spend: int
    charged: int
    pending_cashback: int
    pending_by_program: dict[str, int]


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
