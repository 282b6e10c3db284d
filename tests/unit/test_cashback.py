"""The tier arithmetic of SPEC.md, against the article's figures and at every boundary."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.policy import SCOPE_BENEFIT_PLUS, SEASON2, Program, Tier

CITY, GU, BENEFIT = SEASON2.programs


def total_at_ordinary_shops(spend: int) -> int:
    return CITY.cumulative(spend) + GU.cumulative(spend)


def test_one_million_won_at_ordinary_shops_earns_26000_won_as_the_article_says():
    assert CITY.cumulative(1_000_000) == 21_000
    assert GU.cumulative(1_000_000) == 5_000
    assert total_at_ordinary_shops(1_000_000) == 26_000


def test_the_combined_rates_are_five_three_and_one_percent():
    assert total_at_ordinary_shops(300_000) == 15_000
    assert total_at_ordinary_shops(500_000) - total_at_ordinary_shops(300_000) == 6_000
    assert total_at_ordinary_shops(1_000_000) - total_at_ordinary_shops(500_000) == 5_000


def test_spend_above_the_last_bounded_tier_earns_nothing_more():
    assert CITY.cumulative(5_000_000) == CITY.cumulative(1_000_000)
    assert GU.cumulative(900_000) == GU.cumulative(500_000)
    assert BENEFIT.cumulative(1_500_000) == 20_000


def test_a_payment_straddling_a_tier_boundary_is_split_across_the_tiers():
    # 250,000 → 350,000: 50,000 at 4 % and 50,000 at 2 %
    assert CITY.accrual(250_000, 350_000) == 2_000 + 1_000


def test_rounding_floors_the_cumulative_total_not_each_event():
    assert CITY.cumulative(24) == 0  # 0.96 won
    assert CITY.cumulative(25) == 1
    assert CITY.accrual(0, 24) + CITY.accrual(24, 25) == 1
    assert GU.cumulative(99) == 0 and GU.cumulative(100) == 1


def test_a_refund_accrues_the_negative_of_the_same_rule():
    assert CITY.accrual(400_000, 250_000) == -(CITY.cumulative(400_000) - CITY.cumulative(250_000))


def test_the_benefit_plus_program_covers_benefit_plus_merchants_and_every_delivery_order():
    assert BENEFIT.applies_to == SCOPE_BENEFIT_PLUS
    assert BENEFIT.covers(benefit_plus=True, channel="store")
    assert BENEFIT.covers(benefit_plus=False, channel="delivery")
    assert not BENEFIT.covers(benefit_plus=False, channel="store")
    assert CITY.covers(benefit_plus=False, channel="mall")


def test_a_single_unbounded_tier_is_a_flat_rate():
    flat = Program("flat", "x", (Tier(None, 150),))
    assert flat.cumulative(10_000) == 150
    assert flat.cumulative(0) == 0 and flat.cumulative(-5) == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-400_000, max_value=600_000), max_size=40))
def test_accruals_of_any_sequence_of_payments_and_refunds_sum_to_f_of_the_net(moves: list[int]):
    for program in SEASON2.programs:
        counter, total = 0, 0
        for move in moves:
            after = max(counter + move, 0)  # a refund never takes the counter below what was paid
            total += program.accrual(counter, after)
            counter = after
        assert total == program.cumulative(counter)
