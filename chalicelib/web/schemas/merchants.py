"""Merchants: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.geo import (
    RADIUS_DEFAULT_M,
    RADIUS_MAX_M,
    RADIUS_MIN_M,
    SEARCH_AREA,
    SEOGU,
    Location,
    in_search_area,
    location,
)
from chalicelib.domain.merchant import BENEFIT_PLUS_RATES, MALL_YUMYUM, MALLS, mall_eligible, normalise_business_number
from chalicelib.web.schemas.common import (
    Dong,
    NamedDong,
    NamedMall,
    Out,
    PageQuery,
    Rule,
    Strict,
    Text40,
    Text100,
    no_repeats,
    one_of,
)

BusinessNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{3}-?[0-9]{2}-?[0-9]{5}$"),
    Rule(lambda v: normalise_business_number(v) is not None, "10 digits with a valid check digit",
         {"x-check-digit": "business-registration-number"}),
    Field(description="사업자등록번호: 10 digits, as `1234567890` or `123-45-67890`, the last a check digit: with "
                      "s = Σ dᵢ·wᵢ over the first nine (weights 1,3,7,1,3,7,1,3,5) plus ⌊9th digit × 5 / 10⌋, "
                      "the tenth is (10 − s mod 10) mod 10. The pattern checks the shape; a wrong check digit is 400."),
]
NO_RATE = (0, None)
"""What a merchant outside Benefit Plus may send as its `discount_rate` (or leave it out)."""


class DeliveryIn(Strict):
    fee: Annotated[int, Field(ge=0, le=100_000)]
    min_order: Annotated[int, Field(ge=0, le=1_000_000)]
    dongs: Annotated[list[NamedDong], Field(min_length=1, max_length=len(DONGS)),
                     no_repeats("repeats a dong")]


class LocationIn(Strict):
    """WGS84 degrees inside Seo-gu's bounding box (the bounds are the document's minimum and maximum); kept to
    6 decimals."""

    lat: Annotated[float, Field(ge=SEOGU.south, le=SEOGU.north, allow_inf_nan=False,
                                description="Latitude, degrees north.")]
    lng: Annotated[float, Field(ge=SEOGU.west, le=SEOGU.east, allow_inf_nan=False,
                                description="Longitude, degrees east.")]

    def value(self) -> Location:
        return location(self.lat, self.lng)


class MerchantIn(Strict):
    """Besides each field's own rule: a Benefit Plus merchant needs a `discount_rate` of 3, 5 or 7, any other
    none (absent, null or 0); a seller on `yumyum` must be in the food industrial complex (`food_complex`
    true). The document states both in `allOf` (`if`/`then`)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"benefit_plus": {"const": True}}},
         "then": {"required": ["discount_rate"], "properties": {"discount_rate": {"enum": list(BENEFIT_PLUS_RATES)}}},
         "else": {"properties": {"discount_rate": {"enum": list(NO_RATE)}}}},
        {"if": {"required": ["malls"], "properties": {"malls": {"contains": {"const": MALL_YUMYUM}}}},
         "then": {"required": ["food_complex"], "properties": {"food_complex": {"const": True}}}},
    ]})

    name: Text100
    business_number: BusinessNumber
    dong: Dong
    category: Text40
    benefit_plus: bool
    discount_rate: Annotated[int, one_of((0, *BENEFIT_PLUS_RATES), "must be 3, 5 or 7 (0: none)")] | None = Field(
        default=None, validate_default=True,
        description="A whole percent: 3, 5 or 7, for Benefit Plus merchants (required); any other merchant sends "
                    "none (absent, null or 0).",
    )
    delivery: DeliveryIn | None = None
    malls: Annotated[list[NamedMall], Field(max_length=len(MALLS)), no_repeats("repeats a mall")] = []  # noqa: RUF012
    food_complex: bool = Field(default=False, validate_default=True,
                               description=f"In the district's food industrial complex: needed to sell on {MALL_YUMYUM}.")
    location: LocationIn | None = Field(default=None, description="Where the shop is (shops near me); staff may "
                                                                  "record or move it later.")

    @field_validator("discount_rate")
    @classmethod
    def _rate_of_benefit_plus(cls, rate: int | None, info: ValidationInfo) -> int | None:
        """Checked where the rate is, so that it is listed with every other problem of the registration."""
        plus = info.data.get("benefit_plus")
        if plus is True and rate not in BENEFIT_PLUS_RATES:
            raise PydanticCustomError("rule", "a Benefit Plus merchant needs discount_rate 3, 5 or 7")
        if plus is False and rate not in NO_RATE:
            raise PydanticCustomError("rule", "discount_rate is only for Benefit Plus merchants")
        return rate

    @field_validator("food_complex")
    @classmethod
    def _eligible_for_its_malls(cls, food_complex: bool, info: ValidationInfo) -> bool:
        dong: Any = info.data.get("dong")
        for mall in info.data.get("malls") or ():
            if dong is not None and not mall_eligible(mall, dong, food_complex):
                why = ": it takes sellers of the food industrial complex (food_complex true)" if mall == MALL_YUMYUM else ""
                raise PydanticCustomError("rule", "not eligible for {mall}" + why, {"mall": repr(mall)})
        return food_complex


