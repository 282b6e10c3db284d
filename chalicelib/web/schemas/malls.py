"""온리서구몰 / 냠냠서구몰 products and mall orders: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.bounds import MAX_LINES
from chalicelib.web.schemas.common import (
    Identifier,
    Mall,
    Out,
    PageQuery,
    Strict,
    Text40,
    Text50,
    Text64,
    Text100,
    Text200,
    Timestamp,
    must_be_true,
    unique_by,
)
from chalicelib.web.schemas.orders import OrderLineOut, Quantity


class ProductIn(Strict):
    mall: Mall = Field(description="A mall the seller is approved for (403 otherwise).")
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


class SellerProductsQuery(PageQuery):
    """A seller's own products: by mall, then product id."""

    mall: Mall | None = Field(default=None, description="Only this mall's products; absent: every mall's.")
    limit: Annotated[int, Field(ge=1, le=100, description="1–100; default 100, so a console shows a shop's "
                                                          "whole list at once.")] = 100


class MallLineIn(Strict):
    product_id: Identifier
    quantity: Quantity


class ShippingIn(Strict):
    name: Text50
    phone: Annotated[str, StringConstraints(pattern=r"^0[0-9]{1,2}-?[0-9]{3,4}-?[0-9]{4}$")]
    address: Text200
    postcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]


class ConsentIn(Strict):
    third_party_provision: Annotated[bool, must_be_true("the consent to provide shipping data is required (true)")]
    version: Text40


class MallOrderIn(Strict):
    mall: Mall
    items: Annotated[list[MallLineIn], Field(min_length=1, max_length=MAX_LINES),
                     unique_by("product_id", "a product appears on more than one line")] = Field(
        description="Products of one seller (one parcel; 400 otherwise).")
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
    created_at: Timestamp
    payment_id: str
    tracking: TrackingOut | None = None
    shipping: ShippingOut | None = Field(default=None, description="Purged a set time after delivery.")
    consent_version: str
    consent_at: Timestamp


class MallOrderList(Out):
    items: list[MallOrderOut]
    next: str | None


class MallOrdersQuery(PageQuery):
    status: Literal["paid", "shipped", "delivered", "cancelled"] | None = None


class ShipIn(Strict):
    carrier: Text40
    tracking_number: Text64


class MallApprovalIn(Strict):
    mall: Mall = Field(description="Only a seller eligible for it: `only-seogu` takes sellers registered in one of "
                                   "the 22 dongs, `yumyum` those of the food industrial complex (400 otherwise).")
