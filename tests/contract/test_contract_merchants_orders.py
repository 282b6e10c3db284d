"""Merchants, the catalogue, orders and policies on both stores: what is written reads back whole, lists come
in their documented order page by page, and every refusal (`Conflict`, `NotFound`, `Contention`, a bad cursor)
leaves the store as it was."""

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
from chalicelib.domain.orders import KIND_DELIVERY, KIND_MALL, Line, MenuItem, Order, Product, PurgeMarker
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


def order(oid: str, *, kind: str = KIND_MALL, user: str = "ann", shop: str = "m1", status: str = "paid",
          at: str = AT, version: int = 1) -> Order:
    return Order(oid, kind, user, shop, status, (Line("p1", "사과", 1_000, 2),), 2_000, 100, 3_000, 4_900,
                 f"pay_{oid}", {"city-base": 196}, at, version=version)


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


def test_a_mall_order_reads_back_whole_with_its_lines_history_shipping_data_and_consent(repos: composition.Repositories):
    full = replace(
        order("o1"),
        lines=(Line("p1", "사과", 1_000, 2), Line("p2", "배 \"특\"", 2_500, 1)),
        subtotal=4_500, discount=225, fee=3_000, paid=7_275,
        cashback={"city-base": 291, "gu-extra": 72, "benefit-plus": 145},
        mall=MALL_ONLY_SEOGU, status="shipped", carrier="cj", tracking_number="1234-5678",
        shipping={"name": "김민지", "phone": "010-1234-5678", "address": "인천 서구 청라동 1-1", "zip": "22741"},
        consent_version="2020-01", consent_at=AT,
        history=(("paid", AT), ("shipped", "2020-03-11T09:00:00+09:00")),
    )  # fmt: skip
    commit(repos, lambda tx: repos.orders.stage(tx, full, 0))
    assert read(repos, lambda b: repos.orders.want(b, "o1")) == full


def test_an_orders_kind_is_its_own_whatever_its_texts_and_shipping_data_say(repos: composition.Repositories):
    look_alike = replace(order("d1", kind=KIND_DELIVERY, status="placed"), request='"kind":"mall"',
                         shipping={"kind": "mall"})
    commit(repos, lambda tx: repos.orders.stage(tx, look_alike, 0))
    assert repos.orders.of_resident("ann", KIND_MALL, 10, None).items == []
    assert repos.orders.of_merchant("m1", KIND_MALL, None, 10, None).items == []
    assert [o.order_id for o in repos.orders.of_resident("ann", KIND_DELIVERY, 10, None).items] == ["d1"]


def test_a_delivery_order_reads_back_whole_and_an_unknown_order_is_none(repos: composition.Repositories):
    delivery = replace(
        order("d1", kind=KIND_DELIVERY, status="accepted"), dong="청라1동", address="청라동 1-1 101호",
        request="문 앞에 두세요", eta_minutes=35, history=(("placed", AT), ("accepted", AT)),
    )  # fmt: skip
    commit(repos, lambda tx: repos.orders.stage(tx, delivery, 0))
    batch = repos.store.batch()
    found, missing = repos.orders.want(batch, "d1"), repos.orders.want(batch, "d9")
    batch.run()
    assert found.value == delivery and found.value.shipping is None
    assert missing.value is None


def test_an_order_write_holds_only_on_the_version_it_was_read_at(repos: composition.Repositories):
    placed = order("o1", status="paid")
    commit(repos, lambda tx: repos.orders.stage(tx, placed, 0))
    with pytest.raises(Contention):  # created twice
        commit(repos, lambda tx: repos.orders.stage(tx, replace(placed, paid=1), 0))
    shipped = replace(placed, status="shipped", version=2)
    commit(repos, lambda tx: repos.orders.stage(tx, shipped, 1))
    with pytest.raises(Contention):  # a second writer that read version 1 too
        commit(repos, lambda tx: repos.orders.stage(tx, replace(placed, status="cancelled", version=2), 1))
    with pytest.raises(Contention):  # an order never stored cannot be updated
        commit(repos, lambda tx: repos.orders.stage(tx, order("o9", version=2), 1))
    assert read(repos, lambda b: repos.orders.want(b, "o1")) == shipped
    assert read(repos, lambda b: repos.orders.want(b, "o9")) is None


def _orders(repos: composition.Repositories, *orders: Order) -> None:
    commit(repos, *[lambda tx, o=o: repos.orders.stage(tx, o, 0) for o in orders])


