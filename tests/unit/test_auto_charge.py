"""자동충전: the setting (`PUT`/`GET /wallet/auto-charge`), and the top-ups the table's stream starts — here the
in-memory table's stream, delivered to the same Lambda function (`auto_charge`) the cloud's stream invokes. The
pure rules: test_cashout_rules.py; the stream on moto through the local runner: tests/service/test_auto_charge.py."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.ledger import balances_match
from chalicelib.storage.memory.cashout import MemoryCashouts
from tests.support import BIZ, Env, change_wallet, die_after_next_commit, new_key, read_wallet


class Stream:
    """What Lambda does with the table's stream: hands the records written since the last delivery to the
    automatic top-up (in the event source's filter: wallets with a threshold), and says which ones failed."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.after = 0

    @property
    def source(self) -> MemoryCashouts:
        cashouts = self.env.repos.cashouts
        assert isinstance(cashouts, MemoryCashouts)
        return cashouts

    def deliver(self, records: list[dict[str, Any]] | None = None) -> list[str]:
        if records is None:
            records, self.after = self.source.stream_records(self.after)
        if not records:
            return []
        answer = self.env.client.lambda_.invoke("auto_charge", {"Records": records}).payload
        return [f["itemIdentifier"] for f in answer["batchItemFailures"]]

    def pending(self) -> list[dict[str, Any]]:
        records, self.after = self.source.stream_records(self.after)
        return records

    def everything(self) -> list[dict[str, Any]]:
        """Every record the stream still holds (a redelivery from the start)."""
        return self.source.stream_records(0)[0]


@pytest.fixture
def stream(env: Env) -> Stream:
    return Stream(env)


@pytest.fixture
def shop(env: Env) -> str:
    return env.register_merchant(number=BIZ[0])


def set_auto(env: Env, sub: str, body: Any) -> tuple[int, Any]:
    return env.call("PUT", "/wallet/auto-charge", role="resident", sub=sub, body=body)


def auto(env: Env, sub: str) -> dict[str, Any]:
    status, body = env.call("GET", "/wallet/auto-charge", role="resident", sub=sub)
    assert status == 200, body
    return dict(body)


def spend(env: Env, sub: str, shop: str, amount: int) -> None:
    status, body = env.pay(sub, shop, amount, use_cashback=False)
    assert status == 201, body


def auto_charges(env: Env, sub: str) -> list[int]:
    return [m.d_charged for m in env.repos.wallets.movements(sub) if m.kind == "auto_charge"]


def below(threshold: Any, amount: Any) -> dict[str, Any]:
    return {"mode": "below", "below": threshold, "amount": amount}


def sweep(env: Env) -> dict[str, int]:
    event = env.client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=["arn:aws:events:ap-northeast-2:123456789012:rule/sweep"])
    answer: dict[str, int] = env.client.lambda_.invoke("cashout_sweep", event).payload
    return answer


def test_the_setting_reads_back_and_one_outside_its_bounds_is_refused_and_changes_nothing(env: Env):
    assert set_auto(env, "ann", below(20_000, 30_000))[0] == 404
    env.open_wallet("ann")
    assert auto(env, "ann") == {"mode": "off", "below": None, "amount": None, "last": None}
    assert set_auto(env, "ann", below(20_000, 30_000)) == (
        200, {"mode": "below", "below": 20_000, "amount": 30_000, "last": None})
    for bad in (below(999, 30_000), below(1_000_001, 30_000), below(20_000, 9_999), below(20_000, 1_000_001),
                {"mode": "below", "below": 20_000}, {"mode": "off", "amount": 10_000}, {"mode": "sometimes"},
                below(20_000, "30000"), {**below(20_000, 30_000), "extra": 1}):
        status, body = set_auto(env, "ann", bad)
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), bad
    assert auto(env, "ann")["below"] == 20_000
    assert set_auto(env, "ann", {"mode": "off"})[1] == {"mode": "off", "below": None, "amount": None, "last": None}


