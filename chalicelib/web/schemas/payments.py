"""Payments and refunds: request and response models (API.md)."""

from __future__ import annotations

from typing import Literal

from chalicelib.web.schemas.common import Identifier, Month, Out, PageQuery, PositiveWon, Strict


class PaymentIn(Strict):
    merchant_id: Identifier
    amount: PositiveWon
    use_cashback: bool = True


class RefundIn(Strict):
    amount: PositiveWon | None = None


class PaymentOut(Out):
    payment_id: str
    merchant_id: str
    month: str
    list_amount: int
    discount: int
    paid: int
    from_cashback: int
    from_charged: int
    cashback: dict[str, int]
    refunded: int
    status: Literal["approved", "partially_refunded", "refunded"]
    created_at: str


class PaymentList(Out):
    items: list[PaymentOut]
    next: str | None



class PaymentsQuery(PageQuery):
    month: Month | None = None
