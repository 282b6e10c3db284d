"""Staff register merchants and approve mall sellers; anyone signed in lists and reads them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from chalicelib import composition
from chalicelib.domain.audit import MERCHANT_DELIVERY, MERCHANT_LOCATION, MERCHANT_MALLS, MERCHANT_REGISTER
from chalicelib.domain.budget import budgeted, left
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.geo import Location
from chalicelib.domain.merchant import (
    MALLS,
    Delivery,
    Merchant,
    location_problems,
    mall_eligible,
    normalise_business_number,
    validate_merchant,
)
from chalicelib.domain.meter import meter, shop_rate_bp
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.policy import policy_for
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers import audit
from chalicelib.handlers.common import now, retrying


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
    detail: dict[str, str | int | bool | None] = {
        "name": merchant.name, "benefit_plus": merchant.benefit_plus, "discount_rate": merchant.discount_rate}
    if merchant.location is not None:
        detail["location"] = merchant.location.text()
    audit.stage(tx, actor, MERCHANT_REGISTER, merchant.merchant_id, detail)
    tx.commit()
    return merchant


def list_merchants(
    dong: str | None, benefit_plus: bool | None, delivery: bool | None, limit: int, cursor: str | None,
    category: str | None = None,
) -> Page[Merchant]:
    """Shops, optionally of one of the 22 dongs; a name that is no dong is a mistake, as for the news."""
    if dong is not None and not is_dong(dong):
        raise ValidationFailed("dong must be one of the 22 dongs of Seo-gu")
    return composition.container().repos.merchants.find(dong, benefit_plus, delivery, limit, cursor, category)


@dataclass(frozen=True)
class ShopView:
    """A merchant as a caller sees it: for a resident, with the total rate their next won there earns now."""

    merchant: Merchant
    cashback_rate_bp: int | None


def view_merchant(merchant_id: str, resident: str | None = None, acting_for: str | None = None) -> ShopView:
    """One merchant; for a resident (`resident`: their id), the rate the next eligible won they pay there earns
    now: the sum of the gauges of the programs that cover it (`domain/meter.py`), from their counters of the
    month and the budgets — read in the same batch as the merchant. At a shop the resident acts for
    (`acting_for`), and in a month with no policy, nothing is earned: 0."""
    c = composition.container()
    r = c.repos
    month = month_of(now())
    policy = policy_for(month, c.policies.all()) if resident is not None else None
    batch = r.store.batch()
    found = r.merchants.want(batch, merchant_id)
    counters = r.wallets.want_month(batch, resident, month) if resident is not None and policy else None
    used = r.budgets.want(batch, month, budgeted(policy)) if resident is not None and policy else None
    batch.run()
    if found.value is None:
        raise NotFound("no such merchant")
    merchant = found.value
    if resident is None:
        return ShopView(merchant, None)
    if policy is None or counters is None or used is None or acting_for == merchant.merchant_id:
        return ShopView(merchant, 0)
    lines = meter(policy, counters.value, left(policy, used.value))
    return ShopView(merchant, shop_rate_bp(policy, lines, merchant.benefit_plus))


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


def set_location(merchant_id: str, location: Location, actor: str) -> Merchant:
    """Staff record where a registered shop is (inside Seo-gu's box), or move it: the merchant, its spot in the
    map index (the old one deleted) and the audit record in one transaction, conditioned on the location read,
    so two changes at once end with one spot. Setting the location it has changes nothing and records nothing."""
    problems = location_problems(location)
    if problems:
        raise ValidationFailed("; ".join(problems))
    r = composition.container().repos

    def attempt() -> Merchant:
        merchant = get_merchant(merchant_id)
        if merchant.location == location:
            return merchant
        tx = r.store.tx()
        r.merchants.stage_location(tx, merchant, location)
        audit.stage(tx, actor, MERCHANT_LOCATION, merchant_id, {
            "location": location.text(), "previous": merchant.location.text() if merchant.location else None})
        tx.commit()
        return replace(merchant, location=location)

    return retrying(attempt, f"merchant:{merchant_id}")
