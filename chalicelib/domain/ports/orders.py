"""Delivery and mall orders, and the markers saying when their personal data is purged (storage/orders.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.orders import Order, PurgeMarker
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx


class Orders(Protocol):
    def want(self, batch: Batch, order_id: str) -> Slot[Order | None]: ...

    def stage(self, tx: Tx, order: Order, read_version: int) -> None: ...

    def stage_purge(self, tx: Tx, marker: PurgeMarker) -> None:
        """Note, in the transaction that starts the clock, that the order's personal data goes on the
        marker's day. Writing the same marker twice leaves one."""
        ...

    def of_resident(
        self, user_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]: ...

    def of_merchant(
        self, merchant_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]: ...

    def purge_due(self, today: str, limit: int) -> list[PurgeMarker]:
        """Up to `limit` markers due on or before `today` (YYYY-MM-DD), oldest day first (then by order
        id), however old: a purge that was down for a long time misses none."""
        ...

    def drop_purge(self, marker: PurgeMarker) -> None:
        """Remove one marker (nothing if it is gone already)."""
        ...
