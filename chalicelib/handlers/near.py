"""Shops near me: the located shops within a radius of a point, nearest first, read from the map index.

A search reads the index ranges covering its circle (`domain/geo.py`: at most 16 queries, typically 2–6 for
the default kilometre), keeps the spots within the radius that pass the dong, category and Benefit Plus
filters, orders them by (distance in metres, merchant id), and reads the page's merchants in one batch (the
merchant item is where delivery settings live; they change, so the delivery filter is applied there). The
`next` cursor holds the last (distance, merchant id) of the page and a digest of the search, so it only
continues the search that made it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from chalicelib import composition
from chalicelib.domain import cursors
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.geo import (
    RADIUS_MAX_M,
    RADIUS_MIN_M,
    SEARCH_AREA,
    Location,
    covering,
    distance_m,
    in_search_area,
)
from chalicelib.domain.merchant import Merchant, Spot
from chalicelib.domain.ports.unit import Page


@dataclass(frozen=True)
class Filters:
    """What a search keeps besides the radius (None: any)."""

    dong: str | None = None
    benefit_plus: bool | None = None
    delivery: bool | None = None
    category: str | None = None

    def keeps_spot(self, spot: Spot) -> bool:
        return ((self.dong is None or spot.dong == self.dong)
                and (self.category is None or spot.category == self.category)
                and (self.benefit_plus is None or spot.benefit_plus == self.benefit_plus))

    def keeps(self, merchant: Merchant) -> bool:
        return ((self.dong is None or merchant.dong == self.dong)
                and (self.category is None or merchant.category == self.category)
                and (self.benefit_plus is None or merchant.benefit_plus == self.benefit_plus)
                and (self.delivery is None or (merchant.delivery is not None) == self.delivery))


@dataclass(frozen=True)
class Found:
    """A shop found near the point: `merchant.location` as the index holds it, and its distance in metres."""

    merchant: Merchant
    distance_m: int


def find_near(center: Location, radius_m: int, filters: Filters, limit: int, cursor: str | None) -> Page[Found]:
    """Located shops within `radius_m` metres of `center` (their distance rounded to whole metres), nearest
    first, ties by merchant id; `limit` a page, `cursor` where the last page ended."""
    if not in_search_area(center):
        raise ValidationFailed(f"near must lie within 5 km of Seo-gu (latitude {SEARCH_AREA.south}–"
                               f"{SEARCH_AREA.north}, longitude {SEARCH_AREA.west}–{SEARCH_AREA.east})")
    if not RADIUS_MIN_M <= radius_m <= RADIUS_MAX_M:
        raise ValidationFailed(f"radius must be {RADIUS_MIN_M}–{RADIUS_MAX_M} metres")
    if filters.dong is not None and not is_dong(filters.dong):
        raise ValidationFailed("dong must be one of the 22 dongs of Seo-gu")
    scope = _scope(center, radius_m, filters)
    after = _decode(cursor, scope)
    r = composition.container().repos
    ranked = sorted(
        (((d, spot.merchant_id), spot)
         for spot in r.merchants.spots(covering(center, radius_m))
         if filters.keeps_spot(spot) and (d := distance_m(center, spot.location)) <= radius_m),
        key=lambda ranked_spot: ranked_spot[0],
    )
    left = [(rank, spot) for rank, spot in ranked if after is None or rank > after]
    found: list[Found] = []
    while left and len(found) <= limit:
        chunk, left = left[: limit + 1 - len(found)], left[limit + 1 - len(found):]
        batch = r.store.batch()
        slots = [(rank, spot, r.merchants.want(batch, spot.merchant_id)) for rank, spot in chunk]
        batch.run()
        found.extend(Found(replace(m, location=spot.location), rank[0]) for rank, spot, slot in slots
                     if (m := slot.value) is not None and filters.keeps(m))
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if more else None
    return Page(found, _encode(scope, last.distance_m, last.merchant.merchant_id) if last else None)


def _scope(center: Location, radius_m: int, filters: Filters) -> str:
    """A digest of the search, so that a cursor continues only the search that made it."""
    text = json.dumps([center.lat, center.lng, radius_m, filters.dong, filters.benefit_plus, filters.delivery,
                       filters.category], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _encode(scope: str, distance: int, merchant_id: str) -> str:
    return cursors.pack({"near": scope, "d": distance, "id": merchant_id})


def _decode(cursor: str | None, scope: str) -> tuple[int, str] | None:
    if cursor is None:
        return None
    data = cursors.unpack(cursor)
    if (data.get("near") != scope or not isinstance(data.get("d"), int)
            or isinstance(data.get("d"), bool) or not isinstance(data.get("id"), str)):
        raise ValidationFailed("next is not a valid cursor for this search")
    return data["d"], data["id"]
