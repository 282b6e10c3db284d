"""Top-up records, payouts, the sweep's two lists and the wallet changes of the table's stream, on both stores held
to one behaviour (and the wallet's counters and automatic top-up, which ride on the wallet item)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib import composition
from chalicelib.domain.cashout import PAYOUT_CHARGE_CANCEL, PAYOUT_PAID, PAYOUT_WITHDRAWAL, Payout
from chalicelib.domain.errors import Contention
from chalicelib.domain.wallet import (
    AUTO_BELOW,
    AutoCharge,
    AutoChargeResult,
    ChargeRecord,
    Wallet,
)
from chalicelib.storage.memory.cashout import MemoryCashouts
from devstack.moto_streams import keep_stream_cheap
from devstack.streams import streams_client
from tests.contract.conftest import REGION, commit, read

AT = "2020-03-10T12:00:00+09:00"


def charged(charge_id: str = "chg_1", user: str = "ann") -> ChargeRecord:
    return ChargeRecord(charge_id, user, 50_000, "2020-03", "auto_charge", AT)


def payout(payout_id: str, user: str = "ann", at: str = AT, kind: str = PAYOUT_WITHDRAWAL) -> Payout:
    return Payout(payout_id, user, kind, 40_000, at, ref="chg_1" if kind == PAYOUT_CHARGE_CANCEL else None)


def flying(user: str, since: str, version: int = 3) -> Wallet:
    return Wallet(user, "청라1동", charged_balance=5_000, version=version, created_at=AT, charged_in=9_000, spent=4_000,
                  auto=AutoCharge(AUTO_BELOW, 10_000, 20_000, in_flight=f"auto_{user}", in_flight_amount=20_000,
                                  in_flight_since=since, seen=version))


def test_a_top_ups_record_reads_back_whole_and_is_written_only_at_the_version_read(repos: composition.Repositories):
    record = charged()
    commit(repos, lambda tx: repos.cashouts.stage_charge(tx, record, 0))
    assert read(repos, lambda b: repos.cashouts.want_charge(b, "ann", "chg_1")) == record
    assert read(repos, lambda b: repos.cashouts.want_charge(b, "bob", "chg_1")) is None   # another's: none
    with pytest.raises(Contention):          # the same top-up twice
        commit(repos, lambda tx: repos.cashouts.stage_charge(tx, record, 0))
    cancelled = replace(record, status="cancelled", cancelled_at=AT, payout_id="ccl_1", version=2)
    commit(repos, lambda tx: repos.cashouts.stage_charge(tx, cancelled, 1))
    with pytest.raises(Contention):          # a second cancellation that read version 1
        commit(repos, lambda tx: repos.cashouts.stage_charge(tx, replace(cancelled, payout_id="ccl_2"), 1))
    assert read(repos, lambda b: repos.cashouts.want_charge(b, "ann", "chg_1")) == cancelled


def test_a_payout_is_listed_pending_oldest_first_before_a_time_until_it_is_written_paid(
    repos: composition.Repositories,
):
    early = payout("wd_1", at="2020-03-10T09:00:00+09:00")
    late = payout("ccl_2", user="bob", at="2020-03-10T11:00:00+09:00", kind=PAYOUT_CHARGE_CANCEL)
    commit(repos, lambda tx: repos.cashouts.stage_payout(tx, late, 0),
           lambda tx: repos.cashouts.stage_payout(tx, early, 0))
    assert read(repos, lambda b: repos.cashouts.want_payout(b, "bob", "ccl_2")) == late
    assert read(repos, lambda b: repos.cashouts.want_payout(b, "ann", "ccl_2")) is None
    assert repos.cashouts.pending_payouts("2020-03-10T12:00:00+09:00", 10) == [early, late]
    assert repos.cashouts.pending_payouts("2020-03-10T10:00:00+09:00", 10) == [early]
    assert repos.cashouts.pending_payouts("2020-03-10T12:00:00+09:00", 1) == [early]
    done = replace(early, status=PAYOUT_PAID, finished_at=AT, version=2)
    commit(repos, lambda tx: repos.cashouts.stage_payout(tx, done, 1))
    with pytest.raises(Contention):          # a racing retry that read it pending
        commit(repos, lambda tx: repos.cashouts.stage_payout(tx, done, 1))
    assert repos.cashouts.pending_payouts("2020-03-10T12:00:00+09:00", 10) == [late]
    assert read(repos, lambda b: repos.cashouts.want_payout(b, "ann", "wd_1")) == done


def test_a_wallet_with_a_top_up_in_flight_is_listed_until_the_top_up_ends_and_reads_back_whole(
    repos: composition.Repositories,
):
    ann, bob = flying("ann", "2020-03-10T09:00:00+09:00"), flying("bob", "2020-03-10T11:00:00+09:00")
    quiet = Wallet("cy", "가정동", version=1, created_at=AT)
    commit(repos, *[lambda tx, w=w: repos.wallets.stage(tx, w, 0) for w in (ann, bob, quiet)])
    assert read(repos, lambda b: repos.wallets.want(b, "ann")) == ann
    assert repos.cashouts.auto_charges_in_flight("2020-03-10T12:00:00+09:00", 10) == [ann, bob]
    assert repos.cashouts.auto_charges_in_flight("2020-03-10T10:00:00+09:00", 10) == [ann]
    last = AutoChargeResult(AT, 20_000, "charged", charge_id="auto_ann")
    ended = replace(ann, charged_balance=25_000, version=4,
                    auto=replace(ann.auto, in_flight=None, in_flight_amount=None, in_flight_since=None, last=last))
    commit(repos, lambda tx: repos.wallets.stage(tx, ended, 3))
    assert repos.cashouts.auto_charges_in_flight("2020-03-10T12:00:00+09:00", 10) == [bob]
    assert read(repos, lambda b: repos.wallets.want(b, "ann")) == ended
    skipped = replace(bob, version=4, auto=replace(bob.auto, in_flight=None, in_flight_amount=None,
                                                   in_flight_since=None,
                                                   last=AutoChargeResult(AT, 20_000, "skipped", "balance_limit")))
    commit(repos, lambda tx: repos.wallets.stage(tx, skipped, 3))
    assert read(repos, lambda b: repos.wallets.want(b, "bob")) == skipped
    assert repos.cashouts.auto_charges_in_flight("2020-03-10T12:00:00+09:00", 10) == []


def _stream_records(repos: composition.Repositories) -> list[dict[str, Any]]:
    """Every record the store's stream holds, as Lambda is handed them."""
    if isinstance(repos.cashouts, MemoryCashouts):
        return repos.cashouts.stream_records(0)[0]
    name = repos.store.Item.Meta.table_name  # type: ignore[attr-defined]
    arn = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=name)["Table"]["LatestStreamArn"]
    streams = streams_client(REGION)
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=it["ShardIterator"])["Records"]
    return records


