"""Nobody earns cashback at their own shop: a payment, delivery order or mall order whose token carries the
payee's merchant id is refused (403 FORBIDDEN) and moves no money; the same person may pay other shops."""

from __future__ import annotations

from typing import Any

from tests.support import BIZ, Env, new_key

MENU = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 12_000, "available": True}]}
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}


def as_owner(env: Env, method: str, path: str, shop: str, body: Any) -> tuple[int, Any]:
    return env.call(method, path, body=body, headers=env.owner_headers("owner", shop, key=new_key()))


def nothing_moved(env: Env) -> None:
    w = env.wallet("owner")
    assert (w["charged_balance"], w["month"]["eligible_spend"], w["month"]["pending_cashback"]) == (100_000, 0, 0)
    assert env.call("GET", "/payments", role="resident", sub="owner")[1]["items"] == []


def test_an_owner_cannot_pay_their_own_benefit_plus_shop_but_may_pay_another(env: Env):
    mine = env.register_merchant(benefit_plus=True, rate=7, number=BIZ[0])
    other = env.register_merchant(number=BIZ[1])
    env.open_wallet("owner", charge=100_000)
    status, body = as_owner(env, "POST", "/payments", mine, {"merchant_id": mine, "amount": 50_000})
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN"), body
    nothing_moved(env)
    status, body = as_owner(env, "POST", "/payments", mine, {"merchant_id": other, "amount": 10_000})
    assert status == 201 and body["cashback"]["city-base"] == 400


def test_an_owner_cannot_order_delivery_from_their_own_shop(env: Env):
    mine = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[0],
                                 delivery={"fee": 0, "min_order": 0, "dongs": ["청라1동"]})
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=mine, body=MENU)[0] == 200
    env.open_wallet("owner", charge=100_000)
    order = {"merchant_id": mine, "items": [{"item_id": "tteok", "quantity": 1}], "address": "청라동 1-1"}
    status, body = as_owner(env, "POST", "/orders", mine, order)
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN"), body
    nothing_moved(env)
    assert env.call("GET", "/merchant/orders", role="merchant", sub="owner", merchant_id=mine)[1]["items"] == []


def test_an_owner_cannot_buy_from_their_own_mall_listing_and_no_stock_is_taken(env: Env):
    mine = env.register_merchant(number=BIZ[0], malls=["only-seogu"])
    product = {"mall": "only-seogu", "name": "서구 쌀", "price": 30_000, "stock": 3, "shipping_fee": 3_000}
    assert env.call("PUT", "/merchant/products/rice", role="merchant", sub="owner", merchant_id=mine,
                    body=product)[0] == 200
    env.open_wallet("owner", charge=100_000)
    buy = {"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}], "shipping": SHIPPING,
           "consent": CONSENT}
    status, body = as_owner(env, "POST", "/mall/orders", mine, buy)
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN"), body
    nothing_moved(env)
    listed = env.call("GET", "/malls/only-seogu/products", role="resident", sub="owner")[1]["items"]
    assert [p["stock"] for p in listed] == [3]
