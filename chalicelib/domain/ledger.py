"""Every money movement of a wallet is recorded, so each balance always equals the sum of its movements."""

from __future__ import annotations

from dataclasses import dataclass

MOVE_CHARGE = "charge"
MOVE_PAYMENT = "payment"
MOVE_REFUND = "refund"


@dataclass(frozen=True)
class Movement:
    """A signed change to the two balances of one wallet, with what caused it."""

    user_id: str
    movement_id: str
    kind: str
    ref: str
    d_charged: int
    d_cashback: int
    created_at: str
