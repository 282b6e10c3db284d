"""Wrapped data keys: `KEY#<name>` / `KEY`, each put once (conditional on its absence, in the transaction of the
use case that first needed it) and never changed.

The item holds a KMS ciphertext only (base64): the key it wraps needs KMS Decrypt under the personal-data key,
which only the API's role may call.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.ports.unit import Batch, Key, Slot, Tx
from chalicelib.storage.table import Put, Table


@dataclass(frozen=True)
class Items:
    DataKeyItem: Any


def define(Item: Any) -> Items:
    class DataKeyItem(Item, discriminator="data_key"):  # type: ignore[call-arg]
        wrapped = UnicodeAttribute()

    return Items(DataKeyItem)


def key_of(name: str) -> Key:
    return f"KEY#{name}", "KEY"


class DynamoKeys:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._m = table.define(define)

    def want(self, batch: Batch, name: str) -> Slot[bytes | None]:
        slot: Slot[bytes | None] = batch.slot(None)
        batch.want(key_of(name), lambda it: slot.fill(base64.b64decode(it.wrapped)))
        return slot

    def get(self, name: str) -> bytes | None:
        item = self._table.get(self._m.DataKeyItem, key_of(name))
        return None if item is None else base64.b64decode(item.wrapped)

    def stage(self, tx: Tx, name: str, wrapped: bytes) -> None:
        item = self._m.DataKeyItem(*key_of(name), wrapped=base64.b64encode(wrapped).decode("ascii"))
        tx.add(Put(item, self._table.Item.pk.does_not_exist()))
