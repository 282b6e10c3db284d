"""The in-memory twin of `storage/merchants.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.geo import INDEX_PRECISION, POINT_PRECISION, CellRange, Location, geohash
from chalicelib.domain.merchant import Delivery, Merchant, Spot, spot_of
from chalicelib.domain.orders import MenuItem, Product
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.storage.memory.table import Change, MemoryTable, absent, page, put


class MemoryMerchants:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, merchant_id: str) -> Slot[Merchant | None]:
        slot: Slot[Merchant | None] = batch.slot(None)
        batch.want(("merchant", merchant_id), slot.fill)
        return slot

    def stage_add(self, tx: Tx, merchant: Merchant) -> None:
        def taken() -> Exception:
            return Conflict("a merchant with this business number is already registered")

        tx.add(absent(("bizno", merchant.business_number), merchant.merchant_id, taken))
        tx.add(absent(("merchant", merchant.merchant_id), merchant, taken))
        if merchant.location is not None:
            tx.add(put(_spot_key(merchant.merchant_id, merchant.location), spot_of(merchant, merchant.location)))

    def stage_malls(self, tx: Tx, merchant_id: str, malls: tuple[str, ...]) -> None:
        tx.add(Change(("merchant", merchant_id), lambda m: replace(m, malls=malls), lambda m: m is not None,
                      lambda: NotFound("no such merchant")))

    def stage_delivery(self, tx: Tx, merchant_id: str, delivery: Delivery | None) -> None:
        tx.add(Change(("merchant", merchant_id), lambda m: replace(m, delivery=delivery), lambda m: m is not None,
                      lambda: NotFound("no such merchant")))

    def stage_location(self, tx: Tx, merchant: Merchant, location: Location) -> None:
        was = merchant.location
        tx.add(Change(("merchant", merchant.merchant_id), lambda m: replace(m, location=location),
                      lambda m: m is not None and m.location == was))
        new = _spot_key(merchant.merchant_id, location)
        if was is not None and _spot_key(merchant.merchant_id, was) != new:
            tx.add(put(_spot_key(merchant.merchant_id, was), None))
        tx.add(put(new, spot_of(merchant, location)))

    def spots(self, ranges: Sequence[CellRange]) -> list[Spot]:
        """The spots whose keys lie in the ranges (a dict has no partitions to query: every spot is looked at,
        and the contract tests hold the answer to DynamoDB's one query per range)."""
        found: list[Spot] = []
        for r in ranges:
            found.extend(spot for (_, key), spot in self._t.scan("spot")
                         if key.startswith(f"GEO#{r.partition}|") and r.holds(key.split("|", 1)[1]))
        return found

    def find(
        self, dong: str | None, benefit_plus: bool | None, delivery: bool | None, limit: int, cursor: str | None,
        category: str | None = None,
    ) -> Page[Merchant]:
        rows = [
            (f"{m.created_at}#{m.merchant_id}", m)
            for _, m in self._t.scan("merchant")
            if (dong is None or m.dong == dong)
            and (category is None or m.category == category)
            and (benefit_plus is None or m.benefit_plus == benefit_plus)
            and (delivery is None or (m.delivery is not None) == delivery)
        ]
        return page(rows, cursor, limit, "merchants")


def _spot_key(merchant_id: str, at: Location) -> tuple[str, str]:
    """The DynamoDB keys of a spot, joined: `GEO#<geohash5>|<geohash9>#<id>`."""
    point = geohash(at, POINT_PRECISION)
    return "spot", f"GEO#{point[:INDEX_PRECISION]}|{point}#{merchant_id}"


class MemoryCatalogue:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want_menu(self, batch: Batch, merchant_id: str) -> Slot[dict[str, MenuItem] | None]:
        slot: Slot[dict[str, MenuItem] | None] = batch.slot(None)
        batch.want(("menu", merchant_id), slot.fill)
        return slot

    def put_menu(self, merchant_id: str, items: list[MenuItem], at: str) -> None:
        menu = {i.item_id: i for i in items}
        self._t.write(put(("menu", merchant_id), menu))

    def want_products(self, batch: Batch, mall: str, product_ids: list[str]) -> Slot[dict[str, Product]]:
        slot: Slot[dict[str, Product]] = batch.slot({})
        def found(p: Product) -> None:
            slot.change(lambda d: {**d, p.product_id: p})

        for pid in product_ids:
            batch.want(("product", f"{mall}#{pid}"), found)
        return slot

    def put_product(self, product: Product) -> None:
        ok = self._t.write_if(Change(("product", f"{product.mall}#{product.product_id}"), lambda _: product,
                                     lambda cur: cur is None or cur.seller_id == product.seller_id))
        if not ok:
            raise Conflict("another seller holds this product id in this mall")

    def products(self, mall: str, limit: int, cursor: str | None) -> Page[Product]:
        rows = [(p.product_id, p) for _, p in self._t.scan("product") if p.mall == mall]
        return page(rows, cursor, limit, f"products:{mall}")

    def of_seller(self, seller_id: str, mall: str | None, limit: int, cursor: str | None) -> Page[Product]:
        rows = [(f"{p.mall}#{p.product_id}", p) for _, p in self._t.scan("product")
                if p.seller_id == seller_id and (mall is None or p.mall == mall)]
        return page(rows, cursor, limit, f"products-of-seller:{seller_id}")

    def stage_stock(self, tx: Tx, mall: str, product_id: str, delta: int) -> None:
        tx.add(Change(
            ("product", f"{mall}#{product_id}"),
            lambda p: replace(p, stock=p.stock + delta),
            lambda p: p is not None and (delta >= 0 or p.stock >= -delta),
        ))  # fmt: skip
