"""Money back to the bank: a top-up cancelled whole within 7 days, and the charged balance withdrawn once 60 % of
everything charged has been spent.

Both take the money off the wallet first, in one transaction with a payout record (`pending`); the payout to the
resident's bank account follows, once per payout id (the bank pays a transfer id once), and marks the record
`paid`. A payout the bank declines gives the money back to the wallet, in one transaction with the record marked
`declined`. A payout left `pending` (the process died between the two) is completed by the next retry with the
same Idempotency-Key or by the sweep (handlers/cashout.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.bounds import SPENT_SHARE_PERCENT
from chalicelib.domain.errors import InvalidState
from chalicelib.domain.ledger import (
    MOVE_AUTO_CHARGE,
    MOVE_CHARGE,
    MOVE_CHARGE_CANCELLED,
    MOVE_GIFT_CANCELLED,
    MOVE_GIFT_RECEIVED,
    MOVE_GIFT_RETURNED,
    MOVE_GIFT_SENT,
    MOVE_PAYMENT,
    MOVE_RECOVERY,
    MOVE_REFUND,
    MOVE_WITHDRAWAL,
    Movement,
    stamped,
)
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.wallet import (
    AUTO_OFF,
    CHARGE_ACTIVE,
    CHARGE_CANCELLED,
    ChargeRecord,
    ResidentMonth,
    Wallet,
)

CANCEL_DAYS = 7
"""A top-up may be cancelled until the end of the 7th day after the day it was made (`cancel_deadline`)."""

PAYOUT_PENDING = "pending"
PAYOUT_PAID = "paid"
PAYOUT_DECLINED = "declined"
PAYOUT_WITHDRAWAL = "withdrawal"
PAYOUT_CHARGE_CANCEL = "charge_cancel"
SWEEP_AFTER = timedelta(minutes=2)
"""A payout still `pending` this long after it was recorded has lost its request: the sweep completes it."""

CHARGED_IN_KINDS = frozenset({MOVE_CHARGE, MOVE_AUTO_CHARGE, MOVE_CHARGE_CANCELLED, MOVE_GIFT_SENT,
                              MOVE_GIFT_RECEIVED, MOVE_GIFT_RETURNED, MOVE_GIFT_CANCELLED})
"""The movements whose charged part counts in `charged_in`: top-ups and their cancellations, and gifts."""
SPENT_KINDS = frozenset({MOVE_PAYMENT, MOVE_REFUND})
"""The movements whose charged part counts (negated) in `spent`: payments of every channel and their refunds."""


@dataclass(frozen=True)
class Payout:
    """Money from the service to the resident's bank account: a withdrawal, or a cancelled top-up (`ref` is its
    charge id). Its id is the bank transfer's id, so the bank pays it once however often it is asked."""

    payout_id: str
    user_id: str
    kind: str
    amount: int
    created_at: str
    status: str = PAYOUT_PENDING
    ref: str | None = None
    reason: str | None = None
    finished_at: str | None = None
    version: int = 1


