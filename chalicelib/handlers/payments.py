"""Paying a merchant, listing and reading payments, and refunds.

A payment and a refund are each written once, here, and used by the orders too: `want_payer` asks for the
payer's wallet, month and budgets in the caller's batch; `stage_payment` and `stage_refund` compute the
outcome and stage everything it changes into the caller's transaction. A payment's id carries its payer and
month, sealed (domain/sealed_ids.py), so a refund reads the payment and the payer in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib import composition
from chalicelib.domain.budget import BudgetUse, budgeted, changes, left, use_of
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.merchant import Merchant
from chalicelib.domain.months import MONTH_RULE, is_month, kst_iso, month_of
from chalicelib.domain.payment import (
    Payment,
    PaymentOutcome,
    PaymentRequest,
    RefundOutcome,
    apply_payment,
    apply_refund,
    discount_for,
    refuse_own_shop,
)
from chalicelib.domain.policy import Policy
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.domain.sealed_ids import Sealed
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.handlers.common import new_id, now, opened, policy_in_force, sealed_ids, sealing_key
from chalicelib.handlers.unit import Once, Unit, write_once


@dataclass(frozen=True)
class Payer:
    """What paying or refunding needs of the payer, read in the caller's batch."""

    user_id: str
    policy: Policy
    wallet: Slot[Wallet | None]
    month: Slot[ResidentMonth]
    used: Slot[dict[str, dict[int, int]]]
    payment: Slot[Payment | None] | None = None
    payee: Slot[Merchant | None] | None = None
    """The merchant a refund pays back from (its name goes on the refund's line in the history)."""


def want_payer(batch: Batch, user_id: str, month: str, *, payment_id: str | None = None,
               payee_id: str | None = None) -> Payer:
    """Ask for the payer's wallet, counters and budgets of `month` (and a payment of theirs, and the payee)."""
    r = composition.container().repos
    policy = policy_in_force(month)
    return Payer(
        user_id, policy, r.wallets.want(batch, user_id), r.wallets.want_month(batch, user_id, month),
        r.budgets.want(batch, month, budgeted(policy)),
        r.payments.want(batch, payment_id) if payment_id is not None else None,
        r.merchants.want(batch, payee_id) if payee_id is not None else None,
    )  # fmt: skip


def _wallet(payer: Payer) -> Wallet:
    if payer.wallet.value is None:
        raise NotFound("no wallet is open for this resident")
    return payer.wallet.value


def stage_payment(tx: Tx, payer: Payer, request: PaymentRequest) -> PaymentOutcome:
    """Discount, cashback-first drawing, counters, accruals within the budgets, the record and its movement."""
    r = composition.container().repos
    wallet, month = _wallet(payer), payer.month.value
    used = payer.used.value
    outcome = apply_payment(wallet, month, payer.policy, request, budget_left=left(payer.policy, used))
    p = outcome.payment
    r.wallets.stage(tx, outcome.wallet, wallet.version)
    r.wallets.stage_month(tx, outcome.month, month.version)
    r.wallets.stage_movement(tx, outcome.movement)
    r.payments.stage(tx, p, 0)
    r.budgets.stage(tx, changes(p.month, payer.policy, used, p.cashback))
    return outcome


def stage_refund(tx: Tx, payer: Payer, payment: Payment, amount: int | None, at: datetime) -> RefundOutcome:
    """Money back to the sources it came from (charged first), the payment's month's counters down, the
    accruals reversed and given back to the budgets; for a settled month, an adjustment on the wallet."""
    r = composition.container().repos
    wallet, month = _wallet(payer), payer.month.value
    payee = payer.payee.value if payer.payee is not None else None
    outcome = apply_refund(payment, wallet, month, payer.policy, amount, movement_id=new_id("mv"), at=kst_iso(at),
                           merchant_name=payee.name if payee is not None else None)
    r.wallets.stage(tx, outcome.wallet, wallet.version)
    r.wallets.stage_month(tx, outcome.month, month.version)
    r.wallets.stage_movement(tx, outcome.movement)
    r.payments.stage(tx, outcome.payment, payment.version)
    r.budgets.stage(tx, changes(payment.month, payer.policy, payer.used.value, outcome.accruals))
    return outcome


