"""Access control, table-driven: every route × {no token, expired, wrong audience, resident, another
resident, merchant, another merchant, staff}.

The table below states, for each route, who may call it and whether its path names something a
resident or merchant owns. The expectations follow from that: a missing or bad token is 401; a wrong
role is 403; another resident's or merchant's resource is 404 (never revealed); the right caller is
let through (whatever the business answer then is, it is neither 401 nor 403 nor a 5xx). A route
missing from the table fails the test, so a new route cannot skip this review.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import BIZ, Env, new_key

PUBLIC, LOCAL_ONLY, SIGNED_IN, RESIDENT, RESIDENT_OWNED, MERCHANT, MERCHANT_OWNED, STAFF = (
    "public", "local-only", "signed-in", "resident", "resident-owned", "merchant", "merchant-owned", "staff")
IDENTITIES = ("no token", "expired", "wrong audience", "resident", "another resident", "merchant",
              "another merchant", "staff")

SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}

# (method, path) → (who, body). Path ids in braces are filled with the owner's real resources.
TABLE: dict[tuple[str, str], tuple[str, Any]] = {
    ("GET", "/health"): (PUBLIC, None),
    ("GET", "/openapi.json"): (PUBLIC, None),
    ("PUT", "/_local/clock"): (LOCAL_ONLY, {"now": "2020-03-10T12:00:00+09:00"}),
    ("DELETE", "/_local/clock"): (LOCAL_ONLY, None),
    ("POST", "/wallet"): (RESIDENT, {"dong": "청라1동", "agree_terms": True}),
    ("GET", "/wallet"): (RESIDENT, None),
    ("POST", "/wallet/charges"): (RESIDENT, {"amount": 1_000}),
    ("POST", "/payments"): (RESIDENT, {"merchant_id": "{merchant_id}", "amount": 1_000}),
    ("GET", "/payments"): (RESIDENT, None),
    ("GET", "/payments/{payment_id}"): (RESIDENT_OWNED, None),
    ("GET", "/merchants"): (SIGNED_IN, None),
    ("GET", "/merchants/{merchant_id}"): (SIGNED_IN, None),
    ("POST", "/merchant/payments/{payment_id}/refunds"): (MERCHANT_OWNED, {"amount": 100}),
    ("POST", "/staff/merchants"): (STAFF, {"name": "새 가게", "business_number": BIZ[5], "dong": "청라1동",
                                           "category": "cafe", "benefit_plus": False}),
    ("GET", "/policies/current"): (SIGNED_IN, None),
    ("PUT", "/staff/policies/{month}"): (STAFF, {"programs": [{"program_id": "city-base", "funder": "incheon-city",
                                                               "tiers": [{"up_to": None, "rate_bp": 100}]}],
                                                 "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}),
    ("POST", "/staff/policies/{month}/approve"): (STAFF, None),
    ("GET", "/staff/policies/{month}"): (STAFF, None),
    ("GET", "/staff/audit"): (STAFF, None),
    ("POST", "/staff/settlements"): (STAFF, {"month": "2020-02"}),
    ("GET", "/staff/settlements/{month}"): (STAFF, None),
    ("GET", "/merchant/settlements/{month}"): (MERCHANT, None),
    ("GET", "/news"): (SIGNED_IN, None),
    ("GET", "/news/{post_id}"): (SIGNED_IN, None),
    ("GET", "/staff/notices"): (STAFF, None),
    ("PUT", "/merchant/menu"): (MERCHANT, {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 4_500,
                                                      "available": True}]}),
    ("GET", "/merchants/{merchant_id}/menu"): (SIGNED_IN, None),
    ("POST", "/orders"): (RESIDENT, {"merchant_id": "{merchant_id}", "items": [{"item_id": "tteok", "quantity": 3}],
                                     "address": "청라동 1-1"}),
    ("GET", "/orders"): (RESIDENT, None),
    ("GET", "/orders/{order_id}"): (RESIDENT_OWNED, None),
    ("POST", "/orders/{order_id}/cancel"): (RESIDENT_OWNED, None),
    ("GET", "/merchant/orders"): (MERCHANT, None),
    ("POST", "/merchant/orders/{order_id}/accept"): (MERCHANT_OWNED, {"eta_minutes": 30}),
    ("POST", "/merchant/orders/{order_id}/reject"): (MERCHANT_OWNED, {"reason": "closed"}),
    ("POST", "/merchant/orders/{order_id}/dispatch"): (MERCHANT_OWNED, None),
    ("POST", "/merchant/orders/{order_id}/deliver"): (MERCHANT_OWNED, None),
    ("POST", "/staff/merchants/{merchant_id}/malls"): (STAFF, {"mall": "only-seogu"}),
    ("PUT", "/staff/merchants/{merchant_id}/delivery"): (STAFF, {"fee": 0, "min_order": 0, "dongs": ["청라1동"]}),
    ("DELETE", "/staff/merchants/{merchant_id}/delivery"): (STAFF, None),
    ("PUT", "/staff/merchants/{merchant_id}/location"): (STAFF, {"lat": 37.5455, "lng": 126.676}),
    ("PUT", "/merchant/products/{product_id}"): (MERCHANT, {"mall": "only-seogu", "name": "쌀", "price": 1_000,
                                                            "stock": 5, "shipping_fee": 0}),
    ("GET", "/malls/{mall}/products"): (SIGNED_IN, None),
    ("POST", "/mall/orders"): (RESIDENT, {"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
                                          "shipping": SHIPPING, "consent": CONSENT}),
    ("GET", "/mall/orders/{order_id}"): (RESIDENT_OWNED, None),
    ("POST", "/mall/orders/{order_id}/cancel"): (RESIDENT_OWNED, None),
    ("GET", "/merchant/mall-orders"): (MERCHANT, None),
    ("POST", "/merchant/mall-orders/{order_id}/ship"): (MERCHANT_OWNED, {"carrier": "우체국",
                                                                         "tracking_number": "1"}),
    ("POST", "/merchant/mall-orders/{order_id}/deliver"): (MERCHANT_OWNED, None),
    ("GET", "/campaigns"): (SIGNED_IN, None),
    ("GET", "/campaigns/{campaign_id}"): (SIGNED_IN, None),
    ("POST", "/staff/campaigns"): (STAFF, {"title": "연탄", "category": "winter", "target": 1_000_000}),
    ("POST", "/staff/campaigns/{campaign_id}/close"): (STAFF, None),
    ("POST", "/staff/campaigns/{campaign_id}/reopen"): (STAFF, None),
    ("POST", "/donations"): (RESIDENT, {"amount": 100}),
    ("GET", "/donations"): (RESIDENT, None),
    ("PUT", "/donations/auto"): (RESIDENT, {"mode": "off"}),
    ("GET", "/donations/auto"): (RESIDENT, None),
    ("PUT", "/me/tax-id"): (RESIDENT, {"rrn": "900101-1234568", "consent_nts": True}),
    ("GET", "/me/tax-id"): (RESIDENT, None),
    ("DELETE", "/me/tax-id"): (RESIDENT, None),
    ("POST", "/staff/donations/nts-export"): (STAFF, {"year": 2020}),
    ("POST", "/gifts"): (RESIDENT, {"amount": 1_000, "message": "선물"}),
    ("POST", "/gifts/claim"): (RESIDENT, {"claim_code": "0000-0000-0000-0000"}),
    ("POST", "/gifts/{gift_id}/cancel"): (RESIDENT_OWNED, None),
    ("GET", "/gifts"): (RESIDENT, None),
    ("GET", "/history"): (RESIDENT, None),
    ("GET", "/history.csv"): (RESIDENT, None),
    ("GET", "/me/usage-statement"): (RESIDENT, None),
    ("POST", "/wallet/charges/{charge_id}/cancel"): (RESIDENT_OWNED, None),
    ("POST", "/wallet/withdrawals"): (RESIDENT, {}),
    ("PUT", "/wallet/auto-charge"): (RESIDENT, {"mode": "below", "below": 10_000, "amount": 10_000}),
    ("GET", "/wallet/auto-charge"): (RESIDENT, None),
    ("GET", "/staff/budgets"): (STAFF, None),
    ("GET", "/merchant/payments"): (MERCHANT, None),
    ("GET", "/merchant/products"): (MERCHANT, None),
    ("GET", "/merchant/menu"): (MERCHANT, None),
}


def expected(who: str, identity: str) -> str:
    """'401', '403', '404', '200' (public) or 'allowed' (neither 401 nor 403 nor 5xx)."""
    if who == LOCAL_ONLY:
        return "404"  # this stage has no clock routes, for anyone
    if who == PUBLIC:
        return "200"
    if identity in ("no token", "expired", "wrong audience"):
        return "401"
    role = identity.removeprefix("another ")
    if who == SIGNED_IN:
        return "allowed"
    if who.startswith(role):
        return "404" if identity.startswith("another") and who.endswith("-owned") else "allowed"
    return "403"


def test_every_route_is_in_the_access_table(env: Env):
    import app  # noqa: F401  (declares every route)
    from chalicelib.web.api import declared

    assert {(s.method, s.path) for s in declared()} == set(TABLE)


def test_every_route_answers_every_kind_of_caller_as_the_table_says(env: Env, subtests: pytest.Subtests):
    # the owner's world: a delivery and mall merchant, a payment, a delivery order and a mall order
    # both merchants deliver and sell in only-seogu, so a refusal of the other one can only be about access
    shop, other_shop = (env.register_merchant(number=n, benefit_plus=True, rate=5, malls=["only-seogu"],
                                              delivery={"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]})
                        for n in BIZ[:2])
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="o", merchant_id=shop,
                    body=TABLE[("PUT", "/merchant/menu")][1])[0] == 200
    assert env.call("PUT", "/merchant/products/rice", role="merchant", sub="o", merchant_id=shop,
                    body=TABLE[("PUT", "/merchant/products/{product_id}")][1])[0] == 200
    env.open_wallet("owner", charge=500_000)
    env.open_wallet("intruder", charge=500_000)
    _, payment = env.pay("owner", shop, 10_000)
    status, order = env.call("POST", "/orders", role="resident", sub="owner", key=new_key(),
                             body={"merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 2}],
                                   "address": "청라동 1-1"})
    assert status == 201, order
    status, mall_order = env.call("POST", "/mall/orders", role="resident", sub="owner", key=new_key(),
                                  body=TABLE[("POST", "/mall/orders")][1])
    assert status == 201, mall_order
    status, gift = env.call("POST", "/gifts", role="resident", sub="owner", key=new_key(), body={"amount": 1_000})
    assert status == 201, gift
    status, top_up = env.call("POST", "/wallet/charges", role="resident", sub="owner", key=new_key(),
                              body={"amount": 1_000})
    assert status == 201, top_up
    ids = {"merchant_id": shop, "payment_id": payment["payment_id"], "month": "2020-03", "post_id": "no-such-post",
           "product_id": "rice", "mall": "only-seogu", "campaign_id": "solitary-elderly", "gift_id": gift["gift_id"],
           "charge_id": top_up["charge_id"]}
    callers: dict[str, dict[str, Any]] = {
        "resident": {"role": "resident", "sub": "owner"},
        "another resident": {"role": "resident", "sub": "intruder"},
        "merchant": {"role": "merchant", "sub": "o", "merchant_id": shop},
        "another merchant": {"role": "merchant", "sub": "o2", "merchant_id": other_shop},
        "staff": {"role": "staff", "sub": "clerk"},
    }
    bad_tokens = {
        "expired": env.token("resident", "owner", ttl=-3600),
        "wrong audience": env.token("resident", "owner", audience="another-app"),
    }

    def fill(text: str, path: str) -> str:
        values = {**ids, "order_id": mall_order["order_id"] if "mall" in path else order["order_id"]}
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    # owners last: their calls may move an order on, which the 404s of others do not depend on
    order_of_callers = ("no token", "expired", "wrong audience", "another resident", "another merchant", "staff",
                        "merchant", "resident")
    for (method, template), (who, body) in TABLE.items():
        path = fill(template, template)
        payload = None if body is None else _fill_body(body, lambda t, p=template: fill(t, p))
        for identity in order_of_callers:
            want = expected(who, identity)
            with subtests.test(msg=f"{method} {template} as {identity}"):
                headers = {"Authorization": f"Bearer {bad_tokens[identity]}"} if identity in bad_tokens else None
                caller = callers.get(identity, {})
                status, answer = env.call(method, path, body=payload, key=new_key(), headers=headers, **caller)
                if want == "allowed":
                    assert status not in (401, 403) and status < 500, (status, answer)
                else:
                    assert status == int(want), (status, answer)
                    if status >= 400:
                        assert answer["error"]["code"] == {"401": "UNAUTHORIZED", "403": "FORBIDDEN",
                                                           "404": "NOT_FOUND"}[want]


def _fill_body(body: Any, fill: Any) -> Any:
    if isinstance(body, dict):
        return {k: _fill_body(v, fill) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_body(v, fill) for v in body]
    return fill(body) if isinstance(body, str) else body
