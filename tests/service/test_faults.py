"""Faults between every pair of writes: a throttling error before a write, or after it (the write
happened but its caller never heard), then the retry a real deployment makes — SQS delivering the
shard message again, the caller repeating a request with the same Idempotency-Key — and a duplicate
delivery on top. Whatever write fails, the retry finishes the work and nothing is doubled or lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import composition
from chalicelib.domain.errors import StorageUnavailable
from chalicelib.domain.months import KST
from chalicelib.handlers import settlement
from chalicelib.handlers.admin import seed_defaults
from tests.service.conftest import BIZ, Env
from tests.support import new_key

STORE_WRITES = ("commit", "start_run", "mark_running", "record_shard", "put_merchant_lines", "finish_run")


class Faults:
    """Counts every write of the settlement (store, S3, SQS) and fails the `fail_at`-th one, once,
    either before it reaches AWS or after it was written."""

    def __init__(self, fail_at: int = 0, after: bool = False) -> None:
        self.fail_at = fail_at
        self.after = after
        self.count = 0
        self.fired = False

    def wrap(self, fn: Callable[..., Any], error: Callable[[], Exception]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            due = self.count == self.fail_at and not self.fired
            if due and not self.after:
                self.fired = True
                raise error()
            out = fn(*args, **kwargs)
            if due:
                self.fired = True
                raise error()
            return out

        return write


def throttled_store() -> Exception:
    return StorageUnavailable("ProvisionedThroughputExceededException (injected)")


def throttled_aws() -> Exception:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "Injected")


def install(env: Env, faults: Faults, monkeypatch: pytest.MonkeyPatch) -> None:
    store, c = env.container.store, env.container
    for name in STORE_WRITES:
        monkeypatch.setattr(store, name, faults.wrap(getattr(store, name), throttled_store))
    monkeypatch.setattr(c.s3, "put_object", faults.wrap(c.s3.put_object, throttled_aws))
    monkeypatch.setattr(c.sqs, "send_message_batch", faults.wrap(c.sqs.send_message_batch, throttled_aws))


def take_messages() -> list[str]:
    """Every message waiting in the settlement queue, taken off it (the test delivers them itself)."""
    sqs = boto3.client("sqs", region_name="ap-northeast-2")
    url = sqs.get_queue_url(QueueName="seoro-settlement")["QueueUrl"]
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def settle_through_faults(env: Env, month: str, duplicate: bool = True) -> None:
    """Staff start the month (retrying a failed POST); every shard message is delivered until it
    succeeds, as SQS redelivers a failed one; the first to succeed is delivered once more, as SQS may."""
    for _ in range(3):
        try:
            settlement.start(month)
            break
        except (StorageUnavailable, ClientError):
            continue
    pending = take_messages()
    delivered_twice: set[str] = set()
    for _ in range(200):
        if not pending:
            return
        body = pending.pop(0)
        try:
            settlement.process_message(body, lambda: 600_000)
        except (StorageUnavailable, ClientError):
            pending.append(body)
            continue
        if duplicate and not delivered_twice:
            delivered_twice.add(body)
            pending.append(body)
        pending += take_messages()  # continuations, if any
    raise AssertionError("the shard messages never all succeeded")


def month_of_spending(env: Env, shop: str, year: int, mon: int) -> None:
    """Three residents top up and spend in a month (2,000 + 500, 4,000 + 1,000 and 12,000 + 3,000 won of
    cashback); ann gives all of hers automatically at the settlement."""
    env.clock.set(datetime(year, mon, 5, 12, tzinfo=KST))
    for sub, amount in (("ann", 50_000), ("ben", 100_000), ("cyd", 300_000)):
        status, body = env.call("POST", "/wallet/charges", role="resident", sub=sub, body={"amount": amount},
                                key=new_key())
        assert status == 201, body
        assert env.pay(sub, shop, amount, use_cashback=False)[0] == 201


def fresh_district(env: Env) -> str:
    """An empty table again (so moto's per-transaction copy of the table stays small), the defaults seeded,
    a shop and three residents; ann gives all her new cashback automatically. Returns the shop."""
    ddb = boto3.client("dynamodb", region_name="ap-northeast-2")
    name = env.container.settings.table_name
    table = ddb.describe_table(TableName=name)["Table"]
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)  # the template protects the table
    ddb.delete_table(TableName=name)
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=table["AttributeDefinitions"],
        KeySchema=table["KeySchema"],
        GlobalSecondaryIndexes=[{k: g[k] for k in ("IndexName", "KeySchema", "Projection")}
                                for g in table["GlobalSecondaryIndexes"]],
    )
    seed_defaults()
    env.clock.set(datetime(2020, 3, 3, 12, tzinfo=KST))
    shop = env.register_merchant(number=BIZ[0])
    for sub in ("ann", "ben", "cyd"):
        env.open_wallet(sub)
    assert env.call("PUT", "/donations/auto", role="resident", sub="ann", body={"mode": "all"})[0] == 200
    return shop


def test_a_settlement_failing_at_any_write_before_or_after_it_finishes_on_retry_with_nothing_doubled(
    env: Env, monkeypatch: pytest.MonkeyPatch
):
    # two shards keep the number of writes (and so of scenarios) small; the code path is the same
    composition.override(settings=replace(env.container.settings, settlement_shards=2), clock=env.clock,
                         bank=env.bank)
    closed = datetime(2020, 4, 1, 2, tzinfo=KST)

    # a clean run counts the writes a month's settlement makes
    month_of_spending(env, fresh_district(env), 2020, 3)
    env.clock.set(closed)
    counting = Faults()
    with monkeypatch.context() as patch:
        install(env, counting, patch)
        settle_through_faults(env, "2020-03", duplicate=False)
    writes = counting.count
    assert writes >= 10  # start, messages, credits, shard records, reports, merchant lines, finish

    for k, after in [(k, after) for k in range(1, writes + 1) for after in (False, True)]:
        month_of_spending(env, fresh_district(env), 2020, 3)
        env.clock.set(closed)
        faults = Faults(k, after)
        with monkeypatch.context() as patch:
            install(env, faults, patch)
            settle_through_faults(env, "2020-03")
        where = f"write {k} of {writes}, failing {'after' if after else 'before'} it"
        assert faults.fired, where
        status, run = env.call("GET", "/staff/settlements/2020-03", role="staff", sub="clerk")
        assert status == 200 and run["status"] == "completed" and run["books_balanced"] is True, (where, run)
        assert run["cashback_credited"] == 2_500 + 5_000 + 15_000, (where, run)
        assert run["auto_donations"] == 2_500, (where, run)
        cashback = {sub: env.wallet(sub)["cashback_balance"] for sub in ("ann", "ben", "cyd")}
        assert cashback == {"ann": 0, "ben": 5_000, "cyd": 15_000}, where  # ann's was credited, then given
        assert env.container.store.fund_totals("general") == (2_500, 1), where
        s3 = boto3.client("s3", region_name="ap-northeast-2")
        summary = json.loads(s3.get_object(Bucket=env.container.settings.reports_bucket,
                                           Key="settlements/2020-03/summary.json")["Body"].read())
        assert summary["cashback_credited"] == 22_500 and summary["books_balanced"] is True, where


@pytest.mark.parametrize("after", [False, True], ids=["before the write", "after the write"])
def test_a_refund_whose_transaction_fails_is_repeated_with_its_key_and_refunds_once(
    env: Env, monkeypatch: pytest.MonkeyPatch, after: bool
):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("dee", charge=100_000)
    _, payment = env.pay("dee", shop, 40_000)
    faults = Faults(1, after)
    path = f"/merchant/payments/{payment['payment_id']}/refunds"
    with monkeypatch.context() as patch:
        install(env, faults, patch)
        status, body = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"amount": 15_000},
                                key="refund-1")
    assert faults.fired and status == 503 and body["error"]["code"] == "SERVICE_UNAVAILABLE"
    for _ in range(2):  # the merchant app repeats it, and once more
        status, body = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"amount": 15_000},
                                key="refund-1")
        assert status == 200 and body["refunded"] == 15_000, body
    assert env.wallet("dee")["charged_balance"] == 100_000 - 40_000 + 15_000
    assert env.wallet("dee")["month"]["eligible_spend"] == 25_000


@pytest.mark.parametrize("after", [False, True], ids=["before the write", "after the write"])
def test_a_rejection_whose_transaction_fails_is_repeated_and_refunds_the_order_once(
    env: Env, monkeypatch: pytest.MonkeyPatch, after: bool
):
    shop = env.register_merchant(number=BIZ[0], delivery={"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]})
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="o", merchant_id=shop,
                    body={"items": [{"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True}]})[0] == 200
    env.open_wallet("eve", charge=100_000)
    status, order = env.call("POST", "/orders", role="resident", sub="eve", key=new_key(),
                             body={"merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 2}],
                                   "address": "청라동 1-1"})
    assert status == 201, order
    assert env.wallet("eve")["charged_balance"] == 100_000 - 11_000
    faults = Faults(1, after)
    path = f"/merchant/orders/{order['order_id']}/reject"
    with monkeypatch.context() as patch:
        install(env, faults, patch)
        status, _ = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"reason": "busy"})
    assert faults.fired and status == 503
    status, body = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"reason": "busy"})
    # the retry either rejects now (the first never reached the table) or finds it already rejected
    assert (status, body.get("status") or body["error"]["code"]) == ((409, "INVALID_STATE") if after
                                                                     else (200, "rejected"))
    status, again = env.call("POST", path, role="merchant", sub="o", merchant_id=shop, body={"reason": "busy"})
    assert status == 409 and again["error"]["code"] == "INVALID_STATE"
    assert env.wallet("eve")["charged_balance"] == 100_000
    assert env.wallet("eve")["month"]["eligible_spend"] == 0
    status, seen = env.call("GET", f"/orders/{order['order_id']}", role="resident", sub="eve")
    assert seen["status"] == "rejected"
