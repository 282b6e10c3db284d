"""A refund, an order's rejection and a cancellation read once and write once: the payment's (the order's) id
names its payer and month, sealed (domain/sealed_ids.py). Everything else is as it was: the answers, the
movements and their balances after, idempotency, races; ids made before ids were sealed still refund, reading
the payment first. The same on DynamoDB, counted in requests: tests/service/test_sealed_requests.py."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from chalicelib import composition
from chalicelib.domain.errors import DomainError
from chalicelib.domain.sealed_ids import Sealed, seal
from chalicelib.handlers import orders, payments
from chalicelib.handlers.common import new_id
from chalicelib.web.schemas.common import ID_PATTERN, SEALED_ID_PATTERN
from tests.support import BIZ, Env, new_key, race

ANN = "4f1c2a9e-7b3d-4e8a-9c51-0d2e6f7a8b90"   # a Cognito sub
BO = "0b6d3c8e-1f2a-4d5b-8e9c-7a6b5c4d3e2f"
PLAIN = re.compile(r"(pay|ord|mord)_[0-9a-f]{32}")
MENU = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 5_000, "available": True}]}
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}


class CountingStore:
    """The app's store, counting its batched reads (a BatchGetItem each) and transactions (a TransactWriteItems)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.reads = 0
        self.writes = 0

    def batch(self) -> Any:
        real, owner = self._real.batch(), self

        class Counted:
            slot, want = real.slot, real.want

            def run(self) -> None:
                owner.reads += 1
                real.run()

        return Counted()

    def tx(self) -> Any:
        real, owner = self._real.tx(), self

        class Counted:
            add = real.add

            def commit(self) -> None:
                owner.writes += 1
                real.commit()

        return Counted()

    def reset(self) -> None:
        self.reads = self.writes = 0


def counting() -> CountingStore:
    repos = composition.container().repos
    store = CountingStore(repos.store)
    composition.amend(repos=repos.replace(store=store))
    return store


