"""The prepaid wallet and the resident's month: balances, counters, limits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import InsufficientFunds, LimitExceeded
from chalicelib.domain.ledger import MOVE_CHARGE, Movement, stamped
from chalicelib.domain.policy import Policy

AUTO_OFF = "off"
AUTO_BELOW = "below"
"""자동충전 modes: none, or "when my charged balance falls below `below`, top up `amount`"."""
AUTO_CHARGED = "charged"
AUTO_SKIPPED = "skipped"


@dataclass(frozen=True)
class AutoChargeResult:
    """What the last automatic top-up did: `charged` (with its `charge_id`), or `skipped` with the `reason`."""

    at: str
    amount: int
    status: str
    reason: str | None = None
    charge_id: str | None = None


@dataclass(frozen=True)
class AutoCharge:
    """The resident's automatic top-up, kept on the wallet so that the wallet's own changes carry it.

    `in_flight` is the charge id of the one top-up under way (of `in_flight_amount`, claimed `in_flight_since`);
    `seen` is the wallet version up to which every drop below `below` has had its top-up: a drop at or before it
    is not topped up again (domain/autocharge.py)."""

    mode: str = AUTO_OFF
    below: int | None = None
    amount: int | None = None
    in_flight: str | None = None
    in_flight_amount: int | None = None
    in_flight_since: str | None = None
    seen: int = 0
    last: AutoChargeResult | None = None


@dataclass(frozen=True)
class Wallet:
    """One per resident. `adjustment_due` is cashback still owed back from refunds of settled months (≤ 0).

    `charged_in` and `spent` are the lifetime counters of the withdrawal's 60 % rule (domain/cashout.py):
    everything that came into the charged balance (top-ups, automatic ones too, less those cancelled; gifts
    received, less gifts sent) and everything paid to shops from it, net of refunds. `tallied` is False for a
    wallet stored before the counters were kept: a withdrawal counts them from its ledger first.
    """

    user_id: str
    dong: str
    charged_balance: int = 0
    cashback_balance: int = 0
    adjustment_due: int = 0
    version: int = 0
    created_at: str = ""
    charged_in: int = 0
    spent: int = 0
    tallied: bool = True
    auto: AutoCharge = field(default_factory=AutoCharge)

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


CHARGE_ACTIVE = "charged"
CHARGE_CANCELLED = "cancelled"
LIMIT_MONTHLY = "monthly_charge_limit"
LIMIT_BALANCE = "balance_limit"


@dataclass(frozen=True)
class ChargeRecord:
    """One top-up, kept so that it can be cancelled (domain/cashout.py): its id is the bank transfer's, `month`
    is the KST month whose `charged` counter it counts in, `kind` is `charge` or `auto_charge`. Cancelled, it
    names the payout that sends the money back."""

    charge_id: str
    user_id: str
    amount: int
    month: str
    kind: str
    created_at: str
    status: str = CHARGE_ACTIVE
    cancelled_at: str | None = None
    payout_id: str | None = None
    version: int = 1


@dataclass(frozen=True)
class ChargeOutcome:
    """A top-up: the wallet and month after it, its record, and the ledger movement it causes."""

    wallet: Wallet
    month: ResidentMonth
    movement: Movement
    record: ChargeRecord


def charge_refusal(wallet: Wallet, month: ResidentMonth, amount: int, policy: Policy) -> tuple[str, str] | None:
    """The limit a top-up of `amount` would break (`monthly_charge_limit`, then `balance_limit`) and why, in
    words; None when it fits both."""
    if month.charged + amount > policy.monthly_charge_limit:
        left = max(policy.monthly_charge_limit - month.charged, 0)
        return LIMIT_MONTHLY, f"monthly charge limit {policy.monthly_charge_limit} won: {left} won left this month"
    if wallet.total_balance + amount > policy.balance_limit:
        room = max(policy.balance_limit - wallet.total_balance, 0)
        return LIMIT_BALANCE, f"balance limit {policy.balance_limit} won: room for {room} won"
    return None


def apply_charge(
    wallet: Wallet, month: ResidentMonth, amount: int, policy: Policy, *, charge_id: str, movement_id: str, at: str,
    kind: str = MOVE_CHARGE,
) -> ChargeOutcome:
    """A top-up that would break the monthly charge limit or the balance limit is refused whole. It counts in
    the month's `charged` and in the wallet's `charged_in`; `kind` is `charge`, or `auto_charge` for 자동충전."""
    if (refusal := charge_refusal(wallet, month, amount, policy)) is not None:
        raise LimitExceeded(refusal[1])
    after = replace(wallet, charged_balance=wallet.charged_balance + amount, charged_in=wallet.charged_in + amount,
                    version=wallet.version + 1)
    return ChargeOutcome(
        wallet=after,
        month=replace(month, charged=month.charged + amount, version=month.version + 1),
        movement=stamped(Movement(
            user_id=wallet.user_id, movement_id=movement_id, kind=kind, ref=charge_id, d_charged=amount,
            d_cashback=0, created_at=at,
        ), after),
        record=ChargeRecord(charge_id, wallet.user_id, amount, month.month, kind, at),
    )


def require_funds(wallet: Wallet, from_charged: int, from_cashback: int) -> None:
    """Insufficient funds refuse a payment whole."""
    if from_charged > wallet.charged_balance or from_cashback > wallet.cashback_balance:
        raise InsufficientFunds(
            f"needs {from_charged + from_cashback} won; "
            f"charged {wallet.charged_balance}, cashback {wallet.cashback_balance}"
        )
