"""Delivery and mall orders, and the dates their shipping data is purged (storage/orders.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.orders import Order
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx


class Orders(Protocol):
    def want(self, batch: Batch, order_id: str) -> Slot[Order | None]: ...

    def stage(self, tx: Tx, order: Order, read_version: int) -> None: ...

    def stage_purge(self, tx: Tx, day: str, order_id: str) -> None:
        """Note that the order's personal data goes on `day` (YYYY-MM-DD, KST)."""
        ...

    def of_resident(self, user_id: str, kind: str, limit: int, cursor: str | None) -> Page[Order]: ...

    def of_merchant(
        self, merchant_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]: ...

    def purge_due(self, day: str) -> list[str]:
        """The orders whose personal data goes on `day`."""
        ...

    def drop_purge(self, day: str, order_id: str) -> None: ...