def test_a_payment_below_the_threshold_is_topped_up_once_afterwards_and_the_payment_never_asks_the_bank(
    env: Env, stream: Stream, shop: str,
):
    env.open_wallet("ann", charge=50_000)
    assert set_auto(env, "ann", below(20_000, 30_000))[0] == 200
    transfers = len(env.bank.transfers)
    spend(env, "ann", shop, 35_000)
    assert len(env.bank.transfers) == transfers and env.wallet("ann")["charged_balance"] == 15_000
    assert stream.deliver() == []
    w = env.wallet("ann")
    assert (w["charged_balance"], w["month"]["charged"]) == (45_000, 80_000)
    last = auto(env, "ann")["last"]
    assert (last["status"], last["amount"], last["reason"]) == ("charged", 30_000, None)
    assert last["charge_id"] in env.bank.transfers and len(env.bank.transfers) == transfers + 1
    assert stream.deliver(stream.everything()) == []        # the whole stream again: nothing more
    assert auto_charges(env, "ann") == [30_000] and env.bank.settled_total() == 80_000
    assert balances_match(45_000, 0, env.repos.wallets.movements("ann"))


@pytest.mark.parametrize("delivery", ["one batch, in order", "concurrent batches"])
def test_two_payments_racing_below_the_threshold_start_one_top_up(env: Env, stream: Stream, shop: str, delivery: str):
    env.open_wallet("ann", charge=110_000)
    set_auto(env, "ann", below(100_000, 10_000))            # one top-up leaves the balance below 100,000 still
    payers = [threading.Thread(target=spend, args=(env, "ann", shop, 20_000)) for _ in range(2)]
    for t in payers:
        t.start()
    for t in payers:
        t.join()
    records = stream.pending()
    assert len(records) == 3                                # the setting, and two payments each a drop
    if delivery == "one batch, in order":
        assert stream.deliver(records) == []
    else:
        deliveries = [threading.Thread(target=stream.deliver, args=([r],)) for r in records]
        for t in deliveries:
            t.start()
        for t in deliveries:
            t.join()
    assert stream.deliver() == []
    assert auto_charges(env, "ann") == [10_000] and env.wallet("ann")["charged_balance"] == 80_000


def test_a_top_up_the_bank_declines_is_recorded_as_skipped_and_the_next_drop_tries_again(
    env: Env, stream: Stream, shop: str,
):
    env.open_wallet("ann", charge=30_000)
    set_auto(env, "ann", below(20_000, 10_000))
    env.bank.refuse_withdrawals["ann"] = "insufficient funds"
    spend(env, "ann", shop, 15_000)
    assert stream.deliver() == []
    last = auto(env, "ann")["last"]
    assert (last["status"], last["reason"], last["amount"], last["charge_id"]) == (
        "skipped", "bank_declined", 10_000, None)
    w = env.wallet("ann")
    assert (w["charged_balance"], w["month"]["charged"]) == (15_000, 30_000) and auto_charges(env, "ann") == []
    del env.bank.refuse_withdrawals["ann"]
    spend(env, "ann", shop, 1_000)
    assert stream.deliver() == [] and auto(env, "ann")["last"]["status"] == "charged"
    assert env.wallet("ann")["charged_balance"] == 24_000


def test_a_top_up_that_would_break_a_limit_is_skipped_without_taking_money_from_the_bank(
    env: Env, stream: Stream, shop: str,
):
    env.open_wallet("ann", charge=990_000)                  # 10,000 left of the month's 1,000,000
    set_auto(env, "ann", below(500_000, 20_000))
    spend(env, "ann", shop, 500_000)
    stream.deliver()
    last = auto(env, "ann")["last"]
    assert (last["status"], last["reason"]) == ("skipped", "monthly_charge_limit")
    assert env.bank.settled_total() == 990_000 and env.wallet("ann")["charged_balance"] == 490_000
    env.open_wallet("bo", charge=15_000)
    change_wallet("bo", cashback_balance=1_990_000)          # the balance limit is 2,000,000
    set_auto(env, "bo", below(20_000, 20_000))
    spend(env, "bo", shop, 1_000)
    stream.deliver()
    assert (auto(env, "bo")["last"]["reason"], env.bank.settled_total()) == ("balance_limit", 1_005_000)


