"""Money back to the bank: cancelling a top-up, withdrawing the charged balance, and paying them out.

Each first takes the money off the wallet in one transaction with a `pending` payout (and, under an
Idempotency-Key, the stored answer). Then `pay_out` asks the bank to pay the payout into the resident's account
(the transfer id is the payout id, so the bank pays it once) and marks it `paid`; a payout the bank declines
gives the money back in one transaction (domain/cashout.py `return_payout`). A payout left `pending` — the
process died between the two, or the bank did not answer — is paid by a retry with the same Idempotency-Key, or
by the sweep (`on_schedule`, every five minutes), whichever comes first: the other finds it paid.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from chalicelib import composition
from chalicelib.domain.cashout import (
    PAYOUT_CHARGE_CANCEL,
    PAYOUT_DECLINED,
    PAYOUT_PENDING,
    SWEEP_AFTER,
    Payout,
    ReturnOutcome,
    apply_cancel,
    apply_withdrawal,
    paid,
    return_payout,
    tallied,
)
from chalicelib.domain.errors import BankDeclined, BankUnavailable, Contention, NotFound
from chalicelib.domain.months import kst_iso, month_of, previous_month
from chalicelib.domain.ports.money import BankTransfer
from chalicelib.domain.wallet import CHARGE_CANCELLED, ResidentMonth, Wallet
from chalicelib.handlers.common import new_id, now, retrying
from chalicelib.handlers.unit import Once, Unit, write_once
from chalicelib.observability import logger

SWEEP_PAGE = 100
SWEEP_SECONDS = 240.0
"""A sweep stops starting payouts after this long (its function may run 300 s); the next one goes on."""


@dataclass(frozen=True)
class CancelledCharge:
    """A top-up cancelled, as the resident sees it: the charged balance after it."""

    charge_id: str
    status: str
    charged_balance: int
    payout_id: str


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawal: what goes to the bank, and what was kept back from the charged balance for the debt."""

    withdrawal_id: str
    amount: int
    charged_balance: int
    kept_back: int


def _wallet(wallet: Wallet | None) -> Wallet:
    if wallet is None:
        raise NotFound("no wallet is open for this resident")
    return wallet


def _derived(prefix: str, once: Once[Any]) -> str:
    """An id the caller's key and request name, so a retry with the same key makes the same payout."""
    return f"{prefix}_" + hashlib.sha256(f"{once.record_id}|{once.request_hash}".encode()).hexdigest()[:32]


# ---- cancelling a top-up -------------------------------------------------------------------------


def cancel_charge(user_id: str, charge_id: str, key: str | None = None) -> CancelledCharge:
    """The resident's own top-up, whole, back to the bank (domain/cashout.py `apply_cancel`); another's is 'not
    found'. With an Idempotency-Key a retry replays the first answer (and completes its payout); without one a
    repeat finds the top-up cancelled (409 `INVALID_STATE`). One read (the wallet, the top-up and the counters of
    this month and the last: a top-up still cancellable, 7 days at most, is of one of them), one transaction; then
    the payout."""
    r = composition.container().repos
    once = None if key is None else Once.of(CancelledCharge, user_id, "charge.cancel", key, {"charge_id": charge_id})
    payout_id = new_id("ccl") if once is None else _derived("ccl", once)
    made: list[Payout] = []

    def attempt(u: Unit[CancelledCharge] | None) -> CancelledCharge:
        made.clear()
        at = now()
        batch = r.store.batch() if u is None else u.batch
        held = r.wallets.want(batch, user_id)
        found = r.cashouts.want_charge(batch, user_id, charge_id)
        this_month = month_of(at)
        months = {m: r.wallets.want_month(batch, user_id, m) for m in (this_month, previous_month(this_month))}
        if u is None:
            batch.run()
        elif (first := u.read()) is not None:
            return first
        record = found.value
        if record is None:
            raise NotFound("no such top-up")
        wallet = _wallet(held.value)
        counters = months[record.month].value if record.month in months else _month(user_id, record.month)
        outcome = apply_cancel(record, wallet, counters, at, payout_id=payout_id)
        tx = r.store.tx() if u is None else u.tx
        r.wallets.stage(tx, outcome.wallet, wallet.version)
        r.wallets.stage_month(tx, outcome.month, counters.version)
        r.wallets.stage_movement(tx, outcome.movement)
        r.cashouts.stage_charge(tx, outcome.record, record.version)
        r.cashouts.stage_payout(tx, outcome.payout, 0)
        made.append(outcome.payout)
        result = CancelledCharge(charge_id, CHARGE_CANCELLED, outcome.wallet.charged_balance, payout_id)
        if u is not None:
            return u.commit(result)
        tx.commit()
        return result

    result = retrying(partial(attempt, None), user_id) if once is None else write_once(once, attempt, lock=user_id)
    pay_out(user_id, result.payout_id, made[0] if made else None)
    return result


