"""Merchants and their catalogue:

| item     | pk                 | sk         | gsi1 (pk / sk)             | gsi2 (pk / sk)                 |
|----------|--------------------|------------|----------------------------|--------------------------------|
| merchant | `MER#<id>`         | `MERCHANT` | `MERCHANTS` / `<time>#<id>` |                                |
| bizno    | `BIZ#<number>`     | `BIZ`      |                            |                                |
| menu     | `MER#<id>`         | `MENU`     |                            |                                |
| product  | `PROD#<mall>#<id>` | `PRODUCT`  | `MALL#<mall>` / `<id>`      | `MP#<seller>` / `<mall>#<id>`  |
| spot     | `GEO#<geohash5>`   | `<geohash9>#<id>` |                     |                                |

A located merchant's spot is its entry in the map index (`domain/geo.py`): partitioned by the 5-character
geohash cell of its location, sorted by the 9-character one, so a finer cell is a range of sort keys. It is
written in the transaction that sets the location, and moved (old deleted, new put) in the one that changes it.
A product's gsi2 entry is its seller's list (`GET /merchant/products`), written with the product itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.geo import INDEX_PRECISION, POINT_PRECISION, CellRange, Location, geohash
from chalicelib.domain.merchant import Delivery, Merchant, Spot, spot_of
from chalicelib.domain.orders import MenuItem, Product
from chalicelib.domain.ports.unit import Batch, Key, Page, Slot, Tx
from chalicelib.storage.table import GSI2_KEYS, PAGE_KEYS, Delete, Put, Table, Update

MERCHANTS_GSI = "MERCHANTS"


@dataclass(frozen=True)
class Items:
    MerchantItem: Any
    BizItem: Any
    MenuItemsItem: Any
    ProductItem: Any
    SpotItem: Any


def define(Item: Any) -> Items:
    class MerchantItem(Item, discriminator="merchant"):  # type: ignore[call-arg]
        merchant_id = UnicodeAttribute()
        name = UnicodeAttribute()
        business_number = UnicodeAttribute()
        dong = UnicodeAttribute()
        category = UnicodeAttribute()
        benefit_plus = BooleanAttribute()
        discount_rate = NumberAttribute()
        delivery_fee = NumberAttribute(null=True)
        delivery_min_order = NumberAttribute(null=True)
        delivery_dongs = ListAttribute[str](of=UnicodeAttribute, null=True)
        malls = ListAttribute[str](of=UnicodeAttribute, default=list)
        food_complex = BooleanAttribute(default=False)
        created_at = UnicodeAttribute()
        lat = NumberAttribute(null=True)
        lng = NumberAttribute(null=True)

    class BizItem(Item, discriminator="bizno"):  # type: ignore[call-arg]
        merchant_id = UnicodeAttribute()

    class MenuItemsItem(Item, discriminator="menu"):  # type: ignore[call-arg]
        items = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    class ProductItem(Item, discriminator="product"):  # type: ignore[call-arg]
        mall = UnicodeAttribute()
        product_id = UnicodeAttribute()
        seller_id = UnicodeAttribute()
        name = UnicodeAttribute()
        price = NumberAttribute()
        stock = NumberAttribute()
        shipping_fee = NumberAttribute()
        discount_rate = NumberAttribute(default=0)
        version = NumberAttribute(default=1)
        seller_name = UnicodeAttribute(null=True)

    class SpotItem(Item, discriminator="spot"):  # type: ignore[call-arg]
        merchant_id = UnicodeAttribute()
        lat = NumberAttribute()
        lng = NumberAttribute()
        dong = UnicodeAttribute()
        category = UnicodeAttribute()
        benefit_plus = BooleanAttribute()

    return Items(MerchantItem, BizItem, MenuItemsItem, ProductItem, SpotItem)


def merchant_key(merchant_id: str) -> Key:
    return f"MER#{merchant_id}", "MERCHANT"


def menu_key(merchant_id: str) -> Key:
    return f"MER#{merchant_id}", "MENU"


def product_key(mall: str, product_id: str) -> Key:
    return f"PROD#{mall}#{product_id}", "PRODUCT"


def seller_pk(seller_id: str) -> str:
    """A seller's products in gsi2."""
    return f"MP#{seller_id}"


def spot_key(merchant_id: str, at: Location) -> Key:
    point = geohash(at, POINT_PRECISION)
    return f"GEO#{point[:INDEX_PRECISION]}", f"{point}#{merchant_id}"


def to_spot(it: Any) -> Spot:
    return Spot(it.merchant_id, Location(float(it.lat), float(it.lng)), it.dong, it.category, bool(it.benefit_plus))


