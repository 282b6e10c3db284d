"""The in-memory twin of `storage/idempotency.py` (no expiry: a test never waits 24 hours)."""

from __future__ import annotations

from chalicelib.domain.errors import IdempotencyRace
from chalicelib.domain.idempotency import StoredResponse
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.storage.memory.table import MemoryTable, absent


class MemoryResponses:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, record_id: str) -> Slot[StoredResponse | None]:
        slot: Slot[StoredResponse | None] = batch.slot(None)
        batch.want(("idem", record_id), slot.fill)
        return slot

    def stage(self, tx: Tx, stored: StoredResponse, now_epoch: int) -> None:
        tx.add(absent(("idem", stored.record_id), stored,
                      lambda: IdempotencyRace("a request with the same Idempotency-Key committed first")))
