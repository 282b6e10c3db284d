"""The local stack's faster moto (devstack/moto_index.py) answers exactly what moto answers.

The same seeded workload — puts, conditional updates, deletes, transactions of which some are cancelled by a
condition, queries of the table and of both indexes with paging, filters and `Limit`, scans of the whole table
and of one segment of several with paging, filters, projections and `Limit`, and reads of the table's stream —
runs on plain moto and on patched moto, and every answer, error code and stream record must be equal.
A cancelled transaction must leave neither items nor stream records behind, as in DynamoDB.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from devstack.moto_index import indexed_moto
from devstack.moto_streams import keep_stream_cheap
from devstack.streams import streams_client

TABLE = "moto-index-test"
STEPS = 600


def _create(client: Any) -> None:
    keys = [("pk", "S"), ("sk", "S"), ("gsi1pk", "S"), ("gsi1sk", "S"), ("gsi2pk", "S"), ("gsi2sk", "S")]
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in keys],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": name, "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": f"{name}pk", "KeyType": "HASH"},
                           {"AttributeName": f"{name}sk", "KeyType": "RANGE"}]}
            for name in ("gsi1", "gsi2")
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def _item(rng: random.Random) -> dict[str, Any]:
    pk, sk = f"U#{rng.randrange(6)}", f"L#{rng.randrange(40):03d}"
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(rng.randrange(100))}}
    if rng.random() < 0.6:
        item |= {"gsi1pk": {"S": f"M#{rng.randrange(4)}"}, "gsi1sk": {"S": f"{rng.randrange(50):03d}"}}
    if rng.random() < 0.3:  # sparse, like the gifts' and payouts' due entries
        item |= {"gsi2pk": {"S": "DUE"}, "gsi2sk": {"S": f"{rng.randrange(50):03d}#{pk}"}}
    return item


def _key(rng: random.Random) -> dict[str, Any]:
    return {"pk": {"S": f"U#{rng.randrange(6)}"}, "sk": {"S": f"L#{rng.randrange(40):03d}"}}


def _step(client: Any, rng: random.Random) -> Any:
    """One operation of the workload; its answer (or error code) is what both runs must agree on."""
    kind = rng.choice(["put", "put", "update", "delete", "tx", "tx", "query", "query", "gsi", "gsi", "scan", "scan"])
    if kind == "put":
        return client.put_item(TableName=TABLE, Item=_item(rng), ReturnValues="ALL_OLD")
    if kind == "update":
        return client.update_item(
            TableName=TABLE, Key=_key(rng), UpdateExpression="SET n = :n, gsi1pk = :g, gsi1sk = :s",
            ConditionExpression="attribute_not_exists(n) OR n < :limit",
            ExpressionAttributeValues={":n": {"N": str(rng.randrange(100))}, ":g": {"S": f"M#{rng.randrange(4)}"},
                                       ":s": {"S": f"{rng.randrange(50):03d}"}, ":limit": {"N": "70"}},
            ReturnValues="ALL_NEW")
    if kind == "delete":
        return client.delete_item(TableName=TABLE, Key=_key(rng), ReturnValues="ALL_OLD")
    if kind == "tx":
        items: dict[tuple[str, str], dict[str, Any]] = {}
        while len(items) < rng.randrange(1, 5):
            item = _item(rng)
            items[(item["pk"]["S"], item["sk"]["S"])] = item
        ops: list[dict[str, Any]] = [{"Put": {"TableName": TABLE, "Item": i}} for i in items.values()]
        if rng.random() < 0.5:  # a condition that often fails, last, after the puts were applied
            ops[-1]["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        return client.transact_write_items(TransactItems=ops)
    if kind == "query":
        args: dict[str, Any] = {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                                "ExpressionAttributeValues": {":p": {"S": f"U#{rng.randrange(6)}"}},
                                "ScanIndexForward": rng.random() < 0.5, "Limit": rng.randrange(1, 15)}
        if rng.random() < 0.3:
            args["FilterExpression"] = "n > :m"
            args["ExpressionAttributeValues"][":m"] = {"N": "50"}
        return _pages(client, args)
    if kind == "scan":
        return _scan(client, rng)
    index = rng.choice(["gsi1", "gsi2"])
    value = f"M#{rng.randrange(4)}" if index == "gsi1" else "DUE"
    return _pages(client, {"TableName": TABLE, "IndexName": index, "KeyConditionExpression": f"{index}pk = :p",
                           "ExpressionAttributeValues": {":p": {"S": value}}, "Limit": rng.randrange(1, 15)})


def _scan(client: Any, rng: random.Random) -> dict[str, Any]:
    """A scan read to its end, page by page: mostly one segment of several (the settlement's books check)."""
    args: dict[str, Any] = {"TableName": TABLE, "Limit": rng.randrange(1, 15)}
    segments = rng.choice([1, 2, 3, 4, 7])
    if rng.random() < 0.8:
        args |= {"Segment": rng.randrange(segments), "TotalSegments": segments}
    if rng.random() < 0.3:
        args |= {"FilterExpression": "n > :m", "ExpressionAttributeValues": {":m": {"N": "50"}}}
    if rng.random() < 0.3:
        args["ProjectionExpression"] = "pk, sk, n"
    return {"segments": args.get("TotalSegments"), "pages": _pages(client, args, client.scan)}


def _pages(client: Any, args: dict[str, Any], read: Callable[..., Any] | None = None) -> list[Any]:
    pages = []
    while True:
        page = (read or client.query)(**args)
        pages.append((page["Items"], page.get("LastEvaluatedKey"), page["Count"], page["ScannedCount"]))
        if "LastEvaluatedKey" not in page:
            return pages
        args = args | {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _stream(client: Any, streams: Any) -> list[Any]:
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [(r["eventName"], r["dynamodb"].get("Keys"), r["dynamodb"].get("NewImage"), r["dynamodb"].get("OldImage"))
            for r in records]


def _run(patch: Callable[[], AbstractContextManager[Any]]) -> tuple[list[Any], list[Any]]:
    answers: list[Any] = []
    with mock_aws(), patch():
        client = boto3.client("dynamodb", region_name="ap-northeast-2")
        streams = streams_client("ap-northeast-2")
        _create(client)
        rng = random.Random(20261201)
        for _ in range(STEPS):
            try:
                out = _step(client, rng)
            except botocore.exceptions.ClientError as e:
                out = (e.response["Error"]["Code"], [r.get("Code") for r in e.response.get("CancellationReasons", [])])
            if isinstance(out, dict):
                out.pop("ResponseMetadata", None)
            answers.append(out)
        return answers, _stream(client, streams)


@pytest.fixture(scope="module")
def both_runs() -> Iterator[tuple[tuple[list[Any], list[Any]], tuple[list[Any], list[Any]]]]:
    keep_stream_cheap()
    yield _run(nullcontext), _run(indexed_moto)


def test_every_answer_of_the_patched_moto_equals_moto_s_own(both_runs: Any) -> None:
    (plain, _), (patched, _) = both_runs
    differing = [i for i, (a, b) in enumerate(zip(plain, patched, strict=True)) if a != b]
    assert differing == [], f"step {differing[0]}: {plain[differing[0]]!r} != {patched[differing[0]]!r}"
    cancelled = sum(1 for a in plain if isinstance(a, tuple) and a[0] == "TransactionCanceledException")
    paged = sum(1 for a in plain if isinstance(a, list) and len(a) > 1)
    scans = [a for a in plain if isinstance(a, dict) and "pages" in a]
    segmented = sum(1 for a in scans if a["segments"] and a["segments"] > 1 and len(a["pages"]) > 1)
    assert cancelled > 10 and paged > 50  # the workload did cancel transactions and page through queries
    assert segmented > 30  # and paged through single segments of scans


def test_a_cancelled_transaction_leaves_the_same_stream_as_moto_s_own(both_runs: Any) -> None:
    (_, plain), (_, patched) = both_runs
    assert len(plain) > 300
    assert patched == plain


def test_install_keeps_moto_patched_for_the_rest_of_the_process() -> None:
    """The local stack's moto server calls `install()` once and serves for hours: the patches must stay on."""
    import subprocess
    import sys

    script = ("import gc; from devstack.moto_index import install, installed; "
              "install(); gc.collect(); print(installed())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "True"
