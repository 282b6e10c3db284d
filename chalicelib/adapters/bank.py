"""The fake bank the local stack and tests use: it approves every transfer, once per transfer id, both ways."""

from __future__ import annotations

import threading

from chalicelib.domain.errors import BankUnavailable
from chalicelib.domain.ports.money import BankTransfer


class FakeBank:
    """Approves transfers up to `per_transfer_limit`; replays the same answer for a repeated transfer id.

    Tests make it refuse: `refuse_withdrawals[user]` / `refuse_deposits[user]` name a reason to decline that
    resident's transfers with, and `down` makes every call fail as a bank that does not answer."""

    def __init__(self, per_transfer_limit: int = 10_000_000) -> None:
        self._limit = per_transfer_limit
        self._lock = threading.Lock()
        self.transfers: dict[str, BankTransfer] = {}
        self.cancelled: set[str] = set()
        self.deposits: dict[str, BankTransfer] = {}
        self.refuse_withdrawals: dict[str, str] = {}
        self.refuse_deposits: dict[str, str] = {}
        self.down = False

    def _answer(self) -> None:
        if self.down:
            raise BankUnavailable("the bank did not answer; nothing moved")

    def withdraw(self, transfer_id: str, user_id: str, amount: int) -> BankTransfer:
        with self._lock:
            self._answer()
            known = self.transfers.get(transfer_id)
            if known is not None and transfer_id not in self.cancelled:
                return known
            self.cancelled.discard(transfer_id)
            reason = self.refuse_withdrawals.get(user_id, "" if 0 < amount <= self._limit else "declined by bank")
            transfer = BankTransfer(transfer_id, amount, not reason, reason)
            self.transfers[transfer_id] = transfer
            return transfer

    def cancel(self, transfer_id: str) -> None:
        with self._lock:
            self._answer()
            if transfer_id in self.transfers:
                self.cancelled.add(transfer_id)

    def deposit(self, transfer_id: str, user_id: str, amount: int) -> BankTransfer:
        with self._lock:
            self._answer()
            known = self.deposits.get(transfer_id)
            if known is not None:
                return known
            reason = self.refuse_deposits.get(user_id, "" if 0 < amount <= self._limit else "declined by bank")
            transfer = BankTransfer(transfer_id, amount, not reason, reason)
            self.deposits[transfer_id] = transfer
            return transfer

    def settled_total(self) -> int:
        """Money actually taken from residents' bank accounts (approved and not cancelled)."""
        with self._lock:
            return sum(
                t.amount for tid, t in self.transfers.items() if t.approved and tid not in self.cancelled
            )

    def paid_out_total(self) -> int:
        """Money actually paid into residents' bank accounts (approved deposits)."""
        with self._lock:
            return sum(t.amount for t in self.deposits.values() if t.approved)
