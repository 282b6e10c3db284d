"""Paying a merchant, listing and reading payments, and merchant refunds."""

from __future__ import annotations

from chalicelib import composition
from chalicelib.auth import Principal
from chalicelib.domain.errors import NotFound
from chalicelib.domain.idempotency import StoredResponse, fingerprint, record_id, replay
from chalicelib.domain.ledger import MOVE_PAYMENT, MOVE_REFUND, Movement
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.payment import PaymentRequest, apply_payment, apply_refund, discount_for
from chalicelib.handlers import budgets
from chalicelib.handlers.common import new_id, now, policy_in_force, retrying, to_json
from chalicelib.handlers.presenters import payment_out
from chalicelib.schemas import PaymentIn, PaymentList, PaymentOut, PaymentsQuery, RefundIn
from chalicelib.storage.dynamo import Writes
from chalicelib.web import Result


def create_payment(user: Principal, body: PaymentIn, key: str) -> Result:
    """Pay a merchant: discount, cashback-first drawing, counters, accruals and the record, one transaction.

    Reads are one BatchGetItem (wallet, month counters, merchant, idempotency record); the policy comes
    from the in-memory cache; the writes are one TransactWriteItems with the idempotency record in it.
    """
    c = composition.container()
    idem_id = record_id(user.sub, "payment", key)
    request_hash = fingerprint("/payments", body.model_dump())

    def attempt() -> Result:
        at = now()
        month = month_of(at)
        policy = policy_in_force(month)
        loaded = c.store.load(
            user_id=user.sub,
            month=month,
            merchant_id=body.merchant_id,
            idem_id=idem_id,
            budgets=(month, budgets.budgeted(policy)),
        )
        if loaded.idem is not None:
            return Result(*replay(loaded.idem, request_hash))
        if loaded.wallet is None or loaded.month is None:
            raise NotFound("no wallet is open for this resident")
        if loaded.merchant is None:
            raise NotFound("unknown merchant_id")
        merchant = loaded.merchant
        outcome = apply_payment(
            loaded.wallet,
            loaded.month,
            policy,
            PaymentRequest(
                payment_id=new_id("pay"),
                user_id=user.sub,
                merchant_id=merchant.merchant_id,
                list_amount=body.amount,
                discount=discount_for(body.amount, merchant.discount_rate) if merchant.benefit_plus else 0,
                benefit_plus=merchant.benefit_plus,
                use_cashback=body.use_cashback,
                created_at=kst_iso(at),
            ),
            budget_left=budgets.left(policy, loaded.budget_used),
        )
        p = outcome.payment
        out = payment_out(p).model_dump()
        c.store.commit(
            Writes(
                wallets=[(outcome.wallet, loaded.wallet.version)],
                months=[(outcome.month, loaded.month.version)],
                payments=[(p, 0)],
                movements=[
                    Movement(user.sub, p.payment_id, MOVE_PAYMENT, p.payment_id, -p.from_charged,
                             -p.from_cashback, p.created_at, p.merchant_id, p.list_amount, p.discount)
                ],
                idem=StoredResponse(idem_id, request_hash, 201, to_json(out)),
                budget=budgets.changes(month, policy, loaded.budget_used, p.cashback),
            ),
            int(at.timestamp()),
        )
        return Result(201, out)

    month = month_of(now())
    shared = f"budget:{month}" if budgets.budgeted(policy_in_force(month)) else None
    return retrying(attempt, user.sub, shared)


def list_payments(user: Principal, query: PaymentsQuery) -> PaymentList:
    page = composition.container().store.list_payments(user.sub, query.month, query.limit, query.next)
    return PaymentList(items=[payment_out(p) for p in page.items], next=page.next)


def get_payment(user: Principal, payment_id: str) -> PaymentOut:
    """Another resident's payment is 'not found', never 'forbidden'."""
    payment = composition.container().store.get_payment(payment_id)
    if payment is None or payment.user_id != user.sub:
        raise NotFound("no such payment")
    return payment_out(payment)


def refund(user: Principal, payment_id: str, body: RefundIn, key: str) -> Result:
    """A merchant refunds its own payment, whole or in part, back to the sources it came from.

    The payment's own month's counters go down and accruals reverse; if that month is settled the
    reversal becomes an adjustment on the wallet that the next settlement applies.
    """
    c = composition.container()
    idem_id = record_id(user.sub, "refund", key)
    request_hash = fingerprint(f"/merchant/payments/{payment_id}/refunds", body.model_dump())

    def attempt() -> Result:
        at = now()
        first = c.store.load(payment_id=payment_id, idem_id=idem_id)
        if first.idem is not None:
            return Result(*replay(first.idem, request_hash))
        payment = first.payment
        if payment is None or payment.merchant_id != user.merchant_id:
            raise NotFound("no such payment")
        policy = policy_in_force(payment.month)
        loaded = c.store.load(
            user_id=payment.user_id, month=payment.month, budgets=(payment.month, budgets.budgeted(policy))
        )
        if loaded.wallet is None or loaded.month is None:
            raise NotFound("the payer's wallet is gone")
        outcome = apply_refund(payment, loaded.wallet, loaded.month, policy, body.amount)
        p = outcome.payment
        out = payment_out(p).model_dump()
        stamp = kst_iso(at)
        c.store.commit(
            Writes(
                wallets=[(outcome.wallet, loaded.wallet.version)],
                months=[(outcome.month, loaded.month.version)],
                payments=[(p, payment.version)],
                movements=[
                    Movement(payment.user_id, new_id("mv"), MOVE_REFUND, p.payment_id, outcome.to_charged,
                             outcome.to_cashback, stamp, p.merchant_id)
                ],
                idem=StoredResponse(idem_id, request_hash, 200, to_json(out)),
                budget=budgets.changes(payment.month, policy, loaded.budget_used, outcome.accruals),
            ),
            int(at.timestamp()),
        )
        return Result(200, out)

    return retrying(attempt, payment_id, "budget:refunds")
