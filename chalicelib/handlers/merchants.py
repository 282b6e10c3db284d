"""Staff register merchants; anyone signed in lists and reads them."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib import composition
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.merchant import (
    MALLS,
    Delivery,
    Merchant,
    mall_eligible,
    normalise_business_number,
    validate_merchant,
)
from chalicelib.domain.months import kst_iso
from chalicelib.handlers.common import now
from chalicelib.handlers.presenters import merchant_out, merchant_registered_out
from chalicelib.schemas import MerchantIn, MerchantList, MerchantOut, MerchantRegisteredOut, MerchantsQuery


def register(body: MerchantIn) -> MerchantRegisteredOut:
    """Validated as a whole (every problem reported); one merchant per business registration number."""
    number = normalise_business_number(body.business_number)
    merchant = Merchant(
        merchant_id=f"m-{uuid.uuid4().hex[:12]}",
        name=body.name,
        business_number=number or body.business_number,
        dong=body.dong,
        category=body.category,
        benefit_plus=body.benefit_plus,
        discount_rate=body.discount_rate or 0,
        delivery=(
            Delivery(fee=body.delivery.fee, min_order=body.delivery.min_order, dongs=tuple(body.delivery.dongs))
            if body.delivery
            else None
        ),
        malls=tuple(body.malls),
        food_complex=body.food_complex,
        created_at=kst_iso(now()),
    )
    problems = [] if number else ["business_number: 10 digits with a valid check digit"]
    problems += validate_merchant(merchant)
    if problems:
        raise ValidationFailed("; ".join(problems))
    composition.container().store.add_merchant(merchant)
    return merchant_registered_out(merchant)


def list_merchants(query: MerchantsQuery) -> MerchantList:
    """Shops, optionally of one of the 22 dongs; a name that is no dong is a mistake, as for the news."""
    if query.dong is not None and not is_dong(query.dong):
        raise ValidationFailed("dong must be one of the 22 dongs of Seo-gu")
    page = composition.container().store.list_merchants(
        query.dong, query.benefit_plus, query.delivery, query.limit, query.next
    )
    return MerchantList(items=[merchant_out(m) for m in page.items], next=page.next)


def get_merchant(merchant_id: str) -> MerchantOut:
    merchant = composition.container().store.get_merchant(merchant_id)
    if merchant is None:
        raise NotFound("no such merchant")
    return merchant_out(merchant)


def approve_mall(merchant_id: str, mall: str) -> MerchantOut:
    """Staff approve a seller for a mall, if eligible: `only-seogu` needs registration in one of the
    22 dongs, `yumyum` a seat in the district's food industrial complex."""
    store = composition.container().store
    merchant = store.get_merchant(merchant_id)
    if merchant is None:
        raise NotFound("no such merchant")
    if mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    if not mall_eligible(mall, merchant.dong, merchant.food_complex):
        raise ValidationFailed(f"this seller is not eligible for {mall}")
    store.approve_mall(merchant_id, mall)
    return merchant_out(replace(merchant, malls=tuple(dict.fromkeys((*merchant.malls, mall)))))
