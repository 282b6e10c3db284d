"""Merchants: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.web.schemas.common import Out, PageQuery, Strict, Text20, Text40, Text100


class DeliveryIn(Strict):
    fee: Annotated[int, Field(ge=0, le=100_000)]
    min_order: Annotated[int, Field(ge=0, le=1_000_000)]
    dongs: Annotated[list[Text40], Field(min_length=1, max_length=22)]


class MerchantIn(Strict):
    name: Text100
    business_number: Text20
    dong: Text40
    category: Text40
    benefit_plus: bool
    discount_rate: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="A whole percent: 3, 5 or 7, for Benefit Plus merchants only."
    )
    delivery: DeliveryIn | None = None
    malls: Annotated[list[Text40], Field(max_length=2)] = []  # noqa: RUF012 (pydantic copies defaults)
    food_complex: bool = False


class DeliveryOut(Out):
    fee: int
    min_order: int
    dongs: list[str]


class MerchantOut(Out):
    merchant_id: str
    name: str
    dong: str
    category: str
    benefit_plus: bool
    discount_rate: int
    delivery: DeliveryOut | None
    malls: list[str]
    food_complex: bool


class MerchantRegisteredOut(MerchantOut):
    business_number: str


class MerchantList(Out):
    items: list[MerchantOut]
    next: str | None


class MerchantsQuery(PageQuery):
    dong: Text40 | None = Field(default=None, description="One of the 22 dongs: the shops located there.")
    benefit_plus: bool | None = None
    delivery: bool | None = None
