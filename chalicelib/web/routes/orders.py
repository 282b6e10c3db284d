"""배달서구: residents order delivery; merchants take their orders through accept, dispatch and deliver
(or reject them); a placed order may be cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.bounds import KIND_DELIVERY
from chalicelib.web.api import MERCHANTS, RESIDENTS, Call, Routes
from chalicelib.web.schemas.orders import AcceptIn, OrderIn, OrderLineOut, OrderList, OrderOut, OrdersQuery, RejectIn

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order

routes = Routes(__name__, "orders")


def lines_out(order: Order) -> list[OrderLineOut]:
    return [
        OrderLineOut(item_id=ln.item_id, name=ln.name, unit_price=ln.unit_price, quantity=ln.quantity, amount=ln.amount)
        for ln in order.lines
    ]


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        order_id=o.order_id, merchant_id=o.merchant_id, status=o.status, items=lines_out(o),  # type: ignore[arg-type]
        subtotal=o.subtotal, discount=o.discount, delivery_fee=o.fee, paid=o.paid, cashback=dict(o.cashback),
        created_at=o.created_at, payment_id=o.payment_id, dong=o.dong, address=o.address, request=o.request,
        eta_minutes=o.eta_minutes, reason=o.reason,
    )  # fmt: skip


@routes.route("/orders", "POST", role=RESIDENTS, summary="Order delivery (priced by the server, paid at once)",
              body=OrderIn, response=OrderOut, status=201, idempotent=True)
def place_order(call: Call) -> OrderOut:
    from chalicelib.handlers import orders

    b = call.body
    ask = orders.DeliveryAsk(b.merchant_id, tuple((i.item_id, i.quantity) for i in b.items), b.address, b.dong,
                             b.request, b.use_cashback)
    return order_out(orders.place_order(call.user.sub, ask, call.key, acting_for=call.user.merchant_id))


@routes.route("/orders", "GET", role=RESIDENTS, summary="My delivery orders", query=OrdersQuery, response=OrderList)
def list_orders(call: Call) -> OrderList:
    from chalicelib.handlers import orders

    q = call.query
    page = orders.of_resident(call.user.sub, KIND_DELIVERY, q.status, q.limit, q.next)
    return OrderList(items=[order_out(o) for o in page.items], next=page.next)


@routes.route("/orders/{order_id}", "GET", role=RESIDENTS, summary="One of my delivery orders", response=OrderOut)
def get_order(call: Call) -> OrderOut:
    from chalicelib.handlers import orders

    return order_out(orders.residents_order(call.user.sub, call.params["order_id"], KIND_DELIVERY))


@routes.route("/orders/{order_id}/cancel", "POST", role=RESIDENTS, summary="Cancel a placed order (full refund)",
              response=OrderOut, optional_key=True)
def cancel_order(call: Call) -> OrderOut:
    from chalicelib.handlers import orders

    return order_out(orders.resident_action(call.user.sub, call.params["order_id"], KIND_DELIVERY, "cancel",
                                            call.idempotency_key))


@routes.route("/merchant/orders", "GET", role=MERCHANTS, summary="My delivery orders", query=OrdersQuery,
              response=OrderList)
def merchant_orders(call: Call) -> OrderList:
    from chalicelib.handlers import orders

    q = call.query
    page = orders.of_merchant(call.user.merchant_id or "", KIND_DELIVERY, q.status, q.limit, q.next)
    return OrderList(items=[order_out(o) for o in page.items], next=page.next)


def _merchant_action(call: Call, action: str, change: dict[str, Any]) -> OrderOut:
    from chalicelib.handlers import orders

    mine = call.user.merchant_id or ""
    return order_out(orders.merchant_action(mine, call.params["order_id"], KIND_DELIVERY, action, change,
                                            call.idempotency_key, call.user.sub))


@routes.route("/merchant/orders/{order_id}/accept", "POST", role=MERCHANTS, summary="Accept an order",
              body=AcceptIn, response=OrderOut)
def accept_order(call: Call) -> OrderOut:
    return _merchant_action(call, "accept", {"eta_minutes": call.body.eta_minutes})


@routes.route("/merchant/orders/{order_id}/reject", "POST", role=MERCHANTS, summary="Reject an order (full refund)",
              body=RejectIn, response=OrderOut, optional_key=True)
def reject_order(call: Call) -> OrderOut:
    return _merchant_action(call, "reject", {"reason": call.body.reason})


@routes.route("/merchant/orders/{order_id}/dispatch", "POST", role=MERCHANTS, summary="Send an order out",
              response=OrderOut)
def dispatch_order(call: Call) -> OrderOut:
    return _merchant_action(call, "dispatch", {})


@routes.route("/merchant/orders/{order_id}/deliver", "POST", role=MERCHANTS, summary="Mark an order delivered",
              response=OrderOut)
def deliver_order(call: Call) -> OrderOut:
    return _merchant_action(call, "deliver", {})
