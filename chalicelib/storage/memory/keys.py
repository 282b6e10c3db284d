"""The in-memory twin of `storage/keys.py`."""

from __future__ import annotations

from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.storage.memory.table import MemoryTable, absent


class MemoryKeys:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, name: str) -> Slot[bytes | None]:
        slot: Slot[bytes | None] = batch.slot(None)
        batch.want(("data_key", name), lambda found: slot.fill(bytes(found)))
        return slot

    def get(self, name: str) -> bytes | None:
        found = self._t.get(("data_key", name))
        return None if found is None else bytes(found)

    def stage(self, tx: Tx, name: str, wrapped: bytes) -> None:
        tx.add(absent(("data_key", name), bytes(wrapped)))
