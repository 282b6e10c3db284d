"""Paying a merchant, reading one's payments, and a merchant's refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import MERCHANTS, RESIDENTS, Call, Routes
from chalicelib.web.schemas.payments import PaymentIn, PaymentList, PaymentOut, PaymentsQuery, RefundIn

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
