"""What GET /wallet says about a month: its cashback is pending until the month is settled, and credited after.

Only the local clock can bring a settled month back as "this month" (move it past the month's end, settle,
then `DELETE /_local/clock`), which is how a settled month came to show its cashback as still pending.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.months import KST
from chalicelib.domain.wallet import ResidentMonth
from tests.support import BIZ, Env


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=KST)


def test_a_settled_month_has_nothing_pending_though_its_accruals_are_kept_for_the_books():
    accrued = {"city-base": 400, "gu-extra": 100}
    open_month = ResidentMonth("alice", "2020-03", eligible_spend=10_000, spend={"city-base": 10_000}, accrued=accrued)
    assert open_month.pending == accrued and open_month.pending_cashback == 500

    settled = ResidentMonth("alice", "2020-03", eligible_spend=10_000, spend={"city-base": 10_000}, accrued=accrued,
                            settled=True, credited=500, settled_accrued=dict(accrued))
    assert settled.pending == {} and settled.pending_cashback == 0
    assert settled.accrued == accrued  # F(net spend) of the month, still what refunds reverse and reports read


def test_a_month_settled_before_the_clock_went_back_into_it_shows_its_cashback_credited_not_pending(env: Env):
    env.clock.set(at(2020, 3, 10, 12))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("alice", charge=100_000)
    assert env.pay("alice", shop, 10_000)[0] == 201
    before = env.wallet("alice")["month"]
    assert (before["pending_cashback"], before["pending_by_program"]) == (
        500, {"city-base": 400, "gu-extra": 100, "benefit-plus": 0})

    env.clock.set(at(2020, 4, 1, 1))             # the month closes; staff settle it
    assert env.settle("2020-03")["cashback_credited"] == 500
    env.clock.set(at(2020, 3, 10, 13))           # the local clock back into March (DELETE /_local/clock)
    wallet = env.wallet("alice")
    assert wallet["cashback_balance"] == 500
    assert wallet["month"]["month"] == "2020-03" and wallet["month"]["eligible_spend"] == 10_000
    assert wallet["month"]["pending_cashback"] == 0, wallet
    assert wallet["month"]["pending_by_program"] == {"city-base": 0, "gu-extra": 0, "benefit-plus": 0}, wallet