class DeliveryOut(Out):
    fee: int
    min_order: int
    dongs: list[str]


class LocationOut(Out):
    lat: float
    lng: float


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
    location: LocationOut | None = Field(description="Where the shop is; null until staff record it.")


class MerchantRegisteredOut(MerchantOut):
    business_number: str


class MerchantDetailOut(MerchantOut):
    cashback_rate_bp: int | None = Field(
        description="For a resident: the total rate (basis points) the next eligible won they pay at this shop "
                    "earns now — the sum over the programs covering a payment here of the rate of their tier, a "
                    "program whose monthly budget is used up counting 0; 0 at a shop the resident acts for. (A "
                    "배달서구 order from a shop outside Benefit Plus also earns the benefit-plus program.) Null for "
                    "merchants and staff."
    )


class MerchantFoundOut(MerchantOut):
    distance_m: int | None = Field(description="With `near`: metres from that point (great-circle, rounded); "
                                               "otherwise null.")


class MerchantList(Out):
    items: list[MerchantFoundOut]
    next: str | None


NEAR_PATTERN = r"^-?[0-9]{1,2}(\.[0-9]{1,12})?,-?[0-9]{1,3}(\.[0-9]{1,12})?$"
AREA = (f"latitude {SEARCH_AREA.south:.2f}–{SEARCH_AREA.north:.2f}, longitude {SEARCH_AREA.west:.2f}–"
        f"{SEARCH_AREA.east:.2f}")
NEAR_RULE = f"must be `lat,lng` (WGS84 degrees) within 5 km of Seo-gu: {AREA}"


def near_point(text: str) -> Location:
    """`near` as a location (its shape already checked by `NEAR_PATTERN`)."""
    lat, lng = text.split(",")
    return location(float(lat), float(lng))


class MerchantsQuery(PageQuery):
    dong: Dong | None = Field(default=None, description="One of the 22 dongs: the shops located there.")
    benefit_plus: bool | None = None
    delivery: bool | None = None
    category: Text40 | None = Field(default=None, description="Only shops of exactly this category.")
    near: Annotated[
        str,
        StringConstraints(pattern=NEAR_PATTERN),
        Rule(lambda v: in_search_area(near_point(v)), NEAR_RULE,
             {"x-within": {"lat": [SEARCH_AREA.south, SEARCH_AREA.north],
                           "lng": [SEARCH_AREA.west, SEARCH_AREA.east]}}),
    ] | None = Field(default=None, description=f"A point `lat,lng` (WGS84 degrees) within 5 km of Seo-gu ({AREA}; "
                                               "`x-within`): only shops with a location within `radius` of it, "
                                               "nearest first, each with `distance_m`.")
    radius: Annotated[int, Field(ge=RADIUS_MIN_M, le=RADIUS_MAX_M)] = Field(
        default=RADIUS_DEFAULT_M, description="Metres from `near` (only with `near`; without it, 400)."
    )

    @model_validator(mode="after")
    def _radius_needs_near(self) -> MerchantsQuery:
        if "radius" in self.model_fields_set and self.near is None:
            raise PydanticCustomError("rule", "radius is only for a search near a point: give near too")
        return self
