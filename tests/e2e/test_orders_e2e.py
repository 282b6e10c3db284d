"""배달서구 delivery orders and the 온리서구몰 mall end to end over HTTP against the running local stack:
server pricing, payment with the order, the two lifecycles, automatic full refunds checked against the
wallet and the month's pending cashback, and many buyers racing for the last items of a product.

Mirrors tests/unit/test_orders.py. Every resident, merchant (business numbers from seed 5000 on) and
product here is unique to this file, and the clock is never moved: everything happens in the real
current month, so each wallet's month is exactly this file's doing.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.conftest import REQUEST_TIMEOUT, Http, LocalStack, unique
from tests.support import business_number

pytestmark = pytest.mark.e2e
_numbers = itertools.count(5000)

SERVED = ["청라1동", "청라2동"]
MENU = {"items": [
    {"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True},
    {"item_id": "kimbap", "name": "김밥", "price": 3_000, "available": True},
    {"item_id": "sundae", "name": "순대", "price": 5_000, "available": False},
]}
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}
NOTHING = {"city-base": 0, "gu-extra": 0, "benefit-plus": 0}
ORDER_FIELDS = {"order_id", "merchant_id", "status", "items", "subtotal", "discount", "delivery_fee", "paid",
                "cashback", "created_at"}
MALL_ORDER_FIELDS = {"order_id", "mall", "status", "items", "subtotal", "shipping_fee", "paid", "cashback"}





def register(stack: LocalStack, **fields: Any) -> str:
    staff = Http(stack, "staff", "e2e-orders-staff")
    body = {"name": "e2e 주문 가게", "business_number": business_number(next(_numbers)), "dong": "청라1동",
            "category": "restaurant", "benefit_plus": False, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    status, out = staff.call("POST", "/staff/merchants", body)
    assert status == 201, out
    return str(out["merchant_id"])


def resident(stack: LocalStack, charge: int, dong: str = "청라1동") -> Http:
    me = Http(stack, "resident", unique("orders-resident"))
    status, wallet = me.call("POST", "/wallet", {"dong": dong, "agree_terms": True})
    assert status == 201, wallet
    status, out = me.call("POST", "/wallet/charges", {"amount": charge}, key=unique("charge"))
    assert (status, out["charged_balance"]) == (201, charge), out
    return me


def wallet(me: Http) -> dict[str, Any]:
    status, w = me.call("GET", "/wallet")
    assert status == 200, w
    return dict(w)


def error(result: tuple[int, Any]) -> tuple[int, str]:
    status, body = result
    return status, body["error"]["code"]


# ---- 배달서구 ------------------------------------------------------------------------------------


def delivery_shop(stack: LocalStack, **fields: Any) -> tuple[str, Http]:
    """A delivery merchant (Benefit Plus 5 % unless told otherwise) that has put its menu."""
    settings = {"benefit_plus": True, "discount_rate": 5,
                "delivery": {"fee": 2_000, "min_order": 10_000, "dongs": SERVED}, **fields}
    shop = register(stack, **settings)
    owner = Http(stack, "merchant", unique("orders-owner"), merchant_id=shop)
    status, menu = owner.call("PUT", "/merchant/menu", MENU)
    assert status == 200, menu
    assert [i["item_id"] for i in menu["items"]] == ["tteok", "kimbap", "sundae"]
    return shop, owner


def order_body(shop: str, items: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    return {"merchant_id": shop, "items": [{"item_id": i, "quantity": q} for i, q in items],
            "address": "청라동 1-1", **extra}


def place(me: Http, shop: str, items: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    status, o = me.call("POST", "/orders", order_body(shop, items, **extra), key=unique("order"))
    assert status == 201, o
    return dict(o)


def test_a_delivery_order_lives_its_lifecycle_and_rejection_and_cancellation_refund_in_full(stack: LocalStack):
    shop, owner = delivery_shop(stack)
    _, other_owner = delivery_shop(stack, benefit_plus=False, discount_rate=None)
    me = resident(stack, 100_000)
    status, menu = me.call("GET", f"/merchants/{shop}/menu")
    assert status == 200 and {i["item_id"]: i["price"] for i in menu["items"]}["tteok"] == 4_500

    # priced by the server from its own menu: 5 % off the items only, the fee on top
    body = order_body(shop, [("tteok", 2), ("kimbap", 1)])
    status, first = me.call("POST", "/orders", body, key="first")
    assert status == 201, first
    assert (first["subtotal"], first["discount"], first["delivery_fee"], first["paid"]) == (12_000, 600, 2_000, 13_400)
    assert first.keys() >= ORDER_FIELDS and first["created_at"].endswith("+09:00")
    assert first["status"] == "placed" and first["merchant_id"] == shop and first["dong"] == "청라1동"
    assert [(i["item_id"], i["unit_price"], i["quantity"]) for i in first["items"]] == [
        ("tteok", 4_500, 2), ("kimbap", 3_000, 1)]
    # eligible spend is all 13,400 paid, fee included; benefit-plus applies to delivery: 4 % + 1 % + 2 %
    assert first["cashback"] == {"city-base": 536, "gu-extra": 134, "benefit-plus": 268}
    assert me.call("POST", "/orders", body, key="first") == (201, first)  # a replay, not a second order
    delivered_alone = wallet(me)
    assert delivered_alone["charged_balance"] == 100_000 - 13_400
    assert delivered_alone["month"]["eligible_spend"] == 13_400
    assert delivered_alone["month"]["pending_cashback"] == 938
    assert delivered_alone["month"]["pending_by_program"] == first["cashback"]
    oid = first["order_id"]

    status, placed = owner.call("GET", "/merchant/orders?status=placed&limit=100")
    assert status == 200 and [o["order_id"] for o in placed["items"]] == [oid]
    status, theirs = other_owner.call("GET", "/merchant/orders?limit=100")
    assert status == 200 and theirs["items"] == []

    # another merchant may not act on it, another resident may not see or cancel it
    for action, action_body in (("accept", {"eta_minutes": 5}), ("reject", {"reason": "x"}), ("dispatch", None),
                                ("deliver", None)):
        assert error(other_owner.call("POST", f"/merchant/orders/{oid}/{action}", action_body)) == (404, "NOT_FOUND")
    stranger = Http(stack, "resident", unique("orders-stranger"))
    assert error(stranger.call("GET", f"/orders/{oid}")) == (404, "NOT_FOUND")
    assert error(stranger.call("POST", f"/orders/{oid}/cancel")) == (404, "NOT_FOUND")

    # placed → accepted → dispatched → delivered, and every wrong step is 409 INVALID_STATE
    assert error(owner.call("POST", f"/merchant/orders/{oid}/dispatch")) == (409, "INVALID_STATE")
    assert error(owner.call("POST", f"/merchant/orders/{oid}/deliver")) == (409, "INVALID_STATE")
    status, accepted = owner.call("POST", f"/merchant/orders/{oid}/accept", {"eta_minutes": 30})
    assert (status, accepted["status"], accepted["eta_minutes"]) == (200, "accepted", 30), accepted
    assert error(owner.call("POST", f"/merchant/orders/{oid}/accept", {"eta_minutes": 30})) == (409, "INVALID_STATE")
    assert error(me.call("POST", f"/orders/{oid}/cancel")) == (409, "INVALID_STATE")
    assert error(owner.call("POST", f"/merchant/orders/{oid}/reject", {"reason": "늦음"})) == (409, "INVALID_STATE")
    status, dispatched = owner.call("POST", f"/merchant/orders/{oid}/dispatch")
    assert (status, dispatched["status"]) == (200, "dispatched"), dispatched
    status, delivered = owner.call("POST", f"/merchant/orders/{oid}/deliver")
    assert (status, delivered["status"]) == (200, "delivered"), delivered
    assert error(owner.call("POST", f"/merchant/orders/{oid}/reject", {"reason": "x"})) == (409, "INVALID_STATE")
    assert error(me.call("POST", f"/orders/{oid}/cancel")) == (409, "INVALID_STATE")
    status, mine = me.call("GET", f"/orders/{oid}")
    assert (status, mine["status"], mine["paid"]) == (200, "delivered", 13_400)

    # a second order the merchant rejects and a third the resident cancels: both refunded in full
    second = place(me, shop, [("tteok", 3)])
    assert (second["subtotal"], second["discount"], second["delivery_fee"], second["paid"]) == (13_500, 675, 2_000,
                                                                                              14_825)
    third = place(me, shop, [("kimbap", 4)])
    assert third["paid"] == 13_400
    during = wallet(me)
    assert during["charged_balance"] == 100_000 - 13_400 - 14_825 - 13_400
    assert during["month"]["pending_cashback"] > 938
    status, rejected = owner.call("POST", f"/merchant/orders/{second['order_id']}/reject", {"reason": "재료 소진"})
    assert (status, rejected["status"], rejected["reason"]) == (200, "rejected", "재료 소진"), rejected
    status, cancelled = me.call("POST", f"/orders/{third['order_id']}/cancel")
    assert (status, cancelled["status"]) == (200, "cancelled"), cancelled

    after = wallet(me)
    assert after["charged_balance"] == delivered_alone["charged_balance"] == 86_600
    assert after["month"]["eligible_spend"] == 13_400
    assert after["month"]["pending_cashback"] == 938
    assert after["month"]["pending_by_program"] == {"city-base": 536, "gu-extra": 134, "benefit-plus": 268}
    for o in (second, third):
        status, payment = me.call("GET", f"/payments/{o['payment_id']}")
        assert (status, payment["status"], payment["refunded"]) == (200, "refunded", o["paid"]), payment

    # repeating a refunding transition finds 409 and never refunds twice
    assert error(owner.call("POST", f"/merchant/orders/{second['order_id']}/reject", {"reason": "x"})) == (
        409, "INVALID_STATE")
    assert error(me.call("POST", f"/orders/{third['order_id']}/cancel")) == (409, "INVALID_STATE")
    assert error(owner.call("POST", f"/merchant/orders/{third['order_id']}/accept", {"eta_minutes": 5})) == (
        409, "INVALID_STATE")
    assert wallet(me) == after

    status, history = me.call("GET", "/orders?limit=100")
    assert status == 200
    assert {o["order_id"]: o["status"] for o in history["items"]} == {
        oid: "delivered", second["order_id"]: "rejected", third["order_id"]: "cancelled"}


def test_bad_delivery_orders_are_refused_and_charge_nothing(stack: LocalStack):
    shop, _ = delivery_shop(stack)
    me = resident(stack, 50_000)
    far = resident(stack, 50_000, dong="검단동")
    refusals = [
        (me, [("tteok", 1)], {}, (400, "VALIDATION_ERROR")),   # under the 10,000 minimum
        (me, [("pizza", 3)], {}, (404, "NOT_FOUND")),
        (me, [("sundae", 3)], {}, (409, "CONFLICT")),          # not available
        (me, [("tteok", 0)], {}, (400, "VALIDATION_ERROR")),
        (me, [("tteok", 3)], {"dong": "가정1동"}, (409, "CONFLICT")),  # a dong it does not serve
        (far, [("tteok", 3)], {}, (409, "CONFLICT")),          # the wallet's own dong is not served
    ]
    for who, items, extra, expected in refusals:
        assert error(who.call("POST", "/orders", order_body(shop, items, **extra), key=unique("bad"))) == expected
    for who in (me, far):
        w = wallet(who)
        assert (w["charged_balance"], w["month"]["eligible_spend"], w["month"]["pending_by_program"]) == (
            50_000, 0, NOTHING)
    # the far resident may still have it delivered to a served dong
    assert place(far, shop, [("tteok", 3)], dong="청라2동")["dong"] == "청라2동"


def test_a_delivery_order_from_a_plain_merchant_gets_no_discount_but_still_earns_benefit_plus(stack: LocalStack):
    shop, _ = delivery_shop(stack, benefit_plus=False, discount_rate=None)
    me = resident(stack, 50_000)
    o = place(me, shop, [("tteok", 2), ("kimbap", 1)])
    assert (o["subtotal"], o["discount"], o["delivery_fee"], o["paid"]) == (12_000, 0, 2_000, 14_000)
    assert o["cashback"] == {"city-base": 560, "gu-extra": 140, "benefit-plus": 280}
    assert wallet(me)["month"]["pending_by_program"] == o["cashback"]


# ---- 온리서구몰 ----------------------------------------------------------------------------------


def seller(stack: LocalStack, *, price: int, stock: int, shipping_fee: int) -> tuple[str, Http, str]:
    """A seller approved for only-seogu with one product (an id unique to this run) on sale."""
    sid = register(stack, name="e2e 서구 농산", category="grocery", malls=["only-seogu"])
    owner = Http(stack, "merchant", unique("orders-seller"), merchant_id=sid)
    product_id = unique("rice")
    status, product = owner.call("PUT", f"/merchant/products/{product_id}",
                                 {"mall": "only-seogu", "name": "서구 쌀 10kg", "price": price, "stock": stock,
                                  "shipping_fee": shipping_fee})
    assert status == 200, product
    assert (product["product_id"], product["seller_id"], product["stock"]) == (product_id, sid, stock)
    return sid, owner, product_id


def mall_body(product_id: str, quantity: int, consent: Any = CONSENT) -> dict[str, Any]:
    return {"mall": "only-seogu", "items": [{"product_id": product_id, "quantity": quantity}],
            "shipping": SHIPPING, "consent": consent}


def buy(me: Http, product_id: str, quantity: int = 1, consent: Any = CONSENT) -> tuple[int, Any]:
    return me.call("POST", "/mall/orders", mall_body(product_id, quantity, consent), key=unique("mall"))


def product_of(me: Http, product_id: str) -> dict[str, Any]:
    """The product as the mall lists it (paging through the whole mall)."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["next"] = cursor
        r = requests.get(f"{me.base}/malls/only-seogu/products", params=params, headers=me.auth, timeout=REQUEST_TIMEOUT)
        assert r.status_code == 200, r.text
        page = r.json()
        for p in page["items"]:
            if p["product_id"] == product_id:
                return dict(p)
        cursor = page["next"]
        if not cursor:
            raise AssertionError(f"{product_id} is not listed in only-seogu")


