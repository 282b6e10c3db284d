"""서구소식: posts and notice records, the notice files and the alert topics (storage/news.py,
adapters/notices.py, adapters/alerts.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chalicelib.domain.news import NoticeRecord, Post
from chalicelib.domain.ports.unit import Page


class News(Protocol):
    def load(self, post_id: str) -> tuple[NoticeRecord | None, Post | None]:
        """A key's notice record and post, in one consistent read."""
        ...

    def get_post(self, post_id: str) -> Post | None: ...

    def posts(self, post_ids: list[str]) -> dict[str, Post]: ...

    def list_published(
        self, dong: str | None, category: str | None, now: datetime, limit: int, cursor: str | None
    ) -> Page[Post]:
        """Published, unexpired posts: disaster alerts, then pinned, then the rest, newest first in each;
        `dong` keeps the posts addressed to that dong or to the whole district."""
        ...

    def due_scheduled(self, now: datetime, limit: int = 100) -> list[Post]: ...

    def due_expiring(self, now: datetime, limit: int = 100) -> list[Post]: ...

    def published_disasters(self, limit: int = 100) -> list[Post]: ...

    def list_notices(self, limit: int, cursor: str | None) -> Page[NoticeRecord]:
        """Staff's notice records, ordered by key."""
        ...

    def save(self, record: tuple[NoticeRecord, int] | None, post: tuple[Post, int] | None) -> None:
        """Write a record and/or its post in one transaction, each conditioned on the version it was read
        at (0: must not exist); `Contention` when either moved meanwhile."""
        ...

    def claim_alert(self, post: Post, now: datetime, until: datetime) -> bool:
        """Take the right to push this post's alert until `until`; False: sent or being sent elsewhere."""
        ...

    def finish_alert(self, post: Post, sent: bool) -> None:
        """Record the alert as sent, or give the lease back after a failed push."""
        ...


class NoticeFiles(Protocol):
    """The notices bucket: uploaded notice files and the error reports next to them."""

    def read(self, key: str, limit: int) -> tuple[bytes, int] | None:
        """The file's first `limit` bytes and its full size; None if it is gone."""
        ...

    def exists(self, key: str) -> bool: ...

    def put_report(self, key: str, body: bytes) -> None: ...

    def drop_report(self, key: str) -> None: ...


class Alerts(Protocol):
    """Push notifications to the residents subscribed to a dong's topic (or the district's)."""

    def publish(self, slug: str, message: str, post_id: str) -> None:
        """Raises `AlertTopicsMissing` when no topics are configured."""
        ...
