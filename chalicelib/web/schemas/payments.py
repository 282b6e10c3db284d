"""Payments and refunds: request and response models (API.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
