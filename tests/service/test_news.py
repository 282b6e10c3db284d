"""서구소식 on moto in-process: uploads to the notices bucket reach the news function through the bucket's
SQS notification (applied from the template), the schedule runs by the test clock, alerts go to SNS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.support import TEMPLATE, Env

QUEUE = "seoro-notices"
BUCKET = "seoro-notices-local"
T0 = datetime(2020, 3, 10, 12, 0, tzinfo=UTC)


def notice(title: str = "주민 요가교실", category: str = "dong-event", dongs: str = "[청라1동]",
           body: str = "# 요가\n\n매주 월·수 10:00", **extra: str) -> bytes:
    lines = [f"title: {title}", f"category: {category}", f"dongs: {dongs}", *(f"{k}: {v}" for k, v in extra.items())]
    return ("---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n").encode()


class Board:
    """Staff's bucket, the notices queue and the alert topics, as the news function sees them."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.s3 = boto3.client("s3", region_name="ap-northeast-2")
        self.sqs = boto3.client("sqs", region_name="ap-northeast-2")
        self.sns = boto3.client("sns", region_name="ap-northeast-2")
        self.queue_url = self.sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
        self.alert_queues: dict[str, str] = {}

    def upload(self, name: str, content: bytes, deliver: bool = True) -> list[str]:
        self.s3.put_object(Bucket=BUCKET, Key=f"notices/{name}.md", Body=content)
        return self.deliver() if deliver else []

    def delete(self, name: str) -> list[str]:
        self.s3.delete_object(Bucket=BUCKET, Key=f"notices/{name}.md")
        return self.deliver()

    def pending(self) -> list[str]:
        """Take every message the queue holds (the bodies S3 sent)."""
        bodies: list[str] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return bodies
            bodies += [m["Body"] for m in got]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
            )

    def invoke(self, bodies: list[str]) -> Any:
        event = self.env.client.events.generate_sqs_event(message_bodies=bodies, queue_name=QUEUE)
        result = self.env.client.lambda_.invoke("notice_uploads", event)
        assert result.payload == {"batchItemFailures": []}, result.payload
        return result.payload

    def deliver(self) -> list[str]:
        bodies = self.pending()
        if bodies:
            self.invoke(bodies)
        return bodies

    def tick(self, at: datetime) -> Any:
        self.env.clock.set(at)
        event = self.env.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=["rule/news"]
        )
        return self.env.client.lambda_.invoke("news_schedule", event).payload

    def listen(self, slug: str) -> None:
        """Subscribe a queue to a dong's alert topic, as a resident's device would subscribe."""
        prefix = self.env.container.settings.alert_topic_arn_prefix
        url = self.sqs.create_queue(QueueName=f"listen-{slug}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=f"{prefix}{slug}", Protocol="sqs", Endpoint=arn,
                           Attributes={"RawMessageDelivery": "true"})
        self.alert_queues[slug] = url

    def alerts(self, slug: str) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(QueueUrl=self.alert_queues[slug], MaxNumberOfMessages=10).get("Messages", [])
        for m in got:
            self.sqs.delete_message(QueueUrl=self.alert_queues[slug], ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in got]

    def news(self, query: str = "", role: str = "resident") -> tuple[int, Any]:
        return self.env.call("GET", f"/news{query}", role=role, sub="reader")

    def staff(self) -> list[dict[str, Any]]:
        status, body = self.env.call("GET", "/staff/notices?limit=100", role="staff", sub="clerk")
        assert status == 200, body
        return list(body["items"])

    def staff_entry(self, name: str) -> dict[str, Any]:
        return next(n for n in self.staff() if n["key"] == f"notices/{name}.md")


def ran(published: int = 0, retired: int = 0, alerts: int = 0, failed: int = 0) -> dict[str, int]:
    """What one run of the news schedule reports."""
    return {"published": published, "retired": retired, "alerts": alerts, "failed": failed}