def test_money_coming_back_or_a_new_setting_never_starts_a_top_up(env: Env, stream: Stream, shop: str):
    env.open_wallet("ann", charge=30_000)
    status, payment = env.pay("ann", shop, 25_000, use_cashback=False)
    set_auto(env, "ann", below(20_000, 10_000))             # already below: no top-up until the next drop
    status, _ = env.call("POST", f"/merchant/payments/{payment['payment_id']}/refunds", role="merchant",
                         sub="owner", merchant_id=shop, body={"amount": 1_000}, key=new_key())
    assert status == 200
    stream.deliver()
    assert auto(env, "ann")["last"] is None and env.wallet("ann")["charged_balance"] == 6_000


def test_an_automatic_top_up_can_be_cancelled_like_any_and_the_cancellation_starts_no_other(
    env: Env, stream: Stream, shop: str,
):
    env.open_wallet("ann", charge=30_000)
    set_auto(env, "ann", below(20_000, 50_000))
    spend(env, "ann", shop, 15_000)
    stream.deliver()
    charge_id = auto(env, "ann")["last"]["charge_id"]
    status, body = env.call("POST", f"/wallet/charges/{charge_id}/cancel", role="resident", sub="ann")
    assert (status, body["charged_balance"]) == (200, 15_000)
    stream.deliver()
    assert auto_charges(env, "ann") == [50_000] and env.wallet("ann")["charged_balance"] == 15_000
    assert env.bank.paid_out_total() == 50_000 and env.wallet("ann")["month"]["charged"] == 30_000


def test_a_claimed_top_up_whose_worker_died_is_made_once_by_the_redelivery(env: Env, stream: Stream, shop: str):
    env.open_wallet("ann", charge=30_000)
    set_auto(env, "ann", below(20_000, 10_000))
    spend(env, "ann", shop, 15_000)
    records = stream.pending()
    die_after_next_commit()                                  # the claim commits; the worker dies
    failed = stream.deliver(records)
    assert failed and read_wallet("ann")[0].auto.in_flight is not None
    assert stream.deliver([r for r in records if r["dynamodb"]["SequenceNumber"] >= failed[0]]) == []
    stream.deliver(stream.everything())
    assert auto_charges(env, "ann") == [10_000] and read_wallet("ann")[0].auto.in_flight is None


def test_a_top_up_the_bank_did_not_answer_stays_claimed_covers_later_drops_and_the_sweep_makes_it_once(
    env: Env, stream: Stream, shop: str,
):
    env.open_wallet("ann", charge=30_000)
    set_auto(env, "ann", below(20_000, 10_000))
    env.bank.down = True
    spend(env, "ann", shop, 15_000)
    assert stream.deliver() == []                            # not failed: the stream goes on
    spend(env, "ann", shop, 1_000)                           # a drop while it is in flight: covered by it
    stream.deliver()
    env.bank.down = False
    assert sweep(env)["auto_charges"] == 0                   # claimed less than 5 minutes ago
    env.clock.set(env.clock.now() + timedelta(minutes=6))
    assert sweep(env)["auto_charges"] == 1 and sweep(env)["auto_charges"] == 0
    stream.deliver(stream.everything())
    assert auto_charges(env, "ann") == [10_000] and env.wallet("ann")["charged_balance"] == 24_000


def test_the_document_states_the_bounds_the_keys_and_the_refusals_of_money_to_and_from_the_bank():
    import app  # noqa: F401  (declares every route)
    from chalicelib.web.api import declared
    from chalicelib.web.openapi import build

    doc = build(declared(), include_local=False)
    ops = {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}

    def key(operation: str) -> list[bool]:
        return [p["required"] for p in ops[operation].get("parameters", []) if p["name"] == "Idempotency-Key"]

    assert (key("cancel_charge"), key("withdraw"), key("set_auto_charge")) == ([False], [True], [])
    for operation in ("cancel_charge", "withdraw"):
        assert ops[operation]["responses"]["409"]["x-error-codes"] == ["CONFLICT", "INVALID_STATE"]
    assert "409" not in ops["get_auto_charge"]["responses"]
    schema = doc["components"]["schemas"]["AutoChargeIn"]
    bounds = {name: [(b.get("minimum"), b.get("maximum")) for b in schema["properties"][name]["anyOf"] if "minimum" in b]
              for name in ("below", "amount")}
    assert bounds == {"below": [(1_000, 1_000_000)], "amount": [(10_000, 1_000_000)]}
    assert schema["allOf"][0]["then"]["required"] == ["below", "amount"]
