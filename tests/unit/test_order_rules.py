"""Order pricing and the two state machines, as pure rules."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.domain.errors import Conflict, InvalidState, NotFound, OutOfStock, ValidationFailed
from chalicelib.domain.orders import (
    MALL_STATUSES,
    MALL_TRANSITIONS,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    MenuItem,
    Product,
    next_status,
    price_delivery,
    price_mall,
)

MENU = {
    "tteok": MenuItem("tteok", "떡볶이", 4_500),
    "kimbap": MenuItem("kimbap", "김밥", 3_000),
    "soldout": MenuItem("soldout", "순대", 5_000, available=False),
}


def test_delivery_discount_applies_to_items_not_to_the_fee():
    priced = price_delivery(MENU, [("tteok", 2), ("kimbap", 1)], fee=2_000, min_order=10_000, discount_rate=7)
    assert priced.subtotal == 12_000
    assert priced.discount == 840              # 7 % of 12,000, not of 14,000
    assert (priced.list_amount, priced.paid) == (14_000, 13_160)


def test_a_discount_is_floored():
    priced = price_delivery(MENU, [("tteok", 3)], fee=0, min_order=0, discount_rate=3)
    assert priced.discount == 405              # 3 % of 13,500


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**9])
def test_zero_or_absurd_quantities_are_refused(quantity: int):
    with pytest.raises(ValidationFailed):
        price_delivery(MENU, [("tteok", quantity)], fee=0, min_order=0, discount_rate=0)


def test_unknown_items_are_not_found_and_unavailable_ones_conflict():
    with pytest.raises(NotFound):
        price_delivery(MENU, [("pizza", 1)], fee=0, min_order=0, discount_rate=0)
    with pytest.raises(Conflict):
        price_delivery(MENU, [("soldout", 1)], fee=0, min_order=0, discount_rate=0)


def test_an_order_under_the_minimum_counts_items_only():
    with pytest.raises(ValidationFailed):
        price_delivery(MENU, [("tteok", 2)], fee=5_000, min_order=10_000, discount_rate=0)


def test_an_item_on_two_lines_and_an_empty_order_are_refused():
    with pytest.raises(ValidationFailed):
        price_delivery(MENU, [("tteok", 1), ("tteok", 1)], fee=0, min_order=0, discount_rate=0)
    with pytest.raises(ValidationFailed):
        price_delivery(MENU, [], fee=0, min_order=0, discount_rate=0)


CATALOGUE = {
    "rice": Product("only-seogu", "rice", "m-1", "쌀 10kg", 32_000, 3, 3_000, discount_rate=5),
    "oil": Product("only-seogu", "oil", "m-1", "참기름", 9_000, 10, 2_500, discount_rate=5),
    "kimchi": Product("only-seogu", "kimchi", "m-2", "김치", 15_000, 5, 3_000),
}


def test_a_mall_order_pays_the_highest_shipping_fee_once_and_the_discount_on_goods():
    seller, priced = price_mall(CATALOGUE, [("rice", 1), ("oil", 2)])
    assert seller == "m-1"
    assert (priced.subtotal, priced.fee, priced.discount) == (50_000, 3_000, 2_500)


def test_a_mall_order_cannot_take_more_than_the_stock_or_mix_sellers():
    with pytest.raises(OutOfStock):
        price_mall(CATALOGUE, [("rice", 4)])
    with pytest.raises(ValidationFailed):
        price_mall(CATALOGUE, [("rice", 1), ("kimchi", 1)])
    with pytest.raises(NotFound):
        price_mall(CATALOGUE, [("nothing", 1)])


LEGAL_DELIVERY = {
    ("accept", "placed"): "accepted",
    ("dispatch", "accepted"): "dispatched",
    ("deliver", "dispatched"): "delivered",
    ("reject", "placed"): "rejected",
    ("cancel", "placed"): "cancelled",
}
LEGAL_MALL = {("ship", "paid"): "shipped", ("deliver", "shipped"): "delivered", ("cancel", "paid"): "cancelled"}


@pytest.mark.parametrize(
    ("action", "status"),
    list(itertools.product(["accept", "dispatch", "deliver", "reject", "cancel", "ship"], ORDER_STATUSES)),
)
def test_every_delivery_transition_but_the_five_is_invalid_state(action: str, status: str):
    if (action, status) in LEGAL_DELIVERY:
        assert next_status(ORDER_TRANSITIONS, action, status) == LEGAL_DELIVERY[(action, status)]
    else:
        with pytest.raises(InvalidState):
            next_status(ORDER_TRANSITIONS, action, status)


@pytest.mark.parametrize(
    ("action", "status"), list(itertools.product(["ship", "deliver", "cancel", "accept", "reject"], MALL_STATUSES))
)
def test_every_mall_transition_but_the_three_is_invalid_state(action: str, status: str):
    if (action, status) in LEGAL_MALL:
        assert next_status(MALL_TRANSITIONS, action, status) == LEGAL_MALL[(action, status)]
    else:
        with pytest.raises(InvalidState):
            next_status(MALL_TRANSITIONS, action, status)
