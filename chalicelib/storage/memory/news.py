"""The in-memory twin of `storage/news.py`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.domain.news import STATUS_PUBLISHED, STATUS_SCHEDULED, NoticeRecord, Post, listing_rank
from chalicelib.domain.notices import DISASTER
from chalicelib.domain.ports.unit import Page
from chalicelib.storage.memory.table import Change, MemoryTable, page, put, versioned


def utc_key(instant: datetime) -> str:
    """Sortable UTC time at second precision, as the DynamoDB keys have it."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MemoryNews:
    """Posts and records are stored at the version their write gave them (one past the read)."""

    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def load(self, post_id: str) -> tuple[NoticeRecord | None, Post | None]:
        with self._t.lock:
            return self._t.get(("notice", post_id)), self._t.get(("post", post_id))

    def get_post(self, post_id: str) -> Post | None:
        post: Post | None = self._t.get(("post", post_id))
        return post

    def posts(self, post_ids: list[str]) -> dict[str, Post]:
        found = {p: self.get_post(p) for p in dict.fromkeys(post_ids)}
        return {p: post for p, post in found.items() if post is not None}

    def _all(self) -> list[Post]:
        return [p for _, p in self._t.scan("post")]

    def list_published(
        self, dong: str | None, category: str | None, now: datetime, limit: int, cursor: str | None
    ) -> Page[Post]:
        rows = [
            (f"{listing_rank(p)}#{utc_key(p.published_at)}#{p.post_id}", p)
            for p in self._all()
            if p.status == STATUS_PUBLISHED and p.published_at is not None
            and (p.expires_at is None or utc_key(p.expires_at) > utc_key(now))
            and (dong is None or p.district_wide or dong in p.dongs)
            and (category is None or p.category == category)
        ]
        return page(rows, cursor, limit, "news", newest_first=True)

    def due_scheduled(self, now: datetime, limit: int = 100) -> list[Post]:
        rows = sorted((f"{utc_key(p.publish_at)}#{p.post_id}", p) for p in self._all()
                      if p.status == STATUS_SCHEDULED and p.publish_at is not None and utc_key(p.publish_at) <= utc_key(now))
        return [p for _, p in rows[:limit]]

    def due_expiring(self, now: datetime, limit: int = 100) -> list[Post]:
        rows = sorted((f"{utc_key(p.expires_at)}#{p.post_id}", p) for p in self._all()
                      if p.status == STATUS_PUBLISHED and p.published_at is not None and p.expires_at is not None
                      and utc_key(p.expires_at) <= utc_key(now))
        return [p for _, p in rows[:limit]]

    def published_disasters(self, limit: int = 100) -> list[Post]:
        rows = sorted(((f"{utc_key(p.published_at)}#{p.post_id}", p) for p in self._all()
                       if p.status == STATUS_PUBLISHED and p.published_at is not None and p.category == DISASTER),
                      reverse=True)
        return [p for _, p in rows[:limit]]

    def list_notices(self, limit: int, cursor: str | None) -> Page[NoticeRecord]:
        rows = [(f"{r.key[:200]}#{r.post_id}", r) for _, r in self._t.scan("notice")]
        return page(rows, cursor, limit, "notices")

    def save(self, record: tuple[NoticeRecord, int] | None, post: tuple[Post, int] | None) -> None:
        tx = self._t.tx()
        if record is not None:
            r, read = record
            tx.add(versioned(("notice", r.post_id), replace(r, version=read + 1), read))
        if post is not None:
            p, read = post
            tx.add(versioned(("post", p.post_id), replace(p, version=read + 1), read))
        tx.commit()

    def claim_alert(self, post: Post, now: datetime, until: datetime) -> bool:
        with self._t.lock:
            current: Post | None = self._t.get(("post", post.post_id))
            lease: datetime | None = self._t.get(("alert-lease", post.post_id))
            if (current is None or current.version != post.version
                    or current.alert_fingerprint != post.alert_fingerprint
                    or current.alerted == post.alert_fingerprint
                    or (lease is not None and utc_key(lease) >= utc_key(now))):
                return False
            tx = self._t.tx()
            tx.add(put(("alert-lease", post.post_id), until))
            tx.add(Change(("post", post.post_id), lambda p: replace(p, version=p.version + 1)))
            tx.commit()
            return True

    def finish_alert(self, post: Post, sent: bool) -> None:
        with self._t.lock:
            current: Post | None = self._t.get(("post", post.post_id))
            tx = self._t.tx()
            if current is not None and current.alert_fingerprint == post.alert_fingerprint:
                done = replace(current, version=current.version + 1,
                               alerted=post.alert_fingerprint if sent else current.alerted)
                tx.add(put(("post", post.post_id), done))
            tx.add(put(("alert-lease", post.post_id), None))
            tx.commit()
