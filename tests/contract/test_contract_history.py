"""The wallet's history on both stores: pages newest (or oldest) first in one Query of the ledger, a KST month's
or year's key range, the order of one second's movements, cursors that belong to one list, and every field a
history line shows stored with its movement."""

from __future__ import annotations

import pytest

from chalicelib import composition
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ledger import Movement
from tests.contract.conftest import commit


def mv(movement_id: str, at: str, d_charged: int, seq: int, user: str = "ann", **extra: object) -> Movement:
    return Movement(user, movement_id, "payment" if d_charged < 0 else "charge", f"ref_{movement_id}", d_charged, 0,
                    at, charged_after=1_000 + seq, cashback_after=seq, seq=seq, **extra)  # type: ignore[arg-type]


LEDGER = [
    mv("a", "2020-02-29T23:59:59+09:00", 50_000, 2),
    mv("b", "2020-03-01T00:00:00+09:00", -1_000, 3, merchant_id="m1", merchant_name="서구, \"정육점\"",
       channel="delivery"),
    mv("c", "2020-03-15T10:00:00+09:00", -2_000, 4),
    mv("d", "2020-03-31T23:59:59+09:00", -3_000, 5),
    mv("e", "2020-04-01T00:00:00+09:00", 1_000, 6),
]


def store(repos: composition.Repositories, movements: list[Movement]) -> None:
    for m in movements:
        commit(repos, lambda tx, m=m: repos.wallets.stage_movement(tx, m))


def walk(repos: composition.Repositories, month: str | None, limit: int, *, oldest_first: bool = False,
         user: str = "ann") -> list[list[Movement]]:
    pages, cursor = [], None
    while True:
        page = repos.wallets.history(user, month, limit, cursor, oldest_first=oldest_first)
        pages.append(page.items)
        cursor = page.next
        if cursor is None:
            return pages


def test_the_history_pages_newest_first_and_oldest_first_through_every_movement_once(
    repos: composition.Repositories,
):
    store(repos, [*reversed(LEDGER), mv("z", "2020-03-20T10:00:00+09:00", 7, 9, user="bob")])
    assert walk(repos, None, 2) == [[LEDGER[4], LEDGER[3]], [LEDGER[2], LEDGER[1]], [LEDGER[0]]]
    assert walk(repos, None, 5) == [list(reversed(LEDGER))]  # a page that ends the list says so
    assert walk(repos, None, 3, oldest_first=True) == [LEDGER[:3], LEDGER[3:]]
    assert walk(repos, None, 20, user="cy") == [[]]


def test_a_month_is_the_kst_month_s_key_range_and_a_year_the_year_s(repos: composition.Repositories):
    store(repos, [*LEDGER, mv("y", "2021-03-02T10:00:00+09:00", 1, 10), mv("z", "2020-03-20T10:00:00+09:00", 7, 9,
                                                                             user="bob")])
    assert walk(repos, "2020-03", 2) == [[LEDGER[3], LEDGER[2]], [LEDGER[1]]]
    assert walk(repos, "2020-03", 10, oldest_first=True) == [LEDGER[1:4]]
    assert walk(repos, "2020-05", 10) == [[]]
    assert repos.wallets.movements_in("ann", "2020") == LEDGER
    assert repos.wallets.movements_in("ann", "2020-04") == [LEDGER[4]]
    assert repos.wallets.movements_in("ann", "2019") == []


def test_movements_of_one_second_are_listed_in_the_order_the_wallet_went_through_them(
    repos: composition.Repositories,
):
    same = "2020-03-10T12:00:00+09:00"
    made = [mv("pay_z", same, -1, 7), mv("pay_a", same, -2, 8), mv("mv_m", same, -3, 9), mv("cb-x", same, 4, 10)]
    store(repos, [made[2], made[0], made[3], made[1]])
    assert walk(repos, None, 3) == [list(reversed(made[1:])), [made[0]]]
    assert repos.wallets.movements("ann") == made


def test_a_cursor_belongs_to_its_resident_s_and_its_month_s_list(repos: composition.Repositories):
    store(repos, LEDGER)
    cursor = repos.wallets.history("ann", "2020-03", 1, None).next
    assert cursor is not None
    assert repos.wallets.history("ann", "2020-03", 5, cursor).items == [LEDGER[2], LEDGER[1]]
    for user, month in (("ann", "2020-04"), ("bob", "2020-03")):
        with pytest.raises(ValidationFailed):
            repos.wallets.history(user, month, 5, cursor)
    with pytest.raises(ValidationFailed):
        repos.wallets.history("ann", None, 5, "bm90IGEgY3Vyc29y")


def test_a_movement_written_before_balances_were_kept_reads_back_without_them(repos: composition.Repositories):
    old = Movement("ann", "mv_old", "refund", "pay_1", 2_000, 0, "2020-03-05T10:00:00+09:00", merchant_id="m1")
    wallets = repos.wallets
    if hasattr(wallets, "m"):  # DynamoDB: the item as the ledger wrote it then (no seq in its key)
        wallets.m.LedgerItem("U#ann", f"L#{old.created_at}#{old.movement_id}", user_id="ann", movement="refund",
                             ref="pay_1", d_charged=2_000, d_cashback=0, created_at=old.created_at,
                             merchant_id="m1").save()
    else:
        store(repos, [old])
    store(repos, [LEDGER[2]])
    assert wallets.history("ann", "2020-03", 10, None).items == [LEDGER[2], old]
    assert (old.charged_after, old.cashback_after, old.seq, old.channel) == (None, None, 0, None)
    assert wallets.movements("ann") == [old, LEDGER[2]]
    assert wallets.movements_in("ann", "2020") == [old, LEDGER[2]]
