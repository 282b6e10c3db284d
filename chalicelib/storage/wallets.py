"""Wallets, residents' months and the ledger, in the resident's item collection `U#<user>`:

| item   | sk            | also                                     |
|--------|---------------|------------------------------------------|
| wallet | `WALLET`      | gsi2 `WSHARD#<nnn>` / `<user>` (shards); gsi1 `AUTOCHARGE#INFLIGHT` / `<since>#<user>`¹ |
| month  | `M#<YYYY-MM>` |                                          |
| ledger | `L#<time>#<seq>#<id>` | `<seq>`: the wallet's version after it, 12 digits |

A wallet's ledger is read newest or oldest first in one Query on its sort key: all of it (`L#`), a KST month
(`L#YYYY-MM-`) or year (`L#YYYY-`), since every time is written in KST. Within one second the movements are
in the order they were made (`seq`). Movements written before `seq` was kept are `L#<time>#<id>`.

¹ only while the wallet's automatic top-up is in flight (the sweep's list, storage/cashout.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.ledger import Movement
from chalicelib.domain.ports.unit import Batch, Key, Page, Slot, Tx
from chalicelib.domain.shards import shard_of
from chalicelib.domain.wallet import AUTO_OFF, AutoCharge, AutoChargeResult, ResidentMonth, Wallet
from chalicelib.storage.table import GSI2_KEYS, TABLE_KEYS, Put, Table, decode_cursor, int_map, version_condition

if TYPE_CHECKING:
    from chalicelib.domain.books import BooksRow
    from chalicelib.storage.books import BooksReader


@dataclass(frozen=True)
class Items:
    WalletItem: Any
    MonthItem: Any
    LedgerItem: Any


def define(Item: Any) -> Items:
    class WalletItem(Item, discriminator="wallet"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        dong = UnicodeAttribute()
        charged_balance = NumberAttribute()
        cashback_balance = NumberAttribute()
        adjustment_due = NumberAttribute(default=0)
        version = NumberAttribute()
        created_at = UnicodeAttribute()
        terms_agreed_at = UnicodeAttribute()
        # the withdrawal's lifetime counters (absent on wallets stored before them: `tallied` False)
        charged_in = NumberAttribute(null=True)
        spent = NumberAttribute(null=True)
        tallied = BooleanAttribute(null=True)
        # 자동충전: `auto_below` exists only while it is on (the stream's filter selects on it)
        auto_mode = UnicodeAttribute(null=True)
        auto_below = NumberAttribute(null=True)
        auto_amount = NumberAttribute(null=True)
        auto_in_flight = UnicodeAttribute(null=True)
        auto_in_flight_amount = NumberAttribute(null=True)
        auto_in_flight_since = UnicodeAttribute(null=True)
        auto_seen = NumberAttribute(null=True)
        auto_last = MapAttribute[str, Any](null=True)

    class MonthItem(Item, discriminator="month"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        month = UnicodeAttribute()
        eligible_spend = NumberAttribute(default=0)
        charged = NumberAttribute(default=0)
        spend = MapAttribute[str, Any](default=dict)
        accrued = MapAttribute[str, Any](default=dict)
        settled = BooleanAttribute(default=False)
        version = NumberAttribute()
        credited = NumberAttribute(default=0)
        settled_accrued = MapAttribute[str, Any](default=dict)
        adjustment_applied = NumberAttribute(default=0)
        auto_donated = NumberAttribute(default=0)
        recovered_from_charged = NumberAttribute(default=0)
        still_owed = NumberAttribute(default=0)

    class LedgerItem(Item, discriminator="ledger"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        movement = UnicodeAttribute()
        ref = UnicodeAttribute()
        d_charged = NumberAttribute()
        d_cashback = NumberAttribute()
        created_at = UnicodeAttribute()
        merchant_id = UnicodeAttribute(null=True)
        gross = NumberAttribute(default=0)
        discount = NumberAttribute(default=0)
        charged_after = NumberAttribute(null=True)
        cashback_after = NumberAttribute(null=True)
        merchant_name = UnicodeAttribute(null=True)
        seq = NumberAttribute(null=True)
        channel = UnicodeAttribute(null=True)

    return Items(WalletItem, MonthItem, LedgerItem)


def user_pk(user_id: str) -> str:
    return f"U#{user_id}"


def wallet_key(user_id: str) -> Key:
    return user_pk(user_id), "WALLET"


def month_key(user_id: str, month: str) -> Key:
    return user_pk(user_id), f"M#{month}"


def shard_pk(shard: int) -> str:
    return f"WSHARD#{shard:03d}"


def ledger_sk(mv: Movement) -> str:
    return f"L#{mv.created_at}#{mv.seq:012d}#{mv.movement_id}"


def ledger_prefix(period: str | None) -> str:
    """The sort keys of a KST month (`YYYY-MM`) or year (`YYYY`), or of the whole ledger (None)."""
    return f"L#{period}-" if period else "L#"


def in_flight_pk() -> str:
    """gsi1 of a wallet whose automatic top-up is in flight (the sweep's list): `AUTOCHARGE#INFLIGHT`."""
    return "AUTOCHARGE#INFLIGHT"


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def auto_attributes(a: AutoCharge) -> dict[str, Any]:
    last = None if a.last is None else {k: v for k, v in asdict(a.last).items() if v is not None}
    return {"auto_mode": a.mode, "auto_below": a.below, "auto_amount": a.amount, "auto_in_flight": a.in_flight,
            "auto_in_flight_amount": a.in_flight_amount, "auto_in_flight_since": a.in_flight_since,
            "auto_seen": a.seen, "auto_last": last}


def to_auto(it: Any) -> AutoCharge:
    raw = it.auto_last.as_dict() if hasattr(it.auto_last, "as_dict") else it.auto_last
    last = None if not raw else AutoChargeResult(
        at=str(raw["at"]), amount=int(raw["amount"]), status=str(raw["status"]), reason=raw.get("reason"),
        charge_id=raw.get("charge_id"))
    return AutoCharge(mode=it.auto_mode or AUTO_OFF, below=_optional_int(it.auto_below),
                      amount=_optional_int(it.auto_amount), in_flight=it.auto_in_flight,
                      in_flight_amount=_optional_int(it.auto_in_flight_amount),
                      in_flight_since=it.auto_in_flight_since, seen=int(it.auto_seen or 0), last=last)


def to_wallet(it: Any) -> Wallet:
    return Wallet(
        user_id=it.user_id,
        dong=it.dong,
        charged_balance=int(it.charged_balance),
        cashback_balance=int(it.cashback_balance),
        adjustment_due=int(it.adjustment_due or 0),
        version=int(it.version),
        created_at=it.created_at,
        charged_in=int(it.charged_in or 0),
        spent=int(it.spent or 0),
        tallied=bool(it.tallied),
        auto=to_auto(it),
    )


def to_month(it: Any) -> ResidentMonth:
    return ResidentMonth(
        user_id=it.user_id,
        month=it.month,
        eligible_spend=int(it.eligible_spend),
        charged=int(it.charged),
        spend=int_map(it.spend),
        accrued=int_map(it.accrued),
        settled=bool(it.settled),
        version=int(it.version),
        credited=int(it.credited or 0),
        settled_accrued=int_map(it.settled_accrued),
        adjustment_applied=int(it.adjustment_applied or 0),
        auto_donated=int(it.auto_donated or 0),
        recovered_from_charged=int(it.recovered_from_charged or 0),
        still_owed=int(it.still_owed or 0),
    )


def to_movement(it: Any) -> Movement:
    return Movement(
        user_id=it.user_id,
        movement_id=it.sk.rsplit("#", 1)[-1],
        kind=it.movement,
        ref=it.ref,
        d_charged=int(it.d_charged),
        d_cashback=int(it.d_cashback),
        created_at=it.created_at,
        merchant_id=it.merchant_id,
        gross=int(it.gross or 0),
        discount=int(it.discount or 0),
        charged_after=None if it.charged_after is None else int(it.charged_after),
        cashback_after=None if it.cashback_after is None else int(it.cashback_after),
        merchant_name=it.merchant_name,
        seq=int(it.seq or 0),
        channel=it.channel,
    )


class DynamoWallets:
    def __init__(self, table: Table, shards: int) -> None:
        self._table = table
        self.m = table.define(define)
        self.shards = shards

    @cached_property
    def _books(self) -> BooksReader:
        """The books check's reads (storage/books.py): loaded by the settlement, the one use case that reads them."""
        from chalicelib.storage.books import BooksReader

        return BooksReader(self._table, self.m.WalletItem, self.m.LedgerItem)

    # ---- items (also used by the settlement benchmark's seeding) -----------------------------

    def wallet_item(self, w: Wallet) -> Any:
        return self.m.WalletItem(
            *wallet_key(w.user_id),
            gsi2pk=shard_pk(shard_of(w.user_id, self.shards)),
            gsi2sk=w.user_id,
            user_id=w.user_id,
            dong=w.dong,
            charged_balance=w.charged_balance,
            cashback_balance=w.cashback_balance,
            adjustment_due=w.adjustment_due,
            version=w.version,
            created_at=w.created_at,
            terms_agreed_at=w.created_at,
            charged_in=w.charged_in,
            spent=w.spent,
            tallied=w.tallied,
            **auto_attributes(w.auto),
            **({"gsi1pk": in_flight_pk(), "gsi1sk": f"{w.auto.in_flight_since}#{w.user_id}"}
               if w.auto.in_flight else {}),
        )

    def month_item(self, r: ResidentMonth) -> Any:
        return self.m.MonthItem(
            *month_key(r.user_id, r.month),
            user_id=r.user_id,
            month=r.month,
            eligible_spend=r.eligible_spend,
            charged=r.charged,
            spend=dict(r.spend),
            accrued=dict(r.accrued),
            settled=r.settled,
            version=r.version,
            credited=r.credited,
            settled_accrued=dict(r.settled_accrued),
            adjustment_applied=r.adjustment_applied,
            auto_donated=r.auto_donated,
            recovered_from_charged=r.recovered_from_charged,
            still_owed=r.still_owed,
        )

    def movement_item(self, mv: Movement) -> Any:
        return self.m.LedgerItem(
            user_pk(mv.user_id),
            ledger_sk(mv),
            user_id=mv.user_id,
            movement=mv.kind,
            ref=mv.ref,
            d_charged=mv.d_charged,
            d_cashback=mv.d_cashback,
            created_at=mv.created_at,
            merchant_id=mv.merchant_id,
            gross=mv.gross,
            discount=mv.discount,
            charged_after=mv.charged_after,
            cashback_after=mv.cashback_after,
            merchant_name=mv.merchant_name,
            seq=mv.seq,
            channel=mv.channel,
        )

    # ---- the unit of work --------------------------------------------------------------------

    def want(self, batch: Batch, user_id: str) -> Slot[Wallet | None]:
        slot: Slot[Wallet | None] = batch.slot(None)
        batch.want(wallet_key(user_id), lambda it: slot.fill(to_wallet(it)))
        return slot

    def want_month(self, batch: Batch, user_id: str, month: str) -> Slot[ResidentMonth]:
        slot = batch.slot(ResidentMonth(user_id, month))
        batch.want(month_key(user_id, month), lambda it: slot.fill(to_month(it)))
        return slot

    def stage(self, tx: Tx, wallet: Wallet, read_version: int) -> None:
        tx.add(Put(self.wallet_item(wallet), version_condition(self._table, self.m.WalletItem, read_version)))

    def stage_month(self, tx: Tx, month: ResidentMonth, read_version: int) -> None:
        tx.add(Put(self.month_item(month), version_condition(self._table, self.m.MonthItem, read_version)))

    def stage_movement(self, tx: Tx, movement: Movement) -> None:
        tx.add(Put(self.movement_item(movement), self._table.Item.pk.does_not_exist()))

    # ---- on their own ------------------------------------------------------------------------

    def open(self, wallet: Wallet) -> None:
        if not self._table.save_if(self.wallet_item(wallet), self._table.Item.pk.does_not_exist()):
            raise Conflict("a wallet is already open for this resident")

    def movements(self, user_id: str) -> list[Movement]:
        items = self._table.guard(
            lambda: list(self.m.LedgerItem.query(user_pk(user_id), self._table.Item.sk.startswith("L#")))
        )
        return [to_movement(it) for it in items]

    def history(
        self, user_id: str, month: str | None, limit: int, cursor: str | None, *, oldest_first: bool = False
    ) -> Page[Movement]:
        """One Query (consistent: a payment shows at once) on the ledger's sort key, newest first unless asked;
        a cursor of another month's list is a 400."""
        pk, prefix = user_pk(user_id), ledger_prefix(month)
        start = decode_cursor(cursor, TABLE_KEYS, pk, 0)
        if start is not None and not start["sk"]["S"].startswith(prefix):
            raise ValidationFailed("next is not a valid cursor for this list")
        condition = self._table.Item.sk.startswith(prefix)
        return self._table.page(
            lambda at, n: self.m.LedgerItem.query(pk, condition, scan_index_forward=oldest_first, limit=n,
                                                  last_evaluated_key=at, consistent_read=True),
            to_movement, cursor, limit, TABLE_KEYS, pk,
        )  # fmt: skip

    def movements_in(self, user_id: str, period: str) -> list[Movement]:
        condition = self._table.Item.sk.startswith(ledger_prefix(period))
        items = self._table.guard(
            lambda: list(self.m.LedgerItem.query(user_pk(user_id), condition, consistent_read=True))
        )
        return [to_movement(it) for it in items]

    def in_shard(self, shard: int, cursor: str | None, limit: int) -> Page[Wallet]:
        """The sparse gsi2 holds only wallets under WSHARD#."""
        return self._table.page(
            lambda start, n: self._table.Item.gsi2.query(shard_pk(shard), limit=n, last_evaluated_key=start),
            to_wallet, cursor, limit, GSI2_KEYS, shard_pk(shard),
        )  # fmt: skip

    def months_of(self, user_ids: list[str], month: str) -> dict[str, ResidentMonth]:
        if not user_ids:
            return {}
        keys = [month_key(u, month) for u in user_ids]
        found = {
            it.user_id: to_month(it)
            for it in self._table.guard(lambda: list(self.m.MonthItem.batch_get(keys, consistent_read=True)))
        }
        return {u: found.get(u) or ResidentMonth(u, month) for u in user_ids}

    def books_page(self, segment: int, segments: int, cursor: str | None, limit: int) -> Page[BooksRow]:
        """One Scan request of the segment (storage/books.py)."""
        return self._books.page(segment, segments, cursor, limit)

    def books_of(self, user_id: str) -> list[BooksRow]:
        return self._books.of(user_pk(user_id))
