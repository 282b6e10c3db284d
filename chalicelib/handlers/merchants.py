"""Staff register merchants and approve mall sellers; anyone signed in lists and reads them."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib import composition
from chalicelib.domain.audit import MERCHANT_DELIVERY, MERCHANT_MALLS, MERCHANT_REGISTER
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.merchant import MALLS, Delivery, Merchant, mall_eligible, normalise_business_number, validate_merchant
from chalicelib.domain.months import kst_iso
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers import audit
from chalicelib.handlers.common import now


def register(draft: Merchant, actor: str) -> Merchant:
    """Validated as a whole (every problem reported); one merchant per business registration number.

    `draft` is what staff sent: its id and registration time are given here. The registration and its audit
    record are written together.
    """
    number = normalise_business_number(draft.business_number)
    merchant = replace(draft, merchant_id=f"m-{uuid.uuid4().hex[:12]}", business_number=number or draft.business_number,
                       created_at=kst_iso(now()))
    problems = [] if number else ["business_number: 10 digits with a valid check digit"]
    problems += validate_merchant(merchant)
    if problems:
        raise ValidationFailed("; ".join(problems))
    r = composition.container().repos
    tx = r.store.tx()
    r.merchants.stage_add(tx, merchant)
    audit.stage(tx, actor, MERCHANT_REGISTER, merchant.merchant_id, {
        "name": merchant.name, "benefit_plus": merchant.benefit_plus, "discount_rate": merchant.discount_rate})
    tx.commit()
    return merchant


def list_merchants(
    dong: str | None, benefit_plus: bool | None, delivery: bool | None, limit: int, cursor: str | None
) -> Page[Merchant]:
    """Shops, optionally of one of the 22 dongs; a name that is no dong is a mistake, as for the news."""
    if dong is not None and not is_dong(dong):
        raise ValidationFailed("dong must be one of the 22 dongs of Seo-gu")
    return composition.container().repos.merchants.find(dong, benefit_plus, delivery, limit, cursor)


def get_merchant(merchant_id: str) -> Merchant:
    r = composition.container().repos
    batch = r.store.batch()
    found = r.merchants.want(batch, merchant_id)
    batch.run()
    if found.value is None:
        raise NotFound("no such merchant")
    return found.value


def approve_mall(merchant_id: str, mall: str, actor: str) -> Merchant:
    """Staff approve a seller for a mall, if eligible: `only-seogu` needs registration in one of the
    22 dongs, `yumyum` a seat in the district's food industrial complex. Approving it again changes
    nothing and records nothing."""
    merchant = get_merchant(merchant_id)
    if mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    if not mall_eligible(mall, merchant.dong, merchant.food_complex):
        raise ValidationFailed(f"this seller is not eligible for {mall}")
    if mall in merchant.malls:
        return merchant
    approved = replace(merchant, malls=(*merchant.malls, mall))
    r = composition.container().repos
    tx = r.store.tx()
    r.merchants.stage_malls(tx, merchant_id, approved.malls)
    audit.stage(tx, actor, MERCHANT_MALLS, merchant_id, {"mall": mall})
    tx.commit()
    return approved


def set_delivery(merchant_id: str, delivery: Delivery | None, actor: str) -> Merchant:
    """Staff give a registered shop 배달서구 (fee, minimum order, dongs served), change it, or end it (None):
    new orders follow the new settings, orders already placed keep theirs. Setting what is already set
    changes nothing and records nothing."""
    merchant = get_merchant(merchant_id)
    if merchant.delivery == delivery:
        return merchant
    changed = replace(merchant, delivery=delivery)
    problems = [p for p in validate_merchant(changed) if p.startswith("delivery")]
    if problems:
        raise ValidationFailed("; ".join(problems))
    r = composition.container().repos
    tx = r.store.tx()
    r.merchants.stage_delivery(tx, merchant_id, delivery)
    detail: dict[str, str | int | bool | None] = (
        {"fee": delivery.fee, "min_order": delivery.min_order, "dongs": ",".join(delivery.dongs)}
        if delivery is not None else {"ended": True}
    )
    audit.stage(tx, actor, MERCHANT_DELIVERY, merchant_id, detail)
    tx.commit()
    return changed
