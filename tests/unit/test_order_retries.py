"""A cancel or a rejection that moves money back may carry an Idempotency-Key: a retry after a lost answer
replays the first answer (status included) and refunds once; without a key a repeat is `INVALID_STATE`."""

from __future__ import annotations

from typing import Any

from tests.support import Env, stored_items
from tests.unit.test_orders import act, buy, delivery_shop, order, seller, stock


def cancel(env: Env, path: str, key: str | None, user: str = "ann") -> tuple[int, Any]:
    return env.call("POST", path, role="resident", sub=user, key=key)


def test_a_cancel_retried_with_its_key_replays_the_first_answer_and_refunds_once(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, placed = order(env, "ann", shop, [("tteok", 3)])
    path = f"/orders/{placed['order_id']}/cancel"
    first = cancel(env, path, "cancel-1")
    again = cancel(env, path, "cancel-1")
    assert first[0] == 200 and first[1]["status"] == "cancelled"
    assert again == first
    w = env.wallet("ann")
    assert (w["charged_balance"], w["month"]["eligible_spend"], w["month"]["pending_cashback"]) == (100_000, 0, 0)
    status, body = cancel(env, path, "cancel-2")                 # a new key is a new request: the state is reached
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    status, body = cancel(env, path, None)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")


def test_the_same_key_on_another_order_is_refused_and_cancels_nothing(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, one = order(env, "ann", shop, [("tteok", 3)])
    _, two = order(env, "ann", shop, [("tteok", 3)])
    assert cancel(env, f"/orders/{one['order_id']}/cancel", "k")[0] == 200
    status, body = cancel(env, f"/orders/{two['order_id']}/cancel", "k")
    assert (status, body["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert env.call("GET", f"/orders/{two['order_id']}", role="resident", sub="ann")[1]["status"] == "placed"


def test_keys_are_the_callers_own_and_a_malformed_key_is_refused(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    env.open_wallet("bob", charge=100_000)
    _, ann_order = order(env, "ann", shop, [("tteok", 3)])
    _, bob_order = order(env, "bob", shop, [("tteok", 3)])
    status, body = cancel(env, f"/orders/{ann_order['order_id']}/cancel", "x" * 65)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert cancel(env, f"/orders/{ann_order['order_id']}/cancel", "same")[0] == 200
    status, body = cancel(env, f"/orders/{bob_order['order_id']}/cancel", "same", user="bob")
    assert (status, body["status"]) == (200, "cancelled")


def test_a_rejection_retried_with_its_key_replays_with_the_address_but_stores_none(env: Env):
    shop = delivery_shop(env)
    env.open_wallet("ann", charge=100_000)
    _, placed = order(env, "ann", shop, [("tteok", 3)], request="공동현관 1234#")
    path = f"/merchant/orders/{placed['order_id']}/reject"

    def reject() -> tuple[int, Any]:
        return env.call("POST", path, role="merchant", sub="owner", merchant_id=shop, body={"reason": "재료 소진"},
                        key="reject-1")

    first, again = reject(), reject()
    assert first[0] == 200 and first[1]["status"] == "rejected" and first[1]["request"] == "공동현관 1234#"
    assert again == first
    assert env.wallet("ann")["charged_balance"] == 100_000
    assert act(env, shop, placed["order_id"], "reject", {"reason": "재료 소진"})[0] == 409
    stored = [v for k, v in stored_items(env).items() if k[0] == "idem"]
    assert stored and not any("1234#" in str(v) or "청라동 1-1" in str(v) for v in stored)


def test_a_mall_cancel_retried_with_its_key_restores_the_stock_once(env: Env):
    seller(env)
    env.open_wallet("ann", charge=200_000)
    _, bought = buy(env, "ann", 2)
    path = f"/mall/orders/{bought['order_id']}/cancel"
    first, again = cancel(env, path, "mall-cancel"), cancel(env, path, "mall-cancel")
    assert first[0] == 200 and again == first
    assert stock(env) == 3 and env.wallet("ann")["charged_balance"] == 200_000
