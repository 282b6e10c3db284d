"""The money path: payments, refunds and charges, all-or-nothing, idempotent, race-safe."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from chalicelib.domain.errors import Contention, InsufficientFunds
from chalicelib.domain.idempotency import StoredResponse
from chalicelib.domain.ledger import Movement
from chalicelib.domain.months import KST
from chalicelib.domain.payment import Payment
from chalicelib.handlers import payments
from tests.support import BIZ, Env, change_month, change_wallet, new_key, race, read_wallet


def test_payment_at_a_plain_merchant_draws_cashback_first_and_accrues_by_tier(env: Env):
    env.open_wallet("alice", charge=500_000)
    shop = env.register_merchant(number=BIZ[0])
    status, p = env.pay("alice", shop, 350_000)
    assert status == 201
    assert (p["discount"], p["paid"], p["from_charged"]) == (0, 350_000, 350_000)
    assert p["cashback"] == {"city-base": 12_000 + 1_000, "gu-extra": 3_500, "benefit-plus": 0}
    w = env.wallet("alice")
    assert w["charged_balance"] == 150_000
    meter = w["month"].pop("meter")  # the live meter: tests/unit/test_meter.py
    assert w["month"] == {
        "month": "2020-03",
        "eligible_spend": 350_000,
        "charged": 500_000,
        "pending_cashback": 16_500,
        "pending_by_program": {"city-base": 13_000, "gu-extra": 3_500, "benefit-plus": 0},
    }
    assert [(m["program_id"], m["rate_bp"], m["until_next"]) for m in meter] == [
        ("city-base", 200, 150_000), ("gu-extra", 100, 150_000), ("benefit-plus", 200, 1_000_000)]


def test_a_million_won_month_at_ordinary_shops_is_pending_26000_won(env: Env):
    env.open_wallet("alice", charge=1_000_000)
    shop = env.register_merchant(number=BIZ[0])
    for amount in (123_456, 276_544, 100_000, 500_000):
        assert env.pay("alice", shop, amount)[0] == 201
    assert env.wallet("alice")["month"]["pending_cashback"] == 26_000


def test_benefit_plus_payment_gets_the_discount_and_the_extra_program(env: Env):
    env.open_wallet("alice", charge=100_000)
    shop = env.register_merchant(benefit_plus=True, rate=7, number=BIZ[1])
    status, p = env.pay("alice", shop, 12_345)
    assert status == 201
    assert (p["discount"], p["paid"]) == (864, 11_481)
    assert p["cashback"] == {"city-base": 459, "gu-extra": 114, "benefit-plus": 229}
    assert env.wallet("alice")["charged_balance"] == 100_000 - 11_481


def test_payment_beyond_the_balance_is_refused_whole_and_leaves_no_trace(env: Env):
    env.open_wallet("alice", charge=10_000)
    shop = env.register_merchant(number=BIZ[0])
    status, body = env.pay("alice", shop, 10_001)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
    w = env.wallet("alice")
    assert (w["charged_balance"], w["month"]["eligible_spend"]) == (10_000, 0)
    assert env.call("GET", "/payments", role="resident", sub="alice")[1]["items"] == []


def test_payments_list_by_month_and_read_one(env: Env):
    env.open_wallet("alice", charge=100_000)
    shop = env.register_merchant(number=BIZ[0])
    _, march = env.pay("alice", shop, 1_000)
    env.clock.set(datetime(2020, 4, 1, 0, 0, 1, tzinfo=KST))
    _, april = env.pay("alice", shop, 2_000)
    assert april["month"] == "2020-04"
    status, page = env.call("GET", "/payments?month=2020-03", role="resident", sub="alice")
    assert status == 200 and [p["payment_id"] for p in page["items"]] == [march["payment_id"]]
    status, one = env.call("GET", f"/payments/{april['payment_id']}", role="resident", sub="alice")
    assert status == 200 and one == april


def test_a_failed_condition_in_the_transaction_writes_nothing(env: Env):
    env.open_wallet("alice", charge=10_000)
    r = env.repos
    wallet, month = read_wallet("alice", "2020-03")
    ghost = Payment("pay_ghost", "alice", "m-x", "2020-03", "store", 1, 0, 1, 0, 1, ("city-base",), version=1)
    tx = r.store.tx()
    r.wallets.stage(tx, replace(wallet, charged_balance=0, version=99), wallet.version + 5)  # a stale read
    r.wallets.stage_month(tx, replace(month, eligible_spend=1, version=month.version + 1), month.version)
    r.payments.stage(tx, ghost, 0)
    r.wallets.stage_movement(tx, Movement("alice", "mv_ghost", "payment", "pay_ghost", -1, 0, "2020-03-10T21:00:00+09:00"))
    r.responses.stage(tx, StoredResponse("alice#payment#ghost", "h", "{}"), 0)
    with pytest.raises(Contention):
        tx.commit()
    assert read_wallet("alice", "2020-03") == (wallet, month)
    batch = r.store.batch()
    payment, stored = r.payments.want(batch, "pay_ghost"), r.responses.want(batch, "alice#payment#ghost")
    batch.run()
    assert payment.value is None and stored.value is None
    assert [m.kind for m in r.wallets.movements("alice")] == ["charge"]


def pay_as_alice(shop: str, amount: int, key: str) -> Any:
    return payments.pay("alice", shop, amount, True, key)


def test_two_payments_racing_on_one_wallet_both_succeed_when_funds_allow(env: Env):
    env.open_wallet("alice", charge=10_000)
    shop = env.register_merchant(number=BIZ[0])
    racing = race(lambda: pay_as_alice(shop, 3_000, "racer"))
    result = pay_as_alice(shop, 3_000, "first")
    assert result.paid == 3_000
    assert racing.reads >= 3  # the first attempt lost the race and read again
    w = env.wallet("alice")
    assert (w["charged_balance"], w["month"]["eligible_spend"]) == (4_000, 6_000)


def test_racing_payments_never_overdraw_the_loser_is_refused_for_funds(env: Env):
    env.open_wallet("alice", charge=10_000)
    shop = env.register_merchant(number=BIZ[0])
    race(lambda: pay_as_alice(shop, 6_000, "racer"))
    with pytest.raises(InsufficientFunds):
        pay_as_alice(shop, 6_000, "first")
    w = env.wallet("alice")
    assert w["charged_balance"] == 4_000
    assert len(env.call("GET", "/payments", role="resident", sub="alice")[1]["items"]) == 1


def test_the_same_key_racing_itself_has_one_effect(env: Env):
    env.open_wallet("alice", charge=10_000)
    shop = env.register_merchant(number=BIZ[0])
    first: list[Any] = []
    race(lambda: first.append(pay_as_alice(shop, 1_000, "same")))
    second = pay_as_alice(shop, 1_000, "same")
    assert second == first[0]
    assert env.wallet("alice")["charged_balance"] == 9_000


def test_whole_refund_returns_money_to_its_sources_and_cancels_the_accrual(env: Env):
    env.open_wallet("alice", charge=100_000)
    shop = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1])
    _, p = env.pay("alice", shop, 50_000)
    status, r = env.call("POST", f"/merchant/payments/{p['payment_id']}/refunds", role="merchant",
                         sub="owner", merchant_id=shop, body={}, key=new_key())
    assert status == 200
    assert (r["refunded"], r["status"]) == (47_500, "refunded")
    assert r["cashback"] == {"city-base": 0, "gu-extra": 0, "benefit-plus": 0}
    w = env.wallet("alice")
    assert (w["charged_balance"], w["month"]["pending_cashback"], w["month"]["eligible_spend"]) == (100_000, 0, 0)
    status, again = env.call("POST", f"/merchant/payments/{p['payment_id']}/refunds", role="merchant",
                             sub="owner", merchant_id=shop, body={"amount": 1}, key=new_key())
    assert (status, again["error"]["code"]) == (409, "INVALID_STATE")


def test_partial_refund_above_what_is_left_is_a_validation_error(env: Env):
    env.open_wallet("alice", charge=100_000)
    shop = env.register_merchant(number=BIZ[0])
    _, p = env.pay("alice", shop, 10_000)
    path = f"/merchant/payments/{p['payment_id']}/refunds"
    status, r = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"amount": 4_000},
                         key=new_key())
    assert (status, r["refunded"], r["status"]) == (200, 4_000, "partially_refunded")
    status, err = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"amount": 6_001},
                           key=new_key())
    assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert env.wallet("alice")["charged_balance"] == 94_000


def test_refund_after_the_month_was_settled_leaves_pending_cashback_alone_and_records_an_adjustment(env: Env):
    env.open_wallet("alice", charge=500_000)
    shop = env.register_merchant(number=BIZ[0])
    _, p = env.pay("alice", shop, 400_000)
    change_month("alice", "2020-03", settled=True)
    env.clock.set(datetime(2020, 4, 5, 10, 0, tzinfo=KST))
    status, _ = env.call("POST", f"/merchant/payments/{p['payment_id']}/refunds", role="merchant", sub="o",
                         merchant_id=shop, body={"amount": 200_000}, key=new_key())
    assert status == 200
    w = env.wallet("alice")
    reversal = (8_000 - 14_000) + (2_000 - 4_000)  # city-base F(200k)−F(400k), gu-extra likewise
    assert w["adjustment_due"] == reversal
    assert w["charged_balance"] == 300_000
    assert w["month"]["month"] == "2020-04" and w["month"]["pending_cashback"] == 0
    _, march_after = read_wallet("alice", "2020-03")
    assert march_after.settled
    assert march_after.eligible_spend == 200_000 and sum(march_after.accrued.values()) == 10_000


def test_charges_respect_the_monthly_and_balance_limits_and_take_the_bank_once(env: Env):
    env.open_wallet("alice")
    key = new_key()
    status, first = env.call("POST", "/wallet/charges", role="resident", sub="alice", body={"amount": 600_000},
                             key=key)
    assert status == 201 and first["charged_balance"] == 600_000
    status, replayed = env.call("POST", "/wallet/charges", role="resident", sub="alice",
                                body={"amount": 600_000}, key=key)
    assert (status, replayed) == (201, first)
    assert env.bank.settled_total() == 600_000
    status, err = env.call("POST", "/wallet/charges", role="resident", sub="alice", body={"amount": 400_001},
                           key=new_key())
    assert (status, err["error"]["code"]) == (409, "LIMIT_EXCEEDED")
    assert env.bank.settled_total() == 600_000
    assert env.call("POST", "/wallet/charges", role="resident", sub="alice", body={"amount": 400_000},
                    key=new_key())[0] == 201
    w = env.wallet("alice")
    assert (w["charged_balance"], w["month"]["charged"]) == (1_000_000, 1_000_000)
    movements = env.repos.wallets.movements("alice")
    assert sum(m.d_charged for m in movements) == w["charged_balance"]


def test_balance_limit_counts_cashback_too(env: Env):
    env.open_wallet("alice", charge=1_000_000)
    change_wallet("alice", charged_balance=1_950_000)
    env.clock.set(datetime(2020, 4, 2, 9, 0, tzinfo=KST))
    status, err = env.call("POST", "/wallet/charges", role="resident", sub="alice", body={"amount": 50_001},
                           key=new_key())
    assert (status, err["error"]["code"]) == (409, "LIMIT_EXCEEDED")


def test_opening_a_wallet_twice_conflicts_and_needs_a_real_dong_and_the_terms(env: Env):
    env.open_wallet("alice")
    status, err = env.call("POST", "/wallet", role="resident", sub="alice", body={"dong": "청라1동", "agree_terms": True})
    assert (status, err["error"]["code"]) == (409, "CONFLICT")
    status, err = env.call("POST", "/wallet", role="resident", sub="bob", body={"dong": "강남동", "agree_terms": False})
    assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "dong" in err["error"]["message"] and "agree_terms" in err["error"]["message"]
    status, err = env.call("GET", "/wallet", role="resident", sub="bob")
    assert (status, err["error"]["code"]) == (404, "NOT_FOUND")