def stock(me: Http, product_id: str) -> int:
    return int(product_of(me, product_id)["stock"])


def seller_orders(owner: Http) -> dict[str, dict[str, Any]]:
    status, page = owner.call("GET", "/merchant/mall-orders?limit=100")
    assert status == 200, page
    return {o["order_id"]: o for o in page["items"]}


def test_a_mall_order_is_paid_shipped_delivered_and_a_cancel_before_shipping_refunds_and_restocks(
    stack: LocalStack,
):
    sid, owner, pid = seller(stack, price=30_000, stock=3, shipping_fee=3_000)
    _, other_owner, _ = seller(stack, price=1_000, stock=1, shipping_fee=0)
    me = resident(stack, 200_000)
    listed = product_of(me, pid)
    assert (listed["seller_id"], listed["price"], listed["stock"], listed["shipping_fee"]) == (sid, 30_000, 3, 3_000)

    # without the consent to hand over the shipping data nothing is bought
    for consent in ({"third_party_provision": False, "version": "2020-01"}, {"version": "2020-01"}):
        assert error(buy(me, pid, 1, consent)) == (400, "VALIDATION_ERROR")
    w = wallet(me)
    assert (w["charged_balance"], w["month"]["eligible_spend"], w["month"]["pending_by_program"]) == (
        200_000, 0, NOTHING)
    assert stock(me, pid) == 3

    status, first = buy(me, pid, 1)
    assert status == 201, first
    assert (first["mall"], first["status"], first["subtotal"], first["shipping_fee"], first["paid"]) == (
        "only-seogu", "paid", 30_000, 3_000, 33_000)
    assert first.keys() >= MALL_ORDER_FIELDS
    assert first["cashback"] == {"city-base": 1_320, "gu-extra": 330, "benefit-plus": 0}
    assert first["consent_version"] == "2020-01" and first["consent_at"]
    assert stock(me, pid) == 2
    one_order = wallet(me)
    assert one_order["charged_balance"] == 167_000 and one_order["month"]["pending_cashback"] == 1_650

    # the seller sees the shipping data of its own orders only
    seen = seller_orders(owner)
    assert list(seen) == [first["order_id"]]
    assert seen[first["order_id"]]["shipping"] == SHIPPING
    assert first["order_id"] not in seller_orders(other_owner)
    fid = first["order_id"]
    assert error(other_owner.call("POST", f"/merchant/mall-orders/{fid}/ship",
                                  {"carrier": "c", "tracking_number": "t"})) == (404, "NOT_FOUND")
    assert error(owner.call("POST", f"/merchant/mall-orders/{fid}/deliver")) == (409, "INVALID_STATE")

    # a second order, cancelled before shipping: refunded in full and the stock comes back
    status, second = buy(me, pid, 2)
    assert status == 201, second
    assert second["paid"] == 63_000 and stock(me, pid) == 0
    assert error(buy(me, pid, 1)) == (409, "OUT_OF_STOCK")
    status, cancelled = me.call("POST", f"/mall/orders/{second['order_id']}/cancel")
    assert (status, cancelled["status"]) == (200, "cancelled"), cancelled
    assert stock(me, pid) == 2
    assert error(me.call("POST", f"/mall/orders/{second['order_id']}/cancel")) == (409, "INVALID_STATE")
    assert error(owner.call("POST", f"/merchant/mall-orders/{second['order_id']}/ship",
                            {"carrier": "c", "tracking_number": "t"})) == (409, "INVALID_STATE")
    assert stock(me, pid) == 2

    # paid → shipped → delivered; after shipping the resident can no longer cancel
    status, shipped = owner.call("POST", f"/merchant/mall-orders/{fid}/ship",
                                 {"carrier": "CJ대한통운", "tracking_number": "1234-5678"})
    assert (status, shipped["status"]) == (200, "shipped"), shipped
    assert shipped["tracking"] == {"carrier": "CJ대한통운", "tracking_number": "1234-5678"}
    assert error(me.call("POST", f"/mall/orders/{fid}/cancel")) == (409, "INVALID_STATE")
    status, delivered = owner.call("POST", f"/merchant/mall-orders/{fid}/deliver")
    assert (status, delivered["status"]) == (200, "delivered"), delivered
    assert error(me.call("POST", f"/mall/orders/{fid}/cancel")) == (409, "INVALID_STATE")
    status, mine = me.call("GET", f"/mall/orders/{fid}")
    assert (status, mine["status"], mine["tracking"]) == (200, "delivered", shipped["tracking"])
    assert error(Http(stack, "resident", unique("orders-stranger")).call("GET", f"/mall/orders/{fid}")) == (
        404, "NOT_FOUND")

    after = wallet(me)
    assert after["charged_balance"] == one_order["charged_balance"] == 167_000
    assert after["month"]["eligible_spend"] == 33_000
    assert after["month"]["pending_cashback"] == 1_650
    assert after["month"]["pending_by_program"] == first["cashback"]
    assert stock(me, pid) == 2
    status, payment = me.call("GET", f"/payments/{second['payment_id']}")
    assert (status, payment["status"], payment["refunded"]) == (200, "refunded", 63_000), payment


