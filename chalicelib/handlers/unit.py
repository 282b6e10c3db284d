"""The idempotent money write, written once: read the stored response in the same batch as everything else,
replay it if there is one, otherwise stage the effect and the stored response in one transaction.

A use case writes one `attempt(unit)`: it asks the repositories for what it needs (`unit.batch`), calls
`unit.read()` (None: first time; else the first outcome again), decides, stages its writes (`unit.tx`)
and returns `unit.commit(outcome)`. `write_once` retries the attempt when it lost a race, so the caller
is refused only for a business reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chalicelib import composition
from chalicelib.domain.idempotency import StoredResponse, fingerprint, record_id, replay
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.handlers.common import now, retrying

T = TypeVar("T")


_CODECS: dict[type[Any], Any] = {}


def _codec(kind: type[Any]) -> Any:
    """Outcomes are dataclasses; pydantic's TypeAdapter writes and reads them back exactly (nested ones too)."""
    if kind not in _CODECS:
        from pydantic import TypeAdapter

        _CODECS[kind] = TypeAdapter(kind)
    return _CODECS[kind]


@dataclass(frozen=True)
class Once(Generic[T]):
    """One caller's request under one Idempotency-Key: what it is stored as, and what it asked."""

    record_id: str
    request_hash: str
    kind: type[T]

    @classmethod
    def of(cls, kind: type[T], caller: str, operation: str, key: str, request: dict[str, Any]) -> Once[T]:
        return cls(record_id(caller, operation, key), fingerprint(operation, request), kind)

    def encode(self, outcome: T) -> str:
        return str(_codec(self.kind).dump_json(outcome).decode("utf-8"))

    def decode(self, body: str) -> T:
        value: T = _codec(self.kind).validate_json(body)
        return value


class Unit(Generic[T]):
    """One attempt: one batched read (with the stored response in it), then one transaction."""

    def __init__(self, once: Once[T], batch: Batch, tx: Tx) -> None:
        self.once = once
        self.batch = batch
        self.tx = tx
        self._stored: Slot[StoredResponse | None] = composition.container().repos.responses.want(batch, once.record_id)

    def read(self) -> T | None:
        """Run the batch; the first outcome if this key was answered before (another body: 422)."""
        self.batch.run()
        stored = self._stored.value
        return None if stored is None else self.once.decode(replay(stored, self.once.request_hash))

    def commit(self, outcome: T, keep: T | None = None) -> T:
        """Write the staged effect and the stored response together; `keep` is what to store when it should
        differ from what is returned (e.g. without personal data)."""
        at = now()
        body = self.once.encode(outcome if keep is None else keep)
        stored = StoredResponse(self.once.record_id, self.once.request_hash, body)
        composition.container().repos.responses.stage(self.tx, stored, int(at.timestamp()))
        self.tx.commit()
        return outcome


def write_once(once: Once[T], attempt: Callable[[Unit[T]], T], *, lock: str, shared: str | None = None) -> T:
    """Run `attempt` until it commits or refuses for a business reason; `lock` and `shared` as in `retrying`."""
    store = composition.container().repos.store

    def one() -> T:
        return attempt(Unit(once, store.batch(), store.tx()))

    return retrying(one, lock, shared)
