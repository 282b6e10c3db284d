"""Monthly budgets: exact caps, slice allocation, partial grants, give-backs."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.budget import BUDGET_SHARDS, Slice, allocate, caps, remaining, slices_for
from chalicelib.domain.payment import PaymentRequest, apply_payment, apply_refund
from chalicelib.domain.policy import SEASON2, Policy, Program, Tier
from chalicelib.domain.wallet import ResidentMonth, Wallet

BUDGETED = Policy(
    "2021-06",
    (Program("city-base", "incheon-city", (Tier(300_000, 400), Tier(None, 0)), monthly_budget=10_000),),
    1_000_000,
    2_000_000,
)

AT = "2020-03-10T12:00:00+09:00"


@given(st.integers(0, 10**12))
def test_caps_add_up_to_the_budget_exactly(budget: int):
    parts = caps(budget)
    assert len(parts) == BUDGET_SHARDS and sum(parts) == budget and max(parts) - min(parts) <= 1


@settings(max_examples=300)
@given(st.lists(st.integers(0, 1_000), min_size=BUDGET_SHARDS, max_size=BUDGET_SHARDS), st.integers(1, 5_000))
def test_a_grant_never_overfills_a_slice_and_lands_whole(used: list[int], amount: int):
    slices = [Slice(k, 1_000, u) for k, u in enumerate(used)]
    if amount > remaining(slices):
        with pytest.raises(ValueError):
            allocate(slices, amount)
        return
    plan = allocate(slices, amount, random.Random(1))
    assert sum(plan.values()) == amount
    assert all(0 < d <= slices[k].room for k, d in plan.items())


@settings(max_examples=300)
@given(st.lists(st.integers(0, 1_000), min_size=BUDGET_SHARDS, max_size=BUDGET_SHARDS), st.integers(1, 5_000))
def test_a_give_back_never_takes_a_slice_below_zero(used: list[int], amount: int):
    slices = [Slice(k, 1_000, u) for k, u in enumerate(used)]
    if amount > sum(used):
        with pytest.raises(ValueError):
            allocate(slices, -amount)
        return
    plan = allocate(slices, -amount, random.Random(2))
    assert sum(plan.values()) == -amount
    assert all(0 < -d <= slices[k].used for k, d in plan.items())


def pay(wallet: Wallet, month: ResidentMonth, amount: int, left: int | None):
    req = PaymentRequest("p", wallet.user_id, "m", amount, 0, False, False, "2021-06-02T10:00:00+09:00")
    return apply_payment(wallet, month, BUDGETED, req, None if left is None else {"city-base": left})


def test_a_payment_gets_only_what_is_left_of_the_budget():
    wallet = Wallet("u", "청라1동", charged_balance=500_000, version=1)
    out = pay(wallet, ResidentMonth("u", "2021-06"), 100_000, left=1_500)
    assert out.payment.cashback == {"city-base": 1_500}
    assert out.month.spend["city-base"] == 100_000  # the counter still counts the whole spend
    none_left = pay(out.wallet, out.month, 100_000, left=0)
    assert none_left.payment.cashback == {"city-base": 0}


def test_a_refund_takes_back_no_more_than_was_granted_and_that_returns_to_the_budget():
    wallet = Wallet("u", "청라1동", charged_balance=500_000, version=1)
    capped = pay(wallet, ResidentMonth("u", "2021-06"), 100_000, left=1_500)   # F would give 4,000
    refund = apply_refund(capped.payment, capped.wallet, capped.month, BUDGETED, 50_000, movement_id="mv", at=AT)
    # accrued 1,500 ≤ F(50,000) = 2,000: the resident keeps it all, nothing returns
    assert refund.accruals == {"city-base": 0}
    whole = apply_refund(refund.payment, refund.wallet, refund.month, BUDGETED, None, movement_id="mv", at=AT)
    assert whole.accruals == {"city-base": -1_500} and whole.month.accrued["city-base"] == 0


def test_without_a_budget_the_rules_are_exactly_the_plain_f_rule():
    wallet = Wallet("u", "청라1동", charged_balance=500_000, version=1)
    req = PaymentRequest("p", "u", "m", 350_000, 0, False, False, "2021-06-02T10:00:00+09:00")
    out = apply_payment(wallet, ResidentMonth("u", "2021-06"), SEASON2, req, {})
    assert out.payment.cashback["city-base"] == SEASON2.programs[0].cumulative(350_000)


def test_slices_for_a_month_start_unused():
    assert remaining(slices_for(10_000, {})) == 10_000
    assert remaining(slices_for(10_000, {0: 1_250, 3: 100})) == 8_650
