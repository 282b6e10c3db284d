"""Stored first responses of Idempotency-Keys (storage/idempotency.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.idempotency import StoredResponse
from chalicelib.domain.ports.unit import Batch, Slot, Tx


class Responses(Protocol):
    def want(self, batch: Batch, record_id: str) -> Slot[StoredResponse | None]: ...

    def stage(self, tx: Tx, stored: StoredResponse, now_epoch: int) -> None:
        """Keep the response for the idempotency window; if the key was taken meanwhile, the commit raises
        `IdempotencyRace`."""
        ...
