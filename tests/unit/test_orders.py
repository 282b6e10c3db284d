"""배달서구 and the malls: server pricing, payment atomic with the order and the stock,
lifecycles with automatic full refunds, ownership, consent, shipping data and its purge. The retention
periods of personal data: test_retention.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.months import KST
from chalicelib.handlers import orders
from tests.support import BIZ, Env, new_key, race

MENU = {"items": [
    {"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True},
    {"item_id": "kimbap", "name": "김밥", "price": 3_000, "available": True},
    {"item_id": "sundae", "name": "순대", "price": 5_000, "available": False},
]}


def delivery_shop(env: Env, number: str = BIZ[1]) -> str:
    shop = env.register_merchant(benefit_plus=True, rate=5, number=number,
                                 delivery={"fee": 2_000, "min_order": 10_000, "dongs": ["청라1동", "청라2동"]})
    status, body = env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)
    assert status == 200, body
    return shop


def order(env: Env, user: str, shop: str, items: list[tuple[str, int]], **extra: Any) -> tuple[int, Any]:
    body = {"merchant_id": shop, "items": [{"item_id": i, "quantity": q} for i, q in items],
            "address": "청라동 1-1", **extra}
    return env.call("POST", "/orders", role="resident", sub=user, body=body, key=new_key())


def act(env: Env, shop: str, order_id: str, action: str, body: Any = None) -> tuple[int, Any]:
    return env.call("POST", f"/merchant/orders/{order_id}/{action}", role="merchant", sub="owner",
                    merchant_id=shop, body=body)


def test_an_order_is_priced_from_the_menu_and_paid_with_benefit_plus_cashback(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    assert env.call("GET", f"/merchants/{shop}/menu", role="resident", sub="ann")[1]["items"][0]["price"] == 4_500
    status, o = order(env, "ann", shop, [("tteok", 2), ("kimbap", 1)])
    assert status == 201, o
    assert (o["subtotal"], o["discount"], o["delivery_fee"], o["paid"]) == (12_000, 600, 2_000, 13_400)
    assert o["cashback"] == {"city-base": 536, "gu-extra": 134, "benefit-plus": 268}
    assert o["status"] == "placed" and o["dong"] == "청라1동"
    w = env.wallet("ann")
    assert w["charged_balance"] == 86_600 and w["month"]["pending_cashback"] == 938


@pytest.mark.parametrize(("items", "status", "code"), [
    ([("tteok", 1)], 400, "VALIDATION_ERROR"),          # under the minimum
    ([("pizza", 3)], 404, "NOT_FOUND"),
    ([("sundae", 3)], 409, "CONFLICT"),
    ([("tteok", 0)], 400, "VALIDATION_ERROR"),
    ([("tteok", 1000)], 400, "VALIDATION_ERROR"),
])
def test_bad_orders_are_refused_and_charge_nothing(env: Env, items, status, code):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    got, body = order(env, "ann", shop, items)
    assert (got, body["error"]["code"]) == (status, code)
    w = env.wallet("ann")
    assert (w["charged_balance"], w["month"]["eligible_spend"]) == (100_000, 0)


def test_an_order_to_a_dong_the_merchant_does_not_serve_is_refused(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", dong="검단동", charge=100_000)
    status, body = order(env, "ann", shop, [("tteok", 3)])
    assert (status, body["error"]["code"]) == (409, "CONFLICT")
    assert order(env, "ann", shop, [("tteok", 3)], dong="청라2동")[0] == 201


def test_the_full_lifecycle_and_every_wrong_step_is_invalid_state(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, o = order(env, "ann", shop, [("tteok", 3)])
    oid = o["order_id"]
    assert act(env, shop, oid, "dispatch")[1]["error"]["code"] == "INVALID_STATE"
    status, accepted = act(env, shop, oid, "accept", {"eta_minutes": 30})
    assert (status, accepted["status"], accepted["eta_minutes"]) == (200, "accepted", 30)
    assert env.call("POST", f"/orders/{oid}/cancel", role="resident", sub="ann")[0] == 409
    assert act(env, shop, oid, "dispatch")[1]["status"] == "dispatched"
    assert act(env, shop, oid, "deliver")[1]["status"] == "delivered"
    assert act(env, shop, oid, "reject", {"reason": "x"})[0] == 409
    assert env.call("GET", f"/orders/{oid}", role="resident", sub="ann")[1]["status"] == "delivered"


def test_rejection_and_cancellation_refund_in_full_and_reverse_the_cashback(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, first = order(env, "ann", shop, [("tteok", 3)])
    _, second = order(env, "ann", shop, [("kimbap", 4)])
    status, rejected = act(env, shop, first["order_id"], "reject", {"reason": "재료 소진"})
    assert (status, rejected["status"], rejected["reason"]) == (200, "rejected", "재료 소진")
    status, cancelled = env.call("POST", f"/orders/{second['order_id']}/cancel", role="resident", sub="ann")
    assert (status, cancelled["status"]) == (200, "cancelled")
    w = env.wallet("ann")
    assert w["charged_balance"] == 100_000
    assert w["month"]["eligible_spend"] == 0 and w["month"]["pending_cashback"] == 0
    payment = env.call("GET", f"/payments/{first['payment_id']}", role="resident", sub="ann")[1]
    assert payment["status"] == "refunded"
    assert sum(m.d_charged for m in env.repos.wallets.movements("ann")) == 100_000


def test_merchants_see_and_act_on_their_own_orders_only(env: Env):
    shop = delivery_shop(env)
    other = env.register_merchant(number=BIZ[2], delivery={"fee": 0, "min_order": 0, "dongs": ["청라1동"]})
    env.open_wallet("ann", charge=100_000)
    _, o = order(env, "ann", shop, [("tteok", 3)])
    status, mine = env.call("GET", "/merchant/orders?status=placed", role="merchant", sub="o", merchant_id=shop)
    assert status == 200 and [x["order_id"] for x in mine["items"]] == [o["order_id"]]
    assert env.call("GET", "/merchant/orders", role="merchant", sub="x", merchant_id=other)[1]["items"] == []
    assert act(env, other, o["order_id"], "accept", {"eta_minutes": 5})[0] == 404
    assert env.call("GET", f"/orders/{o['order_id']}", role="resident", sub="bob")[0] == 404
    assert env.call("POST", f"/orders/{o['order_id']}/cancel", role="resident", sub="bob")[0] == 404


def test_a_merchant_without_delivery_keeps_no_menu(env: Env):
    plain = env.register_merchant(number=BIZ[0])
    status, body = env.call("PUT", "/merchant/menu", role="merchant", sub="o", merchant_id=plain, body=MENU)
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")


# ---- malls -------------------------------------------------------------------------------------

SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}


def seller(env: Env, *, stock: int = 3) -> str:
    sid = env.register_merchant(number=BIZ[3], malls=["only-seogu"])
    status, body = env.call("PUT", "/merchant/products/rice-10kg", role="merchant", sub="s", merchant_id=sid,
                            body={"mall": "only-seogu", "name": "서구 쌀 10kg", "price": 30_000, "stock": stock,
                                  "shipping_fee": 3_000})
    assert status == 200, body
    return sid


def buy(env: Env, user: str, quantity: int, consent: Any = CONSENT) -> tuple[int, Any]:
    body = {"mall": "only-seogu", "items": [{"product_id": "rice-10kg", "quantity": quantity}],
            "shipping": SHIPPING, "consent": consent}
    return env.call("POST", "/mall/orders", role="resident", sub=user, body=body, key=new_key())


def stock(env: Env) -> int:
    items = env.call("GET", "/malls/only-seogu/products", role="resident", sub="x")[1]["items"]
    return int(next(p["stock"] for p in items if p["product_id"] == "rice-10kg"))


def test_a_mall_order_takes_stock_and_payment_together_and_stores_the_consent(env: Env):
    seller(env)
    env.open_wallet("ann", charge=200_000)
    status, o = buy(env, "ann", 2)
    assert status == 201, o
    assert (o["subtotal"], o["shipping_fee"], o["paid"], o["status"]) == (60_000, 3_000, 63_000, "paid")
    assert o["consent_version"] == "2020-01" and o["consent_at"]
    assert stock(env) == 1 and env.wallet("ann")["charged_balance"] == 137_000


def test_without_consent_nothing_is_bought(env: Env):
    seller(env)
    env.open_wallet("ann", charge=200_000)
    for consent in ({"third_party_provision": False, "version": "2020-01"}, {"version": "2020-01"}):
        status, body = buy(env, "ann", 1, consent)
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert stock(env) == 3 and env.wallet("ann")["charged_balance"] == 200_000


def test_more_than_the_stock_is_out_of_stock_and_a_failed_payment_takes_no_stock(env: Env):
    seller(env)
    env.open_wallet("ann", charge=200_000)
    env.open_wallet("poor", charge=10_000)
    status, body = buy(env, "ann", 4)
    assert (status, body["error"]["code"]) == (409, "OUT_OF_STOCK")
    status, body = buy(env, "poor", 1)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
    assert stock(env) == 3 and env.wallet("ann")["charged_balance"] == 200_000


def test_a_buyer_racing_for_the_last_items_loses_with_out_of_stock(env: Env):
    seller(env, stock=2)
    env.open_wallet("ann", charge=200_000)
    env.open_wallet("bob", charge=200_000)

    def bob_buys_the_last_two() -> None:
        assert buy(env, "bob", 2)[0] == 201

    race(bob_buys_the_last_two)
    status, body = buy(env, "ann", 1)
    assert (status, body["error"]["code"]) == (409, "OUT_OF_STOCK")
    assert stock(env) == 0 and env.wallet("ann")["charged_balance"] == 200_000


def test_cancel_before_shipping_refunds_and_restores_stock_after_it_is_invalid_state(env: Env):
    sid = seller(env)
    env.open_wallet("ann", charge=200_000)
    _, first = buy(env, "ann", 1)
    _, second = buy(env, "ann", 1)
    status, cancelled = env.call("POST", f"/mall/orders/{first['order_id']}/cancel", role="resident", sub="ann")
    assert (status, cancelled["status"]) == (200, "cancelled")
    assert stock(env) == 2
    status, shipped = env.call("POST", f"/merchant/mall-orders/{second['order_id']}/ship", role="merchant",
                               sub="s", merchant_id=sid, body={"carrier": "CJ대한통운", "tracking_number": "1234"})
    assert status == 200 and shipped["tracking"] == {"carrier": "CJ대한통운", "tracking_number": "1234"}
    status, err = env.call("POST", f"/mall/orders/{second['order_id']}/cancel", role="resident", sub="ann")
    assert (status, err["error"]["code"]) == (409, "INVALID_STATE")
    w = env.wallet("ann")
    assert w["charged_balance"] == 200_000 - 33_000
    assert w["month"]["eligible_spend"] == 33_000


def test_sellers_see_shipping_data_of_their_own_orders_and_it_is_purged_after_delivery(env: Env):
    sid = seller(env)
    other = env.register_merchant(number=BIZ[4], malls=["only-seogu"])
    env.open_wallet("ann", charge=200_000)
    _, o = buy(env, "ann", 1)
    _, mine = env.call("GET", "/merchant/mall-orders", role="merchant", sub="s", merchant_id=sid)
    assert mine["items"][0]["shipping"] == SHIPPING
    assert env.call("GET", "/merchant/mall-orders", role="merchant", sub="x", merchant_id=other)[1]["items"] == []
    assert env.call("POST", f"/merchant/mall-orders/{o['order_id']}/ship", role="merchant", sub="x",
                    merchant_id=other, body={"carrier": "c", "tracking_number": "t"})[0] == 404
    path = f"/merchant/mall-orders/{o['order_id']}"
    env.call("POST", f"{path}/ship", role="merchant", sub="s", merchant_id=sid,
             body={"carrier": "우체국", "tracking_number": "9"})
    assert env.call("POST", f"{path}/deliver", role="merchant", sub="s", merchant_id=sid)[1]["status"] == "delivered"
    env.clock.set(env.clock.now() + timedelta(days=89))
    assert orders.purge_shipping_data() == 0
    env.clock.set(env.clock.now() + timedelta(days=1))
    assert orders.purge_shipping_data() == 1
    after = env.call("GET", f"/mall/orders/{o['order_id']}", role="resident", sub="ann")[1]
    assert after["shipping"] is None and after["status"] == "delivered"
    assert orders.purge_shipping_data() == 0


def test_only_approved_sellers_list_products_and_ids_belong_to_one_seller(env: Env):
    sid = seller(env)
    plain = env.register_merchant(number=BIZ[5])
    body = {"mall": "only-seogu", "name": "x", "price": 1_000, "stock": 1, "shipping_fee": 0}
    status, err = env.call("PUT", "/merchant/products/p1", role="merchant", sub="p", merchant_id=plain, body=body)
    assert (status, err["error"]["code"]) == (403, "FORBIDDEN")
    status, _ = env.call("POST", f"/staff/merchants/{plain}/malls", role="staff", sub="c", body={"mall": "only-seogu"})
    assert status == 200
    status, err = env.call("PUT", "/merchant/products/rice-10kg", role="merchant", sub="p", merchant_id=plain,
                           body=body)
    assert (status, err["error"]["code"]) == (409, "CONFLICT")
    status, err = env.call("POST", f"/staff/merchants/{plain}/malls", role="staff", sub="c", body={"mall": "yumyum"})
    assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert sid


def test_delivery_sales_reach_the_merchant_settlement_line_with_no_fees(env: Env):
    env.clock.set(datetime(2020, 3, 5, 12, 0, tzinfo=KST))
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    order(env, "ann", shop, [("tteok", 3)])
    env.clock.set(datetime(2020, 4, 1, 1, 0, tzinfo=KST))
    assert env.settle("2020-03")["books_balanced"] is True
    line = env.call("GET", "/merchant/settlements/2020-03", role="merchant", sub="o", merchant_id=shop)[1]
    assert line == {"month": "2020-03", "gross": 15_500, "discounts": 675, "refunds": 0, "net": 14_825, "fees": 0}



def test_no_log_line_carries_the_shipping_name_phone_or_address(env: Env, capsys: pytest.CaptureFixture[str]):
    import logging
    import sys

    from chalicelib.observability import logger

    sid = seller(env)
    env.open_wallet("ann", charge=200_000)
    level = logger().log_level
    logger().setLevel("INFO")
    handler = logger().registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = handler.stream
    handler.stream = sys.stdout   # the logger may predate this capture (and its old stream be closed)
    capsys.readouterr()
    _, o = buy(env, "ann", 1)
    env.call("GET", "/merchant/mall-orders", role="merchant", sub="s", merchant_id=sid)
    env.call("POST", "/mall/orders", role="resident", sub="ann", key=new_key(),
             raw='{"shipping": {"phone": "010-1234-5678"')
    out, err = capsys.readouterr()
    logger().setLevel(level)
    handler.stream = stream
    logged = out + err
    assert '"route":"POST/mall/orders"' in logged.replace(" ", "")  # the requests were logged
    for secret in (SHIPPING["name"], SHIPPING["phone"], SHIPPING["address"], "01012345678"):
        assert secret not in logged
    assert o["order_id"]


def test_a_replayed_mall_order_answers_the_same_but_its_replay_copy_holds_no_shipping_data(env: Env):
    seller(env)
    env.open_wallet("ivy", charge=200_000)
    body = {"mall": "only-seogu", "items": [{"product_id": "rice-10kg", "quantity": 1}],
            "shipping": SHIPPING, "consent": CONSENT}
    first = env.call("POST", "/mall/orders", role="resident", sub="ivy", body=body, key="rice-once")
    again = env.call("POST", "/mall/orders", role="resident", sub="ivy", body=body, key="rice-once")
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert first[1]["shipping"]["phone"] == SHIPPING["phone"]
    assert env.wallet("ivy")["charged_balance"] == 200_000 - 33_000 and stock(env) == 2
    batch = env.repos.store.batch()
    stored = env.repos.responses.want(batch, "ivy#mall-order#rice-once")
    batch.run()
    assert stored.value is not None and first[1]["order_id"] in stored.value.body
    assert all(secret not in stored.value.body for secret in ("010-1234-5678", SHIPPING["name"], "청라동 1"))


def test_a_replayed_delivery_order_answers_the_same_but_its_replay_copy_holds_no_address_or_request(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ivy", charge=100_000)
    body = {"merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 3}], "address": "청라동 1-1 101호",
            "request": "공동현관 비밀번호 1234#"}
    first = env.call("POST", "/orders", role="resident", sub="ivy", body=body, key="dinner-once")
    again = env.call("POST", "/orders", role="resident", sub="ivy", body=body, key="dinner-once")
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert first[1]["request"] == "공동현관 비밀번호 1234#"
    batch = env.repos.store.batch()
    stored = env.repos.responses.want(batch, "ivy#order#dinner-once")
    batch.run()
    assert stored.value is not None and first[1]["order_id"] in stored.value.body
    assert "1234#" not in stored.value.body and "101호" not in stored.value.body


def test_a_resident_lists_their_delivery_orders_by_status(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    placed = [order(env, "ann", shop, [("tteok", 3)])[1]["order_id"] for _ in range(3)]
    assert env.call("POST", f"/orders/{placed[1]}/cancel", role="resident", sub="ann")[0] == 200

    def listed(query: str) -> list[str]:
        status, body = env.call("GET", f"/orders?limit=10{query}", role="resident", sub="ann")
        assert status == 200, body
        return [o["order_id"] for o in body["items"]]

    assert sorted(listed("&status=placed")) == sorted([placed[0], placed[2]])
    assert listed("&status=cancelled") == [placed[1]]
    assert sorted(listed("")) == sorted(placed)
    assert env.call("GET", "/orders?status=eaten", role="resident", sub="ann")[0] == 400
