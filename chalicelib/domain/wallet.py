"""The prepaid wallet and the resident's month: balances, counters, limits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import InsufficientFunds, LimitExceeded
from chalicelib.domain.ledger import MOVE_CHARGE, Movement
from chalicelib.domain.policy import Policy


@dataclass(frozen=True)
class Wallet:
    """One per resident. `adjustment_due` is cashback still owed back from refunds of settled months (≤ 0)."""

    user_id: str
    dong: str
    charged_balance: int = 0
    cashback_balance: int = 0
    adjustment_due: int = 0
    version: int = 0
    created_at: str = ""

    @property
    def total_balance(self) -> int:
        return self.charged_balance + self.cashback_balance


@dataclass(frozen=True)
class ResidentMonth:
    """A resident's counters for one KST month.

    `spend` is each program's counter of eligible spend, `accrued` each program's pending cashback
    (always F_p(spend[p]) under that month's policy), `charged` the month's top-ups. Once settled,
    `credited`, `settled_accrued`, `adjustment_applied`, `auto_donated`, `recovered_from_charged` and
    `still_owed` record what the settlement did.
    """

    user_id: str
    month: str
    eligible_spend: int = 0
    charged: int = 0
    spend: dict[str, int] = field(default_factory=dict)
    accrued: dict[str, int] = field(default_factory=dict)
    settled: bool = False
    version: int = 0
    credited: int = 0
    settled_accrued: dict[str, int] = field(default_factory=dict)
    adjustment_applied: int = 0
    auto_donated: int = 0
    recovered_from_charged: int = 0
    still_owed: int = 0

    @property
    def pending(self) -> dict[str, int]:
        """Each program's cashback still to be credited: the accruals until the month is settled, then none.

        `accrued` stays F_p(spend[p]) after the settlement (a later refund still reverses it, into the wallet's
        `adjustment_due`), but the settlement has credited it (`settled_accrued` records what): a settled month
        that is "this month" again, which only the local clock can make, has nothing pending."""
        return {} if self.settled else dict(self.accrued)

    @property
    def pending_cashback(self) -> int:
        return sum(self.pending.values())


@dataclass(frozen=True)
class ChargeOutcome:
    """A top-up: the wallet and month after it, and the ledger movement it causes."""

    wallet: Wallet
    month: ResidentMonth
    movement: Movement


def apply_charge(
    wallet: Wallet, month: ResidentMonth, amount: int, policy: Policy, *, charge_id: str, movement_id: str, at: str
) -> ChargeOutcome:
    """A top-up that would break the monthly charge limit or the balance limit is refused whole."""
    if month.charged + amount > policy.monthly_charge_limit:
        left = max(policy.monthly_charge_limit - month.charged, 0)
        raise LimitExceeded(f"monthly charge limit {policy.monthly_charge_limit} won: {left} won left this month")
    if wallet.total_balance + amount > policy.balance_limit:
        room = max(policy.balance_limit - wallet.total_balance, 0)
        raise LimitExceeded(f"balance limit {policy.balance_limit} won: room for {room} won")
    return ChargeOutcome(
        wallet=replace(wallet, charged_balance=wallet.charged_balance + amount, version=wallet.version + 1),
        month=replace(month, charged=month.charged + amount, version=month.version + 1),
        movement=Movement(
            user_id=wallet.user_id, movement_id=movement_id, kind=MOVE_CHARGE, ref=charge_id, d_charged=amount,
            d_cashback=0, created_at=at,
        ),
    )


def require_funds(wallet: Wallet, from_charged: int, from_cashback: int) -> None:
    """Insufficient funds refuse a payment whole."""
    if from_charged > wallet.charged_balance or from_cashback > wallet.cashback_balance:
        raise InsufficientFunds(
            f"needs {from_charged + from_cashback} won; "
            f"charged {wallet.charged_balance}, cashback {wallet.cashback_balance}"
        )
