"""Payments and refunds: request and response models (API.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.web.schemas.common import Identifier, Month, Out, PageQuery, PositiveWon, Strict, Timestamp


class PaymentIn(Strict):
    merchant_id: Identifier
    amount: PositiveWon
    use_cashback: bool = True


class RefundIn(Strict):
    amount: PositiveWon | None = Field(
        default=None, description="Won paid to give back, at most what is left of the payment (more: 400); "
        "absent or null: all that is left."
    )


class PaymentOut(Out):
    payment_id: str
    merchant_id: str
    month: Month
    list_amount: int
    discount: int
    paid: int
    from_cashback: int
    from_charged: int
    cashback: dict[str, int]
    refunded: int
    status: Literal["approved", "partially_refunded", "refunded"]
    created_at: Timestamp


class PaymentList(Out):
    items: list[PaymentOut]
    next: str | None


class PaymentsQuery(PageQuery):
    month: Month | None = None


class MerchantPaymentsQuery(PageQuery):
    month: Month | None = Field(default=None, description="Only this month's payments (KST); absent: every month.")


class MerchantPaymentOut(Out):
    """A payment as the shop it was made to sees it: what was bought, paid and refunded, never the resident (no
    user id, no name) nor how the resident's wallet paid it (the split between cashback and charged money, and the
    cashback it earned, say something of the resident's balances and spending tier: docs/RULES.md, "Consoles")."""

    payment_id: str
    merchant_id: str
    month: Month
    list_amount: int
    discount: int
    paid: int
    refunded: int
    status: Literal["approved", "partially_refunded", "refunded"]
    created_at: Timestamp
    channel: Literal["store", "delivery", "mall"] = Field(
        description="store: paid at the counter; delivery: a 배달서구 order; mall: a mall order.")
    order_id: str | None = Field(description="The delivery or mall order this payment paid for (null: in the shop).")


class MerchantPaymentList(Out):
    items: list[MerchantPaymentOut] = Field(description="Newest first.")
    next: str | None


class BudgetsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    month: Month | None = Field(default=None, description="The month (KST) whose budgets to show; absent: this month.")


class BudgetOut(Out):
    program_id: str
    funder: str
    monthly_budget: int | None = Field(description="Won per month; null: unlimited (no budget).")
    used: int = Field(description="Cashback granted against the budget in the month, less what refunds gave back "
                                  "(0 for a program without a budget: nothing is counted against one).")
    remaining: int | None = Field(description="monthly_budget − used; null: unlimited.")


class BudgetsOut(Out):
    month: Month
    items: list[BudgetOut] = Field(description="One per program of the policy in force that month, in its order.")
