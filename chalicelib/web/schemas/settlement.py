"""Monthly settlement: request and response models (API.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.web.schemas.common import Month, Out, Strict, Timestamp


class SettlementIn(Strict):
    month: Month


class SettlementProgress(Out):
    shards_done: int
    shards_total: int


class DongTotalsOut(Out):
    residents: int = Field(description="Residents of the dong whose month is settled (credited, or recovered from).")
    cashback_credited: int = Field(description="What their settlements credited (signed won, like cashback_credited).")


class RecoveredOut(Out):
    cashback: int = Field(description="Owed from refunds of settled months, taken back from cashback balances.")
    charged: int = Field(description="What cashback could not cover, taken back from charged balances.")


class SettlementOut(Out):
    month: Month
    status: Literal["queued", "running", "completed", "failed"]
    residents: int
    settled_residents: int
    cashback_credited: int
    accrued: int
    adjustments_applied: int = Field(description="Cashback taken back for refunds of earlier settled months (≤ 0).")
    recovered: RecoveredOut
    still_owed: int = Field(description="Owed from refunds that neither balance could cover; recovered later.")
    by_program: dict[str, int]
    by_funder: dict[str, int]
    by_dong: dict[str, DongTotalsOut] = Field(
        description="Per dong of the residents' wallets, every dong with a settled resident, in the order of the 22 "
                    "dongs; the dongs' residents add up to settled_residents and their cashback_credited to "
                    "cashback_credited.")
    auto_donations: int
    books_balanced: bool | None = Field(description="Known once the run is completed.")
    problems: list[str]
    progress: SettlementProgress = Field(
        description="The run's shards: each is counted done in the transaction that records its totals, once.")
    reports: list[str]
    started_at: Timestamp
    finished_at: Timestamp | None


class MerchantSettlementOut(Out):
    month: Month
    gross: int
    discounts: int
    refunds: int
    net: int
    fees: int
