"""Monthly budgets: grants stop at the budget, refunds give back, the gauge is live, races are exact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.months import KST
from chalicelib.handlers import payments
from tests.support import BIZ, Env, new_key, race


def budget_policy(city_budget: int) -> dict[str, Any]:
    return {
        "programs": [
            {"program_id": "city-base", "funder": "incheon-city", "monthly_budget": city_budget,
             "tiers": [{"up_to": 300_000, "rate_bp": 400}, {"up_to": 500_000, "rate_bp": 200},
                       {"up_to": 1_000_000, "rate_bp": 100}, {"up_to": None, "rate_bp": 0}]},
            {"program_id": "gu-extra", "funder": "seo-gu",
             "tiers": [{"up_to": 500_000, "rate_bp": 100}, {"up_to": None, "rate_bp": 0}]},
        ],
        "monthly_charge_limit": 1_000_000,
        "balance_limit": 2_000_000,
    }


def enter_budget_month(env: Env, budget: int) -> str:
    env.clock.set(datetime(2021, 5, 20, 12, 0, tzinfo=KST))
    body = env.enact_policy("2021-06", budget_policy(budget))
    assert body["programs"][0]["monthly_budget"] == budget
    shop = env.register_merchant(number=BIZ[0])
    env.clock.set(datetime(2021, 6, 2, 10, 0, tzinfo=KST))
    return shop


def city(env: Env) -> dict[str, Any]:
    status, body = env.call("GET", "/policies/current", role="resident", sub="anyone")
    assert status == 200
    return next(p for p in body["programs"] if p["program_id"] == "city-base")


def test_grants_stop_at_the_budget_and_a_payment_may_get_part_of_its_accrual(env: Env):
    shop = enter_budget_month(env, 10_000)
    for user in ("a", "b", "c"):
        env.open_wallet(user, charge=200_000)
    assert city(env)["budget_remaining"] == 10_000
    grants = [env.pay(user, shop, 100_000)[1]["cashback"] for user in ("a", "b", "c")]
    assert [g["city-base"] for g in grants] == [4_000, 4_000, 2_000]
    assert [g["gu-extra"] for g in grants] == [1_000, 1_000, 1_000]   # no budget: always the F rule
    assert city(env)["budget_remaining"] == 0
    assert env.repos.budgets.used("2021-06", "city-base") == 10_000
    assert env.wallet("c")["month"]["pending_by_program"]["city-base"] == 2_000


def test_a_refund_gives_the_grant_back_to_the_budget(env: Env):
    shop = enter_budget_month(env, 6_000)
    env.open_wallet("a", charge=200_000)
    env.open_wallet("b", charge=200_000)
    _, pa = env.pay("a", shop, 100_000)
    env.pay("b", shop, 100_000)
    assert city(env)["budget_remaining"] == 0
    status, _ = env.call("POST", f"/merchant/payments/{pa['payment_id']}/refunds", role="merchant", sub="o",
                         merchant_id=shop, body={}, key=new_key())
    assert status == 200
    assert city(env)["budget_remaining"] == 4_000
    assert env.repos.budgets.used("2021-06", "city-base") == 2_000


def test_racing_payments_never_grant_more_than_the_budget(env: Env):
    shop = enter_budget_month(env, 6_000)
    env.open_wallet("a", charge=200_000)
    env.open_wallet("b", charge=200_000)
    race(lambda: payments.pay("b", shop, 100_000, True, "b1"))
    result = payments.pay("a", shop, 100_000, True, "a1")
    granted = result.cashback["city-base"] + env.wallet("b")["month"]["pending_by_program"]["city-base"]
    assert granted == 6_000
    assert result.cashback["city-base"] == 2_000   # bob came first and took 4,000
    assert env.repos.budgets.used("2021-06", "city-base") == 6_000
