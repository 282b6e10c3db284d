"""Payments and the programs' monthly budget slices:

| item    | pk                             | sk        | gsi1 (pk / sk)                    | gsi2 (pk / sk)           |
|---------|--------------------------------|-----------|-----------------------------------|--------------------------|
| payment | `P#<id>`                       | `PAYMENT` | `U#<user>` / `<month>#<time>#<id>` | `MER#<id>` / same as gsi1 |
| budget  | `BUDGET#<month>#<program>#<k>` | `SLICE`   |                                   |                          |

A budget's slice number is in the partition key, so the slices of a busy program sit in eight partitions
(8 × 1,000 write units/s), not in one item collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.budget import BUDGET_SHARDS, BudgetChange
from chalicelib.domain.payment import Payment
from chalicelib.domain.ports.unit import Batch, Key, Page, Slot, Tx
from chalicelib.storage.table import GSI2_KEYS, PAGE_KEYS, Put, Table, Update, int_map, version_condition


@dataclass(frozen=True)
class Items:
    PaymentItem: Any
    BudgetItem: Any


def define(Item: Any) -> Items:
    class PaymentItem(Item, discriminator="payment"):  # type: ignore[call-arg]
        payment_id = UnicodeAttribute()
        user_id = UnicodeAttribute()
        merchant_id = UnicodeAttribute()
        month = UnicodeAttribute()
        channel = UnicodeAttribute()
        list_amount = NumberAttribute()
        discount = NumberAttribute()
        paid = NumberAttribute()
        from_cashback = NumberAttribute()
        from_charged = NumberAttribute()
        programs = ListAttribute[str](of=UnicodeAttribute)
        cashback = MapAttribute[str, Any](default=dict)
        refunded = NumberAttribute(default=0)
        refunded_charged = NumberAttribute(default=0)
        refunded_cashback = NumberAttribute(default=0)
        status = UnicodeAttribute()
        created_at = UnicodeAttribute()
        order_id = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class BudgetItem(Item, discriminator="budget"):  # type: ignore[call-arg]
        cap = NumberAttribute(null=True)
        used = NumberAttribute(default=0)

    return Items(PaymentItem, BudgetItem)


def payment_key(payment_id: str) -> Key:
    return f"P#{payment_id}", "PAYMENT"


def budget_key(month: str, program_id: str, k: int) -> Key:
    return f"BUDGET#{month}#{program_id}#{k}", "SLICE"


def to_payment(it: Any) -> Payment:
    return Payment(
        payment_id=it.payment_id,
        user_id=it.user_id,
        merchant_id=it.merchant_id,
        month=it.month,
        channel=it.channel,
        list_amount=int(it.list_amount),
        discount=int(it.discount),
        paid=int(it.paid),
        from_cashback=int(it.from_cashback),
        from_charged=int(it.from_charged),
        programs=tuple(it.programs or ()),
        cashback=int_map(it.cashback),
        refunded=int(it.refunded),
        refunded_charged=int(it.refunded_charged),
        refunded_cashback=int(it.refunded_cashback),
        status=it.status,
        created_at=it.created_at,
        order_id=it.order_id,
        version=int(it.version),
    )


class DynamoPayments:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def payment_item(self, p: Payment) -> Any:
        sort = f"{p.month}#{p.created_at}#{p.payment_id}"
        return self.m.PaymentItem(
            *payment_key(p.payment_id),
            gsi1pk=f"U#{p.user_id}",
            gsi1sk=sort,
            gsi2pk=f"MER#{p.merchant_id}",
            gsi2sk=sort,
            payment_id=p.payment_id,
            user_id=p.user_id,
            merchant_id=p.merchant_id,
            month=p.month,
            channel=p.channel,
            list_amount=p.list_amount,
            discount=p.discount,
            paid=p.paid,
            from_cashback=p.from_cashback,
            from_charged=p.from_charged,
            programs=list(p.programs),
            cashback=dict(p.cashback),
            refunded=p.refunded,
            refunded_charged=p.refunded_charged,
            refunded_cashback=p.refunded_cashback,
            status=p.status,
            created_at=p.created_at,
            order_id=p.order_id,
            version=p.version,
        )

    def want(self, batch: Batch, payment_id: str) -> Slot[Payment | None]:
        slot: Slot[Payment | None] = batch.slot(None)
        batch.want(payment_key(payment_id), lambda it: slot.fill(to_payment(it)))
        return slot

    def stage(self, tx: Tx, payment: Payment, read_version: int) -> None:
        tx.add(Put(self.payment_item(payment), version_condition(self._table, self.m.PaymentItem, read_version)))

    def of_resident(self, user_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
        condition = self._table.Item.gsi1sk.startswith(f"{month}#") if month else None
        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(f"U#{user_id}", condition, limit=n, last_evaluated_key=start),
            to_payment, cursor, limit, PAGE_KEYS, f"U#{user_id}",
        )  # fmt: skip

    def of_merchant(self, merchant_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Payment]:
        """gsi2 holds every payment under its merchant, sorted by month and time: read backwards, newest first."""
        condition = self._table.Item.gsi2sk.startswith(f"{month}#") if month else None
        return self._table.page(
            lambda start, n: self._table.Item.gsi2.query(f"MER#{merchant_id}", condition, limit=n,
                                                      last_evaluated_key=start, scan_index_forward=False),
            to_payment, cursor, limit, GSI2_KEYS, f"MER#{merchant_id}",
        )  # fmt: skip


class DynamoBudgets:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def want(self, batch: Batch, month: str, program_ids: Sequence[str]) -> Slot[dict[str, dict[int, int]]]:
        slot: Slot[dict[str, dict[int, int]]] = batch.slot({})

        def found(program_id: str, k: int) -> Any:
            return lambda it: slot.change(lambda used: {**used, program_id: {**used.get(program_id, {}),
                                                                             k: int(it.used or 0)}})

        for program_id in program_ids:
            for k in range(BUDGET_SHARDS):
                batch.want(budget_key(month, program_id, k), found(program_id, k))
        return slot

    def stage(self, tx: Tx, changes: Sequence[BudgetChange]) -> None:
        B = self.m.BudgetItem
        for b in changes:
            if b.delta <= 0:
                guard = B.used >= -b.delta
            elif b.delta <= b.cap:  # a slice never used yet has room for its whole cap
                guard = B.used.does_not_exist() | (B.used <= b.cap - b.delta)
            else:  # more than the whole cap: never (an absent `used` fails the comparison)
                guard = B.used <= b.cap - b.delta
            tx.add(Update(B(*budget_key(b.month, b.program_id, b.shard)),
                          [B.used.add(b.delta), B.cap.set(b.cap), B.entry.set(B)], guard))

    def used(self, month: str, program_id: str) -> int:
        keys = [budget_key(month, program_id, k) for k in range(BUDGET_SHARDS)]
        items = self._table.guard(lambda: list(self.m.BudgetItem.batch_get(keys)))
        return sum(int(it.used or 0) for it in items)
