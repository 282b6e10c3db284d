"""KST months, business numbers, policy validation and the shared local clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.clock import FileClock
from chalicelib.domain.merchant import Merchant, normalise_business_number, validate_merchant
from chalicelib.domain.months import KST, month_closed, month_of
from chalicelib.domain.policy import SEASON2, Policy, Program, Tier, policy_for, validate_policy


def test_a_payment_at_0030_kst_on_the_first_belongs_to_the_new_month_although_utc_says_otherwise():
    instant = datetime(2020, 2, 1, 0, 30, tzinfo=KST)
    assert instant.astimezone(UTC).month == 1
    assert month_of(instant) == "2020-02"


def test_the_last_second_of_a_month_and_the_first_of_the_next_fall_in_different_months():
    assert month_of(datetime(2020, 1, 31, 23, 59, 59, tzinfo=KST)) == "2020-01"
    assert month_of(datetime(2020, 2, 1, 0, 0, 1, tzinfo=KST)) == "2020-02"


def test_a_month_closes_at_midnight_kst_on_the_first():
    assert not month_closed("2020-01", datetime(2020, 1, 31, 23, 59, 59, tzinfo=KST))
    assert month_closed("2020-01", datetime(2020, 2, 1, 0, 0, tzinfo=KST))
    assert month_closed("2020-12", datetime(2021, 1, 1, 0, 0, tzinfo=KST))


def test_business_numbers_need_a_valid_check_digit():
    assert normalise_business_number("124-81-00998") == "1248100998"
    assert normalise_business_number("1248100998") == "1248100998"
    assert normalise_business_number("1248100997") is None
    assert normalise_business_number("12481009") is None
    assert normalise_business_number("124-8100998") == "1248100998"
    assert normalise_business_number("abcdefghij") is None


def test_merchant_validation_reports_every_problem():
    bad = Merchant("m", "n", "1248100998", "서울동", "food", True, 4, malls=("yumyum", "nowhere"))
    problems = validate_merchant(bad)
    assert len(problems) == 4, problems


def test_policy_validation_refuses_badly_shaped_tiers():
    bad = Policy(
        "2030-01",
        (
            Program("a", "f", (Tier(500, 100), Tier(400, 100), Tier(None, 0))),
            Program("a", "f", (Tier(500, 20_000),)),
        ),
        1,
        1,
    )
    problems = validate_policy(bad)
    assert any("greater than" in p for p in problems)
    assert any("duplicate" in p for p in problems)
    assert any("rate_bp" in p for p in problems)
    assert any("unbounded" in p for p in problems)
    assert validate_policy(SEASON2) == []


def test_the_policy_in_force_is_the_latest_not_after_the_month():
    later = Policy("2021-01", SEASON2.programs, 2_000_000, 3_000_000)
    assert policy_for("2020-12", [SEASON2, later]) is SEASON2
    assert policy_for("2021-05", [SEASON2, later]) is later
    assert policy_for("2019-12", [SEASON2, later]) is None


class RealTime:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def test_the_file_clock_runs_on_from_the_instant_it_was_set_and_resets_to_real_time(tmp_path):
    real = RealTime(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    clock = FileClock(tmp_path / "clock.json", real)
    assert clock.now() == real.at
    clock.set(datetime(2020, 1, 31, 23, 59, tzinfo=KST))
    real.at += timedelta(seconds=90)
    other_process = FileClock(tmp_path / "clock.json", real)
    assert month_of(other_process.now()) == "2020-02"
    clock.reset()
    assert other_process.now() == real.at
