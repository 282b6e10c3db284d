"""Tax ids (registrations, their shards, one number per resident), held to one behaviour on both stores."""

from __future__ import annotations

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Conflict, Contention
from chalicelib.domain.rrn import TaxIdRegistration
from chalicelib.domain.shards import shard_of
from tests.contract.conftest import commit, read
from tests.contract.test_contract_donations_settlement import AT, same_shard

# ---- tax ids ---------------------------------------------------------------------------------


def registration(user: str, fingerprint: str, masked: str = "900101-1******", at: str = AT) -> TaxIdRegistration:
    return TaxIdRegistration(user, masked, fingerprint, at)


def register(repos: composition.Repositories, user: str, fingerprint: str, encrypted: str | None = None,
             masked: str = "900101-1******", at: str = AT) -> None:
    """One registration as the use case makes it: read the resident's, stage the new one against it."""
    previous = read(repos, lambda b: repos.tax_ids.want(b, user))
    commit(repos, lambda tx: repos.tax_ids.stage_put(tx, registration(user, fingerprint, masked, at),
                                                     encrypted or f"enc-{user}", previous))


def unregister(repos: composition.Repositories, user: str) -> None:
    previous = read(repos, lambda b: repos.tax_ids.want(b, user))
    assert previous is not None
    commit(repos, lambda tx: repos.tax_ids.stage_delete(tx, previous))


def test_a_tax_id_is_put_got_masked_replaced_and_deleted(repos: composition.Repositories):
    assert repos.tax_ids.get("ann") is None
    assert read(repos, lambda b: repos.tax_ids.want(b, "ann")) is None
    register(repos, "ann", "mac-1", "enc-1", "900101-1******")
    assert repos.tax_ids.get("ann") == registration("ann", "mac-1")
    assert read(repos, lambda b: repos.tax_ids.want(b, "ann")) == registration("ann", "mac-1")
    register(repos, "ann", "mac-2", "enc-2", "900101-2******", "2020-03-11T09:00:00+09:00")
    assert repos.tax_ids.get("ann") == registration("ann", "mac-2", "900101-2******", "2020-03-11T09:00:00+09:00")
    assert ("ann", "enc-2") in repos.tax_ids.in_shard(shard_of("ann", repos.tax_ids.shards))
    assert ("ann", "enc-1") not in repos.tax_ids.in_shard(shard_of("ann", repos.tax_ids.shards))
    unregister(repos, "ann")
    assert repos.tax_ids.get("ann") is None
    shard = shard_of("ann", repos.tax_ids.shards)
    assert all(user != "ann" for user, _ in repos.tax_ids.in_shard(shard))


def test_a_tax_id_shard_lists_the_encrypted_numbers_of_its_residents_only(repos: composition.Repositories):
    shards = repos.tax_ids.shards
    shard, inside, outside = same_shard(shards, 2)
    for user in inside + outside:
        register(repos, user, f"mac-{user}", f"enc-{user}", "******-*******")
    assert sorted(repos.tax_ids.in_shard(shard)) == sorted((u, f"enc-{u}") for u in inside)
    other = shard_of(outside[0], shards)
    assert sorted(repos.tax_ids.in_shard(other)) == sorted(
        (u, f"enc-{u}") for u in inside + outside if shard_of(u, shards) == other
    )
    unregister(repos, inside[0])
    assert repos.tax_ids.in_shard(shard) == [(inside[1], f"enc-{inside[1]}")]


def test_a_number_another_resident_holds_is_refused_naming_no_one_and_nothing_is_written(
    repos: composition.Repositories,
):
    register(repos, "ann", "mac-ann", "enc-ann")
    with pytest.raises(Conflict) as refused:
        register(repos, "ben", "mac-ann", "enc-ben")
    assert "ann" not in refused.value.message and "mac-ann" not in refused.value.message
    assert repos.tax_ids.get("ben") is None
    assert repos.tax_ids.get("ann") == registration("ann", "mac-ann")
    # ben, already registered with a number of his own, is refused too and keeps his own
    register(repos, "ben", "mac-ben", "enc-ben")
    with pytest.raises(Conflict):
        register(repos, "ben", "mac-ann", "enc-ben-2")
    assert repos.tax_ids.get("ben") == registration("ben", "mac-ben")
    every = [e for s in range(repos.tax_ids.shards) for e in repos.tax_ids.in_shard(s)]
    assert sorted(every) == [("ann", "enc-ann"), ("ben", "enc-ben")]


def test_a_resident_registers_their_own_number_again(repos: composition.Repositories):
    register(repos, "ann", "mac-ann", "enc-1")
    register(repos, "ann", "mac-ann", "enc-2", at="2020-03-11T09:00:00+09:00")
    assert repos.tax_ids.get("ann") == registration("ann", "mac-ann", at="2020-03-11T09:00:00+09:00")
    with pytest.raises(Conflict):
        register(repos, "ben", "mac-ann")


def test_a_replaced_or_removed_number_is_released_for_another_resident(repos: composition.Repositories):
    register(repos, "ann", "mac-1")
    register(repos, "ann", "mac-2")           # replaced: mac-1 is free, mac-2 is ann's
    register(repos, "ben", "mac-1")
    with pytest.raises(Conflict):
        register(repos, "ben", "mac-2")
    assert repos.tax_ids.get("ben") == registration("ben", "mac-1")
    unregister(repos, "ann")                  # removed: mac-2 is free
    register(repos, "cat", "mac-2")
    assert repos.tax_ids.get("cat") == registration("cat", "mac-2")
    with pytest.raises(Conflict):
        register(repos, "ann", "mac-1")


def test_a_registration_staged_against_one_that_changed_since_is_contention_and_claims_nothing(
    repos: composition.Repositories,
):
    register(repos, "ann", "mac-1")
    stale = read(repos, lambda b: repos.tax_ids.want(b, "ann"))
    register(repos, "ann", "mac-2")           # a concurrent replacement commits first
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.tax_ids.stage_put(tx, registration("ann", "mac-3"), "enc-3", stale))
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.tax_ids.stage_delete(tx, stale))
    assert repos.tax_ids.get("ann") == registration("ann", "mac-2")
    register(repos, "ben", "mac-3")           # the refused attempt left no claim behind
    register(repos, "cat", "mac-1")
    register(repos, "dan", "mac-4")
    with pytest.raises(Contention):           # staged as a first registration, but one was made meanwhile
        commit(repos, lambda tx: repos.tax_ids.stage_put(tx, registration("dan", "mac-5"), "enc-5", None))
    register(repos, "eve", "mac-5")
    assert repos.tax_ids.get("dan") == registration("dan", "mac-4")
    unregister(repos, "ann")
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.tax_ids.stage_delete(tx, registration("ann", "mac-2")))
