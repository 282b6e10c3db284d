"""Ports the domain's services need from the outside world."""

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


class PiiCipher(Protocol):
    """Envelope encryption of personal data; the context binds a ciphertext to its owner."""

    def encrypt(self, plaintext: str, context: dict[str, str]) -> str: ...

    def decrypt(self, ciphertext: str, context: dict[str, str]) -> str: ...
