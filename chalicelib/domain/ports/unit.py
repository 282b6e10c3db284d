"""The unit of work every use case is made of: one batched read, then one atomic write.

Repositories of every area take part in the same unit: asked with `want…(batch, …)`, a repository
registers the keys it needs and hands back a `Slot`; `batch.run()` fetches everything in one round
trip (a DynamoDB BatchGetItem) and fills the slots. Then `stage…(tx, …)` adds each area's writes, and
`tx.commit()` writes them all or none (a DynamoDB TransactWriteItems). Each store family (DynamoDB,
in-memory) makes its own batches and transactions; the composition never mixes families.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
Key = tuple[str, str]


class Slot(Generic[T]):
    """A value one batched read brings: its default until the read found the item.

    Reading `value` before the batch ran is a programming error, not a missing item.
    """

    __slots__ = ("_ready", "_value")

    def __init__(self, default: T) -> None:
        self._value = default
        self._ready = False

    def fill(self, value: T) -> None:
        self._value = value

    def change(self, fn: Callable[[T], T]) -> None:
        """Fold one more found item into the value (several keys feeding one slot)."""
        self._value = fn(self._value)

    def ready(self) -> None:
        self._ready = True

    @property
    def value(self) -> T:
        if not self._ready:
            raise RuntimeError("a slot is read before its batch ran")
        return self._value


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the opaque cursor of the next (None: the last page)."""

    items: list[T]
    next: str | None


class Batch(Protocol):
    """One consistent read of items of any areas."""

    def slot(self, default: T) -> Slot[T]:
        """A slot that this batch marks ready when it has run."""
        ...

    def want(self, key: Key, found: Callable[[Any], None]) -> None:
        """Fetch `key` with the others; `found` receives the stored item if there is one."""
        ...

    def run(self) -> None:
        """Fetch every wanted key in one round trip and fill the slots."""
        ...


class Tx(Protocol):
    """One atomic write of any areas: every staged write happens, or none does.

    `commit` raises `Contention` when an item changed since it was read (the caller reads again and
    recomputes) or the error a failed write names (e.g. `IdempotencyRace`, `Conflict`).
    """

    def add(self, write: Any) -> None:
        """Stage a write made by a repository of the same store family."""
        ...

    def commit(self) -> None: ...


class Store(Protocol):
    """Makes the batches and transactions of one store family."""

    def batch(self) -> Batch: ...

    def tx(self) -> Tx: ...
