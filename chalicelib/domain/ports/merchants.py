"""Merchants, their menus and their mall products (storage/merchants.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.domain.geo import CellRange, Location
from chalicelib.domain.merchant import Delivery, Merchant, Spot
from chalicelib.domain.orders import MenuItem, Product
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx


class Merchants(Protocol):
    def want(self, batch: Batch, merchant_id: str) -> Slot[Merchant | None]: ...

    def stage_add(self, tx: Tx, merchant: Merchant) -> None:
        """Register a merchant; a business number registers one merchant only (the commit: `Conflict`). A
        merchant with a location gets its spot in the map index in the same transaction."""
        ...

    def stage_malls(self, tx: Tx, merchant_id: str, malls: tuple[str, ...]) -> None:
        """Set the malls a merchant is approved for; an unknown merchant is `NotFound` at the commit."""
        ...

    def stage_delivery(self, tx: Tx, merchant_id: str, delivery: Delivery | None) -> None:
        """Set (or, with None, end) a merchant's 배달서구 settings; an unknown merchant is `NotFound` at the
        commit."""
        ...

    def stage_location(self, tx: Tx, merchant: Merchant, location: Location) -> None:
        """Move a merchant (as read, `merchant.location` its location then) to `location`: the merchant and its
        spot in the map index together. The commit is `Contention` if the merchant's location changed since
        it was read, or the merchant is gone."""
        ...

    def spots(self, ranges: Sequence[CellRange]) -> list[Spot]:
        """The spots of the map index in these cell ranges (one query per range), in no particular order."""
        ...

    def find(
        self, dong: str | None, benefit_plus: bool | None, delivery: bool | None, limit: int, cursor: str | None,
        category: str | None = None,
    ) -> Page[Merchant]:
        """Registered merchants in registration order, filtered (`category`: exactly that category)."""
        ...


class Catalogue(Protocol):
    """Delivery menus and mall products."""

    def want_menu(self, batch: Batch, merchant_id: str) -> Slot[dict[str, MenuItem] | None]: ...

    def put_menu(self, merchant_id: str, items: list[MenuItem], at: str) -> None: ...

    def want_products(self, batch: Batch, mall: str, product_ids: list[str]) -> Slot[dict[str, Product]]: ...

    def put_product(self, product: Product) -> None:
        """Create or replace a product; an id another seller holds in that mall is `Conflict`."""
        ...

    def products(self, mall: str, limit: int, cursor: str | None) -> Page[Product]: ...

    def of_seller(self, seller_id: str, mall: str | None, limit: int, cursor: str | None) -> Page[Product]:
        """A seller's own products, of every mall (by mall, then product id) or of one: one Query per page."""
        ...

    def stage_stock(self, tx: Tx, mall: str, product_id: str, delta: int) -> None:
        """Move a product's stock; taking stock (delta < 0) is conditioned on enough being left."""
        ...
