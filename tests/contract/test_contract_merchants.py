"""Merchants, the catalogue and policies on both stores: what is written reads back whole, lists come in
their documented order page by page, and every refusal (`Conflict`, `NotFound`, `Contention`, a bad cursor)
leaves the store as it was. Orders: test_contract_orders.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Conflict, Contention, NotFound, ValidationFailed
from chalicelib.domain.merchant import MALL_ONLY_SEOGU, MALL_YUMYUM, Delivery, Merchant
from chalicelib.domain.orders import MenuItem, Product
from chalicelib.domain.policy import SEASON2, Policy, Program, Tier
from chalicelib.domain.ports.unit import Page
from chalicelib.domain.proposals import approve, propose
from tests.contract.conftest import commit, read
from tests.support import BIZ

T = TypeVar("T")
AT = "2020-03-10T12:00:00+09:00"
MONTH = attrgetter("effective_month")
DELIVERY = Delivery(fee=2_000, min_order=10_000, dongs=("청라1동", "청라2동"))


def merchant(mid: str, number: str, *, dong: str = "청라1동", plus: bool = False, delivery: Delivery | None = None,
             malls: tuple[str, ...] = (), at: str = AT) -> Merchant:
    return Merchant(mid, f"가게 {mid}", number, dong, "food", plus, 5 if plus else 0, delivery, malls, False, at)


def product(pid: str, *, mall: str = MALL_ONLY_SEOGU, seller: str = "m1", stock: int = 10, price: int = 1_000) -> Product:
    return Product(mall, pid, seller, f"상품 {pid}", price, stock, 3_000, 5, 1)



def walk(fetch: Callable[[str | None], Page[T]], limit: int) -> list[T]:
    """Every item of a list, following `next` until it is None (bounded); no page is longer than `limit`."""
    items: list[T] = []
    page = fetch(None)
    for _ in range(20):
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next is None:
            return items
        page = fetch(page.next)
    raise AssertionError("the list does not end")


def ids(items: list[Any], attr: str = "merchant_id") -> list[str]:
    return [getattr(it, attr) for it in items]


def test_a_merchant_reads_back_whole_with_or_without_delivery_and_malls_and_an_unknown_one_is_none(
    repos: composition.Repositories,
):
    full = merchant("m1", BIZ[0], plus=True, delivery=DELIVERY, malls=(MALL_ONLY_SEOGU, MALL_YUMYUM))
    bare = merchant("m2", BIZ[1], dong="가정1동")
    commit(repos, lambda tx: repos.merchants.stage_add(tx, full))
    commit(repos, lambda tx: repos.merchants.stage_add(tx, bare))
    batch = repos.store.batch()
    slots = [repos.merchants.want(batch, m) for m in ("m1", "m2", "m9")]
    batch.run()
    assert [s.value for s in slots] == [full, bare, None]
    assert slots[1].value is not None and (slots[1].value.delivery, slots[1].value.malls) == (None, ())


def test_a_second_merchant_with_the_same_business_number_is_a_conflict_and_is_not_stored(repos: composition.Repositories):
    first = merchant("m1", BIZ[0])
    commit(repos, lambda tx: repos.merchants.stage_add(tx, first))
    with pytest.raises(Conflict):
        commit(repos, lambda tx: repos.merchants.stage_add(tx, merchant("m2", BIZ[0], dong="연희동")))
    assert read(repos, lambda b: repos.merchants.want(b, "m2")) is None
    assert read(repos, lambda b: repos.merchants.want(b, "m1")) == first
    assert ids(repos.merchants.find(None, None, None, 10, None).items) == ["m1"]
    # nothing of the refused one stayed behind
    commit(repos, lambda tx: repos.merchants.stage_add(tx, merchant("m2", BIZ[1])))
    assert read(repos, lambda b: repos.merchants.want(b, "m2")) == merchant("m2", BIZ[1])


def test_a_merchants_malls_are_set_whole(repos: composition.Repositories):
    commit(repos, lambda tx: repos.merchants.stage_add(tx, merchant("m1", BIZ[0], malls=(MALL_YUMYUM,))))
    commit(repos, lambda tx: repos.merchants.stage_malls(tx, "m1", (MALL_YUMYUM, MALL_ONLY_SEOGU)))
    stored = read(repos, lambda b: repos.merchants.want(b, "m1"))
    assert stored == merchant("m1", BIZ[0], malls=(MALL_YUMYUM, MALL_ONLY_SEOGU))


def test_setting_the_malls_of_an_unknown_merchant_is_not_found_and_creates_nothing(repos: composition.Repositories):
    with pytest.raises(NotFound):
        commit(repos, lambda tx: repos.merchants.stage_malls(tx, "m9", (MALL_ONLY_SEOGU,)))
    assert read(repos, lambda b: repos.merchants.want(b, "m9")) is None
    assert repos.merchants.find(None, None, None, 10, None) == Page([], None)


def test_a_merchant_is_given_delivery_found_by_it_and_has_it_ended(repos: composition.Repositories):
    commit(repos, lambda tx: repos.merchants.stage_add(tx, merchant("m1", BIZ[0])))
    assert repos.merchants.find(None, None, True, 10, None).items == []
    commit(repos, lambda tx: repos.merchants.stage_delivery(tx, "m1", DELIVERY))
    assert read(repos, lambda b: repos.merchants.want(b, "m1")) == merchant("m1", BIZ[0], delivery=DELIVERY)
    assert [m.merchant_id for m in repos.merchants.find(None, None, True, 10, None).items] == ["m1"]
    commit(repos, lambda tx: repos.merchants.stage_delivery(tx, "m1", None))
    assert read(repos, lambda b: repos.merchants.want(b, "m1")) == merchant("m1", BIZ[0])
    assert [m.merchant_id for m in repos.merchants.find(None, None, False, 10, None).items] == ["m1"]


def test_giving_an_unknown_merchant_delivery_is_not_found_and_creates_nothing(repos: composition.Repositories):
    with pytest.raises(NotFound):
        commit(repos, lambda tx: repos.merchants.stage_delivery(tx, "m9", DELIVERY))
    assert read(repos, lambda b: repos.merchants.want(b, "m9")) is None


def _five_merchants(repos: composition.Repositories) -> None:
    """Registration order m1 < m2 < m3 < m4 < m5 (m3 and m4 share a time: the id breaks the tie), added shuffled."""
    for shop in (
        merchant("m4", BIZ[3], plus=True, at="2020-03-02T09:00:00+09:00"),
        merchant("m5", BIZ[4], dong="연희동", delivery=DELIVERY, at="2020-03-03T09:00:00+09:00"),
        merchant("m1", BIZ[0], plus=True, delivery=DELIVERY, at="2020-01-01T09:00:00+09:00"),
        merchant("m3", BIZ[2], dong="연희동", at="2020-03-02T09:00:00+09:00"),
        merchant("m2", BIZ[1], at="2020-02-01T09:00:00+09:00"),
    ):
        commit(repos, lambda tx, shop=shop: repos.merchants.stage_add(tx, shop))


FILTERS: list[tuple[tuple[str | None, bool | None, bool | None], list[str]]] = [
    ((None, None, None), ["m1", "m2", "m3", "m4", "m5"]),
    (("청라1동", None, None), ["m1", "m2", "m4"]),
    (("연희동", None, None), ["m3", "m5"]),
    ((None, True, None), ["m1", "m4"]),
    ((None, False, None), ["m2", "m3", "m5"]),
    ((None, None, True), ["m1", "m5"]),
    ((None, None, False), ["m2", "m3", "m4"]),
    (("청라1동", True, False), ["m4"]),
    (("가정1동", None, None), []),
]  # fmt: skip


def test_find_filters_by_dong_benefit_plus_and_delivery_in_registration_order(repos: composition.Repositories):
    _five_merchants(repos)
    got = {f: repos.merchants.find(*f, 10, None) for f, _ in FILTERS}
    assert {f: (ids(p.items), p.next) for f, p in got.items()} == {f: (want, None) for f, want in FILTERS}


def test_find_pages_through_every_matching_merchant_exactly_once(repos: composition.Repositories):
    _five_merchants(repos)
    for (dong, plus, delivery), want in FILTERS[:5]:
        assert ids(walk(partial(repos.merchants.find, dong, plus, delivery, 2), 2)) == want, (dong, plus, delivery)


def test_a_full_page_that_ends_the_list_has_no_next_cursor(repos: composition.Repositories):
    _five_merchants(repos)
    for pid in ("p1", "p2"):
        repos.catalogue.put_product(product(pid))
    shops, goods = repos.merchants.find("연희동", None, None, 2, None), repos.catalogue.products(MALL_ONLY_SEOGU, 2, None)
    got = (ids(shops.items), shops.next, ids(goods.items, "product_id"), goods.next)
    assert got == (["m3", "m5"], None, ["p1", "p2"], None)


def test_find_with_a_cursor_it_did_not_make_is_validation_failed(repos: composition.Repositories):
    _five_merchants(repos)
    for p in ("a", "b", "c"):
        repos.catalogue.put_product(product(p))
    foreign = repos.catalogue.products(MALL_ONLY_SEOGU, 1, None).next
    assert foreign is not None
    for cursor in ("not-a-cursor", "eyJ4IjoxfQ", foreign):
        with pytest.raises(ValidationFailed):
            repos.merchants.find(None, None, None, 2, cursor)


def test_a_merchant_has_no_menu_until_one_is_put_and_a_new_menu_replaces_the_old_one_whole(repos: composition.Repositories):
    assert read(repos, lambda b: repos.catalogue.want_menu(b, "m1")) is None
    first = [MenuItem("tteok", "떡볶이", 4_500), MenuItem("sundae", "순대", 5_000, available=False)]
    repos.catalogue.put_menu("m1", first, AT)
    assert read(repos, lambda b: repos.catalogue.want_menu(b, "m1")) == {i.item_id: i for i in first}
    second = [MenuItem("kimbap", "김밥", 3_000)]
    repos.catalogue.put_menu("m1", second, "2020-03-11T12:00:00+09:00")
    assert read(repos, lambda b: repos.catalogue.want_menu(b, "m1")) == {"kimbap": second[0]}
    assert read(repos, lambda b: repos.catalogue.want_menu(b, "m2")) is None


def test_want_products_brings_only_the_asked_ids_that_exist_in_that_mall(repos: composition.Repositories):
    a, b, c = product("a"), product("b", price=2_500), product("c")
    for p in (a, b, c, product("d", mall=MALL_YUMYUM)):
        repos.catalogue.put_product(p)
    assert read(repos, lambda bt: repos.catalogue.want_products(bt, MALL_ONLY_SEOGU, ["a", "b", "d", "zz"])) == {
        "a": a, "b": b,
    }  # fmt: skip
    assert read(repos, lambda bt: repos.catalogue.want_products(bt, MALL_YUMYUM, ["a"])) == {}
    assert read(repos, lambda bt: repos.catalogue.want_products(bt, MALL_ONLY_SEOGU, [])) == {}


def test_a_product_id_another_seller_holds_in_the_mall_is_a_conflict_and_the_product_is_unchanged(
    repos: composition.Repositories,
):
    mine = product("a", seller="m1")
    repos.catalogue.put_product(mine)
    with pytest.raises(Conflict):
        repos.catalogue.put_product(product("a", seller="m2", price=1))
    assert read(repos, lambda b: repos.catalogue.want_products(b, MALL_ONLY_SEOGU, ["a"])) == {"a": mine}


def test_the_seller_holding_a_product_id_may_replace_it_and_another_mall_may_reuse_the_id(repos: composition.Repositories):
    repos.catalogue.put_product(product("a", seller="m1"))
    updated = replace(product("a", seller="m1"), name="새 이름", price=1_200, stock=3, version=2)
    repos.catalogue.put_product(updated)
    elsewhere = product("a", mall=MALL_YUMYUM, seller="m2")
    repos.catalogue.put_product(elsewhere)
    assert read(repos, lambda b: repos.catalogue.want_products(b, MALL_ONLY_SEOGU, ["a"])) == {"a": updated}
    assert read(repos, lambda b: repos.catalogue.want_products(b, MALL_YUMYUM, ["a"])) == {"a": elsewhere}


def test_products_lists_one_mall_only_in_product_id_order_page_by_page(repos: composition.Repositories):
    for pid in ("p3", "p1", "p5", "p2", "p4"):
        repos.catalogue.put_product(product(pid, seller="m1" if pid < "p3" else "m2"))
    repos.catalogue.put_product(product("p0", mall=MALL_YUMYUM))
    found = walk(lambda cursor: repos.catalogue.products(MALL_ONLY_SEOGU, 2, cursor), 2)
    assert found == [product(p, seller="m1" if p < "p3" else "m2") for p in ("p1", "p2", "p3", "p4", "p5")]
    assert repos.catalogue.products(MALL_YUMYUM, 10, None) == Page([product("p0", mall=MALL_YUMYUM)], None)
    assert repos.catalogue.products("no-such-mall", 10, None) == Page([], None)
    with pytest.raises(ValidationFailed):  # a cursor of one mall's list is no cursor of another's
        repos.catalogue.products(MALL_YUMYUM, 2, repos.catalogue.products(MALL_ONLY_SEOGU, 2, None).next)


def _stock(repos: composition.Repositories, *pids: str) -> list[int]:
    found = read(repos, lambda b: repos.catalogue.want_products(b, MALL_ONLY_SEOGU, list(pids)))
    return [found[p].stock for p in pids]


def test_taking_more_stock_than_is_left_or_any_of_a_missing_product_is_contention_and_changes_nothing(
    repos: composition.Repositories,
):
    repos.catalogue.put_product(product("a", stock=3))
    repos.catalogue.put_product(product("b", stock=5))
    with pytest.raises(Contention):
        commit(
            repos,
            lambda tx: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "b", -2),
            lambda tx: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "a", -4),
        )
    assert _stock(repos, "a", "b") == [3, 5]
    for delta in (-1, 1):  # a product that does not exist has no stock to move, and is not created
        with pytest.raises(Contention):
            commit(repos, lambda tx, d=delta: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "ghost", d))
    assert read(repos, lambda b: repos.catalogue.want_products(b, MALL_ONLY_SEOGU, ["ghost"])) == {}


def test_taking_exactly_what_is_left_empties_the_stock_and_giving_back_restores_it(repos: composition.Repositories):
    repos.catalogue.put_product(product("a", stock=3))
    commit(repos, lambda tx: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "a", -3))
    assert _stock(repos, "a") == [0]
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "a", -1))
    commit(repos, lambda tx: repos.catalogue.stage_stock(tx, MALL_ONLY_SEOGU, "a", 2))
    assert read(repos, lambda b: repos.catalogue.want_products(b, MALL_ONLY_SEOGU, ["a"])) == {"a": product("a", stock=2)}


APRIL = Policy(
    "2020-04",
    (Program("city-base", "incheon-city", (Tier(300_000, 500), Tier(None, 0)), monthly_budget=9_000_000),
     Program("benefit-plus", "seo-gu", (Tier(1_000_000, 300), Tier(None, 0)), "benefit-plus")),
    monthly_charge_limit=500_000,
    balance_limit=1_000_000,
)  # fmt: skip


def test_seed_writes_a_policy_only_where_none_exists_for_its_month(repos: composition.Repositories):
    assert repos.policies.all() == []
    assert repos.policies.seed(SEASON2, AT) is True
    assert repos.policies.seed(replace(SEASON2, monthly_charge_limit=1), AT) is False
    assert repos.policies.seed(APRIL, AT) is True
    assert sorted(repos.policies.all(), key=MONTH) == [SEASON2, APRIL]


def test_an_approval_overwrites_a_months_policy_and_all_returns_every_stored_policy_as_written(
    repos: composition.Repositories,
):
    commit(repos, lambda tx: repos.policies.stage_policy(tx, APRIL, AT))
    commit(repos, lambda tx: repos.policies.stage_policy(tx, SEASON2, AT))
    lower = Policy(SEASON2.effective_month, SEASON2.programs[:1], 700_000, 1_500_000)
    commit(repos, lambda tx: repos.policies.stage_policy(tx, lower, "2020-03-11T12:00:00+09:00"))
    assert sorted(repos.policies.all(), key=MONTH) == [lower, APRIL]
    assert repos.policies.seed(SEASON2, AT) is False
    assert sorted(repos.policies.all(), key=MONTH) == [lower, APRIL]
    assert read(repos, lambda b: repos.policies.want_policy(b, "2020-04")) == APRIL
    assert read(repos, lambda b: repos.policies.want_policy(b, "2020-05")) is None


def test_a_proposal_is_written_at_the_version_it_was_read_at(repos: composition.Repositories):
    assert read(repos, lambda b: repos.policies.want_proposal(b, "2020-04")) is None
    first = propose(APRIL, "clerk", AT, None)
    commit(repos, lambda tx: repos.policies.stage_proposal(tx, first, 0))
    assert read(repos, lambda b: repos.policies.want_proposal(b, "2020-04")) == first
    with pytest.raises(Contention):  # a second proposer who also read nothing
        commit(repos, lambda tx: repos.policies.stage_proposal(tx, propose(APRIL, "other", AT, None), 0))
    approved = approve(first, "chief", AT, "2020-03")
    commit(repos, lambda tx: repos.policies.stage_proposal(tx, approved, first.version),
           lambda tx: repos.policies.stage_policy(tx, approved.policy, AT))
    assert read(repos, lambda b: repos.policies.want_proposal(b, "2020-04")) == approved
    assert APRIL in repos.policies.all()
