"""The news board's persistence on the main table: posts and staff's notice records (keys in models.py).

Reads return domain objects; a write that lost a race raises `Contention` (the caller re-reads and
recomputes); other storage failures become `StorageUnavailable`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.errors import Contention, StorageUnavailable
from chalicelib.domain.news import (
    STATUS_PUBLISHED,
    STATUS_SCHEDULED,
    NoticeRecord,
    Post,
    Problem,
    listing_rank,
)
from chalicelib.storage.dynamo import DynamoStore, Page, _cancelled_by_condition, _code

POST_SK = "POST"
NOTICE_SK = "NOTICE"
PUBLISHED_GSI = "NEWS"
SCHEDULED_GSI = "NEWS-SCHEDULED"
EXPIRY_GSI = "NEWS-EXPIRY"
NOTICES_GSI = "NOTICES"


def utc_key(instant: datetime) -> str:
    """A sortable UTC time: `YYYY-MM-DDTHH:MM:SSZ`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_key(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if text else None


def _post_pk(post_id: str) -> str:
    return f"NEWS#{post_id}"


def _notice_pk(post_id: str) -> str:
    return f"NOTICE#{post_id}"


class NewsRepository:
    """Posts and notice records, on the store's table and connection."""

    def __init__(self, store: DynamoStore) -> None:
        self._store = store
        self.m = store.m

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
        keys = [(_notice_pk(post_id), NOTICE_SK), (_post_pk(post_id), POST_SK)]
        record: NoticeRecord | None = None
        post: Post | None = None
        for it in self._store._guard(lambda: list(self.m.Item.batch_get(keys, consistent_read=True))):
            if isinstance(it, self.m.NoticeItem):
                record = self._notice(it)
            elif isinstance(it, self.m.PostItem):
                post = self._post(it)
        return record, post

    def get_post(self, post_id: str) -> Post | None:
        return self.load(post_id)[1]

    def posts(self, post_ids: list[str]) -> dict[str, Post]:
        if not post_ids:
            return {}
        keys = [(_post_pk(p), POST_SK) for p in dict.fromkeys(post_ids)]
        items = self._store._guard(lambda: list(self.m.PostItem.batch_get(keys)))
        return {it.post_id: self._post(it) for it in items}

    def list_published(
        self, dong: str | None, category: str | None, now: datetime, limit: int, cursor: str | None
    ) -> Page:
        """Published, unexpired posts: disaster alerts, then pinned, then the rest, newest first in each.

        `dong` keeps the posts addressed to that dong or to the whole district.
        """
        P = self.m.PostItem
        filt: Any = P.expires_at.does_not_exist() | (P.expires_at > utc_key(now))
        if dong is not None:
            filt = filt & ((P.district_wide == True) | P.dongs.contains(dong))  # noqa: E712
        if category is not None:
            filt = filt & (P.category == category)
        return self._store._page(
            lambda start: self.m.Item.gsi1.query(
                PUBLISHED_GSI, filter_condition=filt, limit=limit, last_evaluated_key=start, scan_index_forward=False
            ),
            self._post,
            cursor,
            limit,
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            PUBLISHED_GSI,
        )

    def due_scheduled(self, now: datetime, limit: int = 100) -> list[Post]:
        """Scheduled posts whose publish_at has come, oldest first."""
        bound = f"{utc_key(now)}#~"
        items = self._store._guard(
            lambda: list(self.m.Item.gsi1.query(SCHEDULED_GSI, self.m.Item.gsi1sk <= bound, limit=limit))
        )
        return [self._post(it) for it in items]

    def due_expiring(self, now: datetime, limit: int = 100) -> list[Post]:
        """Published posts whose expires_at has come."""
        bound = f"{utc_key(now)}#~"
        items = self._store._guard(
            lambda: list(self.m.Item.gsi2.query(EXPIRY_GSI, self.m.Item.gsi2sk <= bound, limit=limit))
        )
        return [self._post(it) for it in items]

    def published_disasters(self, limit: int = 100) -> list[Post]:
        """Published disaster posts (rank 2 of the published list), newest first: few at any time."""
        items = self._store._guard(
            lambda: list(
                self.m.Item.gsi1.query(
                    PUBLISHED_GSI, self.m.Item.gsi1sk.startswith("2#"), limit=limit, scan_index_forward=False
                )
            )
        )
        return [self._post(it) for it in items]

    def list_notices(self, limit: int, cursor: str | None) -> Page:
        """Staff's notice records, ordered by key."""
        return self._store._page(
            lambda start: self.m.Item.gsi2.query(NOTICES_GSI, limit=limit, last_evaluated_key=start),
            self._notice,
            cursor,
            limit,
            ("pk", "sk", "gsi2pk", "gsi2sk"),
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
        Item = self.m.Item
        ops: list[tuple[Any, Any]] = []
        if record is not None:
            r, read = record
            cond = Item.pk.does_not_exist() if read == 0 else self.m.NoticeItem.version == read
            ops.append((self._notice_item(r, read + 1), cond))
        if post is not None:
            p, read = post
            cond = Item.pk.does_not_exist() if read == 0 else self.m.PostItem.version == read
            ops.append((self._post_item(p, read + 1), cond))
        try:
            with TransactWrite(connection=self._store._connection()) as tx:
                for item, cond in ops:
                    tx.save(item, condition=cond)
        except TransactWriteError as exc:
            if _cancelled_by_condition(exc) or exc.cause_response_code == "TransactionConflictException":
                raise Contention("the notice changed meanwhile") from exc
            raise StorageUnavailable("the news store refused the write") from exc

    def claim_alert(self, post: Post, now: datetime, until: datetime) -> bool:
        """Take the right to push this post's alert: only while it is unsent and nobody else holds a
        live lease on it. False: someone else sent it or is sending it."""
        P = self.m.PostItem
        cond = (
            (P.version == post.version)
            & (P.alert_fingerprint == post.alert_fingerprint)
            & (P.alerted.does_not_exist() | (P.alerted != post.alert_fingerprint))
            & (P.alert_lease_until.does_not_exist() | (P.alert_lease_until < utc_key(now)))
        )
        try:
            P(_post_pk(post.post_id), POST_SK).update(
                actions=[P.alert_lease_until.set(utc_key(until)), P.version.add(1)], condition=cond
            )
            return True
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("the news store is unavailable") from exc

    def finish_alert(self, post: Post, sent: bool) -> None:
        """Record the alert as sent (or give the lease back after a failed push, for a retry).

        Both bump the version, so a revision that read the post before this write re-reads it and
        cannot overwrite the record; if the alert's content changed meanwhile, nothing is recorded.
        """
        P = self.m.PostItem
        actions = [P.alert_lease_until.remove(), P.version.add(1)]
        if sent:
            actions.append(P.alerted.set(post.alert_fingerprint))
        try:
            P(_post_pk(post.post_id), POST_SK).update(
                actions=actions, condition=P.alert_fingerprint == post.alert_fingerprint
            )
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return
            raise StorageUnavailable("the news store is unavailable") from exc
