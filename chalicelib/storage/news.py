"""The news board: posts and staff's notice records.

| item   | pk                 | sk       | gsi1 (pk / sk)                          | gsi2 (pk / sk)                   |
|--------|--------------------|----------|-----------------------------------------|----------------------------------|
| post   | `NEWS#<post id>`   | `POST`   | by status, below                         | `NEWS-EXPIRY` / `<expires_at>#<id>` |
| notice | `NOTICE#<post id>` | `NOTICE` |                                         | `NOTICES` / `<key>#<post id>`     |
| alert lease | `NEWS#<post id>` | `ALERT-LEASE` |                                  |                                  |

A post is in at most one gsi1 list, by status: published `NEWS` / `<rank>#<published>#<id>` (rank 2
disaster, 1 pinned, 0 other; read newest first), scheduled `NEWS-SCHEDULED` / `<publish_at>#<id>`;
retired posts in none. Only a published post with an expiry is in gsi2's `NEWS-EXPIRY`. Times in keys
are UTC `YYYY-MM-DDTHH:MM:SSZ`. The lease on a post's alert push is an item of its own, so a revision of
the post (a whole new item) never drops a push in progress. A write that lost a race raises `Contention`
(the caller reads again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.errors import Contention
from chalicelib.domain.news import STATUS_PUBLISHED, STATUS_SCHEDULED, NoticeRecord, Post, listing_rank
from chalicelib.domain.notices import Problem
from chalicelib.domain.ports.unit import Page, Slot
from chalicelib.storage.table import GSI2_KEYS, PAGE_KEYS, Put, Table, Update

POST_SK = "POST"
LEASE_SK = "ALERT-LEASE"
NOTICE_SK = "NOTICE"
PUBLISHED_GSI = "NEWS"
SCHEDULED_GSI = "NEWS-SCHEDULED"
EXPIRY_GSI = "NEWS-EXPIRY"
NOTICES_GSI = "NOTICES"


@dataclass(frozen=True)
class Items:
    PostItem: Any
    NoticeItem: Any
    AlertLeaseItem: Any


def define(Item: Any) -> Items:
    class PostItem(Item, discriminator="post"):  # type: ignore[call-arg]
        post_id = UnicodeAttribute()
        key = UnicodeAttribute()
        title = UnicodeAttribute()
        category = UnicodeAttribute()
        district_wide = BooleanAttribute()
        dongs = UnicodeSetAttribute(null=True)
        body = UnicodeAttribute()
        body_html = UnicodeAttribute()
        status = UnicodeAttribute()
        pinned = BooleanAttribute(default=False)
        publish_at = UnicodeAttribute(null=True)
        expires_at = UnicodeAttribute(null=True)
        published_at = UnicodeAttribute(null=True)
        alert_fingerprint = UnicodeAttribute()
        alerted = UnicodeAttribute(null=True)
        revision = NumberAttribute()
        created_at = UnicodeAttribute()
        updated_at = UnicodeAttribute()
        version = NumberAttribute()

    class NoticeItem(Item, discriminator="notice"):  # type: ignore[call-arg]
        key = UnicodeAttribute()
        post_id = UnicodeAttribute()
        content_hash = UnicodeAttribute()
        rejected = BooleanAttribute(default=False)
        errors = UnicodeAttribute(null=True)
        deleted = BooleanAttribute(default=False)
        updated_at = UnicodeAttribute()
        version = NumberAttribute()

    class AlertLeaseItem(Item, discriminator="alert-lease"):  # type: ignore[call-arg]
        until = UnicodeAttribute()

    return Items(PostItem, NoticeItem, AlertLeaseItem)


def utc_key(instant: datetime) -> str:
    """A sortable UTC time: `YYYY-MM-DDTHH:MM:SSZ`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_key(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if text else None


def _post_pk(post_id: str) -> str:
    return f"NEWS#{post_id}"


def _notice_pk(post_id: str) -> str:
    return f"NOTICE#{post_id}"


class DynamoNews:
    """Posts and notice records."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    # ---- conversions -------------------------------------------------------------------------

    def _post(self, it: Any) -> Post:
        return Post(
            post_id=it.post_id,
            key=it.key,
            title=it.title,
            category=it.category,
            dongs=() if it.district_wide else tuple(d for d in DONGS if d in (it.dongs or set())),
            body=it.body,
            body_html=it.body_html,
            status=it.status,
            pinned=bool(it.pinned),
            publish_at=_from_key(it.publish_at),
            expires_at=_from_key(it.expires_at),
            published_at=_from_key(it.published_at),
            alert_fingerprint=it.alert_fingerprint,
            alerted=it.alerted,
            revision=int(it.revision),
            created_at=_from_key(it.created_at) or datetime.min.replace(tzinfo=UTC),
            updated_at=_from_key(it.updated_at) or datetime.min.replace(tzinfo=UTC),
            version=int(it.version),
        )

    def _post_item(self, p: Post, version: int) -> Any:
        keys: dict[str, str | None] = {"gsi1pk": None, "gsi1sk": None, "gsi2pk": None, "gsi2sk": None}
        if p.status == STATUS_PUBLISHED and p.published_at is not None:
            keys["gsi1pk"] = PUBLISHED_GSI
            keys["gsi1sk"] = f"{listing_rank(p)}#{utc_key(p.published_at)}#{p.post_id}"
            if p.expires_at is not None:
                keys["gsi2pk"] = EXPIRY_GSI
                keys["gsi2sk"] = f"{utc_key(p.expires_at)}#{p.post_id}"
        elif p.status == STATUS_SCHEDULED and p.publish_at is not None:
            keys["gsi1pk"] = SCHEDULED_GSI
            keys["gsi1sk"] = f"{utc_key(p.publish_at)}#{p.post_id}"
        return self.m.PostItem(
            _post_pk(p.post_id),
            POST_SK,
            **keys,
            post_id=p.post_id,
            key=p.key,
            title=p.title,
            category=p.category,
            district_wide=p.district_wide,
            dongs=set(p.dongs) or None,
            body=p.body,
            body_html=p.body_html,
            status=p.status,
            pinned=p.pinned,
            publish_at=utc_key(p.publish_at) if p.publish_at else None,
            expires_at=utc_key(p.expires_at) if p.expires_at else None,
            published_at=utc_key(p.published_at) if p.published_at else None,
            alert_fingerprint=p.alert_fingerprint,
            alerted=p.alerted,
            revision=p.revision,
            created_at=utc_key(p.created_at),
            updated_at=utc_key(p.updated_at),
            version=version,
        )

    def _notice(self, it: Any) -> NoticeRecord:
        errors = tuple(Problem(e["field"], e["message"]) for e in json.loads(it.errors)) if it.errors else ()
        return NoticeRecord(
            key=it.key,
            post_id=it.post_id,
            content_hash=it.content_hash,
            rejected=bool(it.rejected),
            errors=errors,
            deleted=bool(it.deleted),
            updated_at=_from_key(it.updated_at) or datetime.min.replace(tzinfo=UTC),
            version=int(it.version),
        )

    def _notice_item(self, r: NoticeRecord, version: int) -> Any:
        errors = json.dumps([{"field": e.field, "message": e.message} for e in r.errors], ensure_ascii=False)
        return self.m.NoticeItem(
            _notice_pk(r.post_id),
            NOTICE_SK,
            gsi2pk=NOTICES_GSI,
            gsi2sk=f"{r.key[:200]}#{r.post_id}",
            key=r.key,
            post_id=r.post_id,
            content_hash=r.content_hash,
            rejected=r.rejected,
            errors=errors if r.errors else None,
            deleted=r.deleted,
            updated_at=utc_key(r.updated_at),
            version=version,
        )

    # ---- reads -------------------------------------------------------------------------------

    def load(self, post_id: str) -> tuple[NoticeRecord | None, Post | None]:
        """A key's notice record and post, in one consistent read."""
        batch = self._table.batch()
        record: Slot[NoticeRecord | None] = batch.slot(None)
        post: Slot[Post | None] = batch.slot(None)
        batch.want((_notice_pk(post_id), NOTICE_SK), lambda it: record.fill(self._notice(it)))
        batch.want((_post_pk(post_id), POST_SK), lambda it: post.fill(self._post(it)))
        batch.run()
        return record.value, post.value

    def get_post(self, post_id: str) -> Post | None:
        return self.load(post_id)[1]

    def posts(self, post_ids: list[str]) -> dict[str, Post]:
        if not post_ids:
            return {}
        keys = [(_post_pk(p), POST_SK) for p in dict.fromkeys(post_ids)]
        items = self._table.guard(lambda: list(self.m.PostItem.batch_get(keys)))
        return {it.post_id: self._post(it) for it in items}

    def list_published(
        self, dong: str | None, category: str | None, now: datetime, limit: int, cursor: str | None
    ) -> Page[Post]:
        """Published, unexpired posts: disaster alerts, then pinned, then the rest, newest first in each.

        `dong` keeps the posts addressed to that dong or to the whole district.
        """
        P = self.m.PostItem
        filt: Any = P.expires_at.does_not_exist() | (P.expires_at > utc_key(now))
        if dong is not None:
            filt = filt & ((P.district_wide == True) | P.dongs.contains(dong))  # noqa: E712
        if category is not None:
            filt = filt & (P.category == category)
        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(
                PUBLISHED_GSI, filter_condition=filt, limit=n, last_evaluated_key=start, scan_index_forward=False
            ),
            self._post,
            cursor,
            limit,
            PAGE_KEYS,
            PUBLISHED_GSI,
        )

    def due_scheduled(self, now: datetime, limit: int = 100) -> list[Post]:
        """Scheduled posts whose publish_at has come, oldest first."""
        bound = f"{utc_key(now)}#~"
        items = self._table.guard(
            lambda: list(self._table.Item.gsi1.query(SCHEDULED_GSI, self._table.Item.gsi1sk <= bound, limit=limit))
        )
        return [self._post(it) for it in items]

    def due_expiring(self, now: datetime, limit: int = 100) -> list[Post]:
        """Published posts whose expires_at has come."""
        bound = f"{utc_key(now)}#~"
        items = self._table.guard(
            lambda: list(self._table.Item.gsi2.query(EXPIRY_GSI, self._table.Item.gsi2sk <= bound, limit=limit))
        )
        return [self._post(it) for it in items]

    def published_disasters(self, limit: int = 100) -> list[Post]:
        """Published disaster posts (rank 2 of the published list), newest first: few at any time."""
        items = self._table.guard(
            lambda: list(
                self._table.Item.gsi1.query(
                    PUBLISHED_GSI, self._table.Item.gsi1sk.startswith("2#"), limit=limit, scan_index_forward=False
                )
            )
        )
        return [self._post(it) for it in items]

    def list_notices(self, limit: int, cursor: str | None) -> Page[NoticeRecord]:
        """Staff's notice records, ordered by key."""
        return self._table.page(
            lambda start, n: self._table.Item.gsi2.query(NOTICES_GSI, limit=n, last_evaluated_key=start),
            self._notice,
            cursor,
            limit,
            GSI2_KEYS,
            NOTICES_GSI,
        )

    # ---- writes ------------------------------------------------------------------------------

    def save(
        self,
        record: tuple[NoticeRecord, int] | None,
        post: tuple[Post, int] | None,
    ) -> None:
        """Write a notice record and/or its post in one transaction, each conditioned on the version it
        was read at (0: must not exist yet). Raises `Contention` when either moved meanwhile."""
        tx = self._table.tx()
        if record is not None:
            r, read = record
            cond = self._table.Item.pk.does_not_exist() if read == 0 else self.m.NoticeItem.version == read
            tx.add(Put(self._notice_item(r, read + 1), cond))
        if post is not None:
            p, read = post
            cond = self._table.Item.pk.does_not_exist() if read == 0 else self.m.PostItem.version == read
            tx.add(Put(self._post_item(p, read + 1), cond))
        tx.commit()

    def claim_alert(self, post: Post, now: datetime, until: datetime) -> bool:
        """Take the right to push this post's alert: only while it is unsent and nobody else holds a
        live lease on it. False: someone else sent it or is sending it."""
        P, L = self.m.PostItem, self.m.AlertLeaseItem
        unsent = (
            (P.version == post.version)
            & (P.alert_fingerprint == post.alert_fingerprint)
            & (P.alerted.does_not_exist() | (P.alerted != post.alert_fingerprint))
        )
        tx = self._table.tx()
        tx.add(Update(P(_post_pk(post.post_id), POST_SK), [P.version.add(1)], unsent))
        tx.add(Put(L(_post_pk(post.post_id), LEASE_SK, until=utc_key(until)),
                   L.pk.does_not_exist() | (L.until < utc_key(now))))
        try:
            tx.commit()
            return True
        except Contention:
            return False

    def finish_alert(self, post: Post, sent: bool) -> None:
        """Record the alert as sent, then give the lease back (also after a failed push, for a retry).

        Recording bumps the version, so a revision that read the post before this write reads it again
        and cannot overwrite the record; if the alert's content changed meanwhile, nothing is recorded.
        """
        P = self.m.PostItem
        actions = [P.version.add(1)] + ([P.alerted.set(post.alert_fingerprint)] if sent else [])
        self._table.update_if(P(_post_pk(post.post_id), POST_SK), actions, P.alert_fingerprint == post.alert_fingerprint)
        self._table.guard(lambda: self.m.AlertLeaseItem(_post_pk(post.post_id), LEASE_SK).delete())
