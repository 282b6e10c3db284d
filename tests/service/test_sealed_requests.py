"""On DynamoDB (moto), counted as the benchmark counts them (bench/counting.py): a refund, an order's rejection
and a mall order's cancellation are one BatchGetItem and one TransactWriteItems; ids made before ids were sealed
take the old second BatchGetItem. The sealing key is made by KMS once, kept wrapped in the table, and unwrapped
by every later process. (The use cases themselves: tests/unit/test_sealed_refunds.py.)"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from bench.counting import POLICY_QUERY, RequestCounter, Tally
from chalicelib import composition
from chalicelib.adapters.data_keys import KmsKeyring
from chalicelib.domain.sealed_ids import KEY_NAME
from tests.support import BIZ, Env, new_key
from tests.unit.test_sealed_refunds import ANN, MENU, PLAIN, buy, made_before_ids_were_sealed, order, refund

ONE_READ_ONE_WRITE = Counter({"BatchGetItem": 1, "TransactWriteItems": 1})
TWO_READS_ONE_WRITE = Counter({"BatchGetItem": 2, "TransactWriteItems": 1})


@pytest.fixture
def counter() -> RequestCounter:
    """Installed before the app's store makes its botocore client (requested before `env`)."""
    return RequestCounter.install()


def requests_of(counter: RequestCounter, call: Any) -> Counter[str]:
    before = counter.snapshot()
    call()
    spent: Tally = counter.snapshot() - before
    return Counter({op: n for op, n in spent.requests.items() if op != POLICY_QUERY})


class CountedKms:
    """The KMS client, counting what the keyring asks of it."""

    def __init__(self, kms: Any) -> None:
        self.kms, self.calls = kms, Counter[str]()

    def generate_data_key(self, **params: Any) -> Any:
        self.calls["GenerateDataKey"] += 1
        return self.kms.generate_data_key(**params)

    def decrypt(self, **params: Any) -> Any:
        self.calls["Decrypt"] += 1
        return self.kms.decrypt(**params)


def shop_with_everything(env: Env) -> str:
    shop = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1], malls=["only-seogu"],
                                 delivery={"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]})
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, body=MENU)[0] == 200
    assert env.call("PUT", "/merchant/products/rice", role="merchant", sub="owner", merchant_id=shop,
                    body={"mall": "only-seogu", "name": "쌀", "price": 20_000, "stock": 10, "shipping_fee": 0})[0] == 200
    return shop


def refund_reject_and_cancel(counter: RequestCounter, env: Env, shop: str) -> list[Counter[str]]:
    """A payment refunded in part, a delivery order rejected and a mall order cancelled: the requests of each."""
    pid = env.pay(ANN, shop, 10_000)[1]["payment_id"]
    placed, bought = order(env, ANN, shop), buy(env, ANN)
    calls = [
        lambda: refund(env, shop, pid, 1_000),
        lambda: env.call("POST", f"/merchant/orders/{placed['order_id']}/reject", role="merchant", sub="owner",
                         merchant_id=shop, body={"reason": "closed"}, key=new_key()),
        lambda: env.call("POST", f"/mall/orders/{bought['order_id']}/cancel", role="resident", sub=ANN),
    ]
    answers: list[tuple[int, Any]] = []
    spent = [requests_of(counter, lambda call=call: answers.append(call())) for call in calls]
    assert [status for status, _ in answers] == [200, 200, 200], answers
    assert bool(PLAIN.fullmatch(pid)) == bool(PLAIN.fullmatch(placed["order_id"])) == bool(
        PLAIN.fullmatch(bought["order_id"]))
    return spent


def test_on_dynamodb_a_refund_a_rejection_and_a_cancellation_are_one_read_and_one_transaction(
    counter: RequestCounter, env: Env, monkeypatch: pytest.MonkeyPatch,
):
    shop = shop_with_everything(env)
    env.open_wallet(ANN, charge=300_000)
    assert refund_reject_and_cancel(counter, env, shop) == [ONE_READ_ONE_WRITE] * 3
    made_before_ids_were_sealed(monkeypatch)
    assert refund_reject_and_cancel(counter, env, shop) == [TWO_READS_ONE_WRITE] * 3
    assert env.wallet(ANN)["charged_balance"] == 300_000 - 2 * 9_500 + 2 * 1_000


def test_the_sealing_key_is_made_once_at_seeding_or_else_in_the_first_payment_s_transaction_and_unwrapped_once(
    counter: RequestCounter, env: Env,
):
    c = composition.container()
    kms = boto3.client("kms", region_name=c.settings.region)
    seeded = c.repos.keys.get(KEY_NAME)
    assert seeded is not None   # the stack's seeding made it (a process that may use the personal-data key)
    table = boto3.client("dynamodb", region_name=c.settings.region)
    table.delete_item(TableName=c.settings.table_name, Key={"pk": {"S": f"KEY#{KEY_NAME}"}, "sk": {"S": "KEY"}})
    counted = CountedKms(kms)
    composition.amend(keyring=KmsKeyring(counted, c.settings.pii_key_arn, c.repos.keys))   # as if seeding had not
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet(ANN, charge=100_000)
    assert requests_of(counter, lambda: env.pay(ANN, shop, 1_000)) == ONE_READ_ONE_WRITE
    assert counted.calls == Counter({"GenerateDataKey": 1})
    wrapped, key = c.repos.keys.get(KEY_NAME), composition.container().keyring.key(KEY_NAME)
    assert wrapped is not None and wrapped != seeded and key is not None and key not in wrapped and len(key) == 32
    with pytest.raises(kms.exceptions.InvalidCiphertextException):   # bound to its purpose
        kms.decrypt(CiphertextBlob=wrapped, KeyId=c.settings.pii_key_arn, EncryptionContext={"purpose": "other"})
    assert KmsKeyring(kms, c.settings.pii_key_arn, c.repos.keys).key(KEY_NAME) == key   # another process
    pid = env.pay(ANN, shop, 1_000)[1]["payment_id"]
    # a new process whose first sealed id is a new payment's reads the wrapped key in the payment's own batch
    counted = CountedKms(kms)
    composition.amend(keyring=KmsKeyring(counted, c.settings.pii_key_arn, c.repos.keys))
    assert requests_of(counter, lambda: env.pay(ANN, shop, 1_000)) == ONE_READ_ONE_WRITE
    assert counted.calls == Counter({"Decrypt": 1})
    # one whose first is a refund reads it first (one GetItem): the id opens before the refund's batch
    composition.amend(keyring=KmsKeyring(kms, c.settings.pii_key_arn, c.repos.keys))
    assert requests_of(counter, lambda: refund(env, shop, pid, 100)) == ONE_READ_ONE_WRITE + Counter({"GetItem": 1})
    assert requests_of(counter, lambda: refund(env, shop, pid, 100)) == ONE_READ_ONE_WRITE
