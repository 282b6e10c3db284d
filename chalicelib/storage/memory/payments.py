"""The in-memory twin of `storage/payments.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.domain.budget import BUDGET_SHARDS, BudgetChange
from chalicelib.domain.payment import Payment
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.storage.memory.table import Change, MemoryTable, page, versioned


class MemoryPayments:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, payment_id: str) -> Slot[Payment | None]:
        slot: Slot[Payment | None] = batch.slot(None)
        batch.want(("payment", payment_id), slot.fill)
        return slot

    def stage(self, tx: Tx, payment: Payment, read_version: int) -> None:
        tx.add(versioned(("payment", payment.payment_id), payment, read_version))

    def of_resident(self, user_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
        rows = [
            (f"{p.month}#{p.created_at}#{p.payment_id}", p)
            for _, p in self._t.scan("payment")
            if p.user_id == user_id and (month is None or p.month == month)
        ]
        return page(rows, cursor, limit, f"payments:{user_id}")

    def of_merchant(self, merchant_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
        rows = [
            (f"{p.month}#{p.created_at}#{p.payment_id}", p)
            for _, p in self._t.scan("payment")
            if p.merchant_id == merchant_id and (month is None or p.month == month)
        ]
        return page(rows, cursor, limit, f"payments-of-merchant:{merchant_id}", newest_first=True)


def _slice(month: str, program_id: str, k: int) -> tuple[str, str]:
    return "budget", f"{month}#{program_id}#{k}"


class MemoryBudgets:
    """A slice is stored as its `used` amount (an int)."""

    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, month: str, program_ids: Sequence[str]) -> Slot[dict[str, dict[int, int]]]:
        slot: Slot[dict[str, dict[int, int]]] = batch.slot({})
        def found(program_id: str, k: int) -> Callable[[int], None]:
            def fill(used: int) -> None:
                slot.change(lambda d: {**d, program_id: {**d.get(program_id, {}), k: used}})

            return fill

        for program_id in program_ids:
            for k in range(BUDGET_SHARDS):
                batch.want(_slice(month, program_id, k), found(program_id, k))
        return slot

    def stage(self, tx: Tx, changes: Sequence[BudgetChange]) -> None:
        for b in changes:
            tx.add(_budget_change(b))

    def used(self, month: str, program_id: str) -> int:
        return sum(self._t.get(_slice(month, program_id, k)) or 0 for k in range(BUDGET_SHARDS))


def _budget_change(b: BudgetChange) -> Change:
    def allowed(current: int | None) -> bool:
        used = current or 0
        return used + b.delta <= b.cap if b.delta > 0 else used >= -b.delta

    def apply(current: int | None) -> int:
        return (current or 0) + b.delta

    return Change(_slice(b.month, b.program_id, b.shard), apply, allowed)
