"""The news board's posts and notice records on both stores: versioned saves, the published list's order and
filters, the schedule's queries and the disaster alert's lease."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Contention
from chalicelib.domain.months import KST
from chalicelib.domain.news import STATUS_PUBLISHED, STATUS_SCHEDULED, NoticeRecord, Post, alert_lease, retire, revise
from chalicelib.domain.notices import DISASTER, Notice, parse_notice, post_id_for

T0 = datetime(2020, 3, 10, 12, 0, 0, tzinfo=KST)
HOUR = timedelta(hours=1)


def make_post(
    name: str,
    *,
    category: str = "daily-info",
    dongs: tuple[str, ...] = (),
    pinned: bool = False,
    now: datetime = T0,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Post:
    """The post a valid upload of `notices/<name>.md` makes at `now` (dongs in the district's order)."""
    key = f"notices/{name}.md"
    notice = Notice(f"{name} 안내", category, dongs, f"# {name}\n\n본문입니다.", publish_at, expires_at, pinned)
    return revise(None, notice, post_id_for(key), key, f"<h1>{name}</h1>\n<p>본문입니다.</p>", now)


def record_of(post: Post, content_hash: str = "hash-1", at: datetime = T0) -> NoticeRecord:
    return NoticeRecord(post.key, post.post_id, content_hash, False, (), False, at)


def saved(repos: composition.Repositories, *posts: Post) -> list[Post]:
    """Save new posts; each is stored at version 1."""
    for p in posts:
        repos.news.save(None, (p, 0))
    return [replace(p, version=1) for p in posts]


def reload(repos: composition.Repositories, post: Post) -> Post:
    found = repos.news.get_post(post.post_id)
    assert found is not None
    return found


def keys(posts: list[Post]) -> list[str]:
    return [p.key for p in posts]


# ---- saving and loading ----------------------------------------------------------------------


def test_a_record_and_its_post_are_saved_together_each_at_the_version_read_plus_one(repos: composition.Repositories):
    post = make_post("water", dongs=("청라1동", "청라2동"), pinned=True, expires_at=T0 + 24 * HOUR)
    record = record_of(post)
    assert repos.news.load(post.post_id) == (None, None)
    repos.news.save((record, 0), (post, 0))
    assert repos.news.load(post.post_id) == (replace(record, version=1), replace(post, version=1))
    stored = repos.news.get_post(post.post_id)
    assert stored is not None and stored.published_at == T0 and stored.expires_at == T0 + 24 * HOUR

    bad = parse_notice("---\ntitle: 단수\ncategory: weather\ndongs: [청라9동]\n---\n".encode())
    assert bad.notice is None and len(bad.problems) >= 3
    rejected = replace(record, content_hash="hash-2", rejected=True, errors=bad.problems, updated_at=T0 + HOUR)
    repos.news.save((rejected, 1), None)
    revised = revise(
        stored, Notice("단수 안내(변경)", "daily-info", (), "바뀐 본문"), post.post_id, post.key, "<p/>", T0 + HOUR
    )
    repos.news.save(None, (revised, 1))
    assert repos.news.load(post.post_id) == (replace(rejected, version=2), replace(revised, version=2))
    got = reload(repos, post)
    assert (got.revision, got.published_at, got.dongs, got.pinned, got.expires_at) == (2, T0, (), False, None)
    assert repos.news.posts([post.post_id, "news_none", post.post_id]) == {post.post_id: replace(revised, version=2)}
    assert repos.news.posts([]) == {}


def test_a_save_at_a_stale_version_is_contention_and_writes_neither_item(repos: composition.Repositories):
    post = make_post("water")
    record = record_of(post)
    repos.news.save((record, 0), (post, 0))
    before = (replace(record, version=1), replace(post, version=1))
    newer_record = replace(record, content_hash="hash-2", updated_at=T0 + HOUR)
    newer_post = replace(post, title="바뀐 제목", updated_at=T0 + HOUR)
    with pytest.raises(Contention):  # the post is new to this writer, but exists
        repos.news.save((newer_record, 1), (newer_post, 0))
    with pytest.raises(Contention):  # the record moved past the version read
        repos.news.save((newer_record, 2), (newer_post, 1))
    with pytest.raises(Contention):
        repos.news.save((newer_record, 0), None)
    assert repos.news.load(post.post_id) == before
    with pytest.raises(Contention):  # nothing stored yet at version 1
        repos.news.save(None, (make_post("other"), 1))
    assert repos.news.get_post(make_post("other").post_id) is None


# ---- the published list ----------------------------------------------------------------------


def test_the_board_lists_disasters_then_pinned_then_the_rest_newest_first_and_pages(repos: composition.Repositories):
    posts = saved(
        repos,
        make_post("quake", category=DISASTER, now=T0),
        make_post("market", now=T0 + HOUR),
        make_post("flood", category=DISASTER, now=T0 + 2 * HOUR),
        make_post("guide", pinned=True, now=T0 + 3 * HOUR),
        make_post("festival", category="dong-event", now=T0 + 4 * HOUR),
        make_post("tax", category="major-news", pinned=True, now=T0 + 5 * HOUR),
        make_post("later", now=T0, publish_at=T0 + 9 * HOUR),
    )
    assert posts[-1].status == STATUS_SCHEDULED
    expected = [f"notices/{n}.md" for n in ("flood", "quake", "tax", "guide", "festival", "market")]
    everything = repos.news.list_published(None, None, T0 + 6 * HOUR, 10, None)
    assert keys(everything.items) == expected and everything.next is None
    assert everything.items[0] == posts[2]
    first = repos.news.list_published(None, None, T0 + 6 * HOUR, 4, None)
    assert keys(first.items) == expected[:4] and first.next is not None
    rest = repos.news.list_published(None, None, T0 + 6 * HOUR, 4, first.next)
    assert (keys(rest.items), rest.next) == (expected[4:], None)


def test_the_board_keeps_a_dongs_posts_and_district_wide_ones_a_category_and_only_unexpired_posts(
    repos: composition.Repositories,
):
    saved(
        repos,
        make_post("a", dongs=("청라1동",), now=T0),
        make_post("b", dongs=("연희동",), now=T0 + HOUR),
        make_post("c", category="major-news", now=T0 + 2 * HOUR),
        make_post("d", category="dong-event", dongs=("연희동", "청라1동"), now=T0 + 3 * HOUR),
        make_post("e", dongs=("청라1동",), now=T0 + 4 * HOUR, expires_at=T0 + 5 * HOUR),
        retire(make_post("gone", dongs=("청라1동",), now=T0 + 2 * HOUR), T0 + 3 * HOUR),
    )

    def listed(dong: str | None, category: str | None, now: datetime, limit: int = 10) -> list[str]:
        """Every page's posts, by name."""
        names: list[str] = []
        cursor: str | None = None
        for _ in range(10):
            page = repos.news.list_published(dong, category, now, limit, cursor)
            names += [p.key[len("notices/") : -len(".md")] for p in page.items]
            if page.next is None:
                return names
            cursor = page.next
        raise AssertionError("the pages never end")

    at = T0 + 4 * HOUR + timedelta(minutes=30)
    assert listed("청라1동", None, at) == ["e", "d", "c", "a"]
    assert listed("청라1동", None, T0 + 5 * HOUR) == ["d", "c", "a"]  # expired at its expires_at
    assert listed("연희동", None, at) == ["d", "c", "b"]
    assert listed("마전동", None, at) == ["c"]
    assert listed(None, "dong-event", at) == ["d"]
    assert listed("가정1동", "major-news", at) == ["c"]
    assert listed("가정1동", "dong-event", at) == []
    assert listed(None, None, T0 + 6 * HOUR) == ["d", "c", "b", "a"]
    assert listed("청라1동", None, at, limit=1) == ["e", "d", "c", "a"]  # filters thin pages, not the list
    assert listed("연희동", "dong-event", at, limit=1) == ["d"]


# ---- the schedule's queries ------------------------------------------------------------------


def test_scheduled_posts_are_due_once_their_publish_at_has_come(repos: composition.Repositories):
    s1, s2, _ = saved(
        repos,
        make_post("s1", publish_at=T0 + HOUR),
        make_post("s2", publish_at=T0 + 3 * HOUR),
        make_post("now"),
    )
    assert s1.status == STATUS_SCHEDULED and s1.published_at is None
    assert repos.news.due_scheduled(T0) == []
    assert repos.news.due_scheduled(T0 + HOUR - timedelta(seconds=1)) == []
    assert repos.news.due_scheduled(T0 + HOUR) == [s1]
    assert repos.news.due_scheduled(T0 + 4 * HOUR) == [s1, s2]
    assert repos.news.due_scheduled(T0 + 4 * HOUR, limit=1) == [s1]


def test_published_posts_are_due_to_expire_once_their_expires_at_has_come(repos: composition.Repositories):
    e1, e2, *_ = saved(
        repos,
        make_post("e1", expires_at=T0 + HOUR),
        make_post("e2", expires_at=T0 + 3 * HOUR),
        make_post("forever"),
        make_post("later", publish_at=T0 + HOUR, expires_at=T0 + 2 * HOUR),
    )
    assert repos.news.due_expiring(T0 + timedelta(minutes=30)) == []
    assert repos.news.due_expiring(T0 + HOUR) == [e1]
    due = repos.news.due_expiring(T0 + 4 * HOUR)
    assert sorted(due, key=lambda p: p.key) == [e1, e2]


def test_published_disasters_are_listed_newest_first(repos: composition.Repositories):
    quake, flood, *_ = saved(
        repos,
        make_post("quake", category=DISASTER, now=T0),
        make_post("flood", category=DISASTER, dongs=("마전동",), now=T0 + HOUR),
        make_post("storm", category=DISASTER, now=T0, publish_at=T0 + 5 * HOUR),
        make_post("market", pinned=True, now=T0 + 2 * HOUR),
    )
    assert repos.news.published_disasters() == [flood, quake]
    assert repos.news.published_disasters(limit=1) == [flood]


def test_notice_records_are_listed_by_key_and_paged(repos: composition.Repositories):
    records = {name: record_of(make_post(name)) for name in ("b-notice", "a-notice", "c-notice")}
    for r in records.values():
        repos.news.save((r, 0), None)
    everything = repos.news.list_notices(10, None)
    assert [r.key for r in everything.items] == ["notices/a-notice.md", "notices/b-notice.md", "notices/c-notice.md"]
    assert everything.items[0] == replace(records["a-notice"], version=1) and everything.next is None
    first = repos.news.list_notices(2, None)
    assert [r.key for r in first.items] == ["notices/a-notice.md", "notices/b-notice.md"] and first.next is not None
    rest = repos.news.list_notices(2, first.next)
    assert (rest.items, rest.next) == ([replace(records["c-notice"], version=1)], None)


# ---- the disaster alert's lease --------------------------------------------------------------


def test_an_alert_is_claimed_once_not_while_a_lease_is_live_and_again_after_a_failed_push(
    repos: composition.Repositories,
):
    (post,) = saved(repos, make_post("flood", category=DISASTER, dongs=("청라1동",)))
    assert post.needs_alert and post.status == STATUS_PUBLISHED
    assert repos.news.claim_alert(post, T0, T0 + alert_lease()) is True
    held = reload(repos, post)
    assert held.version == 2 and held.needs_alert
    assert repos.news.claim_alert(post, T0, T0 + alert_lease()) is False  # read before the claim
    assert repos.news.claim_alert(held, T0 + timedelta(seconds=60), T0 + 3 * alert_lease()) is False
    assert repos.news.claim_alert(held, T0 + alert_lease(), T0 + 3 * alert_lease()) is False  # until is inclusive
    repos.news.finish_alert(held, sent=False)
    returned = reload(repos, post)
    assert returned.version == 3 and returned.alerted is None and returned.needs_alert
    assert repos.news.claim_alert(returned, T0 + timedelta(seconds=61), T0 + 2 * alert_lease()) is True
    assert reload(repos, post).version == 4


def test_a_lease_that_ran_out_may_be_claimed_by_another_worker(repos: composition.Repositories):
    (post,) = saved(repos, make_post("flood", category=DISASTER))
    assert repos.news.claim_alert(post, T0, T0 + alert_lease()) is True
    late = T0 + alert_lease() + timedelta(seconds=1)
    assert repos.news.claim_alert(reload(repos, post), late, late + alert_lease()) is True
    assert repos.news.claim_alert(reload(repos, post), late, late + alert_lease()) is False


def test_a_sent_alert_needs_no_other_and_cannot_be_claimed_again(repos: composition.Repositories):
    (post,) = saved(repos, make_post("flood", category=DISASTER, dongs=("마전동",)))
    assert repos.news.claim_alert(post, T0, T0 + alert_lease()) is True
    repos.news.finish_alert(reload(repos, post), sent=True)
    sent = reload(repos, post)
    assert sent.alerted == post.alert_fingerprint and not sent.needs_alert
    assert sent == replace(post, alerted=post.alert_fingerprint, version=3)
    later = T0 + 10 * alert_lease()
    assert repos.news.claim_alert(sent, later, later + alert_lease()) is False
    assert reload(repos, post) == sent
    assert repos.news.published_disasters() == [sent]


def test_an_alert_of_a_post_never_saved_is_neither_claimed_nor_recorded(repos: composition.Repositories):
    ghost = make_post("ghost", category=DISASTER)
    assert repos.news.claim_alert(ghost, T0, T0 + alert_lease()) is False
    repos.news.finish_alert(ghost, sent=True)
    repos.news.finish_alert(ghost, sent=False)
    assert repos.news.load(ghost.post_id) == (None, None)


def test_a_revision_that_keeps_the_alerts_content_leaves_a_live_lease_in_place(repos: composition.Repositories):
    key = "notices/flood.md"
    notice = Notice("홍수 주의", DISASTER, ("청라1동",), "저지대 주민은 대피하십시오.")
    (post,) = saved(repos, revise(None, notice, post_id_for(key), key, "<p/>", T0))
    assert repos.news.claim_alert(post, T0, T0 + alert_lease()) is True
    held = reload(repos, post)
    pinned = revise(held, replace(notice, pinned=True), post.post_id, key, "<p/>", T0 + timedelta(seconds=10))
    assert pinned.alert_fingerprint == held.alert_fingerprint
    repos.news.save(None, (pinned, held.version))
    current = reload(repos, post)
    assert current.pinned and current.needs_alert and current.version == 3
    later = T0 + timedelta(seconds=20)
    assert repos.news.claim_alert(current, later, later + alert_lease()) is False  # still being sent by the holder
    repos.news.finish_alert(held, sent=True)
    assert reload(repos, post).alerted == post.alert_fingerprint


def test_finishing_an_alert_whose_content_changed_meanwhile_records_nothing(repos: composition.Repositories):
    key = "notices/flood.md"
    notice = Notice("홍수 주의", DISASTER, ("청라1동",), "저지대 주민은 대피하십시오.")
    (post,) = saved(repos, revise(None, notice, post_id_for(key), key, "<p/>", T0))
    assert repos.news.claim_alert(post, T0, T0 + alert_lease()) is True
    held = reload(repos, post)
    changed = revise(held, replace(notice, title="홍수 경보"), post.post_id, key, "<p/>", T0 + timedelta(seconds=10))
    assert changed.alert_fingerprint != held.alert_fingerprint
    repos.news.save(None, (changed, held.version))
    repos.news.finish_alert(held, sent=True)
    current = reload(repos, post)
    assert current == replace(changed, version=3)
    assert current.alerted is None and current.needs_alert
    # the holder gave its lease back, so the changed alert can go out at once (not only once the lease ran out)
    soon = T0 + timedelta(seconds=30)
    assert repos.news.claim_alert(current, soon, soon + alert_lease()) is True
