"""The history, its CSV and the usage statement: query and response models (API.md v2, "Resident, added")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.web.schemas.common import Month, Out, PageQuery, Timestamp

HistoryType = Literal[
    "charge", "charge_cancelled", "auto_charge", "withdrawal", "payment", "refund", "order", "order_refund",
    "mall_order", "mall_order_refund", "donation", "cashback_credit", "cashback_recovery", "gift_sent",
    "gift_received", "gift_returned", "gift_cancelled",
]  # fmt: skip
"""`domain/history.TYPES`, as the document's enum (a test holds the two together)."""
Year = Annotated[int, Field(ge=2000, le=2999)]


class HistoryQuery(PageQuery):
    month: Month | None = Field(default=None, description="A KST month; absent: every month.")


class HistoryCsvQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    month: Month = Field(description="The KST month the file holds (required: one file is one month).")


class UsageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    year: Year | None = Field(default=None, description="A KST year; absent: this year.")


class BalanceOut(Out):
    charged: int
    cashback: int


class HistoryItemOut(Out):
    at: Timestamp
    type: HistoryType
    ref_id: str = Field(description="What moved the money: the charge, payment, donation, gift, or "
                                    "`settlement:YYYY-MM`.")
    charged: int = Field(description="Signed won: the change to charged_balance.")
    cashback: int = Field(description="Signed won: the change to cashback_balance.")
    balance: BalanceOut | None = Field(description="Both balances right after this movement; null only for a "
                                                   "movement recorded before balances were kept.")
    merchant_id: str | None = Field(description="For payments and refunds (and orders): the shop.")
    merchant_name: str | None = Field(description="The shop's name when the money moved.")


class HistoryOut(Out):
    items: list[HistoryItemOut]
    next: str | None


class UsageMonthOut(Out):
    month: Month
    paid: int = Field(description="Paid from charged_balance in the month (payments and orders, fees included).")
    refunded: int = Field(description="Given back to charged_balance by refunds made in the month.")
    net: int = Field(description="paid − refunded (negative when refunds of earlier payments outweigh).")


class UsageStatementOut(Out):
    year: int
    months: list[UsageMonthOut] = Field(description="All twelve months, oldest first.")
    total: int = Field(description="The year's net usage: the sum of the months' nets, never below 0.")
