"""서구소식, the district news board: the life of a post.

A valid notice file (`notices.py`) becomes a post, one per notice key. This module holds the rules only:
when a post is scheduled, published or retired, how posts are ordered, and which SNS topics a disaster
alert goes to. It does no I/O.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.notices import DISASTER, Notice, Problem

STATUS_SCHEDULED = "scheduled"
STATUS_PUBLISHED = "published"
STATUS_RETIRED = "retired"
STATUS_REJECTED = "rejected"

DONG_SLUGS: dict[str, str] = {
    "검암경서동": "geomam-gyeongseo",
    "연희동": "yeonhui",
    "청라1동": "cheongna-1",
    "청라2동": "cheongna-2",
    "청라3동": "cheongna-3",
    "가정1동": "gajeong-1",
    "가정2동": "gajeong-2",
    "가정3동": "gajeong-3",
    "신현원창동": "sinhyeon-wonchang",
    "석남1동": "seoknam-1",
    "석남2동": "seoknam-2",
    "석남3동": "seoknam-3",
    "가좌1동": "gajwa-1",
    "가좌2동": "gajwa-2",
    "가좌3동": "gajwa-3",
    "가좌4동": "gajwa-4",
    "검단동": "geomdan",
    "불로대곡동": "bullo-daegok",
    "원당동": "wondang",
    "당하동": "dangha",
    "오류왕길동": "oryu-wanggil",
    "마전동": "majeon",
}
"""The ASCII slug of each dong, naming its alert topic (`<prefix>-alert-<slug>`); SNS names are ASCII."""
DISTRICT_SLUG = "all"
"""The district-wide alert topic, for notices addressed to `all`."""


@dataclass(frozen=True)
class Post:
    """A notice as residents see it, one per notice key; re-uploads revise it (`revision` counts them).

    `published_at` is when residents could first see this post; `alert_fingerprint` identifies what a
    disaster alert would say, and `alerted` is the fingerprint of the last alert actually pushed.
    """

    post_id: str
    key: str
    title: str
    category: str
    dongs: tuple[str, ...]
    body: str
    body_html: str
    status: str
    pinned: bool
    publish_at: datetime | None
    expires_at: datetime | None
    published_at: datetime | None
    alert_fingerprint: str
    alerted: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def district_wide(self) -> bool:
        return not self.dongs

    @property
    def needs_alert(self) -> bool:
        """A published disaster alert whose current content has not been pushed yet."""
        return (
            self.category == DISASTER
            and self.status == STATUS_PUBLISHED
            and self.alerted != self.alert_fingerprint
        )

    def visible_at(self, now: datetime) -> bool:
        """Residents see a published post until it expires (even before the schedule retires it)."""
        return self.status == STATUS_PUBLISHED and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class NoticeRecord:
    """What staff see of an uploaded key: the outcome of its latest upload.

    `content_hash` is the SHA-256 of the last file processed for this key, so a duplicate event for
    the same content changes nothing. A deleted key keeps its record (`deleted`), with its post retired.
    """

    key: str
    post_id: str
    content_hash: str
    rejected: bool
    errors: tuple[Problem, ...]
    deleted: bool
    updated_at: datetime
    version: int = 0

    def status(self, post: Post | None) -> str:
        """`rejected` while the latest upload is invalid (an earlier valid version stays as it was)."""
        if self.deleted:
            return STATUS_RETIRED
        if self.rejected or post is None:
            return STATUS_REJECTED
        return post.status



def alert_fingerprint(notice: Notice) -> str:
    """What an alert says (title, body, addressed dongs): a revision that keeps these sends no new alert."""
    doc = json.dumps([notice.title, notice.body, list(notice.dongs)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()


def alert_slugs(dongs: tuple[str, ...]) -> list[str]:
    """The topics a disaster alert goes to: one per named dong, or the district-wide topic for `all`."""
    if not dongs:
        return [DISTRICT_SLUG]
    return [DONG_SLUGS[d] for d in dongs]


# ---- the life of a post ----------------------------------------------------------------------


def status_at(publish_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    """Retired once expired; scheduled while `publish_at` is in the future; published otherwise."""
    if expires_at is not None and expires_at <= now:
        return STATUS_RETIRED
    if publish_at is not None and publish_at > now:
        return STATUS_SCHEDULED
    return STATUS_PUBLISHED


def revise(existing: Post | None, notice: Notice, post_id: str, key: str, body_html: str, now: datetime) -> Post:
    """The post a valid upload makes: new, or the next revision of the key's post.

    A post that stays published keeps its `published_at`; one published by this upload gets `now`.
    A post that was already alerted keeps that record, so an alert goes out again only if the
    alert's content (title, body, dongs) changed.
    """
    status = status_at(notice.publish_at, notice.expires_at, now)
    published_at: datetime | None = None
    if status == STATUS_PUBLISHED:
        still = existing is not None and existing.status == STATUS_PUBLISHED and existing.published_at is not None
        published_at = existing.published_at if still and existing is not None else now
    elif status == STATUS_RETIRED and existing is not None:
        published_at = existing.published_at
    return Post(
        post_id=post_id,
        key=key,
        title=notice.title,
        category=notice.category,
        dongs=notice.dongs,
        body=notice.body,
        body_html=body_html,
        status=status,
        pinned=notice.pinned,
        publish_at=notice.publish_at,
        expires_at=notice.expires_at,
        published_at=published_at,
        alert_fingerprint=alert_fingerprint(notice),
        alerted=existing.alerted if existing is not None else None,
        revision=existing.revision + 1 if existing is not None else 1,
        created_at=existing.created_at if existing is not None else now,
        updated_at=now,
        version=existing.version if existing is not None else 0,
    )


def advance(post: Post, now: datetime) -> Post | None:
    """What the schedule does to a post at `now`: publish it when due, retire it when expired.

    A scheduled post is published as of its `publish_at` (that is its `published_at`, though the
    schedule may run up to a minute later). None: nothing to do.
    """
    if post.status not in (STATUS_SCHEDULED, STATUS_PUBLISHED):
        return None
    status = status_at(post.publish_at, post.expires_at, now)
    if status == post.status:
        return None
    published_at = post.published_at
    if status == STATUS_PUBLISHED and post.status == STATUS_SCHEDULED:
        published_at = post.publish_at or now
    return replace(post, status=status, published_at=published_at, updated_at=now)


def retire(post: Post, now: datetime) -> Post:
    """Deleting the notice file retires its post."""
    if post.status == STATUS_RETIRED:
        return post
    return replace(post, status=STATUS_RETIRED, updated_at=now)


def listing_rank(post: Post) -> int:
    """Order on the board: current disaster alerts first (2), then pinned posts (1), then the rest (0);
    newest first within each."""
    if post.category == DISASTER:
        return 2
    return 1 if post.pinned else 0


def alert_lease() -> timedelta:
    """How long one worker holds the right to push an alert before another may try again."""
    return timedelta(seconds=120)
