"""Repositories are built, and their item classes defined, on first use (chalicelib/repositories.py), so a new
process knows only the areas it has used. An item of another area that a batched read meets anyway must still be
decoded: the `entry` discriminator defines the rest of the areas when it meets a value it does not know
(storage/table.py). (A query through the base item is filtered by PynamoDB to the classes defined, so each
repository defines the areas it reads: cashout defines wallets, for one.) Run in a fresh process, where no other
test has defined anything."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

SCRIPT = r"""
import sys
import boto3
from moto import mock_aws
from chalicelib.storage import table as t

with mock_aws():
    boto3.client("dynamodb", region_name="ap-northeast-2").create_table(
        TableName="lazy", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                               {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}])
    table = t.Table("lazy", "ap-northeast-2")
    from chalicelib.storage import policies
    table.define(policies.define)   # the one area this process has used
    boto3.client("dynamodb", region_name="ap-northeast-2").put_item(TableName="lazy", Item={
        "pk": {"S": "GIFT#g1"}, "sk": {"S": "GIFT"}, "entry": {"S": "gift"}, "gsi1pk": {"S": "SHARED"},
        "gsi1sk": {"S": "1"}, "gift_id": {"S": "g1"}, "sender_id": {"S": "ann"}, "amount": {"N": "1000"},
        "status": {"S": "sent"}, "sent_at": {"S": "2020-03-10T21:00:00+09:00"},
        "expires_at": {"S": "2020-03-13T21:00:00+09:00"}, "version": {"N": "1"}})
    before = "chalicelib.storage.gifts" in sys.modules
    found = list(table.Item.batch_get([("GIFT#g1", "GIFT")]))   # as a use case's batch reads
    print(before, [type(i).__name__ for i in found], found[0].gift_id)
"""


def test_an_item_of_an_area_the_process_has_not_used_yet_is_decoded_not_refused() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                               "AWS_DEFAULT_REGION": "ap-northeast-2"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "['GiftItem']", "g1"]
