"""Personal data retention: every way an order ends starts a clock, then the purge removes the shipping data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.handlers import orders
from tests.support import Env
from tests.unit.test_orders import SHIPPING, act, buy, delivery_shop, order, seller

# ---- personal data retention: every way an order ends starts a clock ---------------------------

REQUEST = "공동현관 비밀번호 1234#"


def later(env: Env, days: int) -> None:
    """Move the clock on by whole days (the purge runs on KST days)."""
    env.clock.set(env.clock.now() + timedelta(days=days))


def delivery_view(env: Env, order_id: str) -> tuple[str | None, str | None]:
    o = env.call("GET", f"/orders/{order_id}", role="resident", sub="ann")[1]
    return o["address"], o["request"]


def mall_shipping(env: Env, order_id: str) -> Any:
    return env.call("GET", f"/mall/orders/{order_id}", role="resident", sub="ann")[1]["shipping"]


def ship(env: Env, sid: str, order_id: str) -> None:
    status, body = env.call("POST", f"/merchant/mall-orders/{order_id}/ship", role="merchant", sub="s",
                            merchant_id=sid, body={"carrier": "우체국", "tracking_number": "9"})
    assert status == 200, body


def deliver_delivery(env: Env, shop: str, order_id: str) -> None:
    assert act(env, shop, order_id, "accept", {"eta_minutes": 30})[0] == 200
    assert act(env, shop, order_id, "dispatch")[0] == 200
    assert act(env, shop, order_id, "deliver")[0] == 200


def test_a_cancelled_mall_order_keeps_its_shipping_data_30_days_then_loses_it(env: Env):
    seller(env)
    env.open_wallet("ann", charge=200_000)
    _, o = buy(env, "ann", 1)
    assert env.call("POST", f"/mall/orders/{o['order_id']}/cancel", role="resident", sub="ann")[0] == 200
    later(env, 29)
    assert orders.purge_shipping_data() == 0
    assert mall_shipping(env, o["order_id"]) == SHIPPING
    later(env, 1)
    assert orders.purge_shipping_data() == 1
    assert mall_shipping(env, o["order_id"]) is None
    assert orders.purge_shipping_data() == 0


def test_rejected_and_cancelled_delivery_orders_keep_address_and_request_30_days_then_lose_them(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, rejected = order(env, "ann", shop, [("tteok", 3)], request=REQUEST)
    _, cancelled = order(env, "ann", shop, [("kimbap", 4)], request=REQUEST)
    assert act(env, shop, rejected["order_id"], "reject", {"reason": "재료 소진"})[0] == 200
    assert env.call("POST", f"/orders/{cancelled['order_id']}/cancel", role="resident", sub="ann")[0] == 200
    later(env, 29)
    assert orders.purge_shipping_data() == 0
    for o in (rejected, cancelled):
        assert delivery_view(env, o["order_id"]) == ("청라동 1-1", REQUEST)
    later(env, 1)
    assert orders.purge_shipping_data() == 2
    for o in (rejected, cancelled):
        assert delivery_view(env, o["order_id"]) == (None, None)
    assert env.call("GET", f"/orders/{rejected['order_id']}", role="resident", sub="ann")[1]["status"] == "rejected"


def test_a_delivered_delivery_order_loses_its_address_and_request_30_days_after_delivery(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, o = order(env, "ann", shop, [("tteok", 3)], request=REQUEST)
    later(env, 10)
    assert orders.purge_shipping_data() == 0   # an order under way keeps what it needs
    deliver_delivery(env, shop, o["order_id"])
    later(env, 29)
    assert orders.purge_shipping_data() == 0
    assert delivery_view(env, o["order_id"]) == ("청라동 1-1", REQUEST)
    later(env, 1)
    assert orders.purge_shipping_data() == 1
    assert delivery_view(env, o["order_id"]) == (None, None)
    assert orders.purge_shipping_data() == 0


def test_a_mall_order_shipped_but_never_delivered_loses_its_shipping_data_180_days_after_shipping(env: Env):
    sid = seller(env)
    env.open_wallet("ann", charge=200_000)
    _, o = buy(env, "ann", 1)
    later(env, 2)
    ship(env, sid, o["order_id"])
    later(env, 179)
    assert orders.purge_shipping_data() == 0
    assert mall_shipping(env, o["order_id"]) == SHIPPING
    later(env, 1)
    assert orders.purge_shipping_data() == 1
    assert mall_shipping(env, o["order_id"]) is None
    assert env.call("GET", f"/mall/orders/{o['order_id']}", role="resident", sub="ann")[1]["status"] == "shipped"


def test_a_mall_order_delivered_late_keeps_its_data_for_the_delivery_period_not_the_shipping_one(env: Env):
    sid = seller(env)
    env.open_wallet("ann", charge=200_000)
    _, o = buy(env, "ann", 1)
    ship(env, sid, o["order_id"])
    later(env, 170)
    status, _ = env.call("POST", f"/merchant/mall-orders/{o['order_id']}/deliver", role="merchant", sub="s",
                         merchant_id=sid)
    assert status == 200
    later(env, 10)   # the shipping clock's day has come, but the order was delivered meanwhile
    assert orders.purge_shipping_data() == 0
    assert mall_shipping(env, o["order_id"]) == SHIPPING
    later(env, 80)
    assert orders.purge_shipping_data() == 1
    assert mall_shipping(env, o["order_id"]) is None


def test_a_purge_that_was_down_for_a_year_still_purges_everything_due(env: Env):
    sid = seller(env)
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=300_000)
    _, delivered = buy(env, "ann", 1)
    _, cancelled = buy(env, "ann", 1)
    _, shipped = buy(env, "ann", 1)
    _, rejected = order(env, "ann", shop, [("tteok", 3)], request=REQUEST)
    _, brought = order(env, "ann", shop, [("kimbap", 4)], request=REQUEST)
    ship(env, sid, delivered["order_id"])
    assert env.call("POST", f"/merchant/mall-orders/{delivered['order_id']}/deliver", role="merchant", sub="s",
                    merchant_id=sid)[0] == 200
    assert env.call("POST", f"/mall/orders/{cancelled['order_id']}/cancel", role="resident", sub="ann")[0] == 200
    ship(env, sid, shipped["order_id"])
    assert act(env, shop, rejected["order_id"], "reject", {"reason": "x"})[0] == 200
    deliver_delivery(env, shop, brought["order_id"])
    later(env, 400)   # no purge ran for more than a year
    assert orders.purge_shipping_data() == 5
    for mall_order in (delivered, cancelled, shipped):
        assert mall_shipping(env, mall_order["order_id"]) is None
    for delivery_order in (rejected, brought):
        assert delivery_view(env, delivery_order["order_id"]) == (None, None)
    assert orders.purge_shipping_data() == 0


def test_a_second_run_or_a_duplicate_marker_changes_nothing(env: Env):
    from chalicelib.domain.orders import PurgeMarker  # here, so the module's other tests run on older code

    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, o = order(env, "ann", shop, [("tteok", 3)], request=REQUEST)
    deliver_delivery(env, shop, o["order_id"])
    tx = env.repos.store.tx()
    env.repos.orders.stage_purge(tx, PurgeMarker("2020-04-10", o["order_id"]))   # the day after the real one
    tx.commit()
    later(env, 30)
    assert orders.purge_shipping_data() == 1
    purged = orders.get_order(o["order_id"])
    assert purged is not None and (purged.address, purged.request) == (None, None)
    later(env, 1)
    assert orders.purge_shipping_data() == 0
    assert orders.get_order(o["order_id"]) == purged   # not even its version moved
    assert env.repos.orders.purge_due("2099-12-31", 10) == []
