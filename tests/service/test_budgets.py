"""Monthly budgets on moto: grants stop at the budget, refunds give back, the gauge is live, races are exact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3

from chalicelib import composition
from chalicelib.auth import Principal
from chalicelib.domain.months import KST
from chalicelib.handlers import payments
from chalicelib.schemas import PaymentIn
from tests.service.conftest import BIZ, Env
from tests.support import new_key


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
    status, body = env.call("PUT", "/staff/policies/2021-06", role="staff", sub="clerk", body=budget_policy(budget))
    assert status == 200, body
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
    assert env.container.store.budget_used("2021-06", "city-base") == 10_000
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
    assert env.container.store.budget_used("2021-06", "city-base") == 2_000


class RacingStore:
    """The first load of resident `a` lets resident `b` pay first (a race on the budget slices)."""

    def __init__(self, real: Any, interloper: Any) -> None:
        self._real, self._interloper = real, interloper

    def load(self, **kw: Any) -> Any:
        result = self._real.load(**kw)
        if self._interloper is not None and kw.get("user_id") == "a":
            run, self._interloper = self._interloper, None
            run()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_racing_payments_never_grant_more_than_the_budget(env: Env):
    shop = enter_budget_month(env, 6_000)
    env.open_wallet("a", charge=200_000)
    env.open_wallet("b", charge=200_000)
    c = env.container
    bob = Principal("b", frozenset({"residents"}))
    racing = RacingStore(c.store, lambda: payments.create_payment(bob, PaymentIn(merchant_id=shop, amount=100_000), "b1"))
    composition.override(settings=c.settings, clock=env.clock, bank=env.bank, store=racing)
    alice = Principal("a", frozenset({"residents"}))
    result = payments.create_payment(alice, PaymentIn(merchant_id=shop, amount=100_000), "a1")
    assert result.status == 201
    granted = result.body["cashback"]["city-base"] + env.wallet("b")["month"]["pending_by_program"]["city-base"]
    assert granted == 6_000
    assert result.body["cashback"]["city-base"] == 2_000   # bob came first and took 4,000
    assert c.store.budget_used("2021-06", "city-base") == 6_000


def table_items(env: Env, entry: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="ap-northeast-2")
    pages = client.get_paginator("scan").paginate(TableName=env.container.settings.table_name)
    return [it for page in pages for it in page["Items"] if it["entry"]["S"] == entry]


def test_each_budget_slice_has_a_partition_key_of_its_own_and_the_slices_sum_to_the_grants(env: Env):
    shop = enter_budget_month(env, 1_000_000)
    residents = [f"r{i:02d}" for i in range(24)]
    granted = 0
    for user in residents:
        env.open_wallet(user, charge=100_000)
        status, body = env.pay(user, shop, 50_000)
        assert status == 201, body
        granted += body["cashback"]["city-base"]
    assert granted == 24 * 2_000
    slices = table_items(env, "budget")
    keys = [it["pk"]["S"] for it in slices]
    assert len(set(keys)) == len(keys) > 1, "every slice written is its own partition"
    assert all(k.startswith("BUDGET#2021-06#city-base#") for k in keys)
    assert sum(int(it["used"]["N"]) for it in slices) == granted == env.container.store.budget_used(
        "2021-06", "city-base")
    assert city(env)["budget_remaining"] == 1_000_000 - granted
