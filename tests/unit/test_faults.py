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

import pytest
from botocore.exceptions import ClientError

from chalicelib import composition
from chalicelib.domain.errors import StorageUnavailable
from chalicelib.domain.months import KST
from chalicelib.handlers import settlement
from chalicelib.handlers.admin import seed_defaults
from tests.support import BIZ, Env, new_key

SETTLEMENT_WRITES = ("mark_running", "record_shard", "start_books", "record_segment", "put_merchant_lines",
                     "finish_run")


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


class FaultyStore:
    """The app's store, whose transactions go through the faults."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def batch(self) -> Any:
        return self._real.batch()

    def tx(self) -> Any:
        real = self._real.tx()
        commit = self._faults.wrap(real.commit, throttled_store)

        class Faulty:
            def add(self, write: Any) -> None:
                real.add(write)

            def commit(self) -> None:
                commit()

        return Faulty()


def install(env: Env, faults: Faults, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write of the settlement (transactions, the run's records, the reports, the shard messages)
    goes through the faults."""
    c = env.container
    settlements = c.repos.settlements
    for name in SETTLEMENT_WRITES:
        monkeypatch.setattr(settlements, name, faults.wrap(getattr(settlements, name), throttled_store))
    monkeypatch.setattr(c.reports, "put", faults.wrap(c.reports.put, throttled_aws))
    monkeypatch.setattr(c.shards, "send", faults.wrap(c.shards.send, throttled_aws))
    repos = c.repos
    monkeypatch.setattr(composition, "_container", c)  # the context puts this container back when it ends
    composition.amend(repos=repos.replace(store=FaultyStore(repos.store, faults)))


def take_messages(env: Env) -> list[str]:
    """Every message waiting in the settlement queue, taken off it (the test delivers them itself)."""
    return list(env.container.shards.take())  # type: ignore[attr-defined]


def settle_through_faults(env: Env, month: str, duplicate: bool = True) -> None:
    """Staff start the month (retrying a failed POST); every shard message is delivered until it
    succeeds, as SQS redelivers a failed one; the first to succeed is delivered once more, as SQS may."""
    for _ in range(3):
        try:
            settlement.start(month)
            break
        except (StorageUnavailable, ClientError):
            continue
    pending = take_messages(env)
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
        pending += take_messages(env)  # continuations, if any
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


def fresh_district(env: Env, shards: int = 2) -> str:
    """An empty store again, the defaults seeded, a shop and three residents; ann gives all her new cashback
    automatically. Returns the shop."""
    settings = replace(env.container.settings, settlement_shards=shards)
    composition.override(clock=env.clock, **composition.in_memory(settings))
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
    closed = datetime(2020, 4, 1, 2, tzinfo=KST)

    # a clean run counts the writes a month's settlement makes
    shop = fresh_district(env)
    month_of_spending(env, shop, 2020, 3)
    env.clock.set(closed)
    counting = Faults()
    with monkeypatch.context() as patch:
        install(env, counting, patch)
        settle_through_faults(env, "2020-03", duplicate=False)
    writes = counting.count
    assert writes >= 14  # start, messages, credits, shard records, the books check's, reports, merchant lines, finish

    for k, after in [(k, after) for k in range(1, writes + 1) for after in (False, True)]:
        shop = fresh_district(env)
        month_of_spending(env, shop, 2020, 3)
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
        assert env.repos.campaigns.totals("general") == (2_500, 1), where
        reports = env.container.reports.files  # type: ignore[attr-defined]
        summary = json.loads(reports["settlements/2020-03/summary.json"][0])
        assert summary["cashback_credited"] == 22_500 and summary["books_balanced"] is True, where
        assert summary["merchants"][shop]["gross"] == 450_000 and len(summary["merchants"]) == 1, where


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
