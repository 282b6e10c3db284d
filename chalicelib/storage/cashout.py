"""Top-up records and payouts, in the resident's item collection `U#<user>`, and the wallet changes of the table's
stream:

| item   | sk                | gsi1 (pk / sk)                                   |
|--------|-------------------|--------------------------------------------------|
| charge | `CHG#<charge id>` |                                                  |
| payout | `PAYOUT#<id>`     | `PAYOUT#PENDING` / `<created at>#<id>`¹          |

¹ only while the payout is `pending` (a sparse index): the write that marks it paid or declined removes it, so the
sweep finds every payout whose request was lost, however old, and none that is done. A wallet whose automatic
top-up is in flight is listed the same way under `AUTOCHARGE#INFLIGHT` (storage/wallets.py). Times are KST ISO
strings of one width, so they sort as they happen.

The table's stream (NEW_AND_OLD_IMAGES) carries every write; `wallet_change` reads a record of it back into
the wallet before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.autocharge import WalletChange
from chalicelib.domain.cashout import PAYOUT_PENDING, Payout
from chalicelib.domain.ports.unit import Batch, Key, Slot, Tx
from chalicelib.domain.wallet import ChargeRecord, Wallet
from chalicelib.storage import wallets
from chalicelib.storage.table import Put, Table, version_condition

PENDING_GSI = "PAYOUT#PENDING"


@dataclass(frozen=True)
class Items:
    ChargeItem: Any
    PayoutItem: Any


def define(Item: Any) -> Items:
    class ChargeItem(Item, discriminator="charge"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        charge_id = UnicodeAttribute()
        amount = NumberAttribute()
        month = UnicodeAttribute()
        kind = UnicodeAttribute()
        created_at = UnicodeAttribute()
        status = UnicodeAttribute()
        cancelled_at = UnicodeAttribute(null=True)
        payout_id = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class PayoutItem(Item, discriminator="payout"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        payout_id = UnicodeAttribute()
        kind = UnicodeAttribute()
        amount = NumberAttribute()
        created_at = UnicodeAttribute()
        status = UnicodeAttribute()
        ref = UnicodeAttribute(null=True)
        reason = UnicodeAttribute(null=True)
        finished_at = UnicodeAttribute(null=True)
        version = NumberAttribute()

    return Items(ChargeItem, PayoutItem)


def charge_key(user_id: str, charge_id: str) -> Key:
    return wallets.user_pk(user_id), f"CHG#{charge_id}"


def payout_key(user_id: str, payout_id: str) -> Key:
    return wallets.user_pk(user_id), f"PAYOUT#{payout_id}"


def to_charge(it: Any) -> ChargeRecord:
    return ChargeRecord(charge_id=it.charge_id, user_id=it.user_id, amount=int(it.amount), month=it.month,
                        kind=it.kind, created_at=it.created_at, status=it.status, cancelled_at=it.cancelled_at,
                        payout_id=it.payout_id, version=int(it.version))


def to_payout(it: Any) -> Payout:
    return Payout(payout_id=it.payout_id, user_id=it.user_id, kind=it.kind, amount=int(it.amount),
                  created_at=it.created_at, status=it.status, ref=it.ref, reason=it.reason,
                  finished_at=it.finished_at, version=int(it.version))


class DynamoCashouts:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)
        self._wallet_items = table.define(wallets.define)

    def want_charge(self, batch: Batch, user_id: str, charge_id: str) -> Slot[ChargeRecord | None]:
        slot: Slot[ChargeRecord | None] = batch.slot(None)
        batch.want(charge_key(user_id, charge_id), lambda it: slot.fill(to_charge(it)))
        return slot

    def stage_charge(self, tx: Tx, record: ChargeRecord, read_version: int) -> None:
        r = record
        item = self.m.ChargeItem(*charge_key(r.user_id, r.charge_id), user_id=r.user_id, charge_id=r.charge_id,
                                 amount=r.amount, month=r.month, kind=r.kind, created_at=r.created_at,
                                 status=r.status, cancelled_at=r.cancelled_at, payout_id=r.payout_id,
                                 version=r.version)
        tx.add(Put(item, version_condition(self._table, self.m.ChargeItem, read_version)))

    def want_payout(self, batch: Batch, user_id: str, payout_id: str) -> Slot[Payout | None]:
        slot: Slot[Payout | None] = batch.slot(None)
        batch.want(payout_key(user_id, payout_id), lambda it: slot.fill(to_payout(it)))
        return slot

    def stage_payout(self, tx: Tx, payout: Payout, read_version: int) -> None:
        p = payout
        pending = {"gsi1pk": PENDING_GSI, "gsi1sk": f"{p.created_at}#{p.payout_id}"} if p.status == PAYOUT_PENDING else {}
        item = self.m.PayoutItem(*payout_key(p.user_id, p.payout_id), user_id=p.user_id, payout_id=p.payout_id,
                                 kind=p.kind, amount=p.amount, created_at=p.created_at, status=p.status, ref=p.ref,
                                 reason=p.reason, finished_at=p.finished_at, version=p.version, **pending)
        tx.add(Put(item, version_condition(self._table, self.m.PayoutItem, read_version)))

    def pending_payouts(self, before: str, limit: int) -> list[Payout]:
        cond = self._table.Item.gsi1sk < before
        items = self._table.guard(lambda: list(self._table.Item.gsi1.query(PENDING_GSI, cond, limit=limit)))
        return [to_payout(it) for it in items]

    def auto_charges_in_flight(self, before: str, limit: int) -> list[Wallet]:
        cond = self._table.Item.gsi1sk < before
        items = self._table.guard(
            lambda: list(self._table.Item.gsi1.query(wallets.in_flight_pk(), cond, limit=limit)))
        return [wallets.to_wallet(it) for it in items]

    def wallet_change(self, record: Mapping[str, Any]) -> WalletChange | None:
        data = record.get("dynamodb") or {}
        new, old = data.get("NewImage"), data.get("OldImage")
        if not new or (new.get("entry") or {}).get("S") != "wallet":
            return None
        item = self._wallet_items.WalletItem
        before = wallets.to_wallet(item.from_raw_data(old)) if old else None
        return WalletChange(before, wallets.to_wallet(item.from_raw_data(new)))
