"""The repository contract: every test here runs twice, against the DynamoDB repositories (on moto, a fresh
table made from the template's table definition) and against their in-memory twins, so the use-case tests
that run on the twins speak for DynamoDB too (Chalice's todo-app `tests/test_db.py` does the same)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from chalicelib import composition
from tests.support import TEMPLATE, settings_for_tests

REGION = "ap-northeast-2"
SHARDS = 8


def _table_definition() -> dict[str, Any]:
    """MainTable's key schema and indexes as infra/resources.yaml declares them."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    props = yaml.load(TEMPLATE.read_text(), Loader=Loader)["Resources"]["MainTable"]["Properties"]
    return {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")}


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    """One moto for the module; each test gets a table of its own."""
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request: pytest.FixtureRequest) -> Iterator[composition.Repositories]:
    if request.param == "memory":
        yield composition.memory_repositories(settings_for_tests(settlement_shards=SHARDS))
        return
    client = request.getfixturevalue("aws")
    name = f"contract-{uuid.uuid4().hex[:12]}"
    client.create_table(TableName=name, **_table_definition())
    yield composition.dynamo_repositories(settings_for_tests(table_name=name, region=REGION, settlement_shards=SHARDS))
    client.delete_table(TableName=name)


def read(repos: composition.Repositories, want: Any) -> Any:
    """One batched read of one slot: `read(r, lambda b: r.wallets.want(b, "ann"))`."""
    batch = repos.store.batch()
    slot = want(batch)
    batch.run()
    return slot.value


def commit(repos: composition.Repositories, *stages: Any) -> None:
    """One transaction of the given staging calls: `commit(r, lambda tx: r.wallets.stage(tx, w, 0))`."""
    tx = repos.store.tx()
    for stage in stages:
        stage(tx)
    tx.commit()