def test_of_resident_lists_only_that_residents_orders_of_that_kind_in_time_order_page_by_page(
    repos: composition.Repositories,
):
    _orders(
        repos,
        order("o3", at="2020-03-03T10:00:00+09:00"),
        order("o1", at="2020-03-01T10:00:00+09:00"),
        order("d1", kind=KIND_DELIVERY, at="2020-03-02T10:00:00+09:00"),
        order("o2", at="2020-03-02T10:00:00+09:00", shop="m2"),
        order("x1", user="bob", at="2020-03-01T11:00:00+09:00"),
        order("o4", at="2020-03-04T10:00:00+09:00"),
        order("o5", at="2020-03-05T10:00:00+09:00"),
    )
    mall = walk(lambda cursor: repos.orders.of_resident("ann", KIND_MALL, 2, cursor), 2)
    assert ids(mall, "order_id") == ["o1", "o2", "o3", "o4", "o5"]
    assert ids(repos.orders.of_resident("ann", KIND_DELIVERY, 10, None).items, "order_id") == ["d1"]
    assert ids(repos.orders.of_resident("bob", KIND_MALL, 10, None).items, "order_id") == ["x1"]
    assert repos.orders.of_resident("cat", KIND_MALL, 10, None) == Page([], None)
    with pytest.raises(ValidationFailed):
        repos.orders.of_resident("ann", KIND_MALL, 2, "garbage!")


def test_of_merchant_filters_by_kind_and_by_status_in_time_order_page_by_page(repos: composition.Repositories):
    _orders(
        repos,
        order("o1", status="paid", at="2020-03-01T10:00:00+09:00"),
        order("o2", status="shipped", at="2020-03-02T10:00:00+09:00", user="bob"),
        order("o3", status="paid", at="2020-03-03T10:00:00+09:00", user="cat"),
        order("d1", kind=KIND_DELIVERY, status="paid", at="2020-03-02T11:00:00+09:00"),
        order("o4", status="paid", at="2020-03-04T10:00:00+09:00", shop="m2"),
        order("o5", status="paid", at="2020-03-05T10:00:00+09:00"),
    )
    of_merchant = repos.orders.of_merchant
    assert ids(of_merchant("m1", KIND_MALL, None, 10, None).items, "order_id") == ["o1", "o2", "o3", "o5"]
    assert ids(of_merchant("m1", KIND_MALL, "shipped", 10, None).items, "order_id") == ["o2"]
    assert ids(of_merchant("m1", KIND_DELIVERY, None, 10, None).items, "order_id") == ["d1"]
    assert of_merchant("m1", KIND_DELIVERY, "shipped", 10, None) == Page([], None)
    assert ids(of_merchant("m2", KIND_MALL, "paid", 10, None).items, "order_id") == ["o4"]
    assert ids(walk(lambda cursor: of_merchant("m1", KIND_MALL, "paid", 2, cursor), 2), "order_id") == ["o1", "o3", "o5"]


def _markers(repos: composition.Repositories, *markers: PurgeMarker) -> None:
    commit(repos, *[lambda tx, m=m: repos.orders.stage_purge(tx, m) for m in markers])


def test_every_purge_marker_due_by_today_is_found_however_old_oldest_first_and_dropping_one_leaves_the_others(
    repos: composition.Repositories,
):
    assert repos.orders.purge_due("2020-06-11", 10) == []
    _markers(
        repos,
        PurgeMarker("2020-06-10", "o2"),
        PurgeMarker("2020-06-10", "o1"),
        PurgeMarker("2020-06-12", "o5"),        # tomorrow's: not due yet
        PurgeMarker("2019-01-01", "o9"),        # a year and a half overdue: still found
        PurgeMarker("2020-06-11", "주문-4"),    # due today, whatever characters its id has
        PurgeMarker("2020-06-10", "o3"),
    )
    due = [PurgeMarker("2019-01-01", "o9"), PurgeMarker("2020-06-10", "o1"), PurgeMarker("2020-06-10", "o2"),
           PurgeMarker("2020-06-10", "o3"), PurgeMarker("2020-06-11", "주문-4")]
    assert repos.orders.purge_due("2020-06-11", 10) == due
    assert repos.orders.purge_due("2020-06-11", 2) == due[:2]
    assert repos.orders.purge_due("2018-12-31", 10) == []
    repos.orders.drop_purge(PurgeMarker("2020-06-10", "o2"))
    repos.orders.drop_purge(PurgeMarker("2020-06-11", "o1"))   # another day's marker of o1 is not this one
    repos.orders.drop_purge(PurgeMarker("2020-06-10", "o2"))   # gone already: nothing happens
    assert repos.orders.purge_due("2020-06-11", 10) == [m for m in due if m.order_id != "o2"]
    assert repos.orders.purge_due("2020-06-12", 10)[-1] == PurgeMarker("2020-06-12", "o5")


def test_a_purge_marker_written_twice_is_one_and_an_order_may_have_markers_on_several_days(repos: composition.Repositories):
    _markers(repos, PurgeMarker("2020-06-10", "o1"))
    _markers(repos, PurgeMarker("2020-06-10", "o1"), PurgeMarker("2020-09-10", "o1"))
    assert repos.orders.purge_due("2020-12-31", 10) == [PurgeMarker("2020-06-10", "o1"),
                                                         PurgeMarker("2020-09-10", "o1")]
    repos.orders.drop_purge(PurgeMarker("2020-06-10", "o1"))
    assert repos.orders.purge_due("2020-12-31", 10) == [PurgeMarker("2020-09-10", "o1")]


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
