"""온리서구몰 and 냠냠서구몰: residents buy from approved sellers; sellers ship; a paid order may be cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.bounds import KIND_MALL
from chalicelib.web.api import MERCHANTS, RESIDENTS, Call, Routes
from chalicelib.web.routes.orders import lines_out
from chalicelib.web.schemas.malls import (
    MallOrderIn,
    MallOrderList,
    MallOrderOut,
    MallOrdersQuery,
    ShipIn,
    ShippingOut,
    TrackingOut,
)

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order

routes = Routes(__name__, "malls")


def mall_order_out(o: Order) -> MallOrderOut:
    tracking = TrackingOut(carrier=o.carrier, tracking_number=o.tracking_number) if o.carrier and o.tracking_number \
        else None
    return MallOrderOut(
        order_id=o.order_id, mall=o.mall or "", seller_id=o.merchant_id, status=o.status,  # type: ignore[arg-type]
        items=lines_out(o), subtotal=o.subtotal, discount=o.discount, shipping_fee=o.fee, paid=o.paid,
        cashback=dict(o.cashback), created_at=o.created_at, payment_id=o.payment_id, tracking=tracking,
        shipping=ShippingOut(**o.shipping) if o.shipping else None, consent_version=o.consent_version or "",
        consent_at=o.consent_at or "",
    )  # fmt: skip


@routes.route("/mall/orders", "POST", role=RESIDENTS, summary="Buy from a mall seller", body=MallOrderIn,
              response=MallOrderOut, status=201, idempotent=True)
def place_mall_order(call: Call) -> MallOrderOut:
    from chalicelib.handlers import orders

    b = call.body
    ask = orders.MallAsk(b.mall, tuple((i.product_id, i.quantity) for i in b.items), b.shipping.model_dump(),
                         b.consent.third_party_provision, b.consent.version, b.use_cashback)
    return mall_order_out(orders.place_mall_order(call.user.sub, ask, call.key, acting_for=call.user.merchant_id))


@routes.route("/mall/orders/{order_id}", "GET", role=RESIDENTS, summary="One of my mall orders",
              response=MallOrderOut)
def get_mall_order(call: Call) -> MallOrderOut:
    from chalicelib.handlers import orders

    return mall_order_out(orders.residents_order(call.user.sub, call.params["order_id"], KIND_MALL))


@routes.route("/mall/orders/{order_id}/cancel", "POST", role=RESIDENTS, summary="Cancel before shipping",
              response=MallOrderOut, optional_key=True)
def cancel_mall_order(call: Call) -> MallOrderOut:
    from chalicelib.handlers import orders

    return mall_order_out(orders.resident_action(call.user.sub, call.params["order_id"], KIND_MALL, "cancel",
                                                 call.idempotency_key))


@routes.route("/merchant/mall-orders", "GET", role=MERCHANTS, summary="My mall orders, with shipping data",
              query=MallOrdersQuery, response=MallOrderList)
def seller_mall_orders(call: Call) -> MallOrderList:
    from chalicelib.handlers import orders

    q = call.query
    page = orders.of_merchant(call.user.merchant_id or "", KIND_MALL, q.status, q.limit, q.next)
    return MallOrderList(items=[mall_order_out(o) for o in page.items], next=page.next)


def _seller_action(call: Call, action: str, change: dict[str, Any]) -> MallOrderOut:
    from chalicelib.handlers import orders

    mine = call.user.merchant_id or ""
    return mall_order_out(orders.merchant_action(mine, call.params["order_id"], KIND_MALL, action, change))


@routes.route("/merchant/mall-orders/{order_id}/ship", "POST", role=MERCHANTS, summary="Ship a mall order",
              body=ShipIn, response=MallOrderOut)
def ship_mall_order(call: Call) -> MallOrderOut:
    return _seller_action(call, "ship", {"carrier": call.body.carrier, "tracking_number": call.body.tracking_number})


@routes.route("/merchant/mall-orders/{order_id}/deliver", "POST", role=MERCHANTS,
              summary="Mark a mall order delivered", response=MallOrderOut)
def deliver_mall_order(call: Call) -> MallOrderOut:
    return _seller_action(call, "deliver", {})
