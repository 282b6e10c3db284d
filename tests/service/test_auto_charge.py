"""자동충전 on moto: the table made from the template has its stream on, and the local runner delivers the stream's
records to the same function the cloud's stream invokes (`auto_charge`), which tops the wallet up — once, however
often the stream is read. (The rules and the use case: tests/unit/test_auto_charge.py.)"""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib import composition
from devstack.runner import LocalRunner
from devstack.streams import TableStream, streams_client
from tests.support import BIZ, Env

REGION = "ap-northeast-2"


def runner_for(env: Env) -> LocalRunner:
    from app import app

    stream = TableStream(boto3.client("dynamodb", region_name=REGION), streams_client(REGION),
                         composition.container().settings.table_name, REGION)
    return LocalRunner(app, env.clock, boto3.client("sqs", region_name=REGION), stream=stream)


def test_a_payment_below_the_threshold_on_moto_is_topped_up_once_through_the_local_runner(env: Env):
    runner = runner_for(env)
    assert [c.name for c in runner.stream_consumers] == ["auto_charge"]
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("ann", charge=50_000)
    status, _ = env.call("PUT", "/wallet/auto-charge", role="resident", sub="ann",
                         body={"mode": "below", "below": 20_000, "amount": 30_000})
    assert status == 200
    transfers = len(env.bank.transfers)
    assert env.pay("ann", shop, 35_000, use_cashback=False)[0] == 201
    assert env.wallet("ann")["charged_balance"] == 15_000 and len(env.bank.transfers) == transfers
    runner.poll_streams()
    status, auto = env.call("GET", "/wallet/auto-charge", role="resident", sub="ann")
    assert (auto["last"]["status"], auto["last"]["amount"]) == ("charged", 30_000), auto
    assert env.wallet("ann")["charged_balance"] == 45_000
    again = runner_for(env)                  # a second reader from the start of the stream: nothing more
    again.poll_streams()
    runner.poll_streams()
    assert env.wallet("ann")["charged_balance"] == 45_000 and len(env.bank.transfers) == transfers + 1
    kinds = [m.kind for m in env.repos.wallets.movements("ann")]
    assert kinds.count("auto_charge") == 1


def test_the_runner_delivers_a_tables_stream_in_order_and_again_from_the_first_record_a_function_failed():
    from chalice.app import Chalice, DynamoDBEvent
    from moto import mock_aws

    app = Chalice(app_name="stream-test", configure_logs=False)
    seen: list[str] = []
    failed_once: set[str] = set()

    @app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:ap-northeast-2:123456789012:table/t/stream/x", batch_size=3,
                            starting_position="LATEST")
    def follow(event: DynamoDBEvent) -> dict[str, Any]:
        failures = []
        for record in event:
            key = record.new_image["pk"]["S"]
            if key == "k3" and key not in failed_once:
                failed_once.add(key)
                failures.append({"itemIdentifier": record.sequence_number})
                break
            seen.append(key)
        return {"batchItemFailures": failures}

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(TableName="t", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        ddb.put_item(TableName="t", Item={"pk": {"S": "before"}})        # LATEST: written before the runner read
        runner = LocalRunner(app, None, None, stream=TableStream(ddb, streams_client(REGION), "t", REGION))
        runner.poll_streams()
        for n in range(1, 6):
            ddb.put_item(TableName="t", Item={"pk": {"S": f"k{n}"}})
        runner.poll_streams()                    # k1 k2 | k3 fails: the pass stops there
        assert seen == ["k1", "k2"]
        runner.poll_streams()                    # again from k3
        runner.poll_streams()
        assert seen == ["k1", "k2", "k3", "k4", "k5"]
