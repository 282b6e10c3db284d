"""On DynamoDB (moto), counted as the benchmark counts them, operations at their floor:

- a gift's claim is one BatchGetItem and one TransactWriteItems, because the gift's id is derived from its code
  (`domain/gifts.gift_id_for`); a gift sent before ids were derived is found through its code item, with a second
  BatchGetItem, and is claimed just the same;
- money to the bank (cancelling a top-up, withdrawing) is one BatchGetItem, the transaction that holds the money,
  the bank, and the transaction that records its answer: the top-up's month is this month or the last, both read
  in the one batch, and the approval is written on the version the first transaction wrote."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.counting import RequestCounter
from chalicelib.domain.gifts import code_digest, gift_id_for
from chalicelib.handlers import common, gifts
from tests.service.test_sealed_requests import ONE_READ_ONE_WRITE, TWO_READS_ONE_WRITE, requests_of
from tests.support import BIZ, Env, new_key

ONE_READ_TWO_WRITES = Counter({"BatchGetItem": 1, "TransactWriteItems": 2})


@pytest.fixture
def counter() -> RequestCounter:
    """Installed before the app's store makes its botocore client (requested before `env`)."""
    return RequestCounter.install()


def send(env: Env, amount: int) -> dict[str, str]:
    status, body = env.call("POST", "/gifts", role="resident", sub="ann", body={"amount": amount}, key=new_key())
    assert status == 201, body
    return {"gift_id": body["gift_id"], "claim_code": body["claim_code"]}


def claim(env: Env, code: str) -> tuple[int, object]:
    return env.call("POST", "/gifts/claim", role="resident", sub="bob", body={"claim_code": code}, key=new_key())


def test_a_gift_is_claimed_with_one_read_and_one_transaction_and_its_id_is_derived_from_its_code(
    counter: RequestCounter, env: Env,
):
    env.open_wallet("ann", charge=100_000)
    env.open_wallet("bob", charge=0)
    gift = send(env, 10_000)
    assert gift["gift_id"] == gift_id_for(code_digest(gift["claim_code"]))
    answers: list[tuple[int, object]] = []
    assert requests_of(counter, lambda: answers.append(claim(env, gift["claim_code"]))) == ONE_READ_ONE_WRITE
    assert answers[0][0] == 201, answers
    assert env.wallet("bob")["charged_balance"] == 10_000 and env.wallet("ann")["charged_balance"] == 90_000


def test_a_gift_sent_before_ids_were_derived_is_found_by_its_code_item_with_one_more_read(
    counter: RequestCounter, env: Env, monkeypatch: pytest.MonkeyPatch,
):
    env.open_wallet("ann", charge=100_000)
    env.open_wallet("bob", charge=0)
    monkeypatch.setattr(gifts, "gift_id_for", lambda _digest: common.new_id("gift"))   # as gifts were sent
    gift = send(env, 7_000)
    monkeypatch.undo()
    assert gift["gift_id"] != gift_id_for(code_digest(gift["claim_code"]))
    answers: list[tuple[int, object]] = []
    assert requests_of(counter, lambda: answers.append(claim(env, gift["claim_code"]))) == TWO_READS_ONE_WRITE
    assert answers[0][0] == 201, answers
    assert env.wallet("bob")["charged_balance"] == 7_000
    assert claim(env, gift["claim_code"])[0] == 409   # claimed once, whichever way it was found


def test_cancelling_a_top_up_and_withdrawing_are_one_read_and_the_two_transactions_around_the_bank(
    counter: RequestCounter, env: Env,
):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("ann", charge=10_000)
    status, body = env.call("POST", "/wallet/charges", role="resident", sub="ann", body={"amount": 5_000},
                            key=new_key())
    assert status == 201, body
    answers: list[tuple[int, object]] = []
    cancel = lambda: answers.append(env.call(  # noqa: E731
        "POST", f"/wallet/charges/{body['charge_id']}/cancel", role="resident", sub="ann", key=new_key()))
    assert requests_of(counter, cancel) == ONE_READ_TWO_WRITES
    assert env.pay("ann", shop, 6_000, use_cashback=False)[0] == 201
    withdraw = lambda: answers.append(env.call(  # noqa: E731
        "POST", "/wallet/withdrawals", role="resident", sub="ann", body={}, key=new_key()))
    assert requests_of(counter, withdraw) == ONE_READ_TWO_WRITES
    assert [status for status, _ in answers] == [200, 201], answers
    assert env.wallet("ann")["charged_balance"] == 0 and env.bank.paid_out_total() == 5_000 + 4_000
