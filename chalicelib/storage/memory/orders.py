"""The in-memory twin of `storage/orders.py`."""

from __future__ import annotations

from chalicelib.domain.orders import Order, PurgeMarker
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.storage.memory.table import MemoryTable, page, put, versioned


class MemoryOrders:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, order_id: str) -> Slot[Order | None]:
        slot: Slot[Order | None] = batch.slot(None)
        batch.want(("order", order_id), slot.fill)
        return slot

    def stage(self, tx: Tx, order: Order, read_version: int) -> None:
        tx.add(versioned(("order", order.order_id), order, read_version))

    def stage_purge(self, tx: Tx, marker: PurgeMarker) -> None:
        tx.add(put(("purge", f"{marker.day}#{marker.order_id}"), marker))

    def of_resident(
        self, user_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]:
        rows = [(f"{o.created_at}#{o.order_id}", o) for _, o in self._t.scan("order")
                if o.user_id == user_id and o.kind == kind and (status is None or o.status == status)]
        return page(rows, cursor, limit, f"orders-of-resident:{user_id}")

    def of_merchant(
        self, merchant_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]:
        rows = [(f"{o.created_at}#{o.order_id}", o) for _, o in self._t.scan("order")
                if o.merchant_id == merchant_id and o.kind == kind and (status is None or o.status == status)]
        return page(rows, cursor, limit, f"orders-of-merchant:{merchant_id}")

    def purge_due(self, today: str, limit: int) -> list[PurgeMarker]:
        return sorted(m for _, m in self._t.scan("purge") if m.day <= today)[:limit]

    def drop_purge(self, marker: PurgeMarker) -> None:
        self._t.write(put(("purge", f"{marker.day}#{marker.order_id}"), None))