# ---- many buyers, the last items -----------------------------------------------------------------

BUYERS = 20
STOCK = 5
PRICE = 10_000
SHIP_FEE = 2_500
CHARGE = 50_000


def test_twenty_buyers_racing_for_the_last_five_items_never_oversell(stack: LocalStack):
    sid, owner, pid = seller(stack, price=PRICE, stock=STOCK, shipping_fee=SHIP_FEE)
    with ThreadPoolExecutor(max_workers=8) as pool:
        buyers = list(pool.map(lambda _: resident(stack, CHARGE), range(BUYERS)))

    start = threading.Barrier(BUYERS)

    def race(me: Http) -> tuple[int, Any]:
        start.wait(timeout=30)
        try:
            return buy(me, pid, 1)
        except requests.RequestException as exc:  # reported, not raised: the tally below names it
            return -1, repr(exc)

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        results = list(pool.map(race, buyers))

    statuses = sorted(s for s, _ in results)
    assert statuses == [201] * STOCK + [409] * (BUYERS - STOCK), results
    won = [(me, body) for me, (s, body) in zip(buyers, results, strict=True) if s == 201]
    lost = [(me, body) for me, (s, body) in zip(buyers, results, strict=True) if s != 201]
    assert [b["error"]["code"] for _, b in lost] == ["OUT_OF_STOCK"] * (BUYERS - STOCK)
    assert all((b["paid"], b["status"]) == (PRICE + SHIP_FEE, "paid") for _, b in won), won
    assert stock(buyers[0], pid) == 0

    for me, body in won:
        w = wallet(me)
        assert w["charged_balance"] == CHARGE - body["paid"]
        assert w["month"]["eligible_spend"] == body["paid"]
    for me, _ in lost:
        w = wallet(me)
        assert (w["charged_balance"], w["month"]["eligible_spend"], w["month"]["pending_by_program"]) == (
            CHARGE, 0, NOTHING)
    assert sorted(seller_orders(owner)) == sorted(b["order_id"] for _, b in won)
    assert sid
