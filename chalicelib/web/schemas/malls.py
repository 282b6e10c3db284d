"""온리서구몰 / 냠냠서구몰 products and mall orders: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.web.schemas.common import Identifier, Out, PageQuery, Strict, Text40, Text50, Text64, Text100, Text200
from chalicelib.web.schemas.orders import OrderLineOut

MallName = Literal["only-seogu", "yumyum"]


class ProductIn(Strict):
    mall: Text40
    name: Text100
    price: Annotated[int, Field(gt=0, le=10_000_000)]
    stock: Annotated[int, Field(ge=0, le=1_000_000)]
    shipping_fee: Annotated[int, Field(ge=0, le=100_000)]


class ProductOut(Out):
    product_id: str
    mall: str
    seller_id: str
    name: str
    price: int
    stock: int
    shipping_fee: int


class ProductList(Out):
    items: list[ProductOut]
    next: str | None


class MallLineIn(Strict):
    product_id: Identifier
    quantity: Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class ShippingIn(Strict):
    name: Text50
    phone: Annotated[str, StringConstraints(pattern=r"^0[0-9]{1,2}-?[0-9]{3,4}-?[0-9]{4}$")]
    address: Text200
    postcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]


class ConsentIn(Strict):
    third_party_provision: bool
    version: Text40


class MallOrderIn(Strict):
    mall: Text40
    items: Annotated[list[MallLineIn], Field(min_length=1, max_length=50)]
    shipping: ShippingIn
    consent: ConsentIn
    use_cashback: bool = True


class TrackingOut(Out):
    carrier: str
    tracking_number: str


class ShippingOut(Out):
    name: str
    phone: str
    address: str
    postcode: str


class MallOrderOut(Out):
    order_id: str
    mall: str
    seller_id: str
    status: Literal["paid", "shipped", "delivered", "cancelled"]
    items: list[OrderLineOut]
    subtotal: int
    discount: int
    shipping_fee: int
    paid: int
    cashback: dict[str, int]
    created_at: str
    payment_id: str
    tracking: TrackingOut | None = None
    shipping: ShippingOut | None = Field(default=None, description="Purged a set time after delivery.")
    consent_version: str
    consent_at: str


class MallOrderList(Out):
    items: list[MallOrderOut]
    next: str | None


class MallOrdersQuery(PageQuery):
    status: Literal["paid", "shipped", "delivered", "cancelled"] | None = None


class ShipIn(Strict):
    carrier: Text40
    tracking_number: Text64


class MallApprovalIn(Strict):
    mall: Text40
