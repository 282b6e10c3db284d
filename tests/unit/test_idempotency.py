"""Idempotency-Key: the same key and body replay the first response, status included, with no second
effect; the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`; keys belong to their caller.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support import BIZ, Env, new_key

ALICE = "alice"
BOB = "bob"
OWNER = "owner-1"


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body


def charge(env: Env, sub: str, amount: int, key: str) -> tuple[int, Any]:
    return env.call("POST", "/wallet/charges", role="resident", sub=sub, body={"amount": amount}, key=key)


def refund(env: Env, merchant_id: str, payment_id: str, key: str, body: dict[str, Any] | None = None,
           sub: str = OWNER) -> tuple[int, Any]:
    return env.call("POST", f"/merchant/payments/{payment_id}/refunds", role="merchant", sub=sub,
                    merchant_id=merchant_id, body=body if body is not None else {}, key=key)


def payments_of(env: Env, sub: str) -> list[dict[str, Any]]:
    status, page = env.call("GET", "/payments?limit=100", role="resident", sub=sub)
    assert status == 200, page
    items: list[dict[str, Any]] = page["items"]
    return items


def approved_transfers(env: Env) -> dict[str, int]:
    return {tid: t.amount for tid, t in env.bank.transfers.items() if t.approved and tid not in env.bank.cancelled}


# ---- charges -----------------------------------------------------------------------------------


def test_a_replayed_charge_returns_the_first_response_and_takes_money_from_the_bank_once(env: Env) -> None:
    env.open_wallet(ALICE)
    key = new_key()
    first = charge(env, ALICE, 30_000, key)
    assert first[0] == 201, first
    for _ in range(2):
        assert charge(env, ALICE, 30_000, key) == first
    # The same body, formatted differently, is the same request.
    again = env.call("POST", "/wallet/charges", role="resident", sub=ALICE, key=key,
                     raw='{\n   "amount" :   30000\n}')
    assert again == first
    wallet = env.wallet(ALICE)
    assert wallet["charged_balance"] == 30_000
    assert wallet["month"]["charged"] == 30_000
    assert list(approved_transfers(env).values()) == [30_000]
    assert env.bank.settled_total() == 30_000


def test_a_charge_replayed_after_the_balance_moved_still_returns_the_first_response(env: Env) -> None:
    env.open_wallet(ALICE)
    merchant = env.register_merchant(number=BIZ[0])
    key = new_key()
    first = charge(env, ALICE, 20_000, key)
    assert first[0] == 201, first
    assert charge(env, ALICE, 5_000, new_key())[0] == 201
    assert env.pay(ALICE, merchant, 7_000)[0] == 201
    assert charge(env, ALICE, 20_000, key) == first
    assert env.wallet(ALICE)["charged_balance"] == 18_000


def test_the_same_charge_key_with_another_amount_is_422_and_charges_nothing(env: Env) -> None:
    env.open_wallet(ALICE)
    key = new_key()
    assert charge(env, ALICE, 10_000, key)[0] == 201
    transfers = approved_transfers(env)
    status, out = charge(env, ALICE, 10_001, key)
    assert_error(status, out, 422, "IDEMPOTENCY_KEY_REUSED")
    assert env.wallet(ALICE)["charged_balance"] == 10_000
    assert approved_transfers(env) == transfers


# ---- payments ----------------------------------------------------------------------------------


def test_a_replayed_payment_returns_the_first_response_and_pays_once(env: Env) -> None:
    """Funds run out with the first payment: the replays are answered from it, not re-decided."""
    env.open_wallet(ALICE, charge=9_500)
    merchant = env.register_merchant(number=BIZ[0], benefit_plus=True, rate=5)
    key = new_key()
    first = env.pay(ALICE, merchant, 10_000, key=key)
    assert first[0] == 201, first
    assert first[1]["paid"] == 9_500
    after_first = env.wallet(ALICE)
    assert after_first["charged_balance"] == 0
    assert after_first["month"]["eligible_spend"] == 9_500
    for _ in range(3):
        assert env.pay(ALICE, merchant, 10_000, key=key) == first
    assert env.wallet(ALICE) == after_first
    assert [p["payment_id"] for p in payments_of(env, ALICE)] == [first[1]["payment_id"]]


def test_the_same_payment_key_with_another_body_is_422_and_pays_nothing(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    merchant = env.register_merchant(number=BIZ[0])
    other = env.register_merchant(number=BIZ[1])
    key = new_key()
    assert env.pay(ALICE, merchant, 10_000, key=key)[0] == 201
    before = env.wallet(ALICE)
    for variant in ({"merchant_id": merchant, "amount": 10_001, "use_cashback": True},
                    {"merchant_id": other, "amount": 10_000, "use_cashback": True},
                    {"merchant_id": merchant, "amount": 10_000, "use_cashback": False}):
        status, out = env.call("POST", "/payments", role="resident", sub=ALICE, body=variant, key=key)
        assert_error(status, out, 422, "IDEMPOTENCY_KEY_REUSED")
    assert env.wallet(ALICE) == before
    assert len(payments_of(env, ALICE)) == 1


def test_a_payment_replayed_after_it_was_refunded_still_returns_the_first_response(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    merchant = env.register_merchant(number=BIZ[0])
    key = new_key()
    first = env.pay(ALICE, merchant, 10_000, key=key)
    assert first[0] == 201, first
    status, refunded = refund(env, merchant, first[1]["payment_id"], new_key())
    assert status == 200 and refunded["status"] == "refunded", refunded

    replay = env.pay(ALICE, merchant, 10_000, key=key)
    assert replay == first
    assert replay[1]["status"] == "approved" and replay[1]["refunded"] == 0
    wallet = env.wallet(ALICE)
    assert wallet["charged_balance"] == 50_000, "the replay must not take the money again"
    assert wallet["month"]["eligible_spend"] == 0
    assert [p["status"] for p in payments_of(env, ALICE)] == ["refunded"]


def test_a_refused_payment_has_no_stored_answer_and_may_be_retried_with_its_key(env: Env) -> None:
    env.open_wallet(ALICE, charge=5_000)
    merchant = env.register_merchant(number=BIZ[0])
    key = new_key()
    status, out = env.pay(ALICE, merchant, 8_000, key=key)
    assert_error(status, out, 409, "INSUFFICIENT_FUNDS")
    assert payments_of(env, ALICE) == []
    assert charge(env, ALICE, 5_000, new_key())[0] == 201
    status, paid = env.pay(ALICE, merchant, 8_000, key=key)
    assert status == 201, paid
    assert env.wallet(ALICE)["charged_balance"] == 2_000


# ---- refunds -----------------------------------------------------------------------------------


def test_a_replayed_refund_returns_the_first_response_and_refunds_once(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    merchant = env.register_merchant(number=BIZ[0])
    status, paid = env.pay(ALICE, merchant, 10_000)
    assert status == 201, paid
    key = new_key()
    first = refund(env, merchant, paid["payment_id"], key, {"amount": 4_000})
    assert first[0] == 200, first
    after_first = env.wallet(ALICE)
    for _ in range(3):
        assert refund(env, merchant, paid["payment_id"], key, {"amount": 4_000}) == first
    assert env.wallet(ALICE) == after_first
    assert after_first["charged_balance"] == 44_000
    assert after_first["month"]["eligible_spend"] == 6_000
    status, now = env.call("GET", f"/payments/{paid['payment_id']}", role="resident", sub=ALICE)
    assert now["refunded"] == 4_000 and now["status"] == "partially_refunded"


def test_a_replayed_full_refund_is_a_replay_not_an_invalid_state(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    merchant = env.register_merchant(number=BIZ[0])
    status, paid = env.pay(ALICE, merchant, 10_000)
    assert status == 201, paid
    key = new_key()
    first = refund(env, merchant, paid["payment_id"], key)
    assert first[0] == 200 and first[1]["status"] == "refunded", first
    assert refund(env, merchant, paid["payment_id"], key) == first
    # A new key on a fully refunded payment is a new request: nothing is left.
    status, out = refund(env, merchant, paid["payment_id"], new_key())
    assert_error(status, out, 409, "INVALID_STATE")
    assert env.wallet(ALICE)["charged_balance"] == 50_000


def test_the_same_refund_key_with_another_amount_or_payment_is_422_and_refunds_nothing(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    merchant = env.register_merchant(number=BIZ[0])
    status, one = env.pay(ALICE, merchant, 10_000)
    assert status == 201, one
    status, two = env.pay(ALICE, merchant, 10_000)
    assert status == 201, two
    key = new_key()
    assert refund(env, merchant, one["payment_id"], key, {"amount": 1_000})[0] == 200
    before = env.wallet(ALICE)

    status, out = refund(env, merchant, one["payment_id"], key, {"amount": 2_000})
    assert_error(status, out, 422, "IDEMPOTENCY_KEY_REUSED")
    status, out = refund(env, merchant, one["payment_id"], key, {})
    assert_error(status, out, 422, "IDEMPOTENCY_KEY_REUSED")
    status, out = refund(env, merchant, two["payment_id"], key, {"amount": 1_000})
    assert_error(status, out, 422, "IDEMPOTENCY_KEY_REUSED")

    assert env.wallet(ALICE) == before
    refunded = {p["payment_id"]: p["refunded"] for p in payments_of(env, ALICE)}
    assert refunded == {one["payment_id"]: 1_000, two["payment_id"]: 0}


# ---- keys belong to their caller ---------------------------------------------------------------


def test_two_residents_may_use_the_same_key_independently(env: Env) -> None:
    env.open_wallet(ALICE)
    env.open_wallet(BOB)
    merchant = env.register_merchant(number=BIZ[0])
    shared = "the-same-key-1"

    status, alice_charge = charge(env, ALICE, 30_000, shared)
    assert status == 201, alice_charge
    status, bob_charge = charge(env, BOB, 40_000, shared)
    assert status == 201, bob_charge
    assert bob_charge["amount"] == 40_000 and bob_charge["charged_balance"] == 40_000
    assert alice_charge["charge_id"] != bob_charge["charge_id"]

    status, alice_paid = env.pay(ALICE, merchant, 1_000, key=shared)
    assert status == 201, alice_paid
    status, bob_paid = env.pay(BOB, merchant, 2_000, key=shared)
    assert status == 201, bob_paid
    assert alice_paid["payment_id"] != bob_paid["payment_id"]

    assert env.wallet(ALICE)["charged_balance"] == 29_000
    assert env.wallet(BOB)["charged_balance"] == 38_000
    assert sorted(approved_transfers(env).values()) == [30_000, 40_000]
    assert [p["list_amount"] for p in payments_of(env, ALICE)] == [1_000]
    assert [p["list_amount"] for p in payments_of(env, BOB)] == [2_000]


def test_two_merchants_may_use_the_same_refund_key_independently(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    shop = env.register_merchant(number=BIZ[0])
    cafe = env.register_merchant(number=BIZ[1])
    status, at_shop = env.pay(ALICE, shop, 10_000)
    assert status == 201, at_shop
    status, at_cafe = env.pay(ALICE, cafe, 6_000)
    assert status == 201, at_cafe
    shared = "refund-key-1"
    status, one = refund(env, shop, at_shop["payment_id"], shared, {"amount": 1_000}, sub="shop-owner")
    assert status == 200, one
    status, two = refund(env, cafe, at_cafe["payment_id"], shared, {"amount": 2_000}, sub="cafe-owner")
    assert status == 200, two
    assert (one["payment_id"], one["refunded"]) == (at_shop["payment_id"], 1_000)
    assert (two["payment_id"], two["refunded"]) == (at_cafe["payment_id"], 2_000)
    assert env.wallet(ALICE)["charged_balance"] == 50_000 - 16_000 + 3_000


def test_another_resident_replaying_my_key_gets_nothing_of_mine(env: Env) -> None:
    env.open_wallet(ALICE, charge=50_000)
    env.open_wallet(BOB)
    merchant = env.register_merchant(number=BIZ[0])
    key = new_key()
    status, mine = env.pay(ALICE, merchant, 10_000, key=key)
    assert status == 201, mine
    status, out = env.pay(BOB, merchant, 10_000, key=key)
    assert_error(status, out, 409, "INSUFFICIENT_FUNDS")
    assert json.dumps(out).find(mine["payment_id"]) == -1
    assert payments_of(env, BOB) == []
