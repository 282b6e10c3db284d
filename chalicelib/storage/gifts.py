"""선물하기 gifts, their claim codes' digests, the recipients' list entries and the unknown-code counters:

| item     | pk                  | sk                | gsi1 (pk / sk)                         | gsi2 (pk / sk)            |
|----------|---------------------|-------------------|----------------------------------------|---------------------------|
| gift     | `GIFT#<id>`         | `GIFT`            | `UG#<sender>` / `<sent at>#<id>`       | `GIFTDUE` / `<due>#<id>`¹ |
| received | `GIFT#<id>`         | `RECEIVED`        | `UG#<recipient>` / `<claimed at>#<id>` |                           |
| code     | `GIFTCODE#<sha256>` | `CODE`            |                                        |                           |
| misses   | `U#<user>`          | `GIFTMISS#<hour>` |                                        |                           |

¹ only while the gift is `sent`; `<due>` is its `expires_at`; `<hour>` is the KST clock hour, `YYYY-MM-DDTHH`.

A resident's sent and received gifts share one gsi1 partition, so `GET /gifts` is one query. The gift's
due marker is its own gsi2 entry (a sparse index): written with the gift, gone in the same write that
claims, cancels or returns it, so the sweep finds every gift due however long it was down, and never a
marker left behind. Times are KST ISO strings of one width, so they sort as they happen. The claim code
itself is stored nowhere: only its SHA-256. An unknown-code counter expires (TTL `expires_at`) an hour
after its hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.gifts import DIRECTION_RECEIVED, DIRECTION_SENT, SENT, Gift, GiftEntry
from chalicelib.domain.ports.unit import Batch, Key, Page, Slot, Tx
from chalicelib.storage.table import PAGE_KEYS, Put, Table, version_condition

DUE_GSI = "GIFTDUE"


@dataclass(frozen=True)
class Items:
    GiftItem: Any
    ReceivedItem: Any
    CodeItem: Any
    MissesItem: Any


def define(Item: Any) -> Items:
    class GiftItem(Item, discriminator="gift"):  # type: ignore[call-arg]
        gift_id = UnicodeAttribute()
        sender_id = UnicodeAttribute()
        amount = NumberAttribute()
        message = UnicodeAttribute(null=True)
        status = UnicodeAttribute()
        created_at = UnicodeAttribute()
        claim_until = UnicodeAttribute()  # not `expires_at`: that name is the table's TTL attribute
        recipient_id = UnicodeAttribute(null=True)
        claimed_at = UnicodeAttribute(null=True)
        ended_at = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class ReceivedItem(Item, discriminator="gift-received"):  # type: ignore[call-arg]
        gift_id = UnicodeAttribute()
        sender_id = UnicodeAttribute()
        amount = NumberAttribute()
        message = UnicodeAttribute(null=True)
        status = UnicodeAttribute()
        created_at = UnicodeAttribute()
        claim_until = UnicodeAttribute()
        recipient_id = UnicodeAttribute(null=True)
        claimed_at = UnicodeAttribute(null=True)
        ended_at = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class CodeItem(Item, discriminator="gift-code"):  # type: ignore[call-arg]
        gift_id = UnicodeAttribute()

    class MissesItem(Item, discriminator="gift-misses"):  # type: ignore[call-arg]
        misses = NumberAttribute(null=True)
        expires_at = NumberAttribute(null=True)

    return Items(GiftItem, ReceivedItem, CodeItem, MissesItem)


def gift_key(gift_id: str) -> Key:
    return f"GIFT#{gift_id}", "GIFT"


def received_key(gift_id: str) -> Key:
    return f"GIFT#{gift_id}", "RECEIVED"


def code_key(digest: str) -> Key:
    return f"GIFTCODE#{digest}", "CODE"


def misses_key(user_id: str, window: str) -> Key:
    return f"U#{user_id}", f"GIFTMISS#{window}"


def list_pk(user_id: str) -> str:
    return f"UG#{user_id}"


def to_gift(it: Any) -> Gift:
    return Gift(
        gift_id=it.gift_id, sender_id=it.sender_id, amount=int(it.amount), message=it.message, status=it.status,
        created_at=it.created_at, expires_at=it.claim_until, recipient_id=it.recipient_id, claimed_at=it.claimed_at,
        ended_at=it.ended_at, version=int(it.version),
    )  # fmt: skip


def _fields(g: Gift) -> dict[str, Any]:
    return {"gift_id": g.gift_id, "sender_id": g.sender_id, "amount": g.amount, "message": g.message,
            "status": g.status, "created_at": g.created_at, "claim_until": g.expires_at,
            "recipient_id": g.recipient_id, "claimed_at": g.claimed_at, "ended_at": g.ended_at, "version": g.version}


class DynamoGifts:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def gift_item(self, g: Gift) -> Any:
        due = {"gsi2pk": DUE_GSI, "gsi2sk": f"{g.expires_at}#{g.gift_id}"} if g.status == SENT else {}
        return self.m.GiftItem(*gift_key(g.gift_id), gsi1pk=list_pk(g.sender_id),
                               gsi1sk=f"{g.created_at}#{g.gift_id}", **due, **_fields(g))

    def want(self, batch: Batch, gift_id: str) -> Slot[Gift | None]:
        slot: Slot[Gift | None] = batch.slot(None)
        batch.want(gift_key(gift_id), lambda it: slot.fill(to_gift(it)))
        return slot

    def want_code(self, batch: Batch, digest: str) -> Slot[str | None]:
        slot: Slot[str | None] = batch.slot(None)
        batch.want(code_key(digest), lambda it: slot.fill(str(it.gift_id)))
        return slot

    def want_misses(self, batch: Batch, user_id: str, window: str) -> Slot[int]:
        slot = batch.slot(0)
        batch.want(misses_key(user_id, window), lambda it: slot.fill(int(it.misses or 0)))
        return slot

    def stage(self, tx: Tx, gift: Gift, read_version: int) -> None:
        tx.add(Put(self.gift_item(gift), version_condition(self._table, self.m.GiftItem, read_version)))

    def stage_code(self, tx: Tx, digest: str, gift_id: str) -> None:
        tx.add(Put(self.m.CodeItem(*code_key(digest), gift_id=gift_id), self._table.Item.pk.does_not_exist()))

    def stage_received(self, tx: Tx, gift: Gift) -> None:
        item = self.m.ReceivedItem(*received_key(gift.gift_id), gsi1pk=list_pk(gift.recipient_id or ""),
                                   gsi1sk=f"{gift.claimed_at}#{gift.gift_id}", **_fields(gift))
        tx.add(Put(item, self._table.Item.pk.does_not_exist()))

    def count_miss(self, user_id: str, window: str, limit: int, expires_epoch: int) -> bool:
        M = self.m.MissesItem
        actions = [M.misses.add(1), M.expires_at.set(expires_epoch), M.entry.set(M)]
        return self._table.update_if(M(*misses_key(user_id, window)), actions,
                                     M.misses.does_not_exist() | (M.misses < limit))

    def of_user(self, user_id: str, limit: int, cursor: str | None) -> Page[GiftEntry]:
        received = self.m.ReceivedItem

        def entry(it: Any) -> GiftEntry:
            return GiftEntry(DIRECTION_RECEIVED if isinstance(it, received) else DIRECTION_SENT, to_gift(it))

        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(list_pk(user_id), limit=n, last_evaluated_key=start,
                                                         scan_index_forward=False),
            entry, cursor, limit, PAGE_KEYS, list_pk(user_id),
        )  # fmt: skip

    def due(self, now: str, limit: int) -> list[Gift]:
        # '$' follows '#': every entry expiring at `now` (whatever its id) sorts before `now$`.
        cond = self._table.Item.gsi2sk < f"{now}$"
        items = self._table.guard(lambda: list(self._table.Item.gsi2.query(DUE_GSI, cond, limit=limit)))
        return [to_gift(it) for it in items]
