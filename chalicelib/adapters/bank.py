"""The fake bank the local stack and tests use: it approves every transfer, once per transfer id."""

from __future__ import annotations

import threading

from chalicelib.domain.ports.money import BankTransfer


class FakeBank:
    """Approves transfers up to `per_transfer_limit`; replays the same answer for a repeated transfer id."""

    def __init__(self, per_transfer_limit: int = 10_000_000) -> None:
        self._limit = per_transfer_limit
        self._lock = threading.Lock()
        self.transfers: dict[str, BankTransfer] = {}
        self.cancelled: set[str] = set()

    def withdraw(self, transfer_id: str, user_id: str, amount: int) -> BankTransfer:
        with self._lock:
            known = self.transfers.get(transfer_id)
            if known is not None and transfer_id not in self.cancelled:
                return known
            self.cancelled.discard(transfer_id)
            approved = 0 < amount <= self._limit
            transfer = BankTransfer(transfer_id, amount, approved, "" if approved else "declined by bank")
            self.transfers[transfer_id] = transfer
            return transfer

    def cancel(self, transfer_id: str) -> None:
        with self._lock:
            if transfer_id in self.transfers:
                self.cancelled.add(transfer_id)

    def settled_total(self) -> int:
        """Money actually taken from residents' bank accounts (approved and not cancelled)."""
        with self._lock:
            return sum(
                t.amount for tid, t in self.transfers.items() if t.approved and tid not in self.cancelled
            )