@pytest.fixture
def board(env: Env) -> Board:
    env.clock.set(T0)
    b = Board(env)
    b.pending()  # the s3:TestEvent sent when the notification was configured
    return b


def test_an_uploaded_notice_is_published_at_once_and_read_back_with_markdown_and_html(board: Board) -> None:
    board.upload("yoga", notice())
    status, page = board.news("?dong=청라1동")
    assert status == 200, page
    [post] = page["items"]
    assert post["title"] == "주민 요가교실"
    assert post["category"] == "dong-event" and post["dongs"] == ["청라1동"] and post["pinned"] is False
    assert post["body"].startswith("# 요가")
    assert post["body_html"].startswith("<h1>요가</h1>")
    assert post["published_at"] == "2020-03-10T21:00:00+09:00"
    status, one = board.news(f"/{post['post_id']}", role="merchant")
    assert status == 200 and one == post
    assert board.staff_entry("yoga") == {
        "key": "notices/yoga.md", "status": "published", "post_id": post["post_id"], "errors": None,
        "title": "주민 요가교실", "updated_at": "2020-03-10T21:00:00+09:00",
    }


def test_a_script_in_a_notice_never_reaches_the_html(board: Board) -> None:
    body = "<script>alert(1)</script>\n\n[눌러](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n**중요**"
    board.upload("xss", notice(body=body, dongs="all"))
    [post] = board.news()[1]["items"]
    assert post["body"].startswith("<script>")  # the Markdown is returned as uploaded
    html = post["body_html"]
    assert "<script" not in html and "<img" not in html and "href=" not in html
    assert "<strong>중요</strong>" in html


def test_an_invalid_notice_publishes_nothing_and_reports_every_problem(board: Board) -> None:
    board.upload("bad", notice(title="''", category="news", dongs="[청라9동]", publish_at="soon"))
    assert board.news()[1]["items"] == []
    entry = board.staff_entry("bad")
    assert entry["status"] == "rejected" and entry["post_id"] is None
    assert {e["field"] for e in entry["errors"]} == {"title", "category", "dongs", "publish_at"}
    report = json.loads(board.s3.get_object(Bucket=BUCKET, Key="errors/bad.json")["Body"].read())
    assert report["key"] == "notices/bad.md" and report["status"] == "rejected"
    assert report["errors"] == entry["errors"]


def test_a_notice_that_is_not_utf8_or_has_no_front_matter_is_rejected_with_an_error_report(board: Board) -> None:
    board.upload("euckr", notice(body="안내").replace("안내".encode(), "안내".encode("euc-kr")))
    board.upload("plain", "# 제목만 있는 글\n\n본문".encode())
    assert board.staff_entry("euckr")["status"] == "rejected"
    assert "UTF-8" in board.staff_entry("euckr")["errors"][0]["message"]
    assert "front matter" in board.staff_entry("plain")["errors"][0]["message"]
    for name in ("euckr", "plain"):
        board.s3.head_object(Bucket=BUCKET, Key=f"errors/{name}.json")


def test_reuploading_the_same_key_revises_the_same_post(board: Board) -> None:
    board.upload("yoga", notice())
    [first] = board.news()[1]["items"]
    board.env.clock.set(T0 + timedelta(hours=1))
    board.upload("yoga", notice(title="주민 요가교실 (장소 변경)", dongs="[청라2동, 가정1동]"))
    [second] = board.news()[1]["items"]
    assert second["post_id"] == first["post_id"] and second["revision"] == 2
    assert second["title"] == "주민 요가교실 (장소 변경)"
    assert second["dongs"] == ["청라2동", "가정1동"]  # in the district's order
    assert second["published_at"] == first["published_at"]  # still the time residents first saw it


