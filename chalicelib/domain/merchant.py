"""Merchants: Benefit Plus discounts, delivery settings, mall memberships, and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chalicelib.domain.dongs import is_dong
from chalicelib.domain.geo import SEOGU, Location, in_seogu

BENEFIT_PLUS_RATES = (3, 5, 7)
MALL_ONLY_SEOGU = "only-seogu"
MALL_YUMYUM = "yumyum"
MALLS = (MALL_ONLY_SEOGU, MALL_YUMYUM)
_BIZ_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_BIZ_FORMAT = re.compile(r"([0-9]{3})-?([0-9]{2})-?([0-9]{5})")
"""ASCII digits only (the regex digit class takes any script's digits), matched against the whole text."""


def normalise_business_number(text: str) -> str | None:
    """A Korean business registration number (사업자등록번호) as 10 digits, if its check digit is valid.

    Accepted as `1234567890` or `123-45-67890`. Check digit: Σ dᵢ·wᵢ over the first nine digits with
    weights 1,3,7,1,3,7,1,3,5, plus ⌊d₈·5/10⌋; the tenth digit is (10 − sum mod 10) mod 10.
    """
    m = _BIZ_FORMAT.fullmatch(text)
    if not m:
        return None
    digits = "".join(m.groups())
    d = [int(c) for c in digits]
    total = sum(x * w for x, w in zip(d[:9], _BIZ_WEIGHTS, strict=True)) + (d[8] * 5) // 10
    return digits if (10 - total % 10) % 10 == d[9] else None


@dataclass(frozen=True)
class Delivery:
    """배달서구 settings: a delivery fee, a minimum order on the item subtotal, and the dongs served."""

    fee: int
    min_order: int
    dongs: tuple[str, ...]


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    business_number: str
    dong: str
    category: str
    benefit_plus: bool
    discount_rate: int
    delivery: Delivery | None = None
    malls: tuple[str, ...] = field(default_factory=tuple)
    food_complex: bool = False
    created_at: str = ""
    location: Location | None = None
    """Where the shop is, once staff have recorded it (shops near me)."""


@dataclass(frozen=True)
class Spot:
    """A located shop as the map index holds it: what a search filters on before reading any merchant (the
    dong, category and Benefit Plus never change after registration; a location change rewrites the spot)."""

    merchant_id: str
    location: Location
    dong: str
    category: str
    benefit_plus: bool


def spot_of(merchant: Merchant, at: Location) -> Spot:
    return Spot(merchant.merchant_id, at, merchant.dong, merchant.category, merchant.benefit_plus)


def location_problems(at: Location) -> list[str]:
    """A shop's location must lie inside Seo-gu's bounding box (`geo.SEOGU`)."""
    if in_seogu(at):
        return []
    return [f"location must lie inside Seo-gu (latitude {SEOGU.south}–{SEOGU.north}, "
            f"longitude {SEOGU.west}–{SEOGU.east})"]


def mall_eligible(mall: str, dong: str, food_complex: bool) -> bool:
    """`only-seogu`: registered in one of the 22 dongs. `yumyum`: in the district's food industrial complex."""
    if mall == MALL_ONLY_SEOGU:
        return is_dong(dong)
    if mall == MALL_YUMYUM:
        return food_complex
    return False


def validate_merchant(m: Merchant) -> list[str]:
    """Every problem with a registration, not only the first."""
    problems: list[str] = []
    if not is_dong(m.dong):
        problems.append("dong must be one of the 22 dongs of Seo-gu")
    if m.benefit_plus and m.discount_rate not in BENEFIT_PLUS_RATES:
        problems.append("a Benefit Plus merchant needs discount_rate 3, 5 or 7")
    if not m.benefit_plus and m.discount_rate != 0:
        problems.append("discount_rate is only for Benefit Plus merchants")
    if m.delivery is not None:
        if not m.delivery.dongs:
            problems.append("delivery.dongs must name at least one dong")
        bad = [d for d in m.delivery.dongs if not is_dong(d)]
        if bad:
            problems.append(f"delivery.dongs has unknown dongs: {', '.join(bad)}")
        if len(set(m.delivery.dongs)) != len(m.delivery.dongs):
            problems.append("delivery.dongs repeats a dong")
    for mall in m.malls:
        if mall not in MALLS:
            problems.append(f"unknown mall {mall!r}: malls are {', '.join(MALLS)}")
        elif not mall_eligible(mall, m.dong, m.food_complex):
            problems.append(f"not eligible for mall {mall!r}")
    if len(set(m.malls)) != len(m.malls):
        problems.append("malls repeats a mall")
    if m.location is not None:
        problems.extend(location_problems(m.location))
    return problems
