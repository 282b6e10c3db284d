"""The audit trail on both stores: an entry is written with the action it records or not at all, listed
newest first, filtered by actor and by action, paged."""

from __future__ import annotations

import pytest

from chalicelib import composition
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Contention
from chalicelib.domain.wallet import ResidentMonth
from tests.contract.conftest import commit


def entry(n: int, actor: str = "clerk", action: str = "campaign.open") -> AuditEntry:
    return AuditEntry(f"aud_{n:02d}", f"2020-03-10T12:00:{n:02d}+09:00", actor, action, f"target-{n}",
                      {"title": "연탄 나눔", "target": 5_000_000, "active": True, "note": None})


def test_an_entry_reads_back_whole_and_the_list_is_newest_first(repos: composition.Repositories):
    for n in (3, 1, 2):
        commit(repos, lambda tx, n=n: repos.audit.stage(tx, entry(n)))
    listed = repos.audit.page(None, None, 10, None)
    assert listed.items == [entry(3), entry(2), entry(1)] and listed.next is None


def test_the_list_filters_by_actor_by_action_and_by_both(repos: composition.Repositories):
    for n, actor, action in ((1, "clerk", "policy.propose"), (2, "chief", "policy.approve"),
                             (3, "clerk", "campaign.open"), (4, "chief", "policy.propose")):
        made = entry(n, actor, action)
        commit(repos, lambda tx, made=made: repos.audit.stage(tx, made))

    def ids(actor: str | None, action: str | None) -> list[str]:
        return [e.entry_id for e in repos.audit.page(actor, action, 10, None).items]

    assert ids("clerk", None) == ["aud_03", "aud_01"]
    assert ids(None, "policy.propose") == ["aud_04", "aud_01"]
    assert ids("chief", "policy.propose") == ["aud_04"]
    assert ids("nobody", None) == []


def test_paging_goes_through_every_entry_once_newest_first(repos: composition.Repositories):
    for n in range(1, 8):
        commit(repos, lambda tx, n=n: repos.audit.stage(tx, entry(n, actor="clerk" if n % 2 else "chief")))
    seen, cursor = [], None
    while True:
        page = repos.audit.page("clerk", None, 2, cursor)
        seen += [e.entry_id for e in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == ["aud_07", "aud_05", "aud_03", "aud_01"]


def test_an_entry_and_its_action_are_written_together_or_neither_is(repos: composition.Repositories):
    month = ResidentMonth("ann", "2020-03", charged=1, version=1)
    commit(repos, lambda tx: repos.wallets.stage_month(tx, month, 0))
    with pytest.raises(Contention):  # the action's own write fails: its audit entry is not written either
        commit(repos, lambda tx: repos.audit.stage(tx, entry(1)), lambda tx: repos.wallets.stage_month(tx, month, 0))
    assert repos.audit.page(None, None, 10, None).items == []
    commit(repos, lambda tx: repos.audit.stage(tx, entry(2)))
    with pytest.raises(Contention):  # an entry is never overwritten
        commit(repos, lambda tx: repos.audit.stage(tx, entry(2, actor="someone-else")))
    assert [e.actor for e in repos.audit.page(None, None, 10, None).items] == ["clerk"]