def test_a_rejected_revision_leaves_the_published_version_and_a_fixed_one_clears_the_report(board: Board) -> None:
    board.upload("yoga", notice())
    board.upload("yoga", notice(category="yoga"))
    assert board.news()[1]["items"][0]["title"] == "주민 요가교실"
    entry = board.staff_entry("yoga")
    assert entry["status"] == "rejected" and entry["post_id"] is not None
    board.upload("yoga", notice(title="고쳤습니다"))
    assert board.staff_entry("yoga")["status"] == "published"
    assert board.news()[1]["items"][0]["title"] == "고쳤습니다"
    with pytest.raises(board.s3.exceptions.ClientError):
        board.s3.head_object(Bucket=BUCKET, Key="errors/yoga.json")


def test_deleting_the_notice_retires_its_post_and_uploading_again_brings_it_back(board: Board) -> None:
    board.upload("yoga", notice())
    [post] = board.news()[1]["items"]
    board.delete("yoga")
    assert board.news()[1]["items"] == []
    assert board.news(f"/{post['post_id']}")[0] == 404
    assert board.staff_entry("yoga")["status"] == "retired"
    board.upload("yoga", notice())
    assert [p["post_id"] for p in board.news()[1]["items"]] == [post["post_id"]]


def test_duplicate_s3_events_publish_once(board: Board) -> None:
    board.listen("all")
    board.s3.put_object(Bucket=BUCKET, Key="notices/flood.md", Body=notice(category="disaster", dongs="all"))
    bodies = board.pending()
    board.invoke(bodies + bodies)  # S3 delivers at least once: the same event twice in one batch
    board.invoke(bodies)  # and once more later
    [post] = board.news()[1]["items"]
    assert post["revision"] == 1
    assert len(board.alerts("all")) == 1


def test_a_scheduled_notice_is_published_when_due_and_retired_when_expired_by_the_clock(board: Board) -> None:
    board.upload("later", notice(publish_at="2020-03-11T09:00:00+09:00", expires_at="2020-03-12T18:00:00+09:00"))
    assert board.news()[1]["items"] == []
    assert board.staff_entry("later")["status"] == "scheduled"
    post_id = board.staff_entry("later")["post_id"]
    assert board.news(f"/{post_id}")[0] == 404  # not before its time
    assert board.tick(datetime(2020, 3, 11, 8, 59, tzinfo=UTC) - timedelta(hours=9)) == ran()
    assert board.tick(datetime(2020, 3, 11, 0, 1, tzinfo=UTC)) == ran(published=1)
    [post] = board.news()[1]["items"]
    assert post["published_at"] == "2020-03-11T09:00:00+09:00"  # as of publish_at, not when the schedule ran
    assert board.staff_entry("later")["status"] == "published"
    assert board.tick(datetime(2020, 3, 12, 9, 0, tzinfo=UTC)) == ran(retired=1)
    assert board.news()[1]["items"] == []
    assert board.staff_entry("later")["status"] == "retired"
    assert board.tick(datetime(2020, 3, 13, tzinfo=UTC)) == ran()


def test_an_expired_post_is_hidden_even_before_the_schedule_retires_it(board: Board) -> None:
    board.upload("short", notice(expires_at="2020-03-10T22:00:00+09:00"))
    assert len(board.news()[1]["items"]) == 1
    board.env.clock.set(T0 + timedelta(hours=2))
    assert board.news()[1]["items"] == []


def test_a_disaster_alert_is_pushed_once_to_each_named_dongs_topic(board: Board) -> None:
    for slug in ("cheongna-1", "gajeong-2", "majeon", "all"):
        board.listen(slug)
    board.upload("flood", notice(title="침수 주의", category="disaster", dongs="[청라1동, 가정2동]", body="대피하세요"))
    [alert] = board.alerts("cheongna-1")
    assert alert["title"] == "침수 주의" and alert["dongs"] == ["청라1동", "가정2동"]
    assert len(board.alerts("gajeong-2")) == 1
    assert board.alerts("majeon") == [] and board.alerts("all") == []
    board.upload("flood", notice(title="침수 주의", category="disaster", dongs="[청라1동, 가정2동]", body="대피하세요",
                                 pinned="true"))  # a revision the alert does not show
    assert board.alerts("cheongna-1") == []
    board.upload("flood", notice(title="침수 주의", category="disaster", dongs="[청라1동, 가정2동]", body="대피소: 청라초"))
    assert len(board.alerts("cheongna-1")) == 1  # what the alert says changed
    board.upload("quake", notice(title="지진", category="disaster", dongs="all", body="탁자 밑으로"))
    assert [a["title"] for a in board.alerts("all")] == ["지진"]


