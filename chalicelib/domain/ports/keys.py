"""Data keys the API encrypts with, kept wrapped in the table (storage/keys.py, adapters/data_keys.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chalicelib.domain.ports.unit import Batch, Slot, Tx


class StoredKeys(Protocol):
    """Wrapped data keys by name: written once, never changed, so every process unwraps the same key."""

    def want(self, batch: Batch, name: str) -> Slot[bytes | None]:
        """The wrapped key (a KMS ciphertext), read with the caller's batch; None before it was made."""
        ...

    def get(self, name: str) -> bytes | None:
        """The same, read on its own (consistently)."""
        ...

    def stage(self, tx: Tx, name: str, wrapped: bytes) -> None:
        """Store a new key in the caller's transaction; if one is stored under `name` by then, the commit fails
        with `Contention` (the caller reads again, and finds that one)."""
        ...


class Keyring(Protocol):
    """256-bit data keys by name, the same in every process of a deployment; fetched once per process."""

    def key(self, name: str) -> bytes | None:
        """The key now, or None if none was made yet (so nothing was made with it). The first time in a process:
        one read of its wrapped copy and one KMS call."""
        ...

    def want(self, batch: Batch, name: str) -> Callable[[Tx], bytes]:
        """The key once `batch` has run, given the transaction that follows it. The first time in a process its
        wrapped copy is one more key of that batch, not a request of its own; if none was ever made, one is
        made and stored in that transaction."""
        ...