def _month(user_id: str, month: str) -> ResidentMonth:
    """A month's counters read on their own: a top-up older than the cancel window's two months (refused)."""
    r = composition.container().repos
    batch = r.store.batch()
    counters = r.wallets.want_month(batch, user_id, month)
    batch.run()
    return counters.value


# ---- withdrawing ---------------------------------------------------------------------------------


def withdraw(user_id: str, key: str) -> Withdrawal:
    """The rest of the charged balance to the bank (domain/cashout.py `apply_withdrawal`): one read, one
    transaction (the debt settled, the wallet at 0, the movements, the payout, the stored answer); then the
    payout, whose id the key names. A wallet stored before the lifetime counters were kept has them counted from
    its ledger first (one more read, once)."""
    r = composition.container().repos
    once = Once.of(Withdrawal, user_id, "withdrawal", key, {})
    payout_id = _derived("wd", once)
    made: list[Payout] = []

    def attempt(u: Unit[Withdrawal]) -> Withdrawal:
        made.clear()
        at = now()
        held = r.wallets.want(u.batch, user_id)
        if (first := u.read()) is not None:
            return first
        wallet = _wallet(held.value)
        counted = wallet if wallet.tallied else tallied(wallet, r.wallets.movements(user_id))
        outcome = apply_withdrawal(counted, at, payout_id=payout_id)
        r.wallets.stage(u.tx, outcome.wallet, wallet.version)
        for movement in outcome.movements:
            r.wallets.stage_movement(u.tx, movement)
        r.cashouts.stage_payout(u.tx, outcome.payout, 0)
        made.append(outcome.payout)
        return u.commit(Withdrawal(payout_id, outcome.amount, outcome.wallet.charged_balance, outcome.kept_back))

    result = write_once(once, attempt, lock=user_id)
    pay_out(user_id, result.withdrawal_id, made[0] if made else None)
    return result


# ---- paying out ----------------------------------------------------------------------------------


def pay_out(user_id: str, payout_id: str, pending: Payout | None = None) -> Payout:
    """Pay a payout into the resident's bank account, once: a `pending` one is asked of the bank (its id is the
    transfer id) and written `paid`, or, declined, `declined` with the money back in the wallet, which raises
    `BankDeclined`. One already paid is returned as it is. A bank that does not answer raises `BankUnavailable`
    and leaves it pending, for a retry or the sweep. `pending` is the payout as the caller just wrote it (no
    read then: the bank's answer is written conditioned on its version anyway)."""
    payout = pending if pending is not None else _read_payout(user_id, payout_id)
    if payout.status == PAYOUT_PENDING:
        try:
            transfer = composition.container().bank.deposit(payout_id, user_id, payout.amount)
        except BankUnavailable:
            raise BankUnavailable("the bank did not answer: the money has left the wallet and is held for the "
                                  "payment into your account, which completes by itself within minutes (or goes "
                                  "back to the wallet if the bank declines it); a retry with the same "
                                  "Idempotency-Key shows how it ended") from None
        written = _paid_as_written(pending) if pending is not None and transfer.approved else None
        payout = written or retrying(partial(_finish, user_id, payout_id, transfer), user_id)
    if payout.status == PAYOUT_DECLINED:
        raise BankDeclined(f"the bank declined the payment into your account ({payout.reason}); "
                           "the money is back in the wallet")
    return payout


def _read_payout(user_id: str, payout_id: str) -> Payout:
    r = composition.container().repos
    batch = r.store.batch()
    found = r.cashouts.want_payout(batch, user_id, payout_id)
    batch.run()
    if found.value is None:
        raise NotFound("no such payout")
    return found.value


