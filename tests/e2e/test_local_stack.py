"""The local stack as `make run` starts it: reachable, built from the template, robust, and stoppable."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from chalicelib.clock import FileClock
from tests.e2e.conftest import LocalStack, process_alive

pytestmark = pytest.mark.e2e

CONNECTIONS = 64
CONNECT_TIMEOUT = 0.9


def test_health_answers_without_a_token(stack: LocalStack) -> None:
    r = requests.get(f"{stack.base_url}/health", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "stage": "local"}


def test_the_table_and_buckets_exist_on_the_embedded_aws_as_the_template_names_them(stack: LocalStack) -> None:
    cloudformation = stack.client("cloudformation")
    [created] = cloudformation.describe_stacks(StackName="seoro-local")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    assert outputs["TableName"] == "seoro-local-main"
    assert outputs["NoticesBucket"] == "seoro-notices-local"
    assert outputs["ReportsBucket"] == "seoro-reports-local"

    table = stack.client("dynamodb").describe_table(TableName=outputs["TableName"])["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}
    s3 = stack.client("s3")
    for bucket in (outputs["NoticesBucket"], outputs["ReportsBucket"]):
        s3.head_bucket(Bucket=bucket)

    resources = cloudformation.list_stack_resources(StackName="seoro-local")["StackResourceSummaries"]
    tables = {r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::DynamoDB::Table"}
    buckets = {r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::S3::Bucket"}
    assert set(stack.client("dynamodb").list_tables()["TableNames"]) == tables
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == buckets


def test_the_api_takes_64_simultaneous_connections(stack: LocalStack) -> None:
    start = threading.Barrier(CONNECTIONS)

    def call(_: int) -> int:
        start.wait(timeout=30)
        with requests.Session() as session:  # a connection of its own
            # A full listen backlog drops SYNs, retried only after ~1 s: connecting must be quicker.
            return session.get(f"{stack.base_url}/health", timeout=(CONNECT_TIMEOUT, 30)).status_code

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        codes = list(pool.map(call, range(CONNECTIONS)))
    assert codes == [200] * CONNECTIONS


def test_the_clock_set_through_the_api_is_the_one_every_local_process_reads(stack: LocalStack) -> None:
    shared = FileClock(stack.state_dir / "clock.json")
    try:
        stack.set_clock("2031-02-28T23:59:00+09:00")
        moved = shared.now()
        assert timedelta(0) <= moved - datetime(2031, 2, 28, 14, 59, tzinfo=UTC) < timedelta(seconds=30)
    finally:
        stack.reset_clock()
    assert abs(shared.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_runner_is_up_beside_the_api(stack: LocalStack) -> None:
    assert "[runner] INFO ready:" in stack.output()


def test_ctrl_c_stops_every_child_process(launch_stack: Callable[[], LocalStack]) -> None:
    if not Path("/proc").is_dir():
        pytest.skip("finds the stack's children through /proc (Linux)")
    second = launch_stack()
    children = second.child_pids()
    assert len(children) >= 3, second.output()  # local AWS, API, runner

    assert second.stop(signal.SIGINT) == 0, second.output()
    assert [pid for pid in children if process_alive(pid)] == []
    second.assert_nothing_left_listening(within=0)
