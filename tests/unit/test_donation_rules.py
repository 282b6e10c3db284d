"""서로도움 rules: cashback only, minimums, the automatic donation, the statement's estimate, settlement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.donations import (
    GENERAL_FUND,
    AutoDonation,
    Donation,
    DonationYear,
    auto_amount,
    check_target,
    donate,
    one_off_amount,
    tax_credit_estimate,
    validate_setting,
)
from chalicelib.domain.errors import InsufficientFunds, InvalidState, ValidationFailed
from chalicelib.domain.settlement import settle_resident
from chalicelib.domain.wallet import ResidentMonth, Wallet

AT = "2020-04-01T01:00:00+09:00"


def gift(amount: int, campaign: str | None = "solitary-elderly", category: str = "solitary-elderly") -> Donation:
    return Donation("don_1", "alice", amount, campaign, category if campaign else GENERAL_FUND, "one-off",
                    "2026-11-30T12:00:00+09:00")


def test_a_donation_comes_from_cashback_and_never_touches_charged_money():
    wallet = Wallet("alice", "청라1동", charged_balance=50_000, cashback_balance=3_000, version=4)
    outcome = donate(wallet, DonationYear("alice", "2026"), gift(2_500), already_gave_to_target=False)
    assert (outcome.wallet.charged_balance, outcome.wallet.cashback_balance) == (50_000, 500)
    assert outcome.wallet.version == 5
    assert outcome.first_gift_to_target is True


def test_more_than_the_cashback_balance_is_insufficient_funds_even_with_charged_money_left():
    wallet = Wallet("alice", "청라1동", charged_balance=1_000_000, cashback_balance=99)
    with pytest.raises(InsufficientFunds):
        donate(wallet, DonationYear("alice", "2026"), gift(100), already_gave_to_target=True)


def test_a_one_off_donation_is_at_least_one_hundred_won():
    assert one_off_amount(100) == 100
    with pytest.raises(ValidationFailed):
        one_off_amount(99)


def test_a_closed_campaign_takes_nothing():
    check_target(True)
    check_target(None)  # the general fund
    with pytest.raises(InvalidState):
        check_target(False)


def test_the_year_summary_adds_per_campaign_and_per_category_with_the_general_fund_apart():
    year = DonationYear("alice", "2026")
    year = year.plus(gift(1_000)).plus(gift(500, None)).plus(gift(250, "kids", "rare-disease-children"))
    assert (year.total, year.count, year.version) == (1_750, 3, 3)
    assert year.by_campaign == {"solitary-elderly": 1_000, GENERAL_FUND: 500, "kids": 250}
    assert year.by_category == {"solitary-elderly": 1_000, GENERAL_FUND: 500, "rare-disease-children": 250}


@pytest.mark.parametrize("total, estimate", [(0, 0), (100, 15), (999, 149), (12_345, 1_851), (1_000_000, 150_000)])
def test_the_tax_credit_estimate_is_fifteen_percent_floored(total: int, estimate: int):
    assert tax_credit_estimate(total) == estimate


@pytest.mark.parametrize(
    "setting, credited, balance_after, given_",
    [
        (None, 5_000, 8_000, 0),
        (AutoDonation("all"), 5_000, 8_000, 5_000),  # only the new cashback, not what was there before
        (AutoDonation("all"), -300, 0, 0),  # a month that took cashback back gives nothing
        (AutoDonation("all"), 57, 57, 57),  # automatic donations have no minimum
        (AutoDonation("fixed", 3_000), 0, 10_000, 3_000),
        (AutoDonation("fixed", 3_000), 1_000, 1_200, 1_200),  # as far as the balance allows
        (AutoDonation("fixed", 3_000), 0, 0, 0),
    ],
)
def test_the_automatic_donation_gives_new_cashback_or_a_fixed_amount_as_far_as_the_balance_allows(
    setting: AutoDonation | None, credited: int, balance_after: int, given_: int
):
    assert auto_amount(setting, credited, balance_after) == given_


def test_a_fixed_setting_needs_an_amount_of_at_least_one_hundred_won_and_the_others_take_none():
    validate_setting("fixed", 100)
    validate_setting("all", None)
    validate_setting("off", None)
    for mode, amount in (("fixed", None), ("fixed", 99), ("all", 1_000), ("off", 1_000)):
        with pytest.raises(ValidationFailed):
            validate_setting(mode, amount)


def test_settlement_runs_the_automatic_donation_once_and_records_it_on_the_month():
    wallet = Wallet("alice", "청라1동", cashback_balance=1_000, version=3)
    month = ResidentMonth("alice", "2026-10", accrued={"city-base": 4_000, "gu-extra": 1_000}, version=2)
    outcome = settle_resident(wallet, month, AutoDonation("all"), AT)
    assert outcome is not None
    assert outcome.credit.credited == 5_000 and outcome.credit.auto_donated == 5_000
    assert outcome.wallet.cashback_balance == 6_000  # after the credit; the donation takes it next
    assert outcome.month.settled and outcome.month.auto_donated == 5_000
    assert settle_resident(outcome.wallet, outcome.month, AutoDonation("all"), AT) is None


def test_a_fixed_donation_runs_even_in_a_month_without_spending():
    idle = ResidentMonth("alice", "2026-10")
    fixed = Wallet("alice", "청라1동", cashback_balance=700)
    outcome = settle_resident(fixed, idle, AutoDonation("fixed", 1_000), AT)
    assert outcome is not None and outcome.credit.auto_donated == 700
    assert settle_resident(Wallet("bob", "청라1동", cashback_balance=700),
                           ResidentMonth("bob", "2026-10"), AutoDonation("all"), AT) is None


@given(
    balance=st.integers(0, 2_000_000),
    accrued=st.integers(0, 100_000),
    due=st.integers(-50_000, 0),
    fixed=st.integers(100, 100_000),
    mode=st.sampled_from(["all", "fixed", "off"]),
)
def test_no_settlement_with_a_donation_leaves_a_negative_balance(balance: int, accrued: int, due: int, fixed: int,
                                                                  mode: str):
    setting = AutoDonation(mode, fixed if mode == "fixed" else None)
    wallet = Wallet("alice", "청라1동", cashback_balance=balance, adjustment_due=due)
    month = ResidentMonth("alice", "2026-10", accrued={"city-base": accrued} if accrued else {}, version=1)
    outcome = settle_resident(wallet, month, setting, AT)
    assert outcome is not None
    after = outcome.wallet.cashback_balance - outcome.credit.auto_donated
    assert after >= 0 and outcome.credit.auto_donated >= 0
    if mode == "all":
        assert outcome.credit.auto_donated == max(outcome.credit.credited, 0)