def to_merchant(it: Any) -> Merchant:
    delivery = None
    if it.delivery_fee is not None:
        delivery = Delivery(
            fee=int(it.delivery_fee), min_order=int(it.delivery_min_order or 0), dongs=tuple(it.delivery_dongs or ())
        )
    return Merchant(
        merchant_id=it.merchant_id,
        name=it.name,
        business_number=it.business_number,
        dong=it.dong,
        category=it.category,
        benefit_plus=bool(it.benefit_plus),
        discount_rate=int(it.discount_rate),
        delivery=delivery,
        malls=tuple(it.malls or ()),
        food_complex=bool(it.food_complex),
        created_at=it.created_at,
        location=Location(float(it.lat), float(it.lng)) if it.lat is not None else None,
    )


def to_product(it: Any) -> Product:
    return Product(
        mall=it.mall,
        product_id=it.product_id,
        seller_id=it.seller_id,
        name=it.name,
        price=int(it.price),
        stock=int(it.stock),
        shipping_fee=int(it.shipping_fee),
        discount_rate=int(it.discount_rate or 0),
        version=int(it.version or 1),
        seller_name=it.seller_name or "",
    )


def menu_to_json(items: list[MenuItem]) -> str:
    return json.dumps([asdict(i) for i in items], ensure_ascii=False, separators=(",", ":"))


def menu_from_json(text: str) -> dict[str, MenuItem]:
    return {d["item_id"]: MenuItem(**d) for d in json.loads(text)}


class DynamoMerchants:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def want(self, batch: Batch, merchant_id: str) -> Slot[Merchant | None]:
        slot: Slot[Merchant | None] = batch.slot(None)
        batch.want(merchant_key(merchant_id), lambda it: slot.fill(to_merchant(it)))
        return slot

    def stage_add(self, tx: Tx, merchant: Merchant) -> None:
        delivery = merchant.delivery
        item = self.m.MerchantItem(
            *merchant_key(merchant.merchant_id),
            gsi1pk=MERCHANTS_GSI,
            gsi1sk=f"{merchant.created_at}#{merchant.merchant_id}",
            merchant_id=merchant.merchant_id,
            name=merchant.name,
            business_number=merchant.business_number,
            dong=merchant.dong,
            category=merchant.category,
            benefit_plus=merchant.benefit_plus,
            discount_rate=merchant.discount_rate,
            delivery_fee=delivery.fee if delivery else None,
            delivery_min_order=delivery.min_order if delivery else None,
            delivery_dongs=list(delivery.dongs) if delivery else None,
            malls=list(merchant.malls),
            food_complex=merchant.food_complex,
            created_at=merchant.created_at,
            lat=merchant.location.lat if merchant.location else None,
            lng=merchant.location.lng if merchant.location else None,
        )
        biz = self.m.BizItem(f"BIZ#{merchant.business_number}", "BIZ", merchant_id=merchant.merchant_id)
        absent = self._table.Item.pk.does_not_exist()
        tx.add(Put(biz, absent, _number_taken))
        tx.add(Put(item, absent, _number_taken))
        if merchant.location is not None:
            tx.add(Put(self._spot_item(spot_of(merchant, merchant.location))))

    def _spot_item(self, spot: Spot) -> Any:
        at = spot.location
        return self.m.SpotItem(*spot_key(spot.merchant_id, at), merchant_id=spot.merchant_id, lat=at.lat, lng=at.lng,
                               dong=spot.dong, category=spot.category, benefit_plus=spot.benefit_plus)

    def stage_location(self, tx: Tx, merchant: Merchant, location: Location) -> None:
        M, S = self.m.MerchantItem, self.m.SpotItem
        was = merchant.location
        unchanged = (M.lat == was.lat) & (M.lng == was.lng) if was is not None else M.lat.does_not_exist()
        tx.add(Update(M(*merchant_key(merchant.merchant_id)), [M.lat.set(location.lat), M.lng.set(location.lng)],
                      M.pk.exists() & unchanged))
        new = spot_key(merchant.merchant_id, location)
        if was is not None and spot_key(merchant.merchant_id, was) != new:
            tx.add(Delete(S(*spot_key(merchant.merchant_id, was))))
        tx.add(Put(self._spot_item(spot_of(merchant, location))))

    def spots(self, ranges: Sequence[CellRange]) -> list[Spot]:
        """One query per range (paged by DynamoDB at 1 MB, eventually consistent: half the read units); a sort
        key runs from the range's first cell to past its last (`~` sorts after every geohash character)."""
        found: list[Spot] = []
        for r in ranges:
            found.extend(to_spot(it) for it in self._table.guard(partial(self._in_range, r)))
        return found

    def _in_range(self, r: CellRange) -> list[Any]:
        S = self.m.SpotItem
        return list(S.query(f"GEO#{r.partition}", S.sk.between(r.first, r.last + "~")))

    def stage_malls(self, tx: Tx, merchant_id: str, malls: tuple[str, ...]) -> None:
        M = self.m.MerchantItem
        tx.add(Update(M(*merchant_key(merchant_id)), [M.malls.set(list(malls))], M.pk.exists(), _no_merchant))

    def stage_delivery(self, tx: Tx, merchant_id: str, delivery: Delivery | None) -> None:
        M = self.m.MerchantItem
        actions: list[Any] = (
            [M.delivery_fee.set(delivery.fee), M.delivery_min_order.set(delivery.min_order),
             M.delivery_dongs.set(list(delivery.dongs))]
            if delivery is not None
            else [M.delivery_fee.remove(), M.delivery_min_order.remove(), M.delivery_dongs.remove()]
        )
        tx.add(Update(M(*merchant_key(merchant_id)), actions, M.pk.exists(), _no_merchant))

    def find(
        self, dong: str | None, benefit_plus: bool | None, delivery: bool | None, limit: int, cursor: str | None,
        category: str | None = None,
    ) -> Page[Merchant]:
        M = self.m.MerchantItem
        filt = None
        for cond in (
            M.dong == dong if dong is not None else None,
            M.category == category if category is not None else None,
            M.benefit_plus == benefit_plus if benefit_plus is not None else None,
            (M.delivery_fee.exists() if delivery else M.delivery_fee.does_not_exist()) if delivery is not None else None,
        ):
            if cond is not None:
                filt = cond if filt is None else filt & cond
        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(MERCHANTS_GSI, filter_condition=filt, limit=n,
                                                      last_evaluated_key=start),
            to_merchant, cursor, limit, PAGE_KEYS, MERCHANTS_GSI,
        )  # fmt: skip


