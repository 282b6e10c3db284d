"""Wallets, payments and budgets on both stores: what each repository of `domain/ports/wallets.py` and
`domain/ports/payments.py` stores comes back whole, versioned writes hold only at the version read, lists
come in their order and page through every item once, and a budget slice never leaves 0 ≤ used ≤ cap."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib import composition
from chalicelib.domain.budget import BudgetChange
from chalicelib.domain.errors import Conflict, Contention, ValidationFailed
from chalicelib.domain.ledger import Movement
from chalicelib.domain.payment import STATUS_PARTIALLY_REFUNDED, Payment
from chalicelib.domain.shards import shard_of
from chalicelib.domain.wallet import ResidentMonth, Wallet
from tests.contract.conftest import SHARDS, commit, read

AT = "2020-03-10T12:00:00+09:00"


def _payment(payment_id: str, user_id: str, month: str, created_at: str, **changes: Any) -> Payment:
    base = Payment(
        payment_id=payment_id, user_id=user_id, merchant_id="m1", month=month, channel="store", list_amount=10_000,
        discount=1_000, paid=9_000, from_cashback=2_000, from_charged=7_000, programs=("basic", "bp"),
        cashback={"basic": 700, "bp": 350}, created_at=created_at, order_id="ord1", version=1,
    )  # fmt: skip
    return replace(base, **changes)


def _all_pages(fetch: Any, limit: int) -> list[Any]:
    """Every item of a list, page by page until `next` is None (bounded, so a looping cursor fails)."""
    items: list[Any] = []
    cursor = None
    for _ in range(50):
        page = fetch(cursor, limit)
        assert len(page.items) <= limit
        items.extend(page.items)
        cursor = page.next
        if cursor is None:
            return items
    raise AssertionError("the list never ended")


# ---- Wallets ---------------------------------------------------------------------------------------------


def test_an_opened_wallet_reads_back_whole_and_a_second_one_for_the_same_resident_is_a_conflict(
    repos: composition.Repositories,
):
    wallet = Wallet("ann", "청라1동", charged_balance=5_000, cashback_balance=300, adjustment_due=-20, version=1,
                    created_at=AT)  # fmt: skip
    repos.wallets.open(wallet)
    with pytest.raises(Conflict):
        repos.wallets.open(Wallet("ann", "가정동", version=1, created_at="2020-04-01T00:00:00+09:00"))
    assert read(repos, lambda b: repos.wallets.want(b, "ann")) == wallet


def test_an_absent_wallet_is_none_and_an_absent_month_is_empty_counters_at_version_zero(
    repos: composition.Repositories,
):
    repos.wallets.open(Wallet("ann", "청라1동", version=1, created_at=AT))
    commit(repos, lambda tx: repos.wallets.stage_month(tx, ResidentMonth("ann", "2020-03", charged=1, version=1), 0))
    assert read(repos, lambda b: repos.wallets.want(b, "bob")) is None
    empty = read(repos, lambda b: repos.wallets.want_month(b, "ann", "2020-04"))
    assert empty == ResidentMonth("ann", "2020-04")
    assert (empty.version, empty.charged, empty.spend, empty.settled) == (0, 0, {}, False)


def test_a_wallet_is_written_only_at_the_version_it_was_read_at(repos: composition.Repositories):
    first = Wallet("ann", "청라1동", charged_balance=100, version=1, created_at=AT)
    commit(repos, lambda tx: repos.wallets.stage(tx, first, 0))
    with pytest.raises(Contention):  # created twice
        commit(repos, lambda tx: repos.wallets.stage(tx, replace(first, charged_balance=999), 0))
    second = replace(first, charged_balance=50, cashback_balance=7, version=2)
    commit(repos, lambda tx: repos.wallets.stage(tx, second, 1))
    with pytest.raises(Contention):  # a second writer that read version 1 too
        commit(repos, lambda tx: repos.wallets.stage(tx, replace(first, charged_balance=1, version=2), 1))
    with pytest.raises(Contention):  # a version never reached
        commit(repos, lambda tx: repos.wallets.stage(tx, replace(first, version=9), 8))
    assert read(repos, lambda b: repos.wallets.want(b, "ann")) == second


def test_a_month_keeps_every_counter_and_map_and_is_written_only_at_the_version_read(
    repos: composition.Repositories,
):
    month = ResidentMonth(
        "ann", "2020-03", eligible_spend=70_000, charged=100_000, spend={"basic": 70_000, "bp": 20_000},
        accrued={"basic": 4_900, "bp": 1_400}, settled=True, version=3, credited=6_300,
        settled_accrued={"basic": 4_900, "bp": 1_400}, adjustment_applied=-100, auto_donated=500,
    )  # fmt: skip
    commit(repos, lambda tx: repos.wallets.stage_month(tx, month, 0))
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.wallets.stage_month(tx, replace(month, charged=1, version=4), 2))
    assert read(repos, lambda b: repos.wallets.want_month(b, "ann", "2020-03")) == month
    assert read(repos, lambda b: repos.wallets.want_month(b, "ann", "2020-02")) == ResidentMonth("ann", "2020-02")


def test_movements_come_back_oldest_first_with_every_field_intact(repos: composition.Repositories):
    charge = Movement("ann", "mv_c", "charge", "chg1", 50_000, 0, "2020-03-01T09:00:00+09:00")
    pay = Movement("ann", "pay1", "payment", "pay1", -7_000, -2_000, "2020-03-05T10:30:00+09:00",
                   merchant_id="m1", gross=10_000, discount=1_000)  # fmt: skip
    refund = Movement("ann", "mv_r", "refund", "pay1", 3_000, 0, "2020-03-07T18:00:00+09:00", merchant_id="m1")
    cashback = Movement("ann", "mv_k", "cashback", "2020-03", 0, 6_300, "2020-04-01T00:05:00+09:00")
    other = Movement("bob", "mv_b", "charge", "chg2", 10_000, 0, "2020-03-02T09:00:00+09:00")
    commit(
        repos,
        lambda tx: repos.wallets.stage_movement(tx, cashback),
        lambda tx: repos.wallets.stage_movement(tx, pay),
        lambda tx: repos.wallets.stage_movement(tx, other),
    )
    commit(repos, lambda tx: repos.wallets.stage_movement(tx, refund),
           lambda tx: repos.wallets.stage_movement(tx, charge))  # fmt: skip
    assert repos.wallets.movements("ann") == [charge, pay, refund, cashback]
    assert repos.wallets.movements("bob") == [other]
    assert repos.wallets.movements("cy") == []


def test_a_movement_is_never_overwritten(repos: composition.Repositories):
    mv = Movement("ann", "mv1", "charge", "chg1", 100, 0, AT)
    commit(repos, lambda tx: repos.wallets.stage_movement(tx, mv))
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.wallets.stage_movement(tx, replace(mv, d_charged=999, ref="chg9")))
    assert repos.wallets.movements("ann") == [mv]


def test_paging_through_a_shard_returns_each_of_its_wallets_once_and_none_of_another_shard(
    repos: composition.Repositories,
):
    wallets = [Wallet(f"user{i:02d}", "청라1동", charged_balance=i, version=1, created_at=AT) for i in range(24)]
    for w in wallets[:12]:
        repos.wallets.open(w)
    for w in wallets[12:]:  # a wallet written by a transaction is in its shard too
        commit(repos, lambda tx, w=w: repos.wallets.stage(tx, w, 0))
    by_shard: dict[int, list[Wallet]] = {}
    for w in wallets:
        by_shard.setdefault(shard_of(w.user_id, SHARDS), []).append(w)
    assert max(len(ws) for ws in by_shard.values()) >= 3  # so some shard takes several pages of 2
    for shard in range(SHARDS):
        found = _all_pages(lambda cursor, limit, s=shard: repos.wallets.in_shard(s, cursor, limit), 2)
        assert sorted(found, key=lambda w: w.user_id) == by_shard.get(shard, [])


def test_a_shard_cursor_is_valid_only_for_its_own_shard(repos: composition.Repositories):
    ids = [f"user{i:02d}" for i in range(24)]
    for u in ids:
        repos.wallets.open(Wallet(u, "청라1동", version=1, created_at=AT))
    shard = max(range(SHARDS), key=lambda s: sum(shard_of(u, SHARDS) == s for u in ids))
    cursor = repos.wallets.in_shard(shard, None, 1).next
    assert cursor is not None
    with pytest.raises(ValidationFailed):
        repos.wallets.in_shard((shard + 1) % SHARDS, cursor, 1)
    with pytest.raises(ValidationFailed):
        repos.wallets.in_shard(shard, "not-a-cursor", 1)


def test_months_of_reads_each_residents_counters_and_absent_months_are_empty(repos: composition.Repositories):
    ann = ResidentMonth("ann", "2020-03", eligible_spend=9_000, spend={"basic": 9_000}, accrued={"basic": 630},
                        version=2)  # fmt: skip
    bob = ResidentMonth("bob", "2020-03", charged=20_000, version=1)
    commit(repos, lambda tx: repos.wallets.stage_month(tx, ann, 0), lambda tx: repos.wallets.stage_month(tx, bob, 0),
           lambda tx: repos.wallets.stage_month(tx, replace(bob, month="2020-04"), 0))  # fmt: skip
    assert repos.wallets.months_of(["ann", "bob", "cy"], "2020-03") == {
        "ann": ann, "bob": bob, "cy": ResidentMonth("cy", "2020-03"),
    }  # fmt: skip
    assert repos.wallets.months_of(["ann"], "2020-05") == {"ann": ResidentMonth("ann", "2020-05")}
    assert repos.wallets.months_of([], "2020-03") == {}


# ---- Payments --------------------------------------------------------------------------------------------


def test_a_payment_reads_back_whole_with_its_programs_and_cashback(repos: composition.Repositories):
    full = _payment("pay1", "ann", "2020-03", AT)
    bare = _payment("pay2", "ann", "2020-03", AT, programs=(), cashback={}, order_id=None, channel="online")
    commit(repos, lambda tx: repos.payments.stage(tx, full, 0), lambda tx: repos.payments.stage(tx, bare, 0))
    batch = repos.store.batch()
    slots = [repos.payments.want(batch, p) for p in ("pay1", "pay2", "pay3")]
    batch.run()
    assert [s.value for s in slots] == [full, bare, None]


def test_a_payment_is_updated_only_at_the_version_it_was_read_at(repos: composition.Repositories):
    paid = _payment("pay1", "ann", "2020-03", AT)
    commit(repos, lambda tx: repos.payments.stage(tx, paid, 0))
    with pytest.raises(Contention):  # the same payment created twice
        commit(repos, lambda tx: repos.payments.stage(tx, replace(paid, paid=1), 0))
    refunded = replace(paid, refunded=3_000, refunded_charged=3_000, cashback={"basic": 490, "bp": 245},
                       status=STATUS_PARTIALLY_REFUNDED, version=2)  # fmt: skip
    commit(repos, lambda tx: repos.payments.stage(tx, refunded, 1))
    with pytest.raises(Contention):  # a second refund computed from version 1
        commit(repos, lambda tx: repos.payments.stage(tx, replace(paid, refunded=9_000, version=2), 1))
    assert read(repos, lambda b: repos.payments.want(b, "pay1")) == refunded


def _seed_payments(repos: composition.Repositories) -> list[Payment]:
    """Ann's payments in their list order (month, then time), staged shuffled, and one of Bob's."""
    ordered = [
        _payment("p_b", "ann", "2020-02", "2020-02-28T23:59:00+09:00"),
        _payment("p_e", "ann", "2020-03", "2020-03-01T00:00:00+09:00"),
        _payment("p_a", "ann", "2020-03", "2020-03-02T08:00:00+09:00"),
        _payment("p_d", "ann", "2020-03", "2020-03-31T23:00:00+09:00"),
        _payment("p_c", "ann", "2020-04", "2020-04-01T00:01:00+09:00"),
    ]
    shuffled = [ordered[i] for i in (3, 0, 4, 2, 1)] + [_payment("p_x", "bob", "2020-03", "2020-03-05T10:00:00+09:00")]
    commit(repos, *[lambda tx, p=p: repos.payments.stage(tx, p, 0) for p in shuffled])
    return ordered


def test_a_residents_payments_come_by_month_then_time_and_a_month_filter_keeps_only_that_month(
    repos: composition.Repositories,
):
    ordered = _seed_payments(repos)
    everything = repos.payments.of_resident("ann", None, 50, None)
    assert (everything.items, everything.next) == (ordered, None)
    march = repos.payments.of_resident("ann", "2020-03", 50, None)
    assert (march.items, march.next) == (ordered[1:4], None)
    assert repos.payments.of_resident("ann", "2020-05", 50, None).items == []
    assert [p.payment_id for p in repos.payments.of_resident("bob", None, 50, None).items] == ["p_x"]
    assert repos.payments.of_resident("cy", None, 50, None).items == []


def test_paging_a_residents_payments_yields_each_exactly_once_until_next_is_none(repos: composition.Repositories):
    ordered = _seed_payments(repos)
    first = repos.payments.of_resident("ann", None, 2, None)
    assert first.items == ordered[:2] and first.next is not None
    for limit in (1, 2, 3, 5):
        assert _all_pages(lambda c, n: repos.payments.of_resident("ann", None, n, c), limit) == ordered
    march = _all_pages(lambda c, n: repos.payments.of_resident("ann", "2020-03", n, c), 2)
    assert march == ordered[1:4]


def test_a_garbage_cursor_and_a_cursor_of_another_residents_list_are_validation_failures(
    repos: composition.Repositories,
):
    _seed_payments(repos)
    commit(repos, lambda tx: repos.payments.stage(tx, _payment("p_y", "bob", "2020-03", "2020-03-06T10:00:00+09:00"), 0))
    bobs = repos.payments.of_resident("bob", None, 1, None).next
    assert bobs is not None
    for garbage in ("garbage", "!!!", "eyJmb28iOiJiYXIifQ", ""):  # the last but one: {"foo":"bar"}
        with pytest.raises(ValidationFailed):
            repos.payments.of_resident("ann", None, 2, garbage)
    with pytest.raises(ValidationFailed):
        repos.payments.of_resident("ann", None, 2, bobs)


# ---- Budgets ---------------------------------------------------------------------------------------------


def _budgets(repos: composition.Repositories, month: str, *programs: str) -> dict[str, dict[int, int]]:
    got: dict[str, dict[int, int]] = read(repos, lambda b: repos.budgets.want(b, month, list(programs)))
    return got


def test_a_month_with_nothing_granted_has_no_slices_and_nothing_used(repos: composition.Repositories):
    assert _budgets(repos, "2020-03", "basic", "bp") == {}
    assert _budgets(repos, "2020-03") == {}
    assert repos.budgets.used("2020-03", "basic") == 0


def test_granted_slices_show_per_slice_in_want_and_sum_into_used(repos: composition.Repositories):
    commit(repos, lambda tx: repos.budgets.stage(tx, [
        BudgetChange("2020-03", "basic", 0, 1_000, 300), BudgetChange("2020-03", "basic", 5, 1_000, 1_000),
        BudgetChange("2020-03", "bp", 7, 500, 40), BudgetChange("2020-04", "basic", 0, 1_000, 9),
    ]))  # fmt: skip
    commit(repos, lambda tx: repos.budgets.stage(tx, [
        BudgetChange("2020-03", "basic", 0, 1_000, 200), BudgetChange("2020-03", "bp", 7, 500, -15),
    ]))  # fmt: skip
    assert _budgets(repos, "2020-03", "basic", "bp", "none") == {"basic": {0: 500, 5: 1_000}, "bp": {7: 25}}
    assert _budgets(repos, "2020-03", "bp") == {"bp": {7: 25}}
    assert _budgets(repos, "2020-04", "basic") == {"basic": {0: 9}}
    assert [repos.budgets.used("2020-03", p) for p in ("basic", "bp", "none")] == [1_500, 25, 0]


def _refused_and_unchanged(repos: composition.Repositories, *changes: BudgetChange) -> None:
    before = _budgets(repos, "2020-03", "basic", "bp")
    with pytest.raises(Contention):  # a good change alongside is not written either
        commit(repos, lambda tx: repos.budgets.stage(tx, [BudgetChange("2020-03", "bp", 2, 500, 10), *changes]))
    assert _budgets(repos, "2020-03", "basic", "bp") == before


def test_a_grant_that_would_take_a_used_slice_past_its_cap_is_contention_and_changes_nothing(
    repos: composition.Repositories,
):
    commit(repos, lambda tx: repos.budgets.stage(tx, [BudgetChange("2020-03", "basic", 1, 1_000, 900)]))
    _refused_and_unchanged(repos, BudgetChange("2020-03", "basic", 1, 1_000, 101))
    commit(repos, lambda tx: repos.budgets.stage(tx, [BudgetChange("2020-03", "basic", 1, 1_000, 100)]))  # to the cap
    assert _budgets(repos, "2020-03", "basic", "bp") == {"basic": {1: 1_000}}


def test_a_first_grant_larger_than_a_fresh_slices_cap_is_contention_and_changes_nothing(
    repos: composition.Repositories,
):
    _refused_and_unchanged(repos, BudgetChange("2020-03", "basic", 4, 1_000, 1_001))
    assert repos.budgets.used("2020-03", "basic") == 0


def test_a_give_back_larger_than_a_slices_use_is_contention_and_changes_nothing(repos: composition.Repositories):
    commit(repos, lambda tx: repos.budgets.stage(tx, [BudgetChange("2020-03", "basic", 3, 1_000, 200)]))
    _refused_and_unchanged(repos, BudgetChange("2020-03", "basic", 3, 1_000, -201))
    _refused_and_unchanged(repos, BudgetChange("2020-03", "basic", 6, 1_000, -1))  # a slice never granted
    commit(repos, lambda tx: repos.budgets.stage(tx, [BudgetChange("2020-03", "basic", 3, 1_000, -200)]))
    assert _budgets(repos, "2020-03", "basic") == {"basic": {3: 0}}
    assert repos.budgets.used("2020-03", "basic") == 0
