"""Money between the resident's linked bank account and the service (the wallet area's gateway)."""

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
    """Moves money in from and out to the resident's linked bank account. Idempotent by `transfer_id`: a transfer
    id asked for again gets its first answer and moves nothing more. A bank that does not answer raises
    `BankUnavailable` (nothing is known to have moved: ask again with the same id)."""

    def withdraw(self, transfer_id: str, user_id: str, amount: int) -> BankTransfer:
        """Take `amount` from the resident's bank account into the service (a top-up)."""
        ...

    def cancel(self, transfer_id: str) -> None:
        """Undo a withdrawal the service could not use (a top-up refused after the transfer); nothing for a
        transfer id the bank never took."""
        ...

    def deposit(self, transfer_id: str, user_id: str, amount: int) -> BankTransfer:
        """Pay `amount` from the service into the resident's bank account (a withdrawal, a cancelled top-up). The
        bank may decline it (`approved` False, with its reason): nothing moved."""
        ...
