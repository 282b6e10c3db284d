"""Residents' registration numbers for the National Tax Service link, encrypted by the caller:
`U#<user>` / `TAXID`, in the sparse index gsi1 `TAXIDS#<nn>` / `<user>` (spread over 16 keys: no hot
index partition)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.ports.unit import Key
from chalicelib.domain.settlement import shard_of
from chalicelib.storage.table import Table

TAX_ID_SHARDS = 16


@dataclass(frozen=True)
class Items:
    TaxIdItem: Any


def define(Item: Any) -> Items:
    class TaxIdItem(Item, discriminator="tax-id"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        rrn_encrypted = UnicodeAttribute()
        rrn_masked = UnicodeAttribute()
        consent_nts_at = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    return Items(TaxIdItem)


def tax_id_key(user_id: str) -> Key:
    return f"U#{user_id}", "TAXID"


class DynamoTaxIds:
    shards = TAX_ID_SHARDS

    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def put(self, user_id: str, encrypted: str, masked: str, at: str) -> None:
        item = self.m.TaxIdItem(
            *tax_id_key(user_id), gsi1pk=f"TAXIDS#{shard_of(user_id, self.shards):02d}", gsi1sk=user_id,
            user_id=user_id, rrn_encrypted=encrypted, rrn_masked=masked, consent_nts_at=at, updated_at=at,
        )  # fmt: skip
        self._table.guard(item.save)

    def get(self, user_id: str) -> tuple[str, str] | None:
        it = self._table.get(self.m.TaxIdItem, tax_id_key(user_id))
        return (it.rrn_masked, it.updated_at) if it is not None else None

    def delete(self, user_id: str) -> None:
        self._table.guard(lambda: self.m.TaxIdItem(*tax_id_key(user_id)).delete())

    def in_shard(self, shard: int) -> list[tuple[str, str]]:
        items = self._table.guard(lambda: list(self._table.Item.gsi1.query(f"TAXIDS#{shard:02d}")))
        return [(it.user_id, it.rrn_encrypted) for it in items if isinstance(it, self.m.TaxIdItem)]
