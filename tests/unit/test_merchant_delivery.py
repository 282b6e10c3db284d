"""Staff give a registered shop 배달서구 after registration, change it, or end it: new orders follow the new
settings, orders already placed go on, and every change is in the audit trail."""

from __future__ import annotations

from typing import Any

from tests.support import BIZ, Env
from tests.unit.test_orders import MENU, act, order

DELIVERY = {"fee": 2_000, "min_order": 10_000, "dongs": ["청라1동"]}


def set_delivery(env: Env, shop: str, body: Any, role: str = "staff") -> tuple[int, Any]:
    return env.call("PUT", f"/staff/merchants/{shop}/delivery", role=role, sub="kim", body=body)


def trail(env: Env) -> list[tuple[str, str]]:
    status, body = env.call("GET", "/staff/audit?action=merchant.delivery", role="staff", sub="auditor")
    assert status == 200
    return [(e["target"], e["detail"].get("dongs", "ended")) for e in body["items"]]


def test_a_shop_registered_without_delivery_is_given_it_and_then_takes_orders(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("ann", charge=100_000)
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)[0] == 403
    assert order(env, "ann", shop, [("tteok", 3)])[0] == 409               # no delivery yet
    status, merchant = set_delivery(env, shop, DELIVERY)
    assert status == 200 and merchant["delivery"] == DELIVERY
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)[0] == 200
    status, placed = order(env, "ann", shop, [("tteok", 3)])
    assert status == 201 and placed["delivery_fee"] == 2_000
    assert env.call("GET", f"/merchants/{shop}", role="resident", sub="ann")[1]["delivery"] == DELIVERY
    assert trail(env) == [(shop, "청라1동")]


def test_setting_the_same_delivery_again_changes_nothing_and_records_nothing(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    assert set_delivery(env, shop, DELIVERY)[0] == 200
    assert set_delivery(env, shop, DELIVERY)[0] == 200
    assert set_delivery(env, shop, {**DELIVERY, "fee": 3_000})[1]["delivery"]["fee"] == 3_000
    assert len(trail(env)) == 2


def test_ending_delivery_stops_new_orders_but_an_order_already_placed_goes_on(env: Env):
    shop = env.register_merchant(number=BIZ[0], delivery=DELIVERY)
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)[0] == 200
    env.open_wallet("ann", charge=100_000)
    _, placed = order(env, "ann", shop, [("tteok", 3)])
    status, merchant = env.call("DELETE", f"/staff/merchants/{shop}/delivery", role="staff", sub="kim")
    assert status == 200 and merchant["delivery"] is None
    status, body = order(env, "ann", shop, [("tteok", 3)])
    assert (status, body["error"]["code"]) == (409, "CONFLICT")
    assert act(env, shop, placed["order_id"], "accept", {"eta_minutes": 30})[0] == 200
    assert act(env, shop, placed["order_id"], "dispatch")[0] == 200
    assert act(env, shop, placed["order_id"], "deliver")[0] == 200
    assert trail(env) == [(shop, "ended")]


def test_bad_delivery_settings_an_unknown_shop_and_a_non_staff_caller_are_refused_and_change_nothing(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    for body in ({**DELIVERY, "dongs": ["강남동"]}, {**DELIVERY, "dongs": ["청라1동", "청라1동"]},
                 {**DELIVERY, "fee": -1}, {**DELIVERY, "dongs": []}, {"fee": 2_000}):
        status, err = set_delivery(env, shop, body)
        assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR"), body
    status, err = set_delivery(env, "m-unknown", DELIVERY)
    assert (status, err["error"]["code"]) == (404, "NOT_FOUND")
    assert set_delivery(env, shop, DELIVERY, role="merchant")[0] == 403
    assert env.call("GET", f"/merchants/{shop}", role="resident", sub="ann")[1]["delivery"] is None
    assert trail(env) == []
