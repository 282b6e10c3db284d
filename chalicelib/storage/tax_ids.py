"""Residents' registration numbers for the National Tax Service link, encrypted by the caller, and which
resident holds each number:

| item         | pk                       | sk         | gsi1 (pk / sk)          |
|--------------|--------------------------|------------|-------------------------|
| tax-id       | `U#<user>`               | `TAXID`    | `TAXIDS#<nn>` / `<user>` |
| tax-id-claim | `TAXIDMAC#<fingerprint>` | `TAXIDMAC` |                         |

The sparse index spreads the registrations over 16 keys (no hot index partition). A claim is keyed by the
number's fingerprint (a keyed MAC, never the number nor a plain hash of it) and names its holder; it is
written in the same transaction as the registration, on condition that no one else holds it, so two
residents can never register one number. The registration keeps its fingerprint (`rrn_mac`) so that a
replacement or a removal releases the claim in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.ports.unit import Batch, Key, Slot, Tx
from chalicelib.domain.rrn import TaxIdRegistration, number_taken
from chalicelib.domain.shards import shard_of
from chalicelib.storage.table import Delete, Put, Table

TAX_ID_SHARDS = 16


@dataclass(frozen=True)
class Items:
    TaxIdItem: Any
    TaxIdClaimItem: Any


def define(Item: Any) -> Items:
    class TaxIdItem(Item, discriminator="tax-id"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        rrn_encrypted = UnicodeAttribute()
        rrn_masked = UnicodeAttribute()
        rrn_mac = UnicodeAttribute(null=True)  # absent on registrations made before claims were kept
        consent_nts_at = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    class TaxIdClaimItem(Item, discriminator="tax-id-claim"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()

    return Items(TaxIdItem, TaxIdClaimItem)


def tax_id_key(user_id: str) -> Key:
    return f"U#{user_id}", "TAXID"


def claim_key(fingerprint: str) -> Key:
    return f"TAXIDMAC#{fingerprint}", "TAXIDMAC"


def to_registration(it: Any) -> TaxIdRegistration:
    return TaxIdRegistration(it.user_id, it.rrn_masked, it.rrn_mac, it.updated_at)


class DynamoTaxIds:
    shards = TAX_ID_SHARDS

    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def want(self, batch: Batch, user_id: str) -> Slot[TaxIdRegistration | None]:
        slot: Slot[TaxIdRegistration | None] = batch.slot(None)
        batch.want(tax_id_key(user_id), lambda it: slot.fill(to_registration(it)))
        return slot

    def get(self, user_id: str) -> TaxIdRegistration | None:
        it = self._table.get(self.m.TaxIdItem, tax_id_key(user_id))
        return to_registration(it) if it is not None else None

    def stage_put(
        self, tx: Tx, registration: TaxIdRegistration, encrypted: str, previous: TaxIdRegistration | None
    ) -> None:
        r = registration
        if r.fingerprint is None:
            raise ValueError("a registration is stored with its number's fingerprint")
        T, C = self.m.TaxIdItem, self.m.TaxIdClaimItem
        tx.add(Put(C(*claim_key(r.fingerprint), user_id=r.user_id), self._free_or_held_by(r.user_id), number_taken))
        released = previous.fingerprint if previous is not None else None
        if released is not None and released != r.fingerprint:  # one transaction may not touch an item twice
            tx.add(Delete(C(*claim_key(released)), self._free_or_held_by(r.user_id)))
        item = T(
            *tax_id_key(r.user_id), gsi1pk=f"TAXIDS#{shard_of(r.user_id, self.shards):02d}", gsi1sk=r.user_id,
            user_id=r.user_id, rrn_encrypted=encrypted, rrn_masked=r.masked, rrn_mac=r.fingerprint,
            consent_nts_at=r.updated_at, updated_at=r.updated_at,
        )  # fmt: skip
        tx.add(Put(item, self._unchanged(previous)))

    def stage_delete(self, tx: Tx, previous: TaxIdRegistration) -> None:
        tx.add(Delete(self.m.TaxIdItem(*tax_id_key(previous.user_id)), self._unchanged(previous)))
        if previous.fingerprint is not None:
            tx.add(Delete(self.m.TaxIdClaimItem(*claim_key(previous.fingerprint)),
                          self._free_or_held_by(previous.user_id)))

    def in_shard(self, shard: int) -> list[tuple[str, str]]:
        items = self._table.guard(lambda: list(self._table.Item.gsi1.query(f"TAXIDS#{shard:02d}")))
        return [(it.user_id, it.rrn_encrypted) for it in items if isinstance(it, self.m.TaxIdItem)]

    def _free_or_held_by(self, user_id: str) -> Any:
        C = self.m.TaxIdClaimItem
        return C.pk.does_not_exist() | (C.user_id == user_id)

    def _unchanged(self, previous: TaxIdRegistration | None) -> Any:
        """The registration is still the one read: none, or one with the same fingerprint (which is all the
        claims depend on)."""
        T = self.m.TaxIdItem
        if previous is None:
            return T.pk.does_not_exist()
        if previous.fingerprint is None:
            return T.pk.exists() & T.rrn_mac.does_not_exist()
        return T.rrn_mac == previous.fingerprint