def test_a_scheduled_disaster_alert_is_pushed_when_the_schedule_publishes_it(board: Board) -> None:
    board.listen("all")
    board.upload("drill", notice(category="disaster", dongs="all", publish_at="2020-03-11T10:00:00+09:00"))
    assert board.alerts("all") == []
    board.tick(datetime(2020, 3, 11, 1, 0, tzinfo=UTC))
    assert len(board.alerts("all")) == 1
    board.tick(datetime(2020, 3, 11, 1, 5, tzinfo=UTC))
    assert board.alerts("all") == []


def test_news_lists_disaster_alerts_first_then_pinned_then_newest_for_a_dong(board: Board) -> None:
    uploads = [
        ("old", notice(title="old", dongs="all")),
        ("pinned", notice(title="pinned", category="major-news", dongs="all", pinned="true")),
        ("other-dong", notice(title="other-dong", dongs="[마전동]")),
        ("alert", notice(title="alert", category="disaster", dongs="[청라1동]")),
        ("new", notice(title="new", category="daily-info", dongs="[청라1동]")),
    ]
    for i, (name, content) in enumerate(uploads):
        board.env.clock.set(T0 + timedelta(minutes=i))
        board.upload(name, content)
    titles = [p["title"] for p in board.news("?dong=청라1동")[1]["items"]]
    assert titles == ["alert", "pinned", "new", "old"]
    assert [p["title"] for p in board.news("?dong=마전동")[1]["items"]] == ["pinned", "other-dong", "old"]
    assert [p["title"] for p in board.news("?dong=청라1동&category=daily-info")[1]["items"]] == ["new"]
    assert len(board.news()[1]["items"]) == 5
    seen: list[str] = []
    cursor = ""
    while True:
        status, page = board.news(f"?dong=청라1동&limit=1{cursor}")
        assert status == 200, page
        seen += [p["title"] for p in page["items"]]
        if page["next"] is None:
            break
        cursor = f"&next={page['next']}"
    assert seen == titles


def test_bad_news_queries_are_400_and_roles_are_checked(board: Board) -> None:
    assert board.news("?dong=서울동")[0] == 400
    assert board.news("?category=weather")[0] == 400
    assert board.news("?limit=0")[0] == 400
    assert board.news("?next=garbage")[0] == 400
    assert board.news("/news_unknown")[0] == 404
    assert board.env.call("GET", "/news")[0] == 401
    assert board.env.call("GET", "/staff/notices", role="resident", sub="r")[0] == 403


def test_the_test_event_and_keys_outside_notices_are_ignored(board: Board) -> None:
    board.s3.put_object(Bucket=BUCKET, Key="drafts/a.md", Body=notice())
    board.s3.put_object(Bucket=BUCKET, Key="notices/readme.txt", Body=b"x")
    assert board.pending() == []  # the bucket's filter sends only notices/*.md
    stray = {"Records": [{"eventName": "ObjectCreated:Put",
                          "s3": {"bucket": {"name": BUCKET}, "object": {"key": "drafts%2Fa.md"}}}]}
    board.invoke([json.dumps({"Event": "s3:TestEvent"}), json.dumps(stray), "not json"])
    assert board.staff() == []


def test_keys_arrive_url_encoded_and_are_decoded(board: Board) -> None:
    board.upload("2020/청라 요가+필라테스", notice())
    assert board.staff()[0]["key"] == "notices/2020/청라 요가+필라테스.md"
    assert board.staff()[0]["status"] == "published"


