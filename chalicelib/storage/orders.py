"""Delivery and mall orders, and the days their personal data is purged:

| item  | pk                   | sk         | gsi1 (pk / sk)            | gsi2 (pk / sk)                |
|-------|----------------------|------------|---------------------------|-------------------------------|
| order | `ORD#<id>`           | `ORDER`    | `UO#<user>` / `<time>#<id>` | `MO#<merchant>` / `<time>#<id>` |
| purge | `PURGE#<YYYY-MM-DD>` | `<order id>` | `PURGE` / `<YYYY-MM-DD>#<order id>` |                   |

An order is stored whole as a JSON document (its lines, history and shipping data); its kind and status
are also attributes, for the lists' filters. Every purge marker is in one gsi1 partition sorted by its
day, so one query finds all that are due however long the purge was down (markers are few: one or two
per order, each dropped once done).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.orders import Line, Order, PurgeMarker
from chalicelib.domain.ports.unit import Batch, Key, Page, Slot, Tx
from chalicelib.storage.table import GSI2_KEYS, PAGE_KEYS, Put, Table, version_condition

PURGE_GSI = "PURGE"


@dataclass(frozen=True)
class Items:
    OrderItem: Any
    PurgeItem: Any


def define(Item: Any) -> Items:
    class OrderItem(Item, discriminator="order"):  # type: ignore[call-arg]
        document = UnicodeAttribute()
        kind = UnicodeAttribute()
        status = UnicodeAttribute()
        version = NumberAttribute()

    class PurgeItem(Item, discriminator="purge"):  # type: ignore[call-arg]
        order_id = UnicodeAttribute()

    return Items(OrderItem, PurgeItem)


def order_key(order_id: str) -> Key:
    return f"ORD#{order_id}", "ORDER"


def purge_key(marker: PurgeMarker) -> Key:
    return f"PURGE#{marker.day}", marker.order_id


def order_to_json(order: Order) -> str:
    doc = asdict(order)
    doc.pop("version")
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def order_from_json(text: str, version: int) -> Order:
    doc = json.loads(text)
    doc["lines"] = tuple(Line(**line) for line in doc["lines"])
    doc["history"] = tuple(tuple(h) for h in doc.get("history", []))
    return Order(**doc, version=version)


def to_order(it: Any) -> Order:
    return order_from_json(it.document, int(it.version))


class DynamoOrders:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def order_item(self, order: Order) -> Any:
        sort = f"{order.created_at}#{order.order_id}"
        return self.m.OrderItem(
            *order_key(order.order_id),
            gsi1pk=f"UO#{order.user_id}",
            gsi1sk=sort,
            gsi2pk=f"MO#{order.merchant_id}",
            gsi2sk=sort,
            document=order_to_json(order),
            kind=order.kind,
            status=order.status,
            version=order.version,
        )

    def want(self, batch: Batch, order_id: str) -> Slot[Order | None]:
        slot: Slot[Order | None] = batch.slot(None)
        batch.want(order_key(order_id), lambda it: slot.fill(to_order(it)))
        return slot

    def stage(self, tx: Tx, order: Order, read_version: int) -> None:
        tx.add(Put(self.order_item(order), version_condition(self._table, self.m.OrderItem, read_version)))

    def stage_purge(self, tx: Tx, marker: PurgeMarker) -> None:
        tx.add(Put(self.m.PurgeItem(*purge_key(marker), gsi1pk=PURGE_GSI, gsi1sk=f"{marker.day}#{marker.order_id}",
                                    order_id=marker.order_id)))

    def of_resident(
        self, user_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]:
        filt = self.m.OrderItem.kind == kind
        if status is not None:
            filt = filt & (self.m.OrderItem.status == status)
        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(f"UO#{user_id}", limit=n, last_evaluated_key=start,
                                                      filter_condition=filt),
            to_order, cursor, limit, PAGE_KEYS, f"UO#{user_id}",
        )  # fmt: skip

    def of_merchant(
        self, merchant_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]:
        filt = self.m.OrderItem.kind == kind
        if status is not None:
            filt = filt & (self.m.OrderItem.status == status)
        return self._table.page(
            lambda start, n: self._table.Item.gsi2.query(f"MO#{merchant_id}", limit=n, last_evaluated_key=start,
                                                      filter_condition=filt),
            to_order, cursor, limit, GSI2_KEYS, f"MO#{merchant_id}",
        )  # fmt: skip

    def purge_due(self, today: str, limit: int) -> list[PurgeMarker]:
        # '$' follows '#': every key of `today` (whatever its order id) sorts before `today$`.
        due = self._table.Item.gsi1sk < f"{today}$"
        items = self._table.guard(lambda: list(self._table.Item.gsi1.query(PURGE_GSI, due, limit=limit)))
        return [PurgeMarker(it.pk.removeprefix("PURGE#"), it.order_id) for it in items]

    def drop_purge(self, marker: PurgeMarker) -> None:
        self._table.guard(lambda: self.m.PurgeItem(*purge_key(marker)).delete())
