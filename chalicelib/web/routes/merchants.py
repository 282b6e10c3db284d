"""Merchants: staff register them, approve mall sellers and give shops delivery; anyone signed in finds and reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, SIGNED_IN, STAFF, Call, Routes
from chalicelib.web.schemas.malls import MallApprovalIn
from chalicelib.web.schemas.merchants import (
    DeliveryIn,
    DeliveryOut,
    LocationIn,
    LocationOut,
    MerchantDetailOut,
    MerchantFoundOut,
    MerchantIn,
    MerchantList,
    MerchantOut,
    MerchantRegisteredOut,
    MerchantsQuery,
    near_point,
)

if TYPE_CHECKING:
    from chalicelib.domain.merchant import Merchant

routes = Routes(__name__, "merchants")


def merchant_out(m: Merchant) -> MerchantOut:
    d = m.delivery
    return MerchantOut(
        merchant_id=m.merchant_id, name=m.name, dong=m.dong, category=m.category, benefit_plus=m.benefit_plus,
        discount_rate=m.discount_rate,
        delivery=DeliveryOut(fee=d.fee, min_order=d.min_order, dongs=list(d.dongs)) if d else None,
        malls=list(m.malls), food_complex=m.food_complex,
        location=LocationOut(lat=m.location.lat, lng=m.location.lng) if m.location else None,
    )  # fmt: skip


@routes.route("/merchants", "GET", role=SIGNED_IN, summary="Find merchants (with `near`: within a radius, nearest "
              "first)", query=MerchantsQuery, response=MerchantList)
def list_merchants(call: Call) -> MerchantList:
    from chalicelib.handlers import merchants, near

    q = call.query
    if q.near is not None:
        filters = near.Filters(q.dong, q.benefit_plus, q.delivery, q.category)
        found = near.find_near(near_point(q.near), q.radius, filters, q.limit, q.next)
        return MerchantList(items=[MerchantFoundOut(**merchant_out(f.merchant).model_dump(), distance_m=f.distance_m)
                                   for f in found.items], next=found.next)
    page = merchants.list_merchants(q.dong, q.benefit_plus, q.delivery, q.limit, q.next, q.category)
    return MerchantList(items=[MerchantFoundOut(**merchant_out(m).model_dump(), distance_m=None) for m in page.items],
                        next=page.next)


@routes.route("/merchants/{merchant_id}", "GET", role=SIGNED_IN, summary="One merchant (for a resident, with the "
              "rate their next won there earns)", response=MerchantDetailOut)
def get_merchant(call: Call) -> MerchantDetailOut:
    from chalicelib.handlers import merchants

    user = call.user
    resident = user.sub if RESIDENTS in user.groups else None
    view = merchants.view_merchant(call.params["merchant_id"], resident, user.merchant_id)
    return MerchantDetailOut(**merchant_out(view.merchant).model_dump(), cashback_rate_bp=view.cashback_rate_bp)


@routes.route("/staff/merchants", "POST", role=STAFF, summary="Register a merchant", body=MerchantIn,
              response=MerchantRegisteredOut, status=201)
def register_merchant(call: Call) -> MerchantRegisteredOut:
    from chalicelib.domain.merchant import Delivery, Merchant
    from chalicelib.handlers import merchants

    b = call.body
    delivery = Delivery(b.delivery.fee, b.delivery.min_order, tuple(b.delivery.dongs)) if b.delivery else None
    draft = Merchant("", b.name, b.business_number, b.dong, b.category, b.benefit_plus, b.discount_rate or 0, delivery,
                     tuple(b.malls), b.food_complex, location=b.location.value() if b.location else None)
    m = merchants.register(draft, call.user.sub)
    return MerchantRegisteredOut(**merchant_out(m).model_dump(), business_number=m.business_number)


@routes.route("/staff/merchants/{merchant_id}/malls", "POST", role=STAFF, summary="Approve a seller for a mall",
              body=MallApprovalIn, response=MerchantOut)
def approve_mall(call: Call) -> MerchantOut:
    from chalicelib.handlers import merchants

    return merchant_out(merchants.approve_mall(call.params["merchant_id"], call.body.mall, call.user.sub))


@routes.route("/staff/merchants/{merchant_id}/delivery", "PUT", role=STAFF,
              summary="Give a shop 배달서구, or change its fee, minimum order and dongs", body=DeliveryIn,
              response=MerchantOut)
def set_delivery(call: Call) -> MerchantOut:
    from chalicelib.domain.merchant import Delivery
    from chalicelib.handlers import merchants

    b = call.body
    delivery = Delivery(b.fee, b.min_order, tuple(b.dongs))
    return merchant_out(merchants.set_delivery(call.params["merchant_id"], delivery, call.user.sub))


@routes.route("/staff/merchants/{merchant_id}/delivery", "DELETE", role=STAFF,
              summary="End a shop's 배달서구 (orders already placed go on)", response=MerchantOut)
def end_delivery(call: Call) -> MerchantOut:
    from chalicelib.handlers import merchants

    return merchant_out(merchants.set_delivery(call.params["merchant_id"], None, call.user.sub))


@routes.route("/staff/merchants/{merchant_id}/location", "PUT", role=STAFF,
              summary="Record or move where a shop is (inside Seo-gu)", body=LocationIn, response=MerchantOut)
def set_location(call: Call) -> MerchantOut:
    from chalicelib.handlers import merchants

    return merchant_out(merchants.set_location(call.params["merchant_id"], call.body.value(), call.user.sub))
