"""On DynamoDB (moto), counted as the benchmark counts them: a gift's claim is one BatchGetItem and one
TransactWriteItems, because the gift's id is derived from its code (`domain/gifts.gift_id_for`); a gift sent
before ids were derived is found through its code item, with a second BatchGetItem, and is claimed just the same."""

from __future__ import annotations

import pytest

from bench.counting import RequestCounter
from chalicelib.domain.gifts import code_digest, gift_id_for
from chalicelib.handlers import common, gifts
from tests.service.test_sealed_requests import ONE_READ_ONE_WRITE, TWO_READS_ONE_WRITE, requests_of
from tests.support import Env, new_key


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
