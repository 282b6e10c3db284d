"""서구소식 end to end on the local stack: staff upload notice files to the local S3, the bucket's SQS
notification reaches the news function through the local runner, residents read `/news` over HTTP, a
disaster alert reaches an SNS subscriber, and a scheduled notice appears when the local clock passes
its time. Names and titles are unique, so other tests' posts on the shared stack do not matter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from tests.e2e.conftest import Http, LocalStack, unique

pytestmark = pytest.mark.e2e

BUCKET = "seoro-notices-local"
TOPIC_PREFIX = "arn:aws:sns:ap-northeast-2:123456789012:seoro-local-alert-"
TIMEOUT = 30.0
T = TypeVar("T")


def notice(title: str, category: str, dongs: str, body: str, **extra: str) -> bytes:
    lines = [f"title: {title}", f"category: {category}", f"dongs: {dongs}", *(f"{k}: {v}" for k, v in extra.items())]
    return ("---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n").encode()


def eventually(probe: Callable[[], T | None], what: str, timeout: float = TIMEOUT) -> T:
    """Poll until `probe` gives something (the runner delivers within about a second)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:.0f} s")
        time.sleep(0.3)


def find_post(reader: Http, query: str, title: str) -> dict[str, Any] | None:
    status, page = reader.call("GET", f"/news?limit=100{query}")
    assert status == 200, page
    return next((p for p in page["items"] if p["title"] == title), None)


def staff_entry(staff: Http, key: str) -> dict[str, Any] | None:
    status, page = staff.call("GET", "/staff/notices?limit=100")
    assert status == 200, page
    for entry in page["items"]:
        if entry["key"] == key:
            return dict(entry)
    cursor = page["next"]
    while cursor:
        status, page = staff.call("GET", f"/staff/notices?limit=100&next={cursor}")
        found = next((e for e in page["items"] if e["key"] == key), None)
        if found is not None:
            return dict(found)
        cursor = page["next"]
    return None


def test_a_notice_uploaded_to_the_local_bucket_is_read_back_over_http(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    reader = Http(stack, "resident", unique("news-reader"))
    staff = Http(stack, "staff", "e2e-news-staff")
    title = unique("청라 요가교실")
    key = f"notices/{unique('yoga')}.md"
    s3.put_object(Bucket=BUCKET, Key=key, Body=notice(title, "dong-event", "[청라3동]",
                                                        "# 요가\n\n<script>alert(1)</script> **매주 월요일**"))
    post = eventually(lambda: find_post(reader, "&dong=청라3동", title), "the notice did not appear on /news")
    assert post["category"] == "dong-event" and post["dongs"] == ["청라3동"]
    assert "<script" not in post["body_html"] and "<strong>매주 월요일</strong>" in post["body_html"]
    status, one = reader.call("GET", f"/news/{post['post_id']}")
    assert status == 200 and one["title"] == title
    assert find_post(reader, "&dong=마전동", title) is None
    entry = staff_entry(staff, key)
    assert entry is not None and entry["status"] == "published" and entry["post_id"] == post["post_id"]

    s3.delete_object(Bucket=BUCKET, Key=key)
    eventually(lambda: True if reader.call("GET", f"/news/{post['post_id']}")[0] == 404 else None,
               "the deleted notice was not retired")


def test_an_invalid_upload_gets_an_error_report_next_to_it(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    staff = Http(stack, "staff", "e2e-news-staff")
    name = unique("broken")
    s3.put_object(Bucket=BUCKET, Key=f"notices/{name}.md", Body=notice("", "gossip", "[없는동]", "본문"))

    def report() -> dict[str, Any] | None:
        try:
            body = s3.get_object(Bucket=BUCKET, Key=f"errors/{name}.json")["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return dict(json.loads(body))

    found = eventually(report, "no error report was written")
    assert {e["field"] for e in found["errors"]} == {"title", "category", "dongs"}
    entry = staff_entry(staff, f"notices/{name}.md")
    assert entry is not None and entry["status"] == "rejected" and len(entry["errors"]) == 3


def test_a_disaster_alert_reaches_the_subscribers_of_the_dongs_topic(stack: LocalStack) -> None:
    s3, sqs, sns = stack.client("s3"), stack.client("sqs"), stack.client("sns")
    url = sqs.create_queue(QueueName=unique("alerts-oryu"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=f"{TOPIC_PREFIX}oryu-wanggil", Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"})
    title = unique("호우 경보")
    s3.put_object(Bucket=BUCKET, Key=f"notices/{unique('rain')}.md",
                  Body=notice(title, "disaster", "[오류왕길동]", "저지대 주민은 대피하세요."))

    def alert() -> dict[str, Any] | None:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(m["Body"])
            if body.get("title") == title:
                return dict(body)
        return None

    pushed = eventually(alert, "no alert reached the topic's subscriber")
    assert pushed["dongs"] == ["오류왕길동"] and pushed["category"] == "disaster"
    reader = Http(stack, "resident", unique("news-reader"))
    status, page = reader.call("GET", "/news?dong=오류왕길동&limit=1")
    assert status == 200 and page["items"][0]["category"] == "disaster"  # alerts come first


def test_a_scheduled_notice_appears_when_the_local_clock_passes_its_time(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    reader = Http(stack, "resident", unique("news-reader"))
    staff = Http(stack, "staff", "e2e-news-staff")
    title = unique("구청장 신년 인사")
    key = f"notices/{unique('greeting')}.md"
    stack.set_clock("2031-05-10T10:00:00+09:00")
    try:
        s3.put_object(Bucket=BUCKET, Key=key, Body=notice(title, "major-news", "all", "새해 복 많이 받으세요.",
                                                            publish_at="2031-05-10T10:30:00+09:00"))
        entry = eventually(lambda: staff_entry(staff, key), "the upload was not processed")
        assert entry["status"] == "scheduled"
        assert find_post(reader, "", title) is None
        stack.set_clock("2031-05-10T10:31:00+09:00")
        post = eventually(lambda: find_post(reader, "&dong=검단동", title), "the schedule did not publish it")
        assert post["published_at"] == "2031-05-10T10:30:00+09:00"
    finally:
        stack.reset_clock()
