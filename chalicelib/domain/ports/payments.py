"""Payments and the programs' monthly budgets (storage/payments.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.domain.budget import BudgetChange
from chalicelib.domain.payment import Payment
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx


class Payments(Protocol):
    def want(self, batch: Batch, payment_id: str) -> Slot[Payment | None]: ...

    def stage(self, tx: Tx, payment: Payment, read_version: int) -> None: ...

    def of_resident(self, user_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
        """The resident's payments, oldest first, optionally of one month."""
        ...

    def of_merchant(self, merchant_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
        """The payments made to a merchant (in its shop, by delivery order or mall order), newest first,
        optionally of one month: one Query of the payments' merchant index per page."""
        ...


class Budgets(Protocol):
    """Each budgeted program's monthly budget, kept in slices (see `domain/budget.py`)."""

    def want(self, batch: Batch, month: str, program_ids: Sequence[str]) -> Slot[dict[str, dict[int, int]]]:
        """Per program, the `used` of each slice that exists."""
        ...

    def stage(self, tx: Tx, changes: Sequence[BudgetChange]) -> None:
        """Apply the changes, each conditioned on its slice staying within 0 ≤ used ≤ cap."""
        ...

    def used(self, month: str, program_id: str) -> int:
        """How much of a program's monthly budget is granted, summed over its slices."""
        ...
