"""Every money movement of a wallet is recorded, so each balance always equals the sum of its movements."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

MOVE_CHARGE = "charge"
MOVE_PAYMENT = "payment"
MOVE_REFUND = "refund"
MOVE_CASHBACK = "cashback"
MOVE_RECOVERY = "cashback_recovery"
"""A settlement taking back what refunds of settled months left owed (cashback first, then charged)."""
MOVE_DONATION = "donation"
MOVE_CHARGE_CANCELLED = "charge_cancelled"
"""A whole top-up sent back to the bank within 7 days."""
MOVE_WITHDRAWAL = "withdrawal"
"""The rest of the charged balance sent back to the bank once 60 % of everything charged was spent."""
MOVE_AUTO_CHARGE = "auto_charge"
"""A top-up the service made because the charged balance fell below the resident's threshold."""
MOVE_GIFT_SENT = "gift_sent"
MOVE_GIFT_RECEIVED = "gift_received"
MOVE_GIFT_RETURNED = "gift_returned"
"""An unclaimed gift back to its sender after 72 hours."""
MOVE_GIFT_CANCELLED = "gift_cancelled"


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
    charged_after: int | None = None
    cashback_after: int | None = None
    """The wallet's two balances right after this movement (the bank-statement view of the history); None only
    for a movement recorded before balances were kept (`stamped` sets them)."""
    merchant_name: str | None = None
    seq: int = 0
    """The wallet's version right after this movement (`stamped` sets it): a wallet's movements of one second are
    listed in this order, the order they were made in (0: not known)."""
    channel: str | None = None
    """A payment's channel (`store`, `delivery`, `mall`), on the payment's movement and its refunds' (its type in
    the history: `payment`, `order`, `mall_order`, …); None for other movements."""


class WalletAfter(Protocol):
    """What a movement takes from the wallet it leaves behind (`domain/wallet.Wallet`)."""

    @property
    def charged_balance(self) -> int: ...

    @property
    def cashback_balance(self) -> int: ...

    @property
    def version(self) -> int: ...


def stamped(movement: Movement, after: WalletAfter) -> Movement:
    """The movement with the wallet as it is right after it: both balances (what the history shows after it) and
    the wallet's version (its place among the wallet's movements). `after` is the wallet the same transaction
    writes, so every movement states the balances the books hold from then on."""
    return replace(movement, charged_after=after.charged_balance, cashback_after=after.cashback_balance,
                   seq=after.version)


def balances_match(charged: int, cashback: int, movements: list[Movement]) -> bool:
    """Every wallet's balances equal the sum of its recorded movements."""
    return (charged, cashback) == (sum(m.d_charged for m in movements), sum(m.d_cashback for m in movements))
