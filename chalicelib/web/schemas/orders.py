"""배달서구 menus and delivery orders: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.bounds import MAX_LINES, MAX_QUANTITY
from chalicelib.web.schemas.common import (
    Dong,
    Identifier,
    Out,
    PageQuery,
    Strict,
    Text100,
    Text200,
    Timestamp,
    unique_by,
)

Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
"""How many of one item or product a line buys (`domain/orders.py`)."""


class MenuItemIn(Strict):
    item_id: Identifier
    name: Text100
    price: Annotated[int, Field(gt=0, le=1_000_000)]
    available: bool = True


class MenuIn(Strict):
    items: Annotated[list[MenuItemIn], Field(max_length=200), unique_by("item_id", "item_id must be unique")]


class MenuItemOut(Out):
    item_id: str
    name: str
    price: int
    available: bool


class MenuOut(Out):
    items: list[MenuItemOut]


class OrderLineIn(Strict):
    item_id: Identifier
    quantity: Quantity


class OrderIn(Strict):
    merchant_id: Identifier
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=MAX_LINES),
                     unique_by("item_id", "an item appears on more than one line")]
    address: Text200
    dong: Dong | None = Field(default=None, description="Where to deliver (absent or null: the wallet's dong); "
                                                        "the merchant must deliver there (409 otherwise).")
    request: Text200 | None = None
    use_cashback: bool = True


class OrderLineOut(Out):
    item_id: str
    name: str
    unit_price: int
    quantity: int
    amount: int


class OrderOut(Out):
    order_id: str
    merchant_id: str
    status: Literal["placed", "accepted", "dispatched", "delivered", "rejected", "cancelled"]
    items: list[OrderLineOut]
    subtotal: int
    discount: int
    delivery_fee: int
    paid: int
    cashback: dict[str, int]
    created_at: Timestamp
    payment_id: str
    dong: str | None
    address: str | None
    request: str | None
    eta_minutes: int | None
    reason: str | None


class OrderList(Out):
    items: list[OrderOut]
    next: str | None


class OrdersQuery(PageQuery):
    status: Literal["placed", "accepted", "dispatched", "delivered", "rejected", "cancelled"] | None = None


class AcceptIn(Strict):
    eta_minutes: Annotated[int, Field(ge=1, le=240)]


class RejectIn(Strict):
    reason: Text200
