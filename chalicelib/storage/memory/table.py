"""The in-memory twin of the main table: domain objects by key, one lock, batched reads that see one
consistent state, and transactions that check every condition before applying any write.

The use-case tests run on it (no moto, no network); the contract tests in `tests/service/test_contract_*`
hold it and the DynamoDB repositories to the same behaviour.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalicelib.domain import cursors
from chalicelib.domain.errors import Contention, ValidationFailed
from chalicelib.domain.ports.unit import Key, Page
from chalicelib.storage.wanted import Wanted

T = TypeVar("T")


def _always(current: Any) -> bool:
    return True


@dataclass(frozen=True)
class Change:
    """One write: the new value computed from the current one (None deletes), if `allowed` holds for the
    current one; `refused` is the error a failed condition means (default `Contention`)."""

    key: Key
    apply: Callable[[Any], Any]
    allowed: Callable[[Any], bool] = _always
    refused: Callable[[], Exception] | None = None


class MemoryTable:
    """Objects by key. Values are frozen dataclasses (or plain values), never changed in place."""

    STREAM_KEPT = 10_000
    """How many changes the stream keeps (DynamoDB keeps a day's): enough for any test to deliver them."""

    def __init__(self) -> None:
        self.items: dict[Key, Any] = {}
        self.lock = threading.RLock()
        self.stream: dict[int, tuple[Key, Any, Any]] = {}
        """The twin of the table's stream: every committed write as (key, old value, new value), by a sequence
        number that only grows (`stream_seq` is the last one)."""
        self.stream_seq = 0

    def batch(self) -> MemoryBatch:
        return MemoryBatch(self)

    def tx(self) -> MemoryTx:
        return MemoryTx(self)

    def get(self, key: Key) -> Any | None:
        with self.lock:
            return self.items.get(key)

    def write(self, change: Change) -> None:
        """One write on its own (a transaction of one)."""
        tx = self.tx()
        tx.add(change)
        tx.commit()

    def write_if(self, change: Change) -> bool:
        """One conditional write; False when its condition did not hold."""
        with self.lock:
            if not change.allowed(self.items.get(change.key)):
                return False
            self._apply(change)
            return True

    def scan(self, kind: str) -> list[tuple[Key, Any]]:
        """Every (key, value) whose key's first part is `kind`."""
        with self.lock:
            return [(k, v) for k, v in self.items.items() if k[0] == kind]

    def _apply(self, change: Change) -> None:
        old = self.items.get(change.key)
        value = change.apply(old)
        if value is None:
            self.items.pop(change.key, None)
        else:
            self.items[change.key] = value
        self.stream_seq += 1
        self.stream[self.stream_seq] = (change.key, old, value)
        self.stream.pop(self.stream_seq - self.STREAM_KEPT, None)


class MemoryBatch(Wanted):
    def __init__(self, table: MemoryTable) -> None:
        super().__init__()
        self.table = table

    def run(self) -> None:
        with self.table.lock:
            found = [(k, self.table.items[k]) for k in self.wanted if k in self.table.items]
        self.deliver(found)


@dataclass
class MemoryTx:
    table: MemoryTable
    _changes: list[Change] = field(default_factory=list)

    def add(self, write: Any) -> None:
        if not isinstance(write, Change):
            raise TypeError(f"an in-memory transaction takes Change, not {type(write).__name__}")
        self._changes.append(write)

    def commit(self) -> None:
        with self.table.lock:
            for change in self._changes:
                if not change.allowed(self.table.items.get(change.key)):
                    raise (change.refused or _contention)()
            for change in self._changes:
                self.table._apply(change)


def _contention() -> Exception:
    return Contention("a concurrent request changed the same records")


def versioned(key: Key, value: Any, read_version: int, refused: Callable[[], Exception] | None = None) -> Change:
    """Write `value` if the stored one is still at `read_version` (0: if there is none)."""

    def allowed(current: Any) -> bool:
        if read_version == 0:
            return current is None
        return current is not None and getattr(current, "version", None) == read_version

    return Change(key, lambda _: value, allowed, refused)


def put(key: Key, value: Any) -> Change:
    """Write `value` whatever is stored (None deletes)."""
    return Change(key, lambda _: value)


def absent(key: Key, value: Any, refused: Callable[[], Exception] | None = None) -> Change:
    """Write `value` only where nothing is stored yet."""
    return Change(key, lambda _: value, lambda current: current is None, refused)


def page(
    rows: Iterable[tuple[str, T]], cursor: str | None, limit: int, scope: str, *, newest_first: bool = False
) -> Page[T]:
    """A page of `rows` (sort key, value), in sort-key order (descending if `newest_first`), after the
    cursor's sort key.

    The cursor is opaque to callers and names the list it was made for, so one list's cursor is a 400
    on another, as with DynamoDB's.
    """
    after = _decode(cursor, scope)
    beyond = (lambda k: k < after) if newest_first else (lambda k: k > after)
    ordered = sorted((r for r in rows if after is None or beyond(r[0])), key=lambda r: r[0], reverse=newest_first)
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return Page(items=[v for _, v in chosen], next=_encode(scope, chosen[-1][0]) if more and chosen else None)


def _encode(scope: str, after: str) -> str:
    return cursors.pack({"scope": scope, "after": after})


def _decode(cursor: str | None, scope: str) -> str | None:
    if cursor is None:
        return None
    data = cursors.unpack(cursor)
    if data.get("scope") != scope or not isinstance(data.get("after"), str):
        raise ValidationFailed("next is not a valid cursor for this list")
    return str(data["after"])
