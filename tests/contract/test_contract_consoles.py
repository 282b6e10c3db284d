"""The consoles' lists on both stores: a merchant's payments (newest first, by month) and a seller's products
(by mall, then id) come whole, only the owner's, page by page each once, and a cursor serves only the list
it was made for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from chalicelib import composition
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.merchant import MALL_ONLY_SEOGU, MALL_YUMYUM
from chalicelib.domain.orders import Product
from chalicelib.domain.payment import Payment
from chalicelib.domain.ports.unit import Page
from tests.contract.conftest import commit

T = TypeVar("T")


def walk(fetch: Callable[[str | None, int], Page[T]], limit: int) -> list[T]:
    """Every item of a list, following `next` until it is None (bounded); no page is longer than `limit`."""
    items: list[T] = []
    cursor: str | None = None
    for _ in range(20):
        page = fetch(cursor, limit)
        assert len(page.items) <= limit
        items.extend(page.items)
        cursor = page.next
        if cursor is None:
            return items
    raise AssertionError("the list does not end")


def payment(payment_id: str, merchant_id: str, month: str, created_at: str, **changes: Any) -> Payment:
    base = Payment(
        payment_id=payment_id, user_id="ann", merchant_id=merchant_id, month=month, channel="store",
        list_amount=10_000, discount=500, paid=9_500, from_cashback=0, from_charged=9_500, programs=("city-base",),
        cashback={"city-base": 380}, created_at=created_at, version=1,
    )  # fmt: skip
    return replace(base, **changes)


def seed_payments(repos: composition.Repositories) -> list[Payment]:
    """Shop m1's payments newest first, staged shuffled, by two residents and three channels; one of m2's."""
    newest_first = [
        payment("p_c", "m1", "2020-04", "2020-04-01T00:01:00+09:00", user_id="bob"),
        payment("p_d", "m1", "2020-03", "2020-03-31T23:00:00+09:00", channel="mall", order_id="ord_2"),
        payment("p_a", "m1", "2020-03", "2020-03-02T08:00:00+09:00", channel="delivery", order_id="ord_1"),
        payment("p_e", "m1", "2020-03", "2020-03-01T00:00:00+09:00"),
        payment("p_b", "m1", "2020-02", "2020-02-28T23:59:00+09:00", refunded=9_500, status="refunded", version=2),
    ]
    shuffled = [newest_first[i] for i in (3, 0, 4, 2, 1)] + [payment("p_x", "m2", "2020-03", "2020-03-05T10:00:00+09:00")]
    commit(repos, *[lambda tx, p=p: repos.payments.stage(tx, p, 0) for p in shuffled])
    return newest_first


def test_a_merchants_payments_come_newest_first_whole_and_a_month_filter_keeps_only_that_month(
    repos: composition.Repositories,
):
    newest_first = seed_payments(repos)
    everything = repos.payments.of_merchant("m1", None, 50, None)
    assert (everything.items, everything.next) == (newest_first, None)
    march = repos.payments.of_merchant("m1", "2020-03", 50, None)
    assert (march.items, march.next) == (newest_first[1:4], None)
    assert repos.payments.of_merchant("m1", "2020-05", 50, None) == Page([], None)
    assert [p.payment_id for p in repos.payments.of_merchant("m2", None, 50, None).items] == ["p_x"]
    assert repos.payments.of_merchant("m3", None, 50, None) == Page([], None)


def test_paging_a_merchants_payments_yields_each_once_and_a_full_last_page_has_no_next(
    repos: composition.Repositories,
):
    newest_first = seed_payments(repos)
    for limit in (1, 2, 3, 5):
        assert walk(lambda c, n: repos.payments.of_merchant("m1", None, n, c), limit) == newest_first
    assert walk(lambda c, n: repos.payments.of_merchant("m1", "2020-03", n, c), 2) == newest_first[1:4]
    assert repos.payments.of_merchant("m1", "2020-03", 3, None).next is None


def test_a_cursor_of_another_merchants_payments_or_of_a_residents_list_is_a_validation_failure(
    repos: composition.Repositories,
):
    seed_payments(repos)
    commit(repos, lambda tx: repos.payments.stage(tx, payment("p_y", "m2", "2020-03", "2020-03-06T10:00:00+09:00"), 0))
    others = repos.payments.of_merchant("m2", None, 1, None).next
    residents = repos.payments.of_resident("ann", None, 1, None).next
    assert others is not None and residents is not None
    for cursor in (others, residents, "garbage"):
        with pytest.raises(ValidationFailed):
            repos.payments.of_merchant("m1", None, 2, cursor)


def product(pid: str, *, mall: str = MALL_ONLY_SEOGU, seller: str = "m1", stock: int = 10) -> Product:
    return Product(mall, pid, seller, f"상품 {pid}", 1_000, stock, 3_000, 5, 1, "가게")


def test_a_sellers_products_come_by_mall_then_id_and_a_mall_filter_keeps_that_mall(repos: composition.Repositories):
    mine = [product("a2"), product("b1"), product("z9"), product("a1", mall=MALL_YUMYUM)]
    for p in (mine[2], mine[3], product("a1", seller="m2"), mine[0], mine[1], product("c3", mall=MALL_YUMYUM,
                                                                                        seller="m2")):
        repos.catalogue.put_product(p)
    assert repos.catalogue.of_seller("m1", None, 50, None) == Page(mine, None)
    assert repos.catalogue.of_seller("m1", MALL_ONLY_SEOGU, 50, None) == Page(mine[:3], None)
    assert repos.catalogue.of_seller("m1", MALL_YUMYUM, 50, None) == Page(mine[3:], None)
    assert [p.product_id for p in repos.catalogue.of_seller("m2", None, 50, None).items] == ["a1", "c3"]
    assert repos.catalogue.of_seller("m3", None, 50, None) == Page([], None)
    for limit in (1, 2, 4):
        assert walk(lambda c, n: repos.catalogue.of_seller("m1", None, n, c), limit) == mine


def test_a_replaced_product_and_its_stock_show_in_the_sellers_list_once(repos: composition.Repositories):
    repos.catalogue.put_product(product("a"))
    repos.catalogue.put_product(replace(product("a"), name="새 이름", version=2))
    commit(repos, lambda tx: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "a", -4))
    assert repos.catalogue.of_seller("m1", None, 50, None) == Page([replace(product("a"), name="새 이름", version=2,
                                                                             stock=6)], None)


def test_a_cursor_of_another_sellers_products_or_of_a_malls_list_is_a_validation_failure(
    repos: composition.Repositories,
):
    for p in (product("a"), product("b"), product("a", mall=MALL_YUMYUM, seller="m2"),
              product("b", mall=MALL_YUMYUM, seller="m2")):
        repos.catalogue.put_product(p)
    for cursor in (repos.catalogue.of_seller("m2", None, 1, None).next,
                   repos.catalogue.products(MALL_ONLY_SEOGU, 1, None).next, "garbage"):
        assert cursor is not None
        with pytest.raises(ValidationFailed):
            repos.catalogue.of_seller("m1", None, 1, cursor)