def cancel_deadline(charged_at: datetime) -> datetime:
    """When a top-up made at `charged_at` stops being cancellable: at the end of the 7th day after the day it was
    made, KST. The day of the top-up itself does not count, unless the top-up was made at 00:00 exactly (the
    Civil Act's rule for periods in days, arts. 157 and 159): so the next KST midnight after it, plus 7 days.
    Exactly 7 × 24 hours after the top-up is always still inside."""
    local = charged_at.astimezone(KST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = midnight if local == midnight else midnight + timedelta(days=1)
    return first_day + timedelta(days=CANCEL_DAYS)


@dataclass(frozen=True)
class CancelOutcome:
    """A top-up cancelled: its record, the wallet and its month after it, the movement, and the payout to make."""

    record: ChargeRecord
    wallet: Wallet
    month: ResidentMonth
    movement: Movement
    payout: Payout


def apply_cancel(record: ChargeRecord, wallet: Wallet, month: ResidentMonth, at: datetime, *,
                 payout_id: str) -> CancelOutcome:
    """A whole top-up back to the bank: only one still `charged` (a second cancellation is INVALID_STATE), before
    its deadline, and only while the charged balance still holds all of it (a partly spent top-up cannot be
    cancelled: the rest waits for the withdrawal's 60 % rule). The charged balance, the wallet's `charged_in` and
    the `charged` counter of the top-up's own month go down by its amount, so that month's charge limit frees
    up. The automatic top-up counts the wallet's new state as seen: cancelling is no drop to top up again."""
    if record.status != CHARGE_ACTIVE:
        raise InvalidState("this top-up is already cancelled")
    deadline = cancel_deadline(datetime.fromisoformat(record.created_at))
    if at >= deadline:
        raise InvalidState(f"a top-up can be cancelled until the end of the 7th day after it (until {kst_iso(deadline)})")
    if wallet.charged_balance < record.amount:
        raise InvalidState(f"the charged balance ({wallet.charged_balance} won) no longer holds the whole top-up "
                           f"({record.amount} won)")
    stamp = kst_iso(at)
    after = replace(wallet, charged_balance=wallet.charged_balance - record.amount,
                    charged_in=wallet.charged_in - record.amount, version=wallet.version + 1,
                    auto=replace(wallet.auto, seen=wallet.version + 1))
    movement = Movement(user_id=wallet.user_id, movement_id=payout_id, kind=MOVE_CHARGE_CANCELLED,
                        ref=record.charge_id, d_charged=-record.amount, d_cashback=0, created_at=stamp)
    return CancelOutcome(
        record=replace(record, status=CHARGE_CANCELLED, cancelled_at=stamp, payout_id=payout_id,
                       version=record.version + 1),
        wallet=after,
        month=replace(month, charged=month.charged - record.amount, version=month.version + 1),
        movement=stamped(movement, after),
        payout=Payout(payout_id, wallet.user_id, PAYOUT_CHARGE_CANCEL, record.amount, stamp, ref=record.charge_id),
    )


def spent_enough(wallet: Wallet) -> bool:
    """At least 60 % of everything charged has been spent (exactly 60 % is enough): spent × 100 ≥ 60 × charged_in."""
    return wallet.spent * 100 >= SPENT_SHARE_PERCENT * wallet.charged_in


@dataclass(frozen=True)
class WithdrawalOutcome:
    """A withdrawal: the wallet after it, its movements (what the debt took, then the withdrawal), the payout, and
    what it settled of the debt from the charged balance (`kept_back`) and from cashback."""

    wallet: Wallet
    movements: tuple[Movement, ...]
    payout: Payout
    kept_back: int
    from_cashback: int

    @property
    def amount(self) -> int:
        return self.payout.amount


def apply_withdrawal(wallet: Wallet, at: datetime, *, payout_id: str) -> WithdrawalOutcome:
    """The rest of the charged balance to the bank, once at least 60 % of everything charged has been spent.

    What the resident owes from recoveries (`adjustment_due`) is settled first, in this transaction and in the
    settlement's order: from the cashback balance, then from the charged balance (kept back from the payout); a
    `cashback_recovery` movement records it. The rest of the charged balance is paid out, so the charged balance
    is 0 after it. Cashback is never paid out. Nothing left to pay out (a charged balance of 0, or all of it
    owed) is INVALID_STATE, and so is less than 60 % spent; both refuse whole (the debt stays for the next
    settlement). A withdrawal turns the automatic top-up off (it would refill the wallet at once) and waits for
    one in flight to finish.
    """
    owed = -wallet.adjustment_due
    from_cashback = min(wallet.cashback_balance, owed)
    kept_back = min(wallet.charged_balance, owed - from_cashback)
    amount = wallet.charged_balance - kept_back
    if amount <= 0:
        raise InvalidState("nothing to withdraw: the charged balance is 0" if wallet.charged_balance == 0 else
                           "nothing to withdraw: the whole charged balance is owed back for refunded cashback")
    if not spent_enough(wallet):
        raise InvalidState(f"a withdrawal needs at least {SPENT_SHARE_PERCENT} % of everything charged spent at "
                           f"shops: {wallet.spent} of {wallet.charged_in} won so far")
    if wallet.auto.in_flight is not None:
        raise InvalidState("an automatic top-up is under way; withdraw when it is done (in a minute)")
    stamp = kst_iso(at)
    movements: list[Movement] = []
    settled = wallet
    if from_cashback or kept_back:
        settled = replace(wallet, cashback_balance=wallet.cashback_balance - from_cashback,
                          charged_balance=wallet.charged_balance - kept_back,
                          adjustment_due=wallet.adjustment_due + from_cashback + kept_back, version=wallet.version + 1)
        movements.append(stamped(Movement(
            user_id=wallet.user_id, movement_id=f"{payout_id}-owed", kind=MOVE_RECOVERY, ref=payout_id,
            d_charged=-kept_back, d_cashback=-from_cashback, created_at=stamp), settled))
    after = replace(settled, charged_balance=0, version=settled.version + 1,
                    auto=replace(settled.auto, mode=AUTO_OFF, below=None, amount=None, seen=settled.version + 1))
    movements.append(stamped(Movement(
        user_id=wallet.user_id, movement_id=payout_id, kind=MOVE_WITHDRAWAL, ref=payout_id, d_charged=-amount,
        d_cashback=0, created_at=stamp), after))
    return WithdrawalOutcome(after, tuple(movements), Payout(payout_id, wallet.user_id, PAYOUT_WITHDRAWAL, amount, stamp),
                             kept_back, from_cashback)


def paid(payout: Payout, at: datetime) -> Payout:
    """The bank paid it: done."""
    return replace(payout, status=PAYOUT_PAID, finished_at=kst_iso(at), version=payout.version + 1)


@dataclass(frozen=True)
class ReturnOutcome:
    """A declined payout: the record, the wallet with the money back, the movement, and for a cancelled top-up its
    record and month active and counted again."""

    payout: Payout
    wallet: Wallet
    movement: Movement
    record: ChargeRecord | None = None
    month: ResidentMonth | None = None


def return_payout(payout: Payout, wallet: Wallet, at: datetime, reason: str, *, record: ChargeRecord | None = None,
                  month: ResidentMonth | None = None) -> ReturnOutcome:
    """The bank declined the payout: its money goes back to the charged balance, in one transaction with the
    payout marked `declined`, by a movement of the same type with the opposite sign. A cancelled top-up is
    `charged` again and counts again in `charged_in` and in its month's `charged` (it may be cancelled again while
    its days last); a withdrawal leaves the automatic top-up off and what it settled of the debt settled."""
    stamp = kst_iso(at)
    cancel = payout.kind == PAYOUT_CHARGE_CANCEL
    after = replace(wallet, charged_balance=wallet.charged_balance + payout.amount, version=wallet.version + 1,
                    charged_in=wallet.charged_in + (payout.amount if cancel else 0))
    movement = stamped(Movement(
        user_id=wallet.user_id, movement_id=f"{payout.payout_id}-back",
        kind=MOVE_CHARGE_CANCELLED if cancel else MOVE_WITHDRAWAL, ref=payout.ref if cancel and payout.ref else
        payout.payout_id, d_charged=payout.amount, d_cashback=0, created_at=stamp), after)
    return ReturnOutcome(
        payout=replace(payout, status=PAYOUT_DECLINED, reason=reason, finished_at=stamp, version=payout.version + 1),
        wallet=after,
        movement=movement,
        record=None if record is None else replace(record, status=CHARGE_ACTIVE, cancelled_at=None, payout_id=None,
                                                   version=record.version + 1),
        month=None if month is None else replace(month, charged=month.charged + payout.amount,
                                                 version=month.version + 1),
    )


def tally(movements: Iterable[Movement]) -> tuple[int, int]:
    """A wallet's lifetime counters (`charged_in`, `spent`) counted from its whole ledger: for a wallet stored
    before the counters were kept (the ledger has every movement since the wallet was opened)."""
    charged_in = spent = 0
    for mv in movements:
        if mv.kind in CHARGED_IN_KINDS:
            charged_in += mv.d_charged
        elif mv.kind in SPENT_KINDS:
            spent -= mv.d_charged
    return charged_in, spent


def tallied(wallet: Wallet, movements: Iterable[Movement]) -> Wallet:
    """The wallet with its lifetime counters counted from its ledger (`tally`)."""
    charged_in, spent = tally(movements)
    return replace(wallet, charged_in=charged_in, spent=spent, tallied=True)