def pay(user_id: str, merchant_id: str, amount: int, use_cashback: bool, key: str, *,
        acting_for: str | None = None) -> Payment:
    """Pay a merchant in one transaction, after one batched read (wallet, month, merchant, budgets and the
    idempotency record); the policy comes from the in-memory cache. `acting_for` is the shop the caller's
    token says they act for: never the payee."""
    r = composition.container().repos
    once = Once.of(Payment, user_id, "payment", key,
                   {"merchant_id": merchant_id, "amount": amount, "use_cashback": use_cashback})

    def attempt(u: Unit[Payment]) -> Payment:
        at = now()
        payer = want_payer(u.batch, user_id, month_of(at))
        shop = r.merchants.want(u.batch, merchant_id)
        sealing = sealing_key(u.batch)
        if (replayed := u.read()) is not None:
            return replayed
        merchant = shop.value
        _wallet(payer)
        if merchant is None:
            raise NotFound("unknown merchant_id")
        refuse_own_shop(acting_for, merchant.merchant_id)
        (payment_id,) = sealed_ids(("pay",), Sealed(user_id, month_of(at)), sealing(u.tx))
        request = PaymentRequest(
            payment_id=payment_id, user_id=user_id, merchant_id=merchant.merchant_id, list_amount=amount,
            discount=discount_for(amount, merchant.discount_rate) if merchant.benefit_plus else 0,
            benefit_plus=merchant.benefit_plus, use_cashback=use_cashback, created_at=kst_iso(at),
            merchant_name=merchant.name,
        )  # fmt: skip
        return u.commit(stage_payment(u.tx, payer, request).payment)

    month = month_of(now())
    shared = f"budget:{month}" if budgeted(policy_in_force(month)) else None
    return write_once(once, attempt, lock=user_id, shared=shared)


def list_payments(user_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
    return composition.container().repos.payments.of_resident(user_id, month, limit, cursor)


def merchant_payments(merchant_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
    """A shop's own payments, newest first (one Query per page); the shop's id comes from its token."""
    if month is not None and not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    return composition.container().repos.payments.of_merchant(merchant_id, month, limit, cursor)


@dataclass(frozen=True)
class BudgetReport:
    """A month's budgets as staff watch them: the month asked for (or this one), each program's use."""

    month: str
    programs: list[BudgetUse]


def budget_use(month: str | None) -> BudgetReport:
    """Each program of the month's policy and what its budget slices hold (default: this KST month), in one
    batched read of the budgeted programs' slices. A month before any policy is 409 `INVALID_STATE`."""
    month = month or month_of(now())
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    policy = policy_in_force(month)
    r = composition.container().repos
    batch = r.store.batch()
    used = r.budgets.want(batch, month, budgeted(policy))
    batch.run()
    return BudgetReport(month, use_of(policy, used.value))


def get_payment(user_id: str, payment_id: str) -> Payment:
    """Another resident's payment is 'not found', never 'forbidden'."""
    r = composition.container().repos
    batch = r.store.batch()
    found = r.payments.want(batch, payment_id)
    batch.run()
    if found.value is None or found.value.user_id != user_id:
        raise NotFound("no such payment")
    return found.value


def refund(merchant_id: str, caller: str, payment_id: str, amount: int | None, key: str) -> Payment:
    """A merchant refunds its own payment, whole or in part, in one read and one transaction: the id names the
    payer and month (sealed), so the payment, the payer's wallet and month, the budgets and the stored response
    come in one batch. A payment whose id is plain (made before ids were sealed) is read first, then its payer."""
    r = composition.container().repos
    once = Once.of(Payment, caller, "refund", key, {"payment_id": payment_id, "amount": amount})
    sealed = opened(payment_id, "payment")

    def attempt(u: Unit[Payment]) -> Payment:
        at = now()
        found = r.payments.want(u.batch, payment_id)
        named = None if sealed is None else want_payer(u.batch, sealed.user_id, sealed.month, payee_id=merchant_id)
        if (replayed := u.read()) is not None:
            return replayed
        payment = found.value
        if payment is None or payment.merchant_id != merchant_id:
            raise NotFound("no such payment")
        if sealed is not None and (payment.user_id, payment.month) != (sealed.user_id, sealed.month):
            raise NotFound("no such payment")  # defence in depth: the payer the id names is the one stored
        payer = named or _payer_of(payment)
        return u.commit(stage_refund(u.tx, payer, payment, amount, at).payment)

    return write_once(once, attempt, lock=payment_id, shared="budget:refunds")


def _payer_of(payment: Payment) -> Payer:
    """The payer of a payment whose id does not name them: one more read."""
    batch = composition.container().repos.store.batch()
    payer = want_payer(batch, payment.user_id, payment.month, payee_id=payment.merchant_id)
    batch.run()
    return payer