def _paid_as_written(pending: Payout) -> Payout | None:
    """The bank approved the payout the caller itself just wrote: recorded on the version it was written at, with
    no read. None if a racing retry or the sweep finished it first (the condition failed): `_finish` reads then."""
    try:
        return _record_paid(pending)
    except Contention:
        return None


def _record_paid(payout: Payout) -> Payout:
    """The bank paid `payout`: one transaction, conditioned on the version it is at."""
    r = composition.container().repos
    done = paid(payout, now())
    tx = r.store.tx()
    r.cashouts.stage_payout(tx, done, payout.version)
    tx.commit()
    return done


def _finish(user_id: str, payout_id: str, transfer: BankTransfer) -> Payout:
    """Write the bank's answer: one transaction (a payout already finished by a racing retry is left as it is)."""
    r = composition.container().repos
    at = now()
    batch = r.store.batch()
    found = r.cashouts.want_payout(batch, user_id, payout_id)
    held = r.wallets.want(batch, user_id)
    batch.run()
    payout = found.value
    if payout is None:
        raise NotFound("no such payout")
    if payout.status != PAYOUT_PENDING:
        return payout
    if transfer.approved:
        return _record_paid(payout)
    tx = r.store.tx()
    wallet = _wallet(held.value)
    outcome = _declined(payout, wallet, at, transfer.reason or "declined")
    r.cashouts.stage_payout(tx, outcome.payout, payout.version)
    r.wallets.stage(tx, outcome.wallet, wallet.version)
    r.wallets.stage_movement(tx, outcome.movement)
    if outcome.record is not None and outcome.month is not None:  # each was read one version before
        r.cashouts.stage_charge(tx, outcome.record, outcome.record.version - 1)
        r.wallets.stage_month(tx, outcome.month, outcome.month.version - 1)
    tx.commit()
    logger().info("payout declined", extra={"payout_id": payout_id, "kind": payout.kind})
    return outcome.payout


def _declined(payout: Payout, wallet: Wallet, at: datetime, reason: str) -> ReturnOutcome:
    """The money of a declined payout back (for a cancelled top-up, its record and month read too)."""
    if payout.kind != PAYOUT_CHARGE_CANCEL or payout.ref is None:
        return return_payout(payout, wallet, at, reason)
    r = composition.container().repos
    batch = r.store.batch()
    found = r.cashouts.want_charge(batch, payout.user_id, payout.ref)
    batch.run()
    record = found.value
    if record is None:
        return return_payout(payout, wallet, at, reason)
    month_batch = r.store.batch()
    counters = r.wallets.want_month(month_batch, payout.user_id, record.month)
    month_batch.run()
    return return_payout(payout, wallet, at, reason, record=record, month=counters.value)


# ---- the sweep -----------------------------------------------------------------------------------


def on_schedule(budget_seconds: float = SWEEP_SECONDS) -> dict[str, int]:
    """Scheduled every five minutes: every payout still `pending` two minutes after it was recorded (its request
    was lost) is paid or given back, and every automatic top-up in flight for five minutes (its worker was lost)
    is completed. Each is found however long the sweep was down; a second run finds nothing left. A bank that
    does not answer ends the run (the next one tries again)."""
    from chalicelib.handlers import autocharge

    r = composition.container().repos
    started = time.monotonic()
    counts = {"payouts": 0, "declined": 0}
    done: set[str] = set()
    before = kst_iso(now() - SWEEP_AFTER)
    while fresh := [p for p in r.cashouts.pending_payouts(before, SWEEP_PAGE) if p.payout_id not in done]:
        for payout in fresh:
            done.add(payout.payout_id)
            try:
                pay_out(payout.user_id, payout.payout_id)
                counts["payouts"] += 1
            except BankDeclined:
                counts["declined"] += 1
            except BankUnavailable:
                logger().warning("the bank did not answer; payouts wait for the next sweep")
                return {**counts, "auto_charges": 0}
            if time.monotonic() - started > budget_seconds:
                return {**counts, "auto_charges": 0}
    return {**counts, "auto_charges": autocharge.resume_stuck(started + budget_seconds)}
