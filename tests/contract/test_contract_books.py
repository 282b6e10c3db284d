"""The books check on both stores: the segments of a parallel Scan hold every wallet and ledger movement once, a
resident's items in one segment and one after another, and nothing else of the table; one resident's wallet and
ledger read alone; a run's books check begun by one shard, and each segment counted once per run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from chalicelib import composition
from chalicelib.domain.books import BooksRow, WalletBalances, line_of
from chalicelib.domain.ledger import Movement
from chalicelib.domain.settlement import SettlementRun, Totals
from chalicelib.domain.wallet import ResidentMonth, Wallet
from tests.contract.conftest import commit

AT = "2020-03-0{day}T10:00:00+09:00"


def resident(repos: composition.Repositories, user: str, payments: int) -> list[BooksRow]:
    """A wallet with a top-up and `payments` payments (and its month's counters, which the check skips): what the
    check must read of it, in the table's order (the ledger's `L#…` keys, then `WALLET`)."""
    moves = [Movement(user, f"{user}-c", "charge", "top-up", 100_000, 0, AT.format(day=1), seq=2)]
    moves += [Movement(user, f"{user}-p{i}", "payment", f"pay_{i}", -1_000 * (i + 1), 0, AT.format(day=i + 2),
                       merchant_id=f"mer_{i % 2}", gross=1_000 * (i + 1), seq=i + 3) for i in range(payments)]
    wallet = Wallet(user, "청라1동", charged_balance=sum(m.d_charged for m in moves), version=payments + 2,
                    created_at=AT.format(day=1))
    month = ResidentMonth(user, "2020-03", eligible_spend=5, version=1)
    stages: list[Callable[[Any], None]] = [lambda tx: repos.wallets.stage(tx, wallet, 0),
                                           lambda tx: repos.wallets.stage_month(tx, month, 0)]
    for m in moves:
        stages.append(lambda tx, m=m: repos.wallets.stage_movement(tx, m))  # type: ignore[misc]
    commit(repos, *stages)
    return [*map(line_of, moves), WalletBalances(user, wallet.charged_balance, 0, wallet.version)]


def scan(repos: composition.Repositories, segment: int, segments: int, limit: int) -> list[BooksRow]:
    rows: list[BooksRow] = []
    cursor = None
    while True:
        page = repos.wallets.books_page(segment, segments, cursor, limit)
        rows += page.items
        cursor = page.next
        if cursor is None:
            return rows


def test_the_scan_s_segments_hold_each_resident_s_wallet_and_ledger_once_together_and_nothing_else(
    repos: composition.Repositories,
):
    expected = {f"res{i:02d}": resident(repos, f"res{i:02d}", i % 4) for i in range(12)}
    for segments, limit in ((1, 100), (3, 2), (5, 7)):
        seen: dict[str, list[BooksRow]] = defaultdict(list)
        where: dict[str, set[int]] = defaultdict(set)
        for segment in range(segments):
            rows = scan(repos, segment, segments, limit)
            users = [r.user_id for r in rows]
            runs = [u for i, u in enumerate(users) if i == 0 or users[i - 1] != u]
            assert len(runs) == len(set(runs)), (segments, runs)  # a resident's items come one after another
            for r in rows:
                seen[r.user_id].append(r)
                where[r.user_id].add(segment)
        assert dict(seen) == expected, (segments, limit)
        assert all(len(s) == 1 for s in where.values())


def test_a_resident_s_wallet_and_ledger_are_read_alone_and_an_unknown_one_reads_empty(
    repos: composition.Repositories,
):
    ann = resident(repos, "ann", 3)
    resident(repos, "bob", 2)
    assert repos.wallets.books_of("ann") == ann
    assert repos.wallets.books_of("cyd") == []


def run(run_id: str) -> SettlementRun:
    return SettlementRun("2020-02", run_id, "running", shards_total=4, shards_done=0, started_at=AT.format(day=1),
                         segments_total=3)


def test_a_run_s_books_check_is_begun_by_one_shard_whose_message_alone_may_begin_it_again(
    repos: composition.Repositories,
):
    settlements = repos.settlements
    assert settlements.start_books("2020-02", "run-1", 5) is False  # no run
    commit(repos, lambda tx: settlements.stage_start(tx, run("run-1"), None))
    assert settlements.get_run("2020-02") == run("run-1")
    assert settlements.start_books("2020-02", "run-1", 3) is True
    assert settlements.start_books("2020-02", "run-1", 3) is True   # that shard's message, delivered again
    assert settlements.start_books("2020-02", "run-1", 1) is False  # any other shard
    assert settlements.start_books("2020-02", "run-0", 3) is False  # a superseded run
    assert settlements.get_run("2020-02").books_started_by == 3  # type: ignore[union-attr]
    commit(repos, lambda tx: settlements.stage_start(tx, run("run-2"), "run-1"))
    assert settlements.get_run("2020-02") == run("run-2")           # a new run begins its own check
    assert settlements.start_books("2020-02", "run-2", 1) is True


def test_a_books_segment_counts_once_per_run_and_its_totals_come_back_with_the_shards(
    repos: composition.Repositories,
):
    settlements = repos.settlements
    commit(repos, lambda tx: settlements.stage_start(tx, run("run-1"), None))
    credits, books = Totals(residents=2, settled_residents=1), Totals(wallets_checked=2, merchants={"m": [1, 0, 0]})
    assert settlements.record_shard("2020-02", "run-1", 0, credits) is True
    assert settlements.record_segment("2020-02", "run-1", 0, books) is True
    assert settlements.record_segment("2020-02", "run-1", 0, Totals(wallets_checked=9)) is False  # again
    assert settlements.record_segment("2020-02", "run-0", 1, books) is False  # a superseded run
    found = settlements.get_run("2020-02")
    assert found is not None and (found.shards_done, found.segments_done) == (1, 1)
    assert (found.parts_done, found.parts_total) == (2, 7)
    assert sorted(settlements.shard_totals("2020-02", "run-1"), key=Totals.to_json) == sorted(
        [credits, books], key=Totals.to_json)