def test_the_streams_records_read_back_as_the_wallet_before_and_after_each_write_and_nothing_else(
    repos: composition.Repositories,
):
    if not isinstance(repos.cashouts, MemoryCashouts):
        keep_stream_cheap()
        boto3.client("dynamodb", region_name=REGION).update_table(
            TableName=repos.store.Item.Meta.table_name,  # type: ignore[attr-defined]
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    opened = Wallet("ann", "청라1동", version=1, created_at=AT, auto=AutoCharge(AUTO_BELOW, 10_000, 20_000))
    paid = replace(opened, charged_balance=5_000, version=2, charged_in=5_000, spent=1_000)
    commit(repos, lambda tx: repos.wallets.stage(tx, opened, 0))
    commit(repos, lambda tx: repos.wallets.stage(tx, paid, 1), lambda tx: repos.cashouts.stage_charge(tx, charged(), 0))
    changes = [repos.cashouts.wallet_change(r) for r in _stream_records(repos)]
    wallets = [c for c in changes if c is not None]
    assert [(c.old, c.new) for c in wallets] == [(None, opened), (opened, paid)]
    assert repos.cashouts.wallet_change({"dynamodb": {}}) is None


def test_a_wallet_item_stored_before_the_counters_reads_as_not_tallied_and_one_written_since_as_tallied(
    repos: composition.Repositories,
):
    if isinstance(repos.cashouts, MemoryCashouts):
        pytest.skip("only the table holds wallets stored before the counters were kept")
    name = repos.store.Item.Meta.table_name  # type: ignore[attr-defined]
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=name, Item={
        "pk": {"S": "U#old"}, "sk": {"S": "WALLET"}, "entry": {"S": "wallet"}, "user_id": {"S": "old"},
        "dong": {"S": "청라1동"}, "charged_balance": {"N": "7000"}, "cashback_balance": {"N": "0"},
        "version": {"N": "4"}, "created_at": {"S": AT}, "terms_agreed_at": {"S": AT}})
    old = read(repos, lambda b: repos.wallets.want(b, "old"))
    assert old == Wallet("old", "청라1동", charged_balance=7_000, version=4, created_at=AT, tallied=False)
    commit(repos, lambda tx: repos.wallets.stage(tx, replace(old, spent=10, version=5), 4))
    assert read(repos, lambda b: repos.wallets.want(b, "old")).tallied is False   # until a withdrawal counts them
