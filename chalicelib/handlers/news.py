"""서구소식: S3 notice uploads (through SQS) become posts, the schedule publishes and retires them,
residents read them, disaster alerts are pushed through SNS once per content.

Events are handled by reading the object's *current* state from S3, so duplicate, late or reordered
notifications all converge on what the bucket holds; a duplicate of content already processed writes
nothing (the notice record keeps the SHA-256 of the last file).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from chalicelib import composition
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.months import kst_iso
from chalicelib.domain.news import (
    STATUS_PUBLISHED,
    STATUS_RETIRED,
    NoticeRecord,
    Post,
    advance,
    alert_lease,
    alert_slugs,
    retire,
    revise,
)
from chalicelib.domain.notices import (
    MAX_NOTICE_BYTES,
    Problem,
    content_hash,
    error_key,
    notice_name,
    parse_notice,
    post_id_for,
)
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers.common import now, retrying
from chalicelib.observability import logger

# ---- S3 events -------------------------------------------------------------------------------


def on_sqs_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Each SQS record (one S3 notification) on its own; failures are reported per message, so only
    they come back (and land in the dead-letter queue after 5 tries)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        handle_message(record.body)

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context))


def handle_message(body: str) -> None:
    """One S3 notification: `s3:TestEvent` and keys outside `notices/*.md` are ignored."""
    try:
        message = json.loads(body)
    except ValueError:
        logger().error("a notices message that is not JSON was dropped")
        return
    if not isinstance(message, dict) or message.get("Event") == "s3:TestEvent":
        return
    bucket = composition.container().settings.notices_bucket
    for record in message.get("Records") or []:
        try:
            name = str(record["eventName"])
            where = record["s3"]
            event_bucket = str(where["bucket"]["name"])
            key = unquote_plus(str(where["object"]["key"]))
        except (KeyError, TypeError):
            logger().error("a malformed S3 notification record was dropped")
            continue
        if event_bucket != bucket or notice_name(key) is None:
            logger().info("not a notice: ignored", extra={"bucket": event_bucket, "key": key})
            continue
        if name.startswith("ObjectCreated"):
            ingest(key)
        elif name.startswith("ObjectRemoved"):
            removed(key)


def ingest(key: str) -> Post | None:
    """Validate the uploaded file and publish, schedule or reject it; returns the key's post."""
    read = composition.container().notices.read(key, MAX_NOTICE_BYTES + 1)
    if read is None:
        return None  # deleted since: the removal's own event retires it
    raw, size = read
    digest = content_hash(raw)
    parsed = parse_notice(raw, size)
    post_id = post_id_for(key)
    news = composition.container().repos.news
    html = _render(parsed.notice.body) if parsed.notice is not None else ""

    def attempt() -> Post | None:
        record, post = news.load(post_id)
        if record is not None and record.content_hash == digest and not record.deleted:
            return post  # a duplicate event, or the same file again: nothing changes
        at = now()
        if parsed.notice is None:
            _write_report(key, parsed.problems, at)
            rejected = NoticeRecord(key, post_id, digest, True, parsed.problems, False, at)
            news.save((rejected, record.version if record else 0), None)
            logger().info("notice rejected", extra={"key": key, "problems": len(parsed.problems)})
            return post
        revised = revise(post, parsed.notice, post_id, key, html, at)
        accepted = NoticeRecord(key, post_id, digest, False, (), False, at)
        news.save((accepted, record.version if record else 0), (revised, post.version if post else 0))
        if record is not None and record.rejected:
            _drop_report(key)
        logger().info("notice stored", extra={"key": key, "post_id": post_id, "status": revised.status,
                                              "revision": revised.revision})
        return _saved(revised, post)

    result = retrying(attempt, post_id)
    if result is not None and result.needs_alert:
        push_alert(result)
    return result


def removed(key: str) -> None:
    """A deleted notice file retires its post (unless the key was uploaded again since)."""
    if composition.container().notices.exists(key):
        return
    post_id = post_id_for(key)
    news = composition.container().repos.news

    def attempt() -> None:
        record, post = news.load(post_id)
        if record is None or record.deleted:
            return
        at = now()
        gone = NoticeRecord(key, post_id, "", False, (), True, at)
        retired = (retire(post, at), post.version) if post is not None and post.status != STATUS_RETIRED else None
        news.save((gone, record.version), retired)
        if record.rejected:
            _drop_report(key)
        logger().info("notice deleted: post retired", extra={"key": key, "post_id": post_id})

    retrying(attempt, post_id)


def _saved(post: Post, before: Post | None) -> Post:
    """The post as just written (its version is one past the one it was read at)."""
    return replace(post, version=(before.version if before else 0) + 1)


