"""Settling one resident's month: what refunds of settled months left owed is recovered from cashback first,
then from the charged balance; only what neither covers stays owed, and a later settlement recovers it."""

from __future__ import annotations

from chalicelib.domain.books import SegmentTally, WalletBalances, line_of
from chalicelib.domain.ledger import Movement
from chalicelib.domain.policy import SEASON2
from chalicelib.domain.settlement import Totals, credit_of, settle_resident
from chalicelib.domain.wallet import ResidentMonth, Wallet

AT = "2020-05-01T01:00:00+09:00"


def test_what_cashback_cannot_cover_comes_out_of_charged_and_only_the_rest_stays_owed():
    wallet = Wallet("ann", "청라1동", charged_balance=2_000, cashback_balance=1_000, adjustment_due=-5_000, version=3)
    out = settle_resident(wallet, ResidentMonth("ann", "2020-04"), None, AT)
    assert out is not None
    assert (out.wallet.cashback_balance, out.wallet.charged_balance, out.wallet.adjustment_due) == (0, 0, -2_000)
    assert (out.credit.credited, out.credit.recovered_from_charged, out.credit.still_owed) == (-1_000, 2_000, 2_000)
    assert out.credit.adjustment_applied == -3_000
    assert out.movement == Movement("ann", "cb-2020-04", "cashback_recovery", "settlement:2020-04", -2_000, -1_000, AT,
                                    charged_after=0, cashback_after=0, seq=4)
    assert credit_of(out.month) == out.credit  # a re-run counts the same recovery without taking it again


def test_a_later_settlement_recovers_what_stayed_owed_from_a_top_up_before_crediting_new_cashback():
    owed = Wallet("ann", "청라1동", charged_balance=10_000, adjustment_due=-2_000, version=5)
    may = ResidentMonth("ann", "2020-05", accrued={"city-base": 500}, version=2)
    out = settle_resident(owed, may, None, AT)
    assert out is not None
    assert (out.wallet.charged_balance, out.wallet.cashback_balance, out.wallet.adjustment_due) == (8_500, 0, 0)
    assert (out.credit.credited, out.credit.recovered_from_charged, out.credit.still_owed) == (0, 1_500, 0)


def test_the_books_count_what_was_recovered_from_charged_and_what_stays_owed():
    totals = Totals()
    books = SegmentTally("2020-04")
    for wallet in (Wallet("a", "청라1동", charged_balance=2_000, cashback_balance=1_000, adjustment_due=-5_000),
                   Wallet("b", "가정1동", cashback_balance=4_000, adjustment_due=-3_000)):
        out = settle_resident(wallet, ResidentMonth(wallet.user_id, "2020-04"), None, AT)
        assert out is not None
        movements = [Movement(wallet.user_id, "opening", "charge", "x", wallet.charged_balance, wallet.cashback_balance,
                              AT)] + ([out.movement] if out.movement else [])
        totals.add_resident(out.wallet, out.month, out.credit, SEASON2)
        after = out.wallet
        books.add([WalletBalances(after.user_id, after.charged_balance, after.cashback_balance),
                   *map(line_of, movements)])
    books.end()
    assert books.take_suspects() == [] and books.totals.wallets_checked == 2  # the recoveries' movements balance
    totals.merge(books.totals)
    assert (totals.recovered_from_cashback, totals.recovered_from_charged, totals.still_owed) == (4_000, 2_000, 2_000)
    assert totals.cashback_credited == -4_000 and totals.adjustments_applied == -6_000
    assert totals.books_balanced, totals.problems

