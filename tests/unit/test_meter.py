"""The live meter (`GET /wallet` `month.meter`) and a shop's rate for the caller (`GET /merchants/{id}`
`cashback_rate_bp`): the gauge agrees with F at every counter, budgets used up count 0, and each answer is
still one batched read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.meter import STOPPED, Gauge, gauge, program_gauge
from chalicelib.domain.months import KST
from chalicelib.domain.policy import BP_SCALE, SEASON2, Program, Tier
from tests.support import BIZ, Env
from tests.unit.test_budgets import budget_policy

CITY, GU, BENEFIT = SEASON2.programs


def exact(program: Program, spend: int) -> int:
    """F's sum before its one floor (basis-point won), from the policy's own split of the spend into tiers."""
    return sum(t.rate_bp * part for t, part in zip(program.tiers, program.tier_spend(spend), strict=True))


@st.composite
def programs(draw: st.DrawFn) -> Program:
    bounds = sorted(set(draw(st.lists(st.integers(1, 3_000_000), max_size=5))))
    rates = draw(st.lists(st.integers(0, 1_000), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    return Program("p", "f", tuple(Tier(b, r) for b, r in zip([*bounds, None], rates, strict=True)))


@settings(max_examples=300, deadline=None)
@given(programs(), st.integers(0, 4_000_000))
def test_the_gauge_agrees_with_f_until_the_next_tier_and_the_won_after_earns_next_rate(program: Program, spend: int):
    g = gauge(program, spend)
    f = program.cumulative
    assert f(spend) == exact(program, spend) // BP_SCALE
    if g.until_next is None:
        assert g.next_rate_bp is None
        for k in (1, 9_999, 10_000, 2_345_678):
            assert exact(program, spend + k) - exact(program, spend) == g.rate_bp * k
        assert f(spend + 10_000) - f(spend) == g.rate_bp  # every 10,000 won at rate_bp earns rate_bp won
        return
    u = g.until_next
    assert u >= 1 and g.next_rate_bp is not None and g.next_rate_bp != g.rate_bp
    # Spending until_next more won at rate_bp: the exact sum grows by rate_bp·u, and F by that over its floor.
    assert exact(program, spend + u) - exact(program, spend) == g.rate_bp * u
    assert f(spend + u) - f(spend) == (exact(program, spend) + g.rate_bp * u) // BP_SCALE - f(spend)
    for k in {1, u // 2 + 1, u}:
        assert exact(program, spend + k) - exact(program, spend + k - 1) == g.rate_bp
    if u >= 10_000:
        assert f(spend + 10_000) - f(spend) == g.rate_bp
    assert exact(program, spend + u + 1) - exact(program, spend + u) == g.next_rate_bp


def test_season_2_s_gauges_at_and_around_the_tier_bounds():
    assert gauge(CITY, 0) == Gauge(400, 300_000, 200)
    assert gauge(CITY, 299_999) == Gauge(400, 1, 200)
    assert gauge(CITY, 300_000) == Gauge(200, 200_000, 100)
    assert gauge(CITY, 999_999) == Gauge(100, 1, 0)
    assert gauge(CITY, 1_000_000) == Gauge(0, None, None)
    assert gauge(GU, 250_000) == Gauge(100, 250_000, 0)
    assert gauge(BENEFIT, 1_500_000) == Gauge(0, None, None)


def test_neighbouring_tiers_of_one_rate_are_one_stretch_and_a_flat_program_never_changes():
    two_steps = Program("p", "f", (Tier(100, 300), Tier(200, 300), Tier(None, 50)))
    assert gauge(two_steps, 50) == Gauge(300, 150, 50)
    assert gauge(Program("flat", "f", (Tier(None, 150),)), 12_345) == Gauge(150, None, None)


def test_a_program_whose_budget_is_used_up_or_a_settled_month_stops_the_gauge():
    assert program_gauge(CITY, 0, 0, settled=False) == STOPPED == Gauge(0, None, None)
    assert program_gauge(CITY, 0, 1, settled=False) == Gauge(400, 300_000, 200)
    assert program_gauge(CITY, 0, None, settled=True) == STOPPED


# ---- through HTTP ---------------------------------------------------------------------------------------------


def meter(env: Env, sub: str) -> dict[str, dict[str, Any]]:
    return {line["program_id"]: line for line in env.wallet(sub)["month"]["meter"]}


def test_get_wallet_shows_each_program_s_rate_and_the_way_to_its_next_tier(env: Env):
    plain = env.register_merchant(number=BIZ[0])
    env.open_wallet("ann", charge=600_000)
    fresh = meter(env, "ann")
    assert list(fresh) == ["city-base", "gu-extra", "benefit-plus"]
    assert fresh["city-base"] == {"program_id": "city-base", "applies_to": "all", "eligible_spend": 0, "rate_bp": 400,
                                  "until_next": 300_000, "next_rate_bp": 200}
    assert env.pay("ann", plain, 250_000, use_cashback=False)[0] == 201
    after = meter(env, "ann")
    assert after["city-base"] == {"program_id": "city-base", "applies_to": "all", "eligible_spend": 250_000,
                                       "rate_bp": 400, "until_next": 50_000, "next_rate_bp": 200}
    assert (after["gu-extra"]["rate_bp"], after["gu-extra"]["until_next"], after["gu-extra"]["next_rate_bp"]) == (
        100, 250_000, 0)
    # A shop outside Benefit Plus does not move the benefit-plus counter.
    assert after["benefit-plus"] == {"program_id": "benefit-plus", "applies_to": "benefit-plus",
                                     "eligible_spend": 0, "rate_bp": 200, "until_next": 1_000_000, "next_rate_bp": 0}
    assert env.pay("ann", plain, 300_000, use_cashback=False)[0] == 201
    last = meter(env, "ann")["city-base"]
    assert (last["eligible_spend"], last["rate_bp"], last["until_next"], last["next_rate_bp"]) == (
        550_000, 100, 450_000, 0)


def test_a_program_whose_budget_is_used_up_shows_0_with_no_next_tier_while_the_others_go_on(env: Env):
    env.clock.set(datetime(2021, 5, 20, 12, 0, tzinfo=KST))
    env.enact_policy("2021-06", budget_policy(4_000))
    shop = env.register_merchant(number=BIZ[0])
    env.clock.set(datetime(2021, 6, 2, 10, 0, tzinfo=KST))
    env.open_wallet("ann", charge=300_000)
    env.open_wallet("bob", charge=300_000)
    assert meter(env, "bob")["city-base"]["rate_bp"] == 400
    assert env.pay("ann", shop, 100_000, use_cashback=False)[1]["cashback"]["city-base"] == 4_000
    bob = meter(env, "bob")
    assert (bob["city-base"]["rate_bp"], bob["city-base"]["until_next"], bob["city-base"]["next_rate_bp"]) == (
        0, None, None)
    assert (bob["gu-extra"]["rate_bp"], bob["gu-extra"]["until_next"]) == (100, 500_000)
    status, seen = env.call("GET", f"/merchants/{shop}", role="resident", sub="bob")
    assert (status, seen["cashback_rate_bp"]) == (200, 100)


def test_a_settled_month_that_is_current_again_earns_nothing_more(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("ann", charge=100_000)
    assert env.pay("ann", shop, 10_000)[0] == 201
    env.clock.set(datetime(2020, 4, 1, 2, 0, tzinfo=KST))
    env.settle("2020-03")
    env.clock.set(datetime(2020, 3, 20, 12, 0, tzinfo=KST))
    assert all(line["rate_bp"] == 0 and line["until_next"] is None for line in meter(env, "ann").values())


def test_a_shop_shows_the_resident_the_sum_of_the_rates_of_the_programs_that_cover_it(env: Env):
    plus = env.register_merchant(number=BIZ[0], benefit_plus=True, rate=5)
    plain = env.register_merchant(number=BIZ[1])
    env.open_wallet("ann", charge=700_000)

    def rate(merchant_id: str, sub: str = "ann", role: str = "resident") -> Any:
        status, body = env.call("GET", f"/merchants/{merchant_id}", role=role, sub=sub)
        assert status == 200, body
        return body["cashback_rate_bp"]

    assert (rate(plus), rate(plain)) == (400 + 100 + 200, 400 + 100)
    assert env.pay("ann", plain, 600_000, use_cashback=False)[0] == 201  # city 100 bp, gu-extra 0 bp from here
    assert (rate(plus), rate(plain)) == (100 + 0 + 200, 100)
    assert rate(plus, sub="no-wallet-yet") == 700  # what their first won would earn
    assert rate(plus, role="merchant") is None and rate(plus, role="staff") is None


def test_a_resident_sees_0_at_a_shop_they_act_for(env: Env):
    shop = env.register_merchant(number=BIZ[0], benefit_plus=True, rate=5)
    r = env.client.http.get(f"/merchants/{shop}", headers=env.owner_headers("owner", shop))
    assert r.status_code == 200
    assert r.json_body["cashback_rate_bp"] == 0


@pytest.mark.parametrize("path", ["/wallet", "/merchants/{shop}"])
def test_the_wallet_and_a_shop_with_its_rate_are_each_one_batched_read_budgets_included(
    env: Env, path: str, monkeypatch: pytest.MonkeyPatch
):
    env.clock.set(datetime(2021, 5, 20, 12, 0, tzinfo=KST))
    env.enact_policy("2021-06", budget_policy(4_000))
    shop = env.register_merchant(number=BIZ[0])
    env.clock.set(datetime(2021, 6, 2, 10, 0, tzinfo=KST))
    env.open_wallet("ann", charge=300_000)
    store = env.repos.store
    batches: list[Any] = []
    made = store.batch

    def counted() -> Any:
        b = made()
        batches.append(b)
        return b

    monkeypatch.setattr(store, "batch", counted)
    status, _ = env.call("GET", path.format(shop=shop), role="resident", sub="ann")
    assert status == 200
    (batch,) = batches
    keys = set(batch.wanted)
    assert sum(1 for k in keys if "city-base" in str(k)) == 8  # the eight budget slices, in the same read
