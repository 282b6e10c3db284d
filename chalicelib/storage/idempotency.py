"""Stored first responses of Idempotency-Keys: `I#<caller>#<operation>#<key>` / `IDEM`, expiring by TTL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.errors import IdempotencyRace
from chalicelib.domain.idempotency import StoredResponse
from chalicelib.domain.ports.unit import Batch, Key, Slot, Tx
from chalicelib.storage.table import Put, Table


@dataclass(frozen=True)
class Items:
    IdemItem: Any


def define(Item: Any) -> Items:
    class IdemItem(Item, discriminator="idem"):  # type: ignore[call-arg]
        request_hash = UnicodeAttribute()
        status_code = NumberAttribute(null=True)
        body = UnicodeAttribute()
        expires_at = NumberAttribute()

    return Items(IdemItem)


def key_of(record_id: str) -> Key:
    return f"I#{record_id}", "IDEM"


class DynamoResponses:
    def __init__(self, table: Table, ttl_seconds: int) -> None:
        self._table = table
        self._m = table.define(define)
        self._ttl = ttl_seconds

    def want(self, batch: Batch, record_id: str) -> Slot[StoredResponse | None]:
        slot: Slot[StoredResponse | None] = batch.slot(None)
        batch.want(key_of(record_id), lambda it: slot.fill(StoredResponse(record_id, it.request_hash, it.body)))
        return slot

    def stage(self, tx: Tx, stored: StoredResponse, now_epoch: int) -> None:
        item = self._m.IdemItem(
            *key_of(stored.record_id), request_hash=stored.request_hash, body=stored.body,
            expires_at=now_epoch + self._ttl,
        )  # fmt: skip
        tx.add(Put(item, self._table.Item.pk.does_not_exist(), _raced))


def _raced() -> Exception:
    return IdempotencyRace("a request with the same Idempotency-Key committed first")