class FailingAlerts:
    """Alerts whose SNS is down."""

    def publish(self, slug: str, message: str, post_id: str) -> None:
        raise ConnectionError("SNS is unavailable")


def test_a_failed_push_fails_the_message_and_its_redelivery_pushes_the_alert_once(board: Board) -> None:
    from chalicelib import composition

    board.listen("all")
    c = board.env.container
    working = c.alerts
    composition.amend(alerts=FailingAlerts())
    board.s3.put_object(Bucket=BUCKET, Key="notices/fire.md", Body=notice(title="산불", category="disaster", dongs="all"))
    bodies = board.pending()
    board.s3.put_object(Bucket=BUCKET, Key="notices/market.md", Body=notice(title="장터", dongs="all"))
    event = board.env.client.events.generate_sqs_event(message_bodies=bodies + board.pending(), queue_name=QUEUE)
    failed = board.env.client.lambda_.invoke("notice_uploads", event).payload["batchItemFailures"]
    assert len(failed) == 1  # only the message whose alert could not be pushed comes back
    assert {p["title"] for p in board.news()[1]["items"]} == {"산불", "장터"}  # both posts are published
    composition.amend(alerts=working)
    board.invoke(bodies)  # SQS delivers it again
    board.invoke(bodies)
    assert [a["title"] for a in board.alerts("all")] == ["산불"]


def test_two_workers_racing_for_one_alert_push_it_once(board: Board) -> None:
    from chalicelib.domain.news import revise
    from chalicelib.domain.notices import parse_notice, post_id_for
    from chalicelib.handlers import news

    board.listen("all")
    parsed = parse_notice(notice(title="가스 누출", category="disaster", dongs="all"))
    assert parsed.notice is not None
    fresh = revise(None, parsed.notice, post_id_for("notices/gas.md"), "notices/gas.md", "", T0)
    repo = board.env.repos.news
    repo.save(None, (fresh, 0))
    stored = repo.get_post(fresh.post_id)
    assert stored is not None and stored.needs_alert
    assert news.push_alert(stored) is True
    assert news.push_alert(stored) is False  # the other worker, holding the same post, finds it taken
    assert len(board.alerts("all")) == 1


def test_the_local_stack_applies_the_bucket_notifications_the_template_declares(board: Board, tmp_path: Any) -> None:
    from devstack.resources import ResourceError, bucket_notifications

    cf = boto3.client("cloudformation", region_name="ap-northeast-2")
    declared = bucket_notifications(TEMPLATE, cf, "seoro-test", board.sqs)
    assert set(declared) == {BUCKET}
    applied = board.s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]
    assert sorted(e for q in applied for e in q["Events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert all(q["QueueArn"].endswith(":seoro-notices") for q in applied)
    assert [q["Filter"] for q in applied] == [q["Filter"] for q in declared[BUCKET]["QueueConfigurations"]]
    other = tmp_path / "template.yaml"
    other.write_text(TEMPLATE.read_text().replace("QueueConfigurations:", "TopicConfigurations:"))
    with pytest.raises(ResourceError):
        bucket_notifications(other, cf, "seoro-test", board.sqs)


def test_an_alert_the_schedule_could_not_push_is_pushed_at_its_next_run(board: Board) -> None:
    from chalicelib import composition

    board.listen("all")
    board.upload("drill", notice(category="disaster", dongs="all", publish_at="2020-03-11T10:00:00+09:00"))
    c = board.env.container
    working = c.alerts
    composition.amend(alerts=FailingAlerts())
    assert board.tick(datetime(2020, 3, 11, 1, 0, tzinfo=UTC)) == ran(published=1, failed=1)
    assert len(board.news()[1]["items"]) == 1 and board.alerts("all") == []
    composition.amend(alerts=working)
    assert board.tick(datetime(2020, 3, 11, 1, 1, tzinfo=UTC)) == ran(alerts=1)
    assert len(board.alerts("all")) == 1
    assert board.tick(datetime(2020, 3, 11, 1, 2, tzinfo=UTC))["alerts"] == 0
