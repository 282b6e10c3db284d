"""Orders (delivery and mall) and their purge markers on both stores, held to one behaviour."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib import composition
from chalicelib.domain.bounds import KIND_DELIVERY, KIND_MALL
from chalicelib.domain.errors import Contention, ValidationFailed
from chalicelib.domain.merchant import MALL_ONLY_SEOGU
from chalicelib.domain.orders import Line, Order, PurgeMarker
from chalicelib.domain.ports.unit import Page
from tests.contract.conftest import commit, read
from tests.contract.test_contract_merchants import AT, ids, walk


def order(oid: str, *, kind: str = KIND_MALL, user: str = "ann", shop: str = "m1", status: str = "paid",
          at: str = AT, version: int = 1) -> Order:
    return Order(oid, kind, user, shop, status, (Line("p1", "사과", 1_000, 2),), 2_000, 100, 3_000, 4_900,
                 f"pay_{oid}", {"city-base": 196}, at, version=version)


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
    assert repos.orders.of_resident("ann", KIND_MALL, None, 10, None).items == []
    assert repos.orders.of_merchant("m1", KIND_MALL, None, 10, None).items == []
    assert [o.order_id for o in repos.orders.of_resident("ann", KIND_DELIVERY, None, 10, None).items] == ["d1"]


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
    mall = walk(lambda cursor: repos.orders.of_resident("ann", KIND_MALL, None, 2, cursor), 2)
    assert ids(mall, "order_id") == ["o1", "o2", "o3", "o4", "o5"]
    assert ids(repos.orders.of_resident("ann", KIND_DELIVERY, None, 10, None).items, "order_id") == ["d1"]
    assert ids(repos.orders.of_resident("bob", KIND_MALL, None, 10, None).items, "order_id") == ["x1"]
    assert repos.orders.of_resident("cat", KIND_MALL, None, 10, None) == Page([], None)
    with pytest.raises(ValidationFailed):
        repos.orders.of_resident("ann", KIND_MALL, None, 2, "garbage!")


def test_of_resident_filters_by_status_page_by_page(repos: composition.Repositories):
    _orders(
        repos,
        *(order(f"o{i}", status="paid" if i % 2 else "shipped", at=f"2020-03-0{i}T10:00:00+09:00") for i in range(1, 8)),
        order("x1", user="bob", at="2020-03-01T11:00:00+09:00"),
    )
    paid = walk(lambda cursor: repos.orders.of_resident("ann", KIND_MALL, "paid", 2, cursor), 2)
    assert ids(paid, "order_id") == ["o1", "o3", "o5", "o7"]
    assert ids(repos.orders.of_resident("ann", KIND_MALL, "shipped", 10, None).items, "order_id") == ["o2", "o4", "o6"]
    assert repos.orders.of_resident("ann", KIND_MALL, "cancelled", 10, None) == Page([], None)


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
