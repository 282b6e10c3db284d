"""The in-memory twin of `storage/gifts.py`."""

from __future__ import annotations

from chalicelib.domain.gifts import DIRECTION_RECEIVED, DIRECTION_SENT, SENT, Gift, GiftEntry
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.storage.memory.table import Change, MemoryTable, absent, page, versioned


class MemoryGifts:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, gift_id: str) -> Slot[Gift | None]:
        slot: Slot[Gift | None] = batch.slot(None)
        batch.want(("gift", gift_id), slot.fill)
        return slot

    def want_code(self, batch: Batch, digest: str) -> Slot[str | None]:
        slot: Slot[str | None] = batch.slot(None)
        batch.want(("gift-code", digest), slot.fill)
        return slot

    def want_misses(self, batch: Batch, user_id: str, window: str) -> Slot[int]:
        slot = batch.slot(0)
        batch.want(("gift-misses", f"{user_id}#{window}"), slot.fill)
        return slot

    def stage(self, tx: Tx, gift: Gift, read_version: int) -> None:
        tx.add(versioned(("gift", gift.gift_id), gift, read_version))

    def stage_code(self, tx: Tx, digest: str, gift_id: str) -> None:
        tx.add(absent(("gift-code", digest), gift_id))

    def stage_received(self, tx: Tx, gift: Gift) -> None:
        tx.add(absent(("gift-received", gift.gift_id), gift))

    def count_miss(self, user_id: str, window: str, limit: int, expires_epoch: int) -> bool:
        return self._t.write_if(Change(("gift-misses", f"{user_id}#{window}"), lambda n: (n or 0) + 1,
                                       lambda n: (n or 0) < limit))

    def of_user(self, user_id: str, limit: int, cursor: str | None) -> Page[GiftEntry]:
        sent = [(f"{g.created_at}#{g.gift_id}", GiftEntry(DIRECTION_SENT, g))
                for _, g in self._t.scan("gift") if g.sender_id == user_id]
        received = [(f"{g.claimed_at}#{g.gift_id}", GiftEntry(DIRECTION_RECEIVED, g))
                    for _, g in self._t.scan("gift-received") if g.recipient_id == user_id]
        return page(sent + received, cursor, limit, f"gifts:{user_id}", newest_first=True)

    def due(self, now: str, limit: int) -> list[Gift]:
        due = sorted((g.expires_at, g.gift_id, g) for _, g in self._t.scan("gift")
                     if g.status == SENT and g.expires_at <= now)
        return [g for _, _, g in due[:limit]]
