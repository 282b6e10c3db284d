"""The books check's rules (domain/books.py): a Scan segment's tally of wallets against their ledgers and of the
merchants' lines, page after page and message after message; a disagreement read again before it counts; the
segments' totals merged with the credit shards'."""

from __future__ import annotations

from chalicelib.domain.books import (
    LedgerLine,
    SegmentTally,
    WalletBalances,
    add_to_merchant_lines,
    every_wallet_checked,
    segments_for,
)
from chalicelib.domain.settlement import Totals

MONTH = "2020-03"


def pay(user: str, shop: str, gross: int, discount: int, at: str = "2020-03-05T10:00:00+09:00") -> LedgerLine:
    return LedgerLine(user, "payment", -(gross - discount), 0, at, shop, gross, discount)


def refund(user: str, shop: str, amount: int, at: str = "2020-03-09T10:00:00+09:00") -> LedgerLine:
    return LedgerLine(user, "refund", amount, 0, at, shop)


def charge(user: str, amount: int, at: str = "2020-02-20T10:00:00+09:00") -> LedgerLine:
    return LedgerLine(user, "charge", amount, 0, at)


def district() -> list[WalletBalances | LedgerLine]:
    """Three residents as a Scan segment reads them: each one's ledger lines, then its wallet (`L#` < `WALLET`)."""
    return [
        charge("ann", 100_000), pay("ann", "mer_a", 40_000, 2_000), refund("ann", "mer_a", 5_000),
        WalletBalances("ann", 100_000 - 38_000 + 5_000, 0, 4),
        charge("bob", 50_000), pay("bob", "mer_b", 10_000, 0), pay("bob", "mer_a", 8_000, 400),
        LedgerLine("bob", "cashback", 0, 1_200, "2020-04-01T01:00:00+09:00"),
        WalletBalances("bob", 50_000 - 10_000 - 7_600, 1_200, 5),
        WalletBalances("cyd", 0, 0, 1),
    ]


def test_a_segment_checks_each_wallet_against_its_ledger_and_tallies_the_month_s_merchant_lines():
    tally = SegmentTally(MONTH)
    tally.add(district())
    tally.end()
    assert tally.take_suspects() == []
    assert tally.totals.wallets_checked == 3 and tally.totals.problems == []
    assert tally.totals.merchants == {"mer_a": [48_000, 2_400, 5_000], "mer_b": [10_000, 0, 0]}


def test_a_resident_split_across_pages_and_continuation_messages_is_checked_once_as_if_read_at_once():
    rows = district()
    whole = SegmentTally(MONTH)
    whole.add(rows)
    whole.end()
    for cut in range(1, len(rows)):
        first = SegmentTally(MONTH)
        first.add(rows[:cut])
        carried = SegmentTally.from_json(first.to_json())  # the continuation message
        carried.add(rows[cut:])
        carried.end()
        assert carried.take_suspects() == []
        assert carried.totals == whole.totals, cut


def test_payments_and_refunds_count_in_the_month_they_were_made_and_other_movements_not_at_all():
    merchants: dict[str, list[int]] = {}
    for line in (pay("ann", "mer_a", 10_000, 500), pay("ann", "mer_a", 7_000, 0, at="2020-02-28T23:59:59+09:00"),
                 refund("ann", "mer_a", 3_000), refund("ann", "mer_a", 1_000, at="2020-04-01T00:00:00+09:00"),
                 LedgerLine("ann", "cashback", 0, 900, "2020-03-31T01:00:00+09:00", "mer_a"), charge("ann", 5_000)):
        add_to_merchant_lines(merchants, line, MONTH)
    assert merchants == {"mer_a": [10_000, 500, 3_000]}


def test_a_wallet_that_disagrees_on_the_scan_is_read_again_and_counts_only_if_it_still_disagrees():
    rows = district()
    stale = [WalletBalances("ann", 1, 0, 3) if r == WalletBalances("ann", 67_000, 0, 4) else r for r in rows]
    tally = SegmentTally(MONTH)
    tally.add(stale)
    tally.end()
    assert tally.take_suspects() == ["ann"] and tally.take_suspects() == []
    tally.recheck("ann", [r for r in rows if r.user_id == "ann"])  # a payment had landed mid-Scan: fine now
    assert tally.totals.problems == []

    tally.recheck("ann", [r for r in stale if r.user_id == "ann"])  # read alone, it still disagrees
    assert tally.totals.problems == ["ann: balances differ from the sum of the wallet's movements (wallet 1 charged, "
                                     "0 cashback; movements 67000, 0)"]
    shard = Totals(residents=3)
    shard.merge(tally.totals)
    assert shard.books_balanced is False and shard.wallets_checked == 3


def test_movements_without_a_wallet_are_a_problem():
    tally = SegmentTally(MONTH)
    tally.add([charge("dan", 1_000)])
    tally.end()
    assert tally.take_suspects() == ["dan"]
    tally.recheck("dan", [charge("dan", 1_000)])
    assert tally.totals.problems == ["dan: ledger movements (1000 charged, 0 cashback) without a wallet"]


def test_the_segments_merge_with_the_credit_shards_and_fewer_wallets_checked_than_residents_is_a_problem():
    credits = Totals(residents=3, settled_residents=1, cashback_credited=1_200, accrued=1_200)
    books = [SegmentTally(MONTH), SegmentTally(MONTH)]
    rows = district()
    books[0].add(rows[:4])
    books[1].add(rows[4:])
    books[1].end()
    month = Totals()
    for part in (credits, books[0].totals, books[1].totals):
        month.merge(part)
    every_wallet_checked(month)
    assert month.books_balanced is False  # segment 0 never ended: ann was not checked
    assert month.problems == ["the books check read 2 wallets of the 3 residents settled"]
    books[0].end()
    month = Totals()
    for part in (credits, books[0].totals, books[1].totals):
        month.merge(part)
    every_wallet_checked(month)
    assert month.books_balanced is True and month.merchants["mer_a"] == [48_000, 2_400, 5_000]


def test_a_run_checks_its_books_in_as_many_segments_as_shards_up_to_32():
    assert [segments_for(n) for n in (1, 8, 32, 256)] == [1, 8, 32, 32]
