"""The unit of work on both stores: a batch fills its slots in one read, a transaction writes all or nothing,
and a lost condition is `Contention` (or the error the write names)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Contention, IdempotencyRace
from chalicelib.domain.idempotency import StoredResponse
from chalicelib.domain.ledger import Movement
from chalicelib.domain.wallet import ResidentMonth, Wallet
from tests.contract.conftest import commit, read

AT = "2020-03-10T12:00:00+09:00"


def test_a_slot_is_read_only_after_its_batch_ran_and_holds_its_default_when_nothing_was_found(
    repos: composition.Repositories,
):
    batch = repos.store.batch()
    wallet = repos.wallets.want(batch, "nobody")
    month = repos.wallets.want_month(batch, "nobody", "2020-03")
    with pytest.raises(RuntimeError):
        _ = wallet.value
    batch.run()
    assert wallet.value is None
    assert month.value == ResidentMonth("nobody", "2020-03")


def test_one_batch_reads_items_of_several_areas(repos: composition.Repositories):
    repos.wallets.open(Wallet("ann", "청라1동", version=1, created_at=AT))
    commit(repos, lambda tx: repos.responses.stage(tx, StoredResponse("ann#payment#k", "h", '{"x":1}'), 0))
    batch = repos.store.batch()
    wallet = repos.wallets.want(batch, "ann")
    stored = repos.responses.want(batch, "ann#payment#k")
    missing = repos.payments.want(batch, "pay_none")
    batch.run()
    assert wallet.value == Wallet("ann", "청라1동", version=1, created_at=AT)
    assert stored.value == StoredResponse("ann#payment#k", "h", '{"x":1}')
    assert missing.value is None


def test_a_transaction_with_one_stale_item_writes_nothing_at_all(repos: composition.Repositories):
    repos.wallets.open(Wallet("ann", "청라1동", charged_balance=100, version=1, created_at=AT))
    fresh = ResidentMonth("ann", "2020-03", charged=100, version=1)
    mv = Movement("ann", "mv1", "charge", "chg1", 100, 0, AT)
    with pytest.raises(Contention):
        commit(
            repos,
            lambda tx: repos.wallets.stage_month(tx, fresh, 0),
            lambda tx: repos.wallets.stage_movement(tx, mv),
            lambda tx: repos.wallets.stage(tx, Wallet("ann", "청라1동", charged_balance=200, version=9), 8),
        )
    assert read(repos, lambda b: repos.wallets.want(b, "ann")).charged_balance == 100
    assert read(repos, lambda b: repos.wallets.want_month(b, "ann", "2020-03")) == ResidentMonth("ann", "2020-03")
    assert repos.wallets.movements("ann") == []


def test_a_versioned_write_holds_only_on_the_version_it_was_read_at(repos: composition.Repositories):
    month = ResidentMonth("ann", "2020-03", charged=1, version=1)
    commit(repos, lambda tx: repos.wallets.stage_month(tx, month, 0))
    with pytest.raises(Contention):  # created twice
        commit(repos, lambda tx: repos.wallets.stage_month(tx, month, 0))
    moved = replace(month, charged=2, version=2)
    commit(repos, lambda tx: repos.wallets.stage_month(tx, moved, 1))
    with pytest.raises(Contention):  # a second writer that read version 1 too
        commit(repos, lambda tx: repos.wallets.stage_month(tx, replace(month, charged=3, version=2), 1))
    assert read(repos, lambda b: repos.wallets.want_month(b, "ann", "2020-03")) == moved


def test_a_response_stored_meanwhile_is_an_idempotency_race_and_nothing_else_is_written(
    repos: composition.Repositories,
):
    commit(repos, lambda tx: repos.responses.stage(tx, StoredResponse("ann#charge#k", "h1", "{}"), 0))
    mv = Movement("ann", "mv2", "charge", "chg2", 100, 0, AT)
    with pytest.raises(IdempotencyRace):
        commit(
            repos,
            lambda tx: repos.wallets.stage_movement(tx, mv),
            lambda tx: repos.responses.stage(tx, StoredResponse("ann#charge#k", "h2", "{}"), 0),
        )
    assert repos.wallets.movements("ann") == []
    assert read(repos, lambda b: repos.responses.want(b, "ann#charge#k")).request_hash == "h1"


def test_an_empty_transaction_and_an_empty_batch_cost_nothing_and_fail_nothing(repos: composition.Repositories):
    repos.store.tx().commit()
    repos.store.batch().run()
