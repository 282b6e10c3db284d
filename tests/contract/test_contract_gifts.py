"""Gifts, their code digests, the residents' lists, the due gifts and the unknown-code counters on both stores,
held to one behaviour."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Contention, ValidationFailed
from chalicelib.domain.gifts import CANCELLED, CLAIMED, RETURNED, SENT, Gift
from tests.contract.conftest import commit, read

AT = "2020-03-10T12:00:00+09:00"
DUE = "2020-03-13T12:00:00+09:00"


def gift(gid: str, *, sender: str = "ann", at: str = AT, due: str = DUE, message: str | None = "축하해 \"친구\"") -> Gift:
    return Gift(gid, sender, 10_000, message, SENT, at, due, version=1)


def claimed(g: Gift, by: str = "bob", at: str = "2020-03-11T09:00:00+09:00") -> Gift:
    return replace(g, status=CLAIMED, recipient_id=by, claimed_at=at, version=g.version + 1)


def test_a_gift_reads_back_whole_and_its_writes_hold_only_on_the_version_read(repos: composition.Repositories):
    g = gift("gift_1", message=None)
    commit(repos, lambda tx: repos.gifts.stage(tx, g, 0))
    assert read(repos, lambda b: repos.gifts.want(b, "gift_1")) == g
    assert read(repos, lambda b: repos.gifts.want(b, "gift_9")) is None
    with pytest.raises(Contention):   # sent twice
        commit(repos, lambda tx: repos.gifts.stage(tx, g, 0))
    done = claimed(g)
    commit(repos, lambda tx: repos.gifts.stage(tx, done, 1))
    with pytest.raises(Contention):   # a cancel that read version 1 too
        commit(repos, lambda tx: repos.gifts.stage(tx, replace(g, status=CANCELLED, version=2), 1))
    assert read(repos, lambda b: repos.gifts.want(b, "gift_1")) == done


def test_a_code_digest_names_its_gift_once(repos: composition.Repositories):
    commit(repos, lambda tx: repos.gifts.stage_code(tx, "ab" * 32, "gift_1"))
    batch = repos.store.batch()
    found, missing = repos.gifts.want_code(batch, "ab" * 32), repos.gifts.want_code(batch, "cd" * 32)
    batch.run()
    assert (found.value, missing.value) == ("gift_1", None)
    with pytest.raises(Contention):   # a digest already taken (two codes alike: the sender gets another)
        commit(repos, lambda tx: repos.gifts.stage_code(tx, "ab" * 32, "gift_2"))
    assert read(repos, lambda b: repos.gifts.want_code(b, "ab" * 32)) == "gift_1"


def test_a_residents_list_holds_what_they_sent_and_received_newest_first_page_by_page(
    repos: composition.Repositories,
):
    a1 = gift("gift_a1", at="2020-03-10T09:00:00+09:00")
    a2 = gift("gift_a2", at="2020-03-10T11:00:00+09:00")
    b1 = gift("gift_b1", sender="bob", at="2020-03-10T08:00:00+09:00")
    other = gift("gift_c1", sender="cy")
    commit(repos, *[lambda tx, g=g: repos.gifts.stage(tx, g, 0) for g in (a1, a2, b1, other)])
    got = claimed(b1, by="ann", at="2020-03-10T10:00:00+09:00")
    commit(repos, lambda tx: repos.gifts.stage(tx, got, 1), lambda tx: repos.gifts.stage_received(tx, got))
    with pytest.raises(Contention):   # listed once
        commit(repos, lambda tx: repos.gifts.stage_received(tx, got))
    first = repos.gifts.of_user("ann", 2, None)
    rest = repos.gifts.of_user("ann", 2, first.next)
    assert [(e.direction, e.gift) for e in first.items + rest.items] == [("sent", a2), ("received", got), ("sent", a1)]
    assert rest.next is None
    assert [(e.direction, e.gift.status) for e in repos.gifts.of_user("bob", 10, None).items] == [("sent", CLAIMED)]
    with pytest.raises(ValidationFailed):   # ann's cursor on bob's list
        repos.gifts.of_user("bob", 2, first.next)


def test_due_gifts_are_those_still_sent_whose_time_is_up_earliest_first_however_old(
    repos: composition.Repositories,
):
    old = gift("gift_old", at="2019-01-01T12:00:00+09:00", due="2019-01-04T12:00:00+09:00")
    on_time = gift("gift_now", due=DUE)
    not_yet = gift("gift_later", due="2020-03-13T12:00:01+09:00")
    gone = gift("gift_gone", due="2019-06-01T00:00:00+09:00")
    commit(repos, *[lambda tx, g=g: repos.gifts.stage(tx, g, 0) for g in (old, on_time, not_yet, gone)])
    commit(repos, lambda tx: repos.gifts.stage(tx, replace(gone, status=RETURNED, ended_at=DUE, version=2), 1))
    assert [g.gift_id for g in repos.gifts.due(DUE, 10)] == ["gift_old", "gift_now"]
    assert repos.gifts.due(DUE, 1) == [old]
    assert repos.gifts.due("2019-01-04T11:59:59+09:00", 10) == []
    commit(repos, lambda tx: repos.gifts.stage(tx, claimed(on_time), 1))   # a claim takes it off the list
    assert [g.gift_id for g in repos.gifts.due("2021-01-01T00:00:00+09:00", 10)] == ["gift_old", "gift_later"]


def test_unknown_codes_are_counted_per_resident_and_hour_up_to_the_limit(repos: composition.Repositories):
    hour, next_hour = "2020-03-10T12", "2020-03-10T13"
    assert all(repos.gifts.count_miss("bob", hour, 3, 1_583_816_400) for _ in range(3))
    assert repos.gifts.count_miss("bob", hour, 3, 1_583_816_400) is False   # the limit holds at the write
    assert repos.gifts.count_miss("cy", hour, 3, 1_583_816_400) is True
    assert repos.gifts.count_miss("bob", next_hour, 3, 1_583_820_000) is True
    batch = repos.store.batch()
    slots = [repos.gifts.want_misses(batch, u, h) for u, h in (("bob", hour), ("cy", hour), ("bob", next_hour),
                                                                ("dan", hour))]
    batch.run()
    assert [s.value for s in slots] == [3, 1, 1, 0]
