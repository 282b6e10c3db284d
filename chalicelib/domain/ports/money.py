"""Money in from the bank (the wallet area's gateway)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class BankTransfer:
    transfer_id: str
    amount: int
    approved: bool
    reason: str = ""


class BankGateway(Protocol):
    """Moves money in from the resident's linked bank account. Idempotent by `transfer_id`."""

    def withdraw(self, transfer_id: str, user_id: str, amount: int) -> BankTransfer: ...

    def cancel(self, transfer_id: str) -> None: ...