class DynamoCatalogue:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def want_menu(self, batch: Batch, merchant_id: str) -> Slot[dict[str, MenuItem] | None]:
        slot: Slot[dict[str, MenuItem] | None] = batch.slot(None)
        batch.want(menu_key(merchant_id), lambda it: slot.fill(menu_from_json(it.items)))
        return slot

    def put_menu(self, merchant_id: str, items: list[MenuItem], at: str) -> None:
        item = self.m.MenuItemsItem(*menu_key(merchant_id), items=menu_to_json(items), updated_at=at)
        self._table.guard(item.save)

    def want_products(self, batch: Batch, mall: str, product_ids: list[str]) -> Slot[dict[str, Product]]:
        slot: Slot[dict[str, Product]] = batch.slot({})
        def found(it: Any) -> None:
            product = to_product(it)
            slot.change(lambda d: {**d, product.product_id: product})

        for pid in product_ids:
            batch.want(product_key(mall, pid), found)
        return slot

    def put_product(self, product: Product) -> None:
        P = self.m.ProductItem
        item = P(
            *product_key(product.mall, product.product_id),
            gsi1pk=f"MALL#{product.mall}",
            gsi1sk=product.product_id,
            gsi2pk=seller_pk(product.seller_id),
            gsi2sk=f"{product.mall}#{product.product_id}",
            mall=product.mall,
            product_id=product.product_id,
            seller_id=product.seller_id,
            name=product.name,
            price=product.price,
            stock=product.stock,
            shipping_fee=product.shipping_fee,
            discount_rate=product.discount_rate,
            version=product.version,
            seller_name=product.seller_name or None,
        )
        if not self._table.save_if(item, P.pk.does_not_exist() | (P.seller_id == product.seller_id)):
            raise Conflict("another seller holds this product id in this mall")

    def products(self, mall: str, limit: int, cursor: str | None) -> Page[Product]:
        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(f"MALL#{mall}", limit=n, last_evaluated_key=start),
            to_product, cursor, limit, PAGE_KEYS, f"MALL#{mall}",
        )  # fmt: skip

    def of_seller(self, seller_id: str, mall: str | None, limit: int, cursor: str | None) -> Page[Product]:
        condition = self._table.Item.gsi2sk.startswith(f"{mall}#") if mall else None
        return self._table.page(
            lambda start, n: self._table.Item.gsi2.query(seller_pk(seller_id), condition, limit=n,
                                                      last_evaluated_key=start),
            to_product, cursor, limit, GSI2_KEYS, seller_pk(seller_id),
        )  # fmt: skip

    def stage_stock(self, tx: Tx, mall: str, product_id: str, delta: int) -> None:
        P = self.m.ProductItem
        condition = (P.stock >= -delta) if delta < 0 else P.pk.exists()
        tx.add(Update(P(*product_key(mall, product_id)), [P.stock.add(delta)], condition))


def _number_taken() -> Exception:
    return Conflict("a merchant with this business number is already registered")


def _no_merchant() -> Exception:
    return NotFound("no such merchant")
