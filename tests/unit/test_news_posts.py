"""서구소식: the life of a post (publication, schedule, revisions, retirement) and its alert topics."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import yaml

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.months import KST
from chalicelib.domain.news import (
    DONG_SLUGS,
    STATUS_PUBLISHED,
    STATUS_RETIRED,
    STATUS_SCHEDULED,
    NoticeRecord,
    Post,
    advance,
    alert_slugs,
    listing_rank,
    retire,
    revise,
)
from chalicelib.domain.notices import parse_notice, post_id_for
from tests.unit.test_news import GOOD, NOW, notice

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "resources.yaml"


def _post(front: str, at: datetime, existing: Post | None = None, key: str = "notices/a.md") -> Post:
    parsed = parse_notice(notice(front))
    assert parsed.notice is not None, parsed.problems
    return revise(existing, parsed.notice, post_id_for(key), key, "<p>x</p>", at)


def test_a_notice_is_published_at_once_or_scheduled_or_already_expired() -> None:
    assert _post(GOOD, NOW).status == STATUS_PUBLISHED
    assert _post(GOOD, NOW).published_at == NOW
    later = _post(f"{GOOD}publish_at: 2020-01-06T09:00:00+09:00\n", NOW)
    assert later.status == STATUS_SCHEDULED and later.published_at is None
    gone = _post(f"{GOOD}expires_at: 2020-01-01T00:00:00+09:00\n", NOW)
    assert gone.status == STATUS_RETIRED


def test_the_schedule_publishes_as_of_publish_at_and_retires_when_expired() -> None:
    post = _post(f"{GOOD}publish_at: 2020-01-06T09:00:00+09:00\nexpires_at: 2020-01-07T09:00:00+09:00\n", NOW)
    assert advance(post, datetime(2020, 1, 6, 8, 59, tzinfo=KST)) is None
    published = advance(post, datetime(2020, 1, 6, 9, 3, tzinfo=KST))
    assert published is not None and published.status == STATUS_PUBLISHED
    assert published.published_at == datetime(2020, 1, 6, 9, 0, tzinfo=KST)
    assert advance(published, datetime(2020, 1, 7, 8, 0, tzinfo=KST)) is None
    retired = advance(published, datetime(2020, 1, 7, 9, 0, tzinfo=KST))
    assert retired is not None and retired.status == STATUS_RETIRED
    assert advance(retired, datetime(2030, 1, 1, tzinfo=KST)) is None


def test_a_scheduled_post_whose_whole_life_passed_is_retired_without_being_published() -> None:
    post = _post(f"{GOOD}publish_at: 2020-01-06T09:00:00+09:00\nexpires_at: 2020-01-07T09:00:00+09:00\n", NOW)
    moved = advance(post, datetime(2020, 2, 1, tzinfo=KST))
    assert moved is not None and moved.status == STATUS_RETIRED and moved.published_at is None


def test_a_revision_keeps_the_post_its_publication_time_and_its_alert_record() -> None:
    first = _post("title: 대피\ncategory: disaster\ndongs: all\n", NOW)
    sent = Post(**{**first.__dict__, "alerted": first.alert_fingerprint})
    same_alert = _post("title: 대피\ncategory: disaster\ndongs: all\npinned: true\n", NOW + timedelta(hours=1), sent)
    assert same_alert.post_id == first.post_id and same_alert.revision == 2
    assert same_alert.published_at == NOW
    assert not same_alert.needs_alert  # only `pinned` changed: the alert says the same
    changed = _post("title: 대피 (갱신)\ncategory: disaster\ndongs: all\n", NOW + timedelta(hours=2), same_alert)
    assert changed.needs_alert


def test_only_published_disaster_posts_need_an_alert() -> None:
    assert _post("title: t\ncategory: disaster\ndongs: all\n", NOW).needs_alert
    assert not _post("title: t\ncategory: major-news\ndongs: all\n", NOW).needs_alert
    assert not _post("title: t\ncategory: disaster\ndongs: all\npublish_at: 2021-01-01T00:00:00\n", NOW).needs_alert


def test_deleting_retires_and_the_notice_record_reports_the_status_staff_see() -> None:
    post = _post(GOOD, NOW)
    assert retire(post, NOW).status == STATUS_RETIRED
    record = NoticeRecord("notices/a.md", post.post_id, "h", False, (), False, NOW)
    assert record.status(post) == STATUS_PUBLISHED
    assert NoticeRecord("notices/a.md", post.post_id, "h", True, (), False, NOW).status(post) == "rejected"
    assert NoticeRecord("notices/a.md", post.post_id, "", False, (), True, NOW).status(post) == STATUS_RETIRED
    assert record.status(None) == "rejected"


def test_disaster_alerts_rank_first_then_pinned_posts() -> None:
    assert listing_rank(_post("title: t\ncategory: disaster\ndongs: all\n", NOW)) == 2
    assert listing_rank(_post(f"{GOOD}pinned: true\n", NOW)) == 1
    assert listing_rank(_post(GOOD, NOW)) == 0


def test_alerts_go_to_each_dongs_topic_or_the_district_topic() -> None:
    assert alert_slugs(()) == ["all"]
    assert alert_slugs(("청라1동", "마전동")) == ["cheongna-1", "majeon"]


def test_every_dong_has_a_distinct_ascii_topic_slug_and_the_template_declares_each_topic() -> None:
    assert set(DONG_SLUGS) == set(DONGS)
    slugs = list(DONG_SLUGS.values())
    assert len(set(slugs)) == len(slugs)
    assert all(s.isascii() and s.replace("-", "").isalnum() and s.islower() for s in slugs)
    template = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    names = {
        r["Properties"]["TopicName"]["Fn::Sub"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Topic" and "-alert-" in r["Properties"]["TopicName"]["Fn::Sub"]
    }  # the other topic is the operators' alarm topic
    assert names == {f"${{Prefix}}-alert-{s}" for s in [*slugs, "all"]}
