"""The in-memory twin of `storage/cashout.py`. Its stream is the in-memory table's (`MemoryTable.stream`): a
record names a change by its sequence number, which `wallet_change` reads back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.autocharge import WalletChange
from chalicelib.domain.cashout import PAYOUT_PENDING, Payout
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.domain.wallet import ChargeRecord, Wallet
from chalicelib.storage.memory.table import MemoryTable, versioned

EVENT_SOURCE = "memory"


class MemoryCashouts:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want_charge(self, batch: Batch, user_id: str, charge_id: str) -> Slot[ChargeRecord | None]:
        slot: Slot[ChargeRecord | None] = batch.slot(None)
        batch.want(("charge", f"{user_id}#{charge_id}"), slot.fill)
        return slot

    def stage_charge(self, tx: Tx, record: ChargeRecord, read_version: int) -> None:
        tx.add(versioned(("charge", f"{record.user_id}#{record.charge_id}"), record, read_version))

    def want_payout(self, batch: Batch, user_id: str, payout_id: str) -> Slot[Payout | None]:
        slot: Slot[Payout | None] = batch.slot(None)
        batch.want(("payout", f"{user_id}#{payout_id}"), slot.fill)
        return slot

    def stage_payout(self, tx: Tx, payout: Payout, read_version: int) -> None:
        tx.add(versioned(("payout", f"{payout.user_id}#{payout.payout_id}"), payout, read_version))

    def pending_payouts(self, before: str, limit: int) -> list[Payout]:
        due = sorted((f"{p.created_at}#{p.payout_id}", p) for _, p in self._t.scan("payout")
                     if p.status == PAYOUT_PENDING)
        return [p for key, p in due if key < before][:limit]

    def auto_charges_in_flight(self, before: str, limit: int) -> list[Wallet]:
        flying = sorted((f"{w.auto.in_flight_since}#{w.user_id}", w) for _, w in self._t.scan("wallet")
                        if w.auto.in_flight is not None)
        return [w for key, w in flying if key < before][:limit]

    def wallet_change(self, record: Mapping[str, Any]) -> WalletChange | None:
        seq = int((record.get("dynamodb") or {}).get("SequenceNumber", 0))
        with self._t.lock:
            found = self._t.stream.get(seq)
        if found is None:
            return None
        key, old, new = found
        if key[0] != "wallet" or not isinstance(new, Wallet):
            return None
        return WalletChange(old if isinstance(old, Wallet) else None, new)

    def stream_records(self, after: int) -> tuple[list[dict[str, Any]], int]:
        """The stream's records after sequence number `after` that the automatic top-up's event source lets
        through (wallets with `below` set, as its filter on `auto_below`), in Lambda's shape, and the last
        sequence number read."""
        with self._t.lock:
            last = self._t.stream_seq
            changes = [(seq, key, new) for seq, (key, _, new) in self._t.stream.items() if seq > after]
        records = [{"eventID": str(seq), "eventName": "MODIFY", "eventSource": EVENT_SOURCE,
                    "dynamodb": {"SequenceNumber": str(seq)}}
                   for seq, key, new in changes
                   if key[0] == "wallet" and isinstance(new, Wallet) and new.auto.below is not None]
        return records, last
