"""Every money movement of a wallet is recorded, so each balance always equals the sum of its movements."""

from __future__ import annotations

from dataclasses import dataclass

MOVE_CHARGE = "charge"
MOVE_PAYMENT = "payment"
MOVE_REFUND = "refund"
MOVE_CASHBACK = "cashback"
MOVE_RECOVERY = "cashback_recovery"
"""A settlement taking back what refunds of settled months left owed (cashback first, then charged)."""
MOVE_DONATION = "donation"


@dataclass(frozen=True)
class Movement:
    """A signed change to the two balances of one wallet, with what caused it.

    Payments and refunds also name the merchant and, for payments, the list amount and discount, so
    the settlement can write each merchant's line from the residents' ledgers.
    """

    user_id: str
    movement_id: str
    kind: str
    ref: str
    d_charged: int
    d_cashback: int
    created_at: str
    merchant_id: str | None = None
    gross: int = 0
    discount: int = 0


def balances_match(charged: int, cashback: int, movements: list[Movement]) -> bool:
    """Every wallet's balances equal the sum of its recorded movements."""
    return (charged, cashback) == (sum(m.d_charged for m in movements), sum(m.d_cashback for m in movements))