def _render(markdown: str) -> str:
    from chalicelib.markdown import render

    return render(markdown)


def _write_report(key: str, problems: tuple[Problem, ...], at: datetime) -> None:
    """The error report staff find next to their upload: `errors/<name>.json`."""
    report = {
        "key": key,
        "status": "rejected",
        "checked_at": kst_iso(at),
        "errors": [{"field": p.field, "message": p.message} for p in problems],
    }
    composition.container().notices.put_report(error_key(key), json.dumps(report, ensure_ascii=False, indent=2).encode())


def _drop_report(key: str) -> None:
    composition.container().notices.drop_report(error_key(key))


# ---- alerts ----------------------------------------------------------------------------------


def push_alert(post: Post) -> bool:
    """Push a disaster alert to each addressed dong's topic (or the district's), once per content.

    A lease on the post makes concurrent deliveries push once; a failed push gives the lease back and
    raises, so the message is delivered again. A worker that dies after pushing but before recording
    leaves the lease to expire and the alert is pushed again: a disaster alert errs on the side of
    twice rather than never.
    """
    c = composition.container()
    at = now()
    if not c.repos.news.claim_alert(post, at, at + alert_lease()):
        return False
    message = json.dumps(
        {
            "post_id": post.post_id,
            "category": post.category,
            "title": post.title,
            "dongs": list(post.dongs) or ["all"],
            "body": post.body[:1000],
            "published_at": kst_iso(post.published_at or at),
        },
        ensure_ascii=False,
    )
    try:
        for slug in alert_slugs(post.dongs):
            c.alerts.publish(slug, message, post.post_id)
    except Exception:
        c.repos.news.finish_alert(post, sent=False)
        raise
    c.repos.news.finish_alert(post, sent=True)
    logger().info("disaster alert pushed", extra={"post_id": post.post_id, "topics": len(alert_slugs(post.dongs))})
    return True


# ---- the schedule ----------------------------------------------------------------------------


def on_schedule() -> dict[str, int]:
    """Publish the scheduled posts that are due and retire the expired ones, by the shared clock; then
    push any current disaster alert whose push failed earlier (SNS down), so none is left unsent.

    Each post is handled on its own: one that fails is logged and tried again at the next run.
    """
    at = now()
    news = composition.container().repos.news
    counts = {"published": 0, "retired": 0, "alerts": 0, "failed": 0}
    for post in [*news.due_scheduled(at), *news.due_expiring(at)]:
        try:
            moved = _advance(post.post_id, at)
        except Exception:
            logger().exception("news schedule: a post could not be advanced", extra={"post_id": post.post_id})
            counts["failed"] += 1
            continue
        if moved is not None:
            counts["published" if moved.status == STATUS_PUBLISHED else "retired"] += 1
    for post in news.published_disasters():
        if not (post.needs_alert and post.visible_at(at)):
            continue
        try:
            counts["alerts"] += int(push_alert(post))
        except Exception:
            logger().exception("news schedule: an alert could not be pushed", extra={"post_id": post.post_id})
            counts["failed"] += 1
    if any(counts.values()):
        logger().info("news schedule", extra=counts)
    return counts


def _advance(post_id: str, at: datetime) -> Post | None:
    news = composition.container().repos.news

    def attempt() -> Post | None:
        _, post = news.load(post_id)
        if post is None:
            return None
        moved = advance(post, at)
        if moved is None:
            return None
        news.save(None, (moved, post.version))
        return _saved(moved, post)

    return retrying(attempt, post_id)


# ---- reading ---------------------------------------------------------------------------------


def list_posts(dong: str | None, category: str | None, limit: int, cursor: str | None) -> Page[Post]:
    """Posts for a dong and for the whole district (or every post without `dong`), optionally of one
    category: current disaster alerts first, then pinned posts, then the rest, newest first in each."""
    if dong is not None and not is_dong(dong):
        raise ValidationFailed("dong must be one of the 22 dongs of Seo-gu")
    return composition.container().repos.news.list_published(dong, category, now(), limit, cursor)


def get_post(post_id: str) -> Post:
    """A published, unexpired post; anything else is 404 (a scheduled post is not shown before its time)."""
    post = composition.container().repos.news.get_post(post_id)
    if post is None or not post.visible_at(now()):
        raise NotFound("no such news post")
    return post


def list_notices(limit: int, cursor: str | None) -> tuple[Page[NoticeRecord], dict[str, Post]]:
    """Every uploaded key and its outcome, ordered by key, with the posts they made."""
    news = composition.container().repos.news
    page = news.list_notices(limit, cursor)
    return page, news.posts([r.post_id for r in page.items])