def made_before_ids_were_sealed(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, payments and orders get the plain ids every one had before ids were sealed."""
    def plain(prefixes: tuple[str, ...], *_: Any) -> tuple[str, ...]:
        return tuple(new_id(p) for p in prefixes)

    monkeypatch.setattr(payments, "sealed_ids", plain)
    monkeypatch.setattr(orders, "sealed_ids", plain)


def refund(env: Env, shop: str, payment_id: str, amount: int | None = None, key: str | None = None) -> tuple[int, Any]:
    return env.call("POST", f"/merchant/payments/{payment_id}/refunds", role="merchant", sub="owner",
                    merchant_id=shop, body={} if amount is None else {"amount": amount}, key=key or new_key())


def without_ids(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k not in ("payment_id", "ref_id", "at", "created_at")}


def test_a_refund_reads_once_and_writes_once_and_does_exactly_what_a_refund_of_an_unsealed_payment_does(
    env: Env, monkeypatch: pytest.MonkeyPatch,
):
    shop = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1])
    store = counting()
    results = []
    for sub, sealed in ((ANN, True), (BO, False)):
        if not sealed:
            made_before_ids_were_sealed(monkeypatch)
        env.open_wallet(sub, charge=100_000)
        status, paid = env.pay(sub, shop, 50_000)
        assert status == 201, paid
        assert re.fullmatch(SEALED_ID_PATTERN, paid["payment_id"]) and bool(PLAIN.fullmatch(paid["payment_id"])) != sealed
        store.reset()
        status, out = refund(env, shop, paid["payment_id"], 20_000)
        assert status == 200, out
        assert (store.reads, store.writes) == ((1, 1) if sealed else (2, 1))
        lines = env.call("GET", "/history", role="resident", sub=sub)[1]["items"]
        assert lines[0]["type"] == "refund" and lines[0]["ref_id"] == paid["payment_id"]
        results.append((without_ids(out), [without_ids(line) for line in lines], env.wallet(sub)))
    assert results[0][0] == results[1][0] and results[0][0]["refunded"] == 20_000
    assert results[0][1] == results[1][1]   # the same movements, with the same balances after each
    assert results[0][1][0]["balance"] == {"charged": 100_000 - 47_500 + 20_000, "cashback": 0}
    assert {k: v for k, v in results[0][2].items() if k != "user_id"} == {
        k: v for k, v in results[1][2].items() if k != "user_id"}


def test_a_payment_id_names_no_resident_and_two_of_one_resident_look_unrelated(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet(ANN, charge=100_000)
    ids = [env.pay(ANN, shop, 1_000)[1]["payment_id"] for _ in range(2)]
    seen = env.call("GET", "/merchant/payments", role="merchant", sub="owner", merchant_id=shop)[1]["items"]
    assert sorted(p["payment_id"] for p in seen) == sorted(ids)
    assert len({len(i) for i in ids}) == 1 and ids[0] != ids[1]
    for part in (ANN, ANN.replace("-", ""), *ANN.split("-")):
        assert all(part not in i for i in ids)


def test_an_altered_a_foreign_or_another_shop_s_payment_id_is_not_found_and_nothing_moves(env: Env):
    shop, other = env.register_merchant(number=BIZ[0]), env.register_merchant(number=BIZ[2])
    env.open_wallet(ANN, charge=100_000)
    pid = env.pay(ANN, shop, 10_000)[1]["payment_id"]
    body = pid[4:]
    flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
    foreign = "pay_" + seal(os.urandom(32), Sealed(ANN, "2020-03"), os.urandom(12))
    for bad, by in ((f"pay_{flipped}", shop), (foreign, shop), ("pay_" + "0" * 32, shop), (pid, other),
                    ("pay_" + "A" * 124, shop)):
        status, out = refund(env, by, bad, 1_000)
        assert (status, out["error"]["code"]) == (404, "NOT_FOUND"), bad
        assert ANN not in out["error"]["message"]
    assert env.wallet(ANN)["charged_balance"] == 90_000
    assert env.call("GET", f"/payments/{pid}", role="resident", sub=ANN)[1]["refunded"] == 0


def test_a_refund_replayed_with_its_key_answers_the_same_from_one_read_and_gives_back_once(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet(ANN, charge=100_000)
    pid = env.pay(ANN, shop, 10_000)[1]["payment_id"]
    store = counting()
    first = refund(env, shop, pid, 4_000, key="refund-once")
    store.reset()
    again = refund(env, shop, pid, 4_000, key="refund-once")
    assert first == again and first[0] == 200
    assert (store.reads, store.writes) == (1, 0)
    assert env.wallet(ANN)["charged_balance"] == 94_000
    status, out = refund(env, shop, pid, 5_000, key="refund-once")
    assert (status, out["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


@pytest.mark.parametrize(("first", "second", "refunded"), [(3_000, 3_000, 6_000), (6_000, 6_000, 6_000)])
def test_racing_refunds_never_give_back_more_than_was_paid(env: Env, first: int, second: int, refunded: int):
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet(ANN, charge=100_000)
    pid = env.pay(ANN, shop, 10_000)[1]["payment_id"]
    racing = race(lambda: payments.refund(shop, "owner", pid, first, "racer"))
    try:
        payments.refund(shop, "owner", pid, second, "main")
        refused = None
    except DomainError as exc:
        refused = exc.code
    assert racing.reads >= 3   # the main request lost the race and read again, in one batch each time
    assert refused == (None if first + second <= 10_000 else "VALIDATION_ERROR")
    assert env.call("GET", f"/payments/{pid}", role="resident", sub=ANN)[1]["refunded"] == refunded
    assert env.wallet(ANN)["charged_balance"] == 90_000 + refunded


def test_a_payment_made_before_ids_were_sealed_or_by_a_payer_whose_id_is_too_long_still_refunds(
    env: Env, monkeypatch: pytest.MonkeyPatch,
):
    shop = env.register_merchant(number=BIZ[0])
    long_sub = "r" * 100
    env.open_wallet(long_sub, charge=100_000)
    too_long = env.pay(long_sub, shop, 10_000)[1]["payment_id"]
    made_before_ids_were_sealed(monkeypatch)
    env.open_wallet(ANN, charge=100_000)
    old = env.pay(ANN, shop, 10_000)[1]["payment_id"]
    for pid, sub in ((too_long, long_sub), (old, ANN)):
        assert PLAIN.fullmatch(pid) and re.fullmatch(ID_PATTERN, pid)
        status, out = refund(env, shop, pid)
        assert (status, out["status"]) == (200, "refunded")
        assert env.wallet(sub)["charged_balance"] == 100_000


def order(env: Env, sub: str, shop: str) -> dict[str, Any]:
    status, out = env.call("POST", "/orders", role="resident", sub=sub, key=new_key(),
                           body={"merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 2}],
                                 "address": "청라동 1"})
    assert status == 201, out
    return dict(out)


def buy(env: Env, sub: str) -> dict[str, Any]:
    status, out = env.call("POST", "/mall/orders", role="resident", sub=sub, key=new_key(),
                           body={"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
                                 "shipping": SHIPPING, "consent": CONSENT})
    assert status == 201, out
    return dict(out)


def test_an_order_s_rejection_and_cancellations_read_once_and_write_once_and_refund_in_full(
    env: Env, monkeypatch: pytest.MonkeyPatch,
):
    shop = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1], malls=["only-seogu"],
                                 delivery={"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]})
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)[0] == 200
    assert env.call("PUT", "/merchant/products/rice", role="merchant", sub="owner", merchant_id=shop,
                    body={"mall": "only-seogu", "name": "쌀", "price": 20_000, "stock": 10, "shipping_fee": 0})[0] == 200
    env.open_wallet(ANN, charge=200_000)
    store = counting()
    for sealed in (True, False):
        if not sealed:
            made_before_ids_were_sealed(monkeypatch)
        placed, cancelled, bought = order(env, ANN, shop), order(env, ANN, shop), buy(env, ANN)
        for o in (placed, cancelled, bought):
            assert o["payment_id"][4:] == o["order_id"].partition("_")[2] if sealed else PLAIN.fullmatch(o["order_id"])
        before = env.wallet(ANN)["charged_balance"]
        steps = [("POST", f"/merchant/orders/{placed['order_id']}/reject", "merchant", {"reason": "closed"}, new_key()),
                 ("POST", f"/orders/{cancelled['order_id']}/cancel", "resident", None, None),
                 ("POST", f"/mall/orders/{bought['order_id']}/cancel", "resident", None, new_key())]
        for method, path, role, body, key in steps:
            store.reset()
            status, out = env.call(method, path, role=role, sub="owner" if role == "merchant" else ANN,
                                   merchant_id=shop if role == "merchant" else None, body=body, key=key)
            assert status == 200 and out["status"] in ("rejected", "cancelled"), out
            assert (store.reads, store.writes) == ((1, 1) if sealed else (2, 1)), path
        assert env.wallet(ANN)["charged_balance"] == before + placed["paid"] + cancelled["paid"] + bought["paid"]
        for o in (placed, cancelled, bought):
            assert env.call("GET", f"/payments/{o['payment_id']}", role="resident", sub=ANN)[1]["status"] == "refunded"
    stock = env.call("GET", "/malls/only-seogu/products", role="resident", sub=ANN)[1]["items"][0]["stock"]
    assert stock == 10


def test_an_altered_order_id_is_not_found_and_the_order_stays_as_it_was(env: Env):
    shop = env.register_merchant(number=BIZ[1], delivery={"fee": 0, "min_order": 0, "dongs": ["청라1동"]})
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)[0] == 200
    env.open_wallet(ANN, charge=100_000)
    oid = order(env, ANN, shop)["order_id"]
    altered = oid[:30] + ("A" if oid[30] != "A" else "B") + oid[31:]
    status, out = env.call("POST", f"/merchant/orders/{altered}/reject", role="merchant", sub="owner",
                           merchant_id=shop, body={"reason": "x"})
    assert (status, out["error"]["code"]) == (404, "NOT_FOUND")
    assert env.call("GET", f"/orders/{oid}", role="resident", sub=ANN)[1]["status"] == "placed"
    assert env.wallet(ANN)["charged_balance"] == 90_000


def test_the_document_lets_payment_and_order_ids_be_128_characters_and_other_ids_64(env: Env):
    doc = env.call("GET", "/openapi.json")[1]
    patterns = {(path, p["name"]): p["schema"].get("pattern")
                for path, ops in doc["paths"].items() for op in ops.values() if isinstance(op, dict)
                for p in op.get("parameters", []) if p.get("in") == "path"}
    assert patterns[("/merchant/payments/{payment_id}/refunds", "payment_id")] == SEALED_ID_PATTERN
    assert patterns[("/mall/orders/{order_id}/cancel", "order_id")] == SEALED_ID_PATTERN
    assert patterns[("/merchants/{merchant_id}", "merchant_id")] == ID_PATTERN
    assert re.fullmatch(SEALED_ID_PATTERN, "p" * 128) and not re.fullmatch(SEALED_ID_PATTERN, "p" * 129)
    status, out = env.call("GET", f"/payments/{'p' * 129}", role="resident", sub=ANN)
    assert (status, out["error"]["code"]) == (404, "NOT_FOUND")
