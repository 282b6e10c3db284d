"""Monthly settlement: fan-out through the shard queue, exactly-once credit, adjustments, reports, books."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib.domain.months import KST
from chalicelib.domain.settlement import shard_of
from chalicelib.handlers import settlement
from tests.support import BIZ, Env, die_after_next_commit, new_key


def settle(env: Env, month: str) -> dict[str, Any]:
    return env.settle(month)


def drain(env: Env) -> None:
    env.drain()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=KST)


def refund(env: Env, merchant: str, payment: dict[str, Any], amount: int) -> None:
    status, body = env.call("POST", f"/merchant/payments/{payment['payment_id']}/refunds", role="merchant",
                            sub="owner", merchant_id=merchant, body={"amount": amount}, key=new_key())
    assert status == 200, body


def test_a_month_of_payments_and_refunds_settled_twice_credits_exactly_once(env: Env):
    env.clock.set(at(2020, 3, 2, 10, 0))
    shop = env.register_merchant(number=BIZ[0])
    bplus = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1])
    env.open_wallet("alice", charge=1_000_000)
    env.open_wallet("bob", charge=200_000)
    env.open_wallet("carol")  # no activity at all
    _, a1 = env.pay("alice", shop, 400_000)
    assert env.pay("alice", bplus, 200_000)[1]["paid"] == 190_000
    _, b1 = env.pay("bob", shop, 100_000)
    refund(env, shop, a1, 100_000)             # inside the month: alice's counter 490,000 (all programs)
    # alice: city F(490k)=12,000+3,800=15,800; gu F(490k)=4,900; benefit-plus F(190k)=3,800
    # bob:   city 4,000; gu 1,000
    env.clock.set(at(2020, 4, 1, 1, 0))
    first = settle(env, "2020-03")
    assert first["status"] == "completed" and first["books_balanced"] is True
    assert first["by_program"] == {"city-base": 19_800, "gu-extra": 5_900, "benefit-plus": 3_800}
    assert first["by_funder"] == {"incheon-city": 19_800, "seo-gu": 9_700}
    assert first["cashback_credited"] == 29_500 and first["residents"] == 3 and first["settled_residents"] == 2
    assert env.wallet("alice")["cashback_balance"] == 24_500
    assert env.wallet("bob")["cashback_balance"] == 5_000
    assert env.wallet("carol")["cashback_balance"] == 0

    again = settle(env, "2020-03")
    assert again["cashback_credited"] == 29_500 and again["by_program"] == first["by_program"]
    assert env.wallet("alice")["cashback_balance"] == 24_500
    assert env.wallet("bob")["cashback_balance"] == 5_000

    # a refund of the settled March payment in April: the reversal is owed and taken at April's settlement
    env.clock.set(at(2020, 4, 3, 12, 0))
    refund(env, shop, b1, 100_000)
    assert env.wallet("bob")["adjustment_due"] == -5_000
    assert env.pay("bob", shop, 50_000, use_cashback=False)[0] == 201   # April: 2,000 + 500 accrues
    env.clock.set(at(2020, 5, 1, 1, 0))
    april = settle(env, "2020-04")
    assert april["books_balanced"] is True and april["adjustments_applied"] == -5_000
    bob = env.wallet("bob")
    assert bob["cashback_balance"] == 5_000 + 2_500 - 5_000 and bob["adjustment_due"] == 0


def test_a_negative_net_is_recovered_from_cashback_first_then_from_the_charged_balance(env: Env):
    """Spend the cashback, have the payment refunded: the next settlement takes it back all the same."""
    env.clock.set(at(2020, 3, 2, 10, 0))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("dave", charge=600_000)
    _, p = env.pay("dave", shop, 500_000)      # 16,000 + 5,000
    env.clock.set(at(2020, 4, 1, 1, 0))
    settle(env, "2020-03")
    env.clock.set(at(2020, 4, 2, 9, 0))
    _, spend = env.pay("dave", shop, 15_000)   # spends 15,000 of the 21,000 cashback first
    assert spend["from_cashback"] == 15_000
    refund(env, shop, p, 500_000)              # owes back 21,000
    env.clock.set(at(2020, 5, 1, 1, 0))
    april = settle(env, "2020-04")
    dave = env.wallet("dave")
    assert (dave["cashback_balance"], dave["adjustment_due"]) == (0, 0)
    assert dave["charged_balance"] == 600_000 - 15_000     # the 15,000 of cashback spent comes out of charged
    assert april["recovered"] == {"cashback": 6_000, "charged": 15_000} and april["still_owed"] == 0
    assert april["books_balanced"] is True and april["cashback_credited"] == -6_000
    movements = env.repos.wallets.movements("dave")
    assert [(m.kind, m.d_charged, m.d_cashback) for m in movements if m.ref == "settlement:2020-04"] == [
        ("cashback_recovery", -15_000, -6_000)]


def test_a_payment_at_the_last_second_and_one_at_the_first_second_settle_in_their_own_months(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.clock.set(at(2020, 1, 31, 23, 0))
    env.open_wallet("erin", charge=100_000)
    env.clock.set(at(2020, 1, 31, 23, 59, 59))
    _, jan = env.pay("erin", shop, 10_000)
    env.clock.set(at(2020, 2, 1, 0, 0, 1))
    _, feb = env.pay("erin", shop, 20_000)
    assert (jan["month"], feb["month"]) == ("2020-01", "2020-02")
    env.clock.set(at(2020, 2, 1, 1, 0))
    assert settle(env, "2020-01")["cashback_credited"] == 500
    assert env.wallet("erin")["cashback_balance"] == 500
    env.clock.set(at(2020, 3, 1, 1, 0))
    assert settle(env, "2020-02")["cashback_credited"] == 1_000
    assert env.wallet("erin")["cashback_balance"] == 1_500


def test_a_month_that_has_not_closed_cannot_be_settled(env: Env):
    env.clock.set(at(2020, 3, 31, 23, 59, 59))
    status, body = env.call("POST", "/staff/settlements", role="staff", sub="c", body={"month": "2020-03"})
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    status, body = env.call("GET", "/staff/settlements/2020-03", role="staff", sub="c")
    assert status == 404


def test_a_month_outside_the_years_the_service_holds_is_refused_saying_which_years(env: Env):
    for month in ("1999-12", "3000-01"):
        status, body = env.call("POST", "/staff/settlements", role="staff", sub="c", body={"month": month})
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
        assert "month must be YYYY-MM, from 2000-01 to 2999-12" in body["error"]["message"]
        assert env.call("GET", f"/staff/settlements/{month}", role="staff", sub="c")[1]["error"]["message"] == (
            "month must be YYYY-MM, from 2000-01 to 2999-12")


def test_the_same_shard_message_twice_and_a_worker_killed_mid_shard_credit_nobody_twice(
    env: Env, monkeypatch: pytest.MonkeyPatch
):
    env.clock.set(at(2020, 3, 2, 10, 0))
    shop = env.register_merchant(number=BIZ[0])
    users = [f"u{i:02d}" for i in range(12)]
    for u in users:
        env.open_wallet(u, charge=100_000)
        assert env.pay(u, shop, 10_000)[0] == 201       # 500 won each
    env.clock.set(at(2020, 4, 1, 1, 0))
    status, body = env.call("POST", "/staff/settlements", role="staff", sub="c", body={"month": "2020-03"})
    assert status == 202
    run = env.repos.settlements.get_run("2020-03")
    assert run is not None
    run_id = run.run_id
    shard = shard_of(users[0], env.container.settings.settlement_shards)
    message = json.dumps({"month": "2020-03", "run_id": run_id, "shard": shard})

    # a worker that dies after crediting the first resident of the shard
    dying = die_after_next_commit()
    with pytest.raises(RuntimeError):
        settlement.process_message(message, lambda: 600_000)
    assert dying.died == 1
    settlement.process_message(message, lambda: 600_000)   # the retry
    settlement.process_message(message, lambda: 600_000)   # and a duplicate delivery
    drain(env)                                              # the queue's own copy, and every other shard
    status, body = env.call("GET", "/staff/settlements/2020-03", role="staff", sub="c")
    assert body["status"] == "completed" and body["books_balanced"] is True
    assert body["cashback_credited"] == 500 * len(users)
    for u in users:
        assert env.wallet(u)["cashback_balance"] == 500


def test_reports_go_to_s3_and_merchants_read_their_own_line(env: Env):
    env.clock.set(at(2020, 3, 2, 10, 0))
    bplus = env.register_merchant(benefit_plus=True, rate=7, number=BIZ[1])
    other = env.register_merchant(number=BIZ[0])
    env.open_wallet("fay", "검단동", charge=300_000)
    _, p = env.pay("fay", bplus, 100_000)       # discount 7,000, paid 93,000
    refund(env, bplus, p, 3_000)
    env.clock.set(at(2020, 4, 1, 1, 0))
    status, line = env.call("GET", "/merchant/settlements/2020-03", role="merchant", sub="o", merchant_id=bplus)
    assert (status, line["error"]["code"]) == (409, "INVALID_STATE")
    result = settle(env, "2020-03")
    status, line = env.call("GET", "/merchant/settlements/2020-03", role="merchant", sub="o", merchant_id=bplus)
    assert status == 200
    assert line == {"month": "2020-03", "gross": 100_000, "discounts": 7_000, "refunds": 3_000, "net": 90_000,
                    "fees": 0}
    status, line = env.call("GET", "/merchant/settlements/2020-03", role="merchant", sub="o", merchant_id=other)
    assert line["gross"] == 0 and line["fees"] == 0
    reports = env.container.reports.files  # type: ignore[attr-defined]
    assert sorted(result["reports"]) == sorted(f"settlements/2020-03/{n}" for n in
                                               ("summary.json", "funders.csv", "merchants.csv", "dongs.csv"))
    summary = json.loads(reports["settlements/2020-03/summary.json"][0])
    assert summary["dongs"]["검단동"] == {"residents": 1, "eligible_spend": 90_000}
    assert summary["merchants"][bplus]["net"] == 90_000
    city = next(p for p in summary["programs"] if p["program_id"] == "city-base")
    assert city["tiers"][0]["eligible_spend"] == 90_000 and city["owed"] == 3_600
    funders = reports["settlements/2020-03/funders.csv"][0].decode()
    assert "incheon-city,city-base,total,,,3600" in funders


def test_the_schedule_settles_the_closed_month_at_one_am_kst_on_the_first(env: Env):
    env.clock.set(at(2020, 3, 2, 10, 0))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("gil", charge=100_000)
    env.pay("gil", shop, 20_000)
    env.clock.set(at(2020, 3, 31, 1, 0))
    assert settlement.on_schedule() is None
    env.clock.set(at(2020, 4, 1, 1, 0))
    assert settlement.on_schedule() == "2020-03"
    drain(env)
    assert env.wallet("gil")["cashback_balance"] == 1_000
    assert settlement.on_schedule() is None   # already settled: the schedule does not re-run it


def test_a_schedule_delivered_late_settles_the_month_it_fell_due_for(env: Env):
    env.clock.set(at(2020, 3, 2, 10, 0))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("hal", charge=100_000)
    env.pay("hal", shop, 20_000)
    env.clock.set(at(2020, 4, 3, 9, 0))          # the clock jumped past the 1st
    assert settlement.on_schedule("2020-03-31T16:00:00Z") == "2020-03"
    assert settlement.on_schedule("2020-04-02T16:00:00Z") is None
    drain(env)
    assert env.wallet("hal")["cashback_balance"] == 1_000
