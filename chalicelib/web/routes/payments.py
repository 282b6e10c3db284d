"""Paying a merchant, reading one's payments, and a merchant's refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import MERCHANTS, RESIDENTS, STAFF, Call, Routes
from chalicelib.web.schemas.payments import (
    BudgetOut,
    BudgetsOut,
    BudgetsQuery,
    MerchantPaymentList,
    MerchantPaymentOut,
    MerchantPaymentsQuery,
    PaymentIn,
    PaymentList,
    PaymentOut,
    PaymentsQuery,
    RefundIn,
)

if TYPE_CHECKING:
    from chalicelib.domain.payment import Payment

routes = Routes(__name__, "payments")


def payment_out(p: Payment) -> PaymentOut:
    return PaymentOut(
        payment_id=p.payment_id,
        merchant_id=p.merchant_id,
        month=p.month,
        list_amount=p.list_amount,
        discount=p.discount,
        paid=p.paid,
        from_cashback=p.from_cashback,
        from_charged=p.from_charged,
        cashback=dict(p.cashback),
        refunded=p.refunded,
        status=p.status,  # type: ignore[arg-type]
        created_at=p.created_at,
    )


def merchant_payment_out(p: Payment) -> MerchantPaymentOut:
    """What the shop sees of a payment made to it (the schema says what it leaves out, and why)."""
    return MerchantPaymentOut(
        payment_id=p.payment_id, merchant_id=p.merchant_id, month=p.month, list_amount=p.list_amount,
        discount=p.discount, paid=p.paid, refunded=p.refunded, status=p.status,  # type: ignore[arg-type]
        created_at=p.created_at, channel=p.channel, order_id=p.order_id,  # type: ignore[arg-type]
    )


@routes.route("/payments", "POST", role=RESIDENTS, summary="Pay a merchant", body=PaymentIn,
              response=PaymentOut, status=201, idempotent=True)
def create_payment(call: Call) -> PaymentOut:
    from chalicelib.handlers import payments

    b = call.body
    return payment_out(payments.pay(call.user.sub, b.merchant_id, b.amount, b.use_cashback, call.key,
                                    acting_for=call.user.merchant_id))


@routes.route("/payments", "GET", role=RESIDENTS, summary="My payments", query=PaymentsQuery, response=PaymentList)
def list_payments(call: Call) -> PaymentList:
    from chalicelib.handlers import payments

    q = call.query
    page = payments.list_payments(call.user.sub, q.month, q.limit, q.next)
    return PaymentList(items=[payment_out(p) for p in page.items], next=page.next)


@routes.route("/payments/{payment_id}", "GET", role=RESIDENTS, summary="One of my payments", response=PaymentOut)
def get_payment(call: Call) -> PaymentOut:
    from chalicelib.handlers import payments

    return payment_out(payments.get_payment(call.user.sub, call.params["payment_id"]))


@routes.route("/merchant/payments/{payment_id}/refunds", "POST", role=MERCHANTS,
              summary="Refund one of my payments", body=RefundIn, response=PaymentOut, idempotent=True)
def refund_payment(call: Call) -> PaymentOut:
    from chalicelib.handlers import payments

    p = payments.refund(call.user.merchant_id or "", call.user.sub, call.params["payment_id"], call.body.amount, call.key)
    return payment_out(p)


@routes.route("/merchant/payments", "GET", role=MERCHANTS, summary="Payments made to my shop, newest first",
              query=MerchantPaymentsQuery, response=MerchantPaymentList)
def merchant_payments(call: Call) -> MerchantPaymentList:
    from chalicelib.handlers import payments

    q = call.query
    page = payments.merchant_payments(call.user.merchant_id or "", q.month, q.limit, q.next)
    return MerchantPaymentList(items=[merchant_payment_out(p) for p in page.items], next=page.next)


@routes.route("/staff/budgets", "GET", role=STAFF, summary="Each program's monthly budget: used and remaining",
              query=BudgetsQuery, response=BudgetsOut)
def staff_budgets(call: Call) -> BudgetsOut:
    from chalicelib.handlers import payments

    report = payments.budget_use(call.query.month)
    return BudgetsOut(month=report.month, items=[
        BudgetOut(program_id=b.program_id, funder=b.funder, monthly_budget=b.monthly_budget, used=b.used,
                  remaining=b.remaining) for b in report.programs])
