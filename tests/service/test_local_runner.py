"""The local runner delivers schedules and SQS batches to a Chalice app's handlers as Lambda would."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.app import Chalice, CloudWatchEvent, Cron, Rate, SQSEvent
from moto import mock_aws  # before any boto3 client

from devstack.runner import LocalRunner
from devstack.schedules import CronSchedule, RateSchedule, parse

T0 = datetime(2030, 1, 1, 0, 30, tzinfo=UTC)


@dataclass
class FakeTime:
    """The local clock and real time: `advance` moves both, `jump` moves only the clock (as PUT does)."""

    clock: datetime = T0
    real: float = 1000.0

    def now(self) -> datetime:
        return self.clock

    def monotonic(self) -> float:
        return self.real

    def advance(self, delta: timedelta) -> None:
        self.clock += delta
        self.real += delta.total_seconds()

    def jump(self, to: datetime) -> None:
        self.clock = to


@dataclass
class Recorder:
    """What the test app's handlers saw."""

    runs: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    raise_next_batch: bool = False

    def names(self) -> list[str]:
        return [name for name, _, _ in self.runs]


def make_app(seen: Recorder) -> Chalice:
    app = Chalice(app_name="runner-test", configure_logs=False)

    @app.schedule(Rate(1, unit=Rate.HOURS))
    def hourly(event: CloudWatchEvent) -> None:
        seen.runs.append(("hourly", event.to_dict(), event.context))

    @app.schedule(Cron(0, 16, "*", "*", "?", "*"))
    def nightly(event: CloudWatchEvent) -> None:
        seen.runs.append(("nightly", event.to_dict(), event.context))

    @app.on_sqs_message(queue="q", batch_size=10)
    def consume(event: SQSEvent) -> dict[str, Any]:
        if seen.raise_next_batch:
            seen.raise_next_batch = False
            raise RuntimeError("this batch fails as a whole")
        failures = []
        for record in event:
            seen.bodies.append(record.body)
            seen.records.append(record.to_dict())
            if record.body == "poison" and seen.bodies.count("poison") == 1:
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        return {"batchItemFailures": failures}

    return app


@pytest.fixture
def seen() -> Recorder:
    return Recorder()


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def runner(seen: Recorder, time_: FakeTime) -> LocalRunner:
    return LocalRunner(make_app(seen), time_, None, monotonic=time_.monotonic)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_nothing_runs_on_the_first_pass(runner: LocalRunner, seen: Recorder, time_: FakeTime) -> None:
    runner.tick()
    assert seen.runs == []


def test_schedules_run_when_due_as_time_passes(runner: LocalRunner, seen: Recorder, time_: FakeTime) -> None:
    runner.tick()
    for _ in range(24):
        time_.advance(timedelta(hours=1))
        runner.tick()
    assert seen.names().count("hourly") == 24
    assert seen.names().count("nightly") == 1
    nightly_event = next(event for name, event, _ in seen.runs if name == "nightly")
    assert nightly_event["time"] == "2030-01-01T16:00:00Z"


def test_forward_jump_runs_each_crossed_schedule_once(
    runner: LocalRunner, seen: Recorder, time_: FakeTime
) -> None:
    runner.tick()
    time_.jump(T0 + timedelta(days=3))  # crosses 72 hourly and 3 nightly due times
    runner.tick()
    assert sorted(seen.names()) == ["hourly", "nightly"]
    time_.advance(timedelta(seconds=1))
    runner.tick()
    assert len(seen.runs) == 2


def test_scheduled_functions_get_a_full_cloudwatch_event_and_a_lambda_context(
    runner: LocalRunner, seen: Recorder, time_: FakeTime
) -> None:
    runner.tick()
    time_.jump(T0 + timedelta(days=3))
    runner.tick()
    event, context = next((e, c) for name, e, c in seen.runs if name == "nightly")
    assert event["version"] == "0"
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2030-01-03T16:00:00Z"  # the latest crossed due time
    assert event["region"] == "ap-northeast-2"
    assert event["detail"] == {}
    assert event["resources"][0].startswith("arn:aws:events:ap-northeast-2:")
    assert {"id", "account"} <= event.keys()
    assert context.function_name == "runner-test-local-nightly"
    assert context.invoked_function_arn.endswith(":function:runner-test-local-nightly")
    assert context.aws_request_id
    assert context.memory_limit_in_mb > 0
    assert context.get_remaining_time_in_millis() > 0


def test_after_a_forward_jump_rate_schedules_count_from_the_new_time(
    runner: LocalRunner, seen: Recorder, time_: FakeTime
) -> None:
    runner.tick()
    time_.advance(timedelta(minutes=50))
    runner.tick()
    time_.jump(time_.clock + timedelta(minutes=5))  # crosses no hourly due time
    runner.tick()
    time_.advance(timedelta(minutes=59))
    runner.tick()
    assert seen.runs == []
    time_.advance(timedelta(minutes=1))
    runner.tick()
    assert seen.names() == ["hourly"]


def test_backward_jump_runs_nothing_and_rebases(runner: LocalRunner, seen: Recorder, time_: FakeTime) -> None:
    time_.jump(datetime(2030, 1, 1, 17, 0, tzinfo=UTC))
    runner.tick()
    time_.jump(datetime(2030, 1, 1, 15, 30, tzinfo=UTC))  # back across the 16:00 nightly
    runner.tick()
    assert seen.runs == []
    time_.advance(timedelta(minutes=30))  # 16:00 again: due again
    runner.tick()
    assert seen.names() == ["nightly"]
    time_.advance(timedelta(minutes=30))  # one hour after the re-base
    runner.tick()
    assert seen.names() == ["nightly", "hourly"]


def test_sqs_messages_are_delivered_and_a_failed_one_is_redelivered(aws: None, seen: Recorder) -> None:
    sqs = boto3.client("sqs", region_name="ap-northeast-2")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody="a", MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}}
    )
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    sqs.send_message(QueueUrl=url, MessageBody="c")
    runner = LocalRunner(make_app(seen), FakeTime(), sqs)

    runner.tick()
    assert sorted(seen.bodies) == ["a", "c", "poison"]
    runner.tick()
    assert sorted(seen.bodies) == ["a", "c", "poison", "poison"]
    runner.tick()
    assert len(seen.bodies) == 4
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"

    record = next(r for r in seen.records if r["body"] == "a")
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == attrs["QueueArn"]
    assert record["awsRegion"] == "ap-northeast-2"
    assert record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "x"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    redelivered = [r for r in seen.records if r["body"] == "poison"][1]
    assert redelivered["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_handler_exception_leaves_the_whole_batch_for_redelivery(aws: None, seen: Recorder) -> None:
    sqs = boto3.client("sqs", region_name="ap-northeast-2")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    runner = LocalRunner(make_app(seen), FakeTime(), sqs)
    seen.raise_next_batch = True

    runner.tick()  # the handler raised; the runner goes on
    assert seen.bodies == []
    runner.tick()
    assert sorted(seen.bodies) == ["a", "b"]


def test_a_queue_that_does_not_exist_yet_is_picked_up_once_it_does(aws: None, seen: Recorder) -> None:
    sqs = boto3.client("sqs", region_name="ap-northeast-2")
    time_ = FakeTime()
    runner = LocalRunner(make_app(seen), time_, sqs, monotonic=time_.monotonic)
    runner.tick()
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="late")
    time_.advance(timedelta(seconds=30))
    runner.tick()
    assert seen.bodies == ["late"]


def test_eventbridge_cron_is_read_with_aws_day_numbers_and_question_marks() -> None:
    weekdays = parse(Cron(0, 9, "?", "*", "2-6", "*"))  # MON-FRI in EventBridge numbering
    assert weekdays == CronSchedule("0 9 * * 1-5", None)
    assert parse("cron(0 16 * * ? *)") == CronSchedule("0 16 * * *", None)
    assert parse("cron(0 0 ? * 6#3 *)") == CronSchedule("0 0 * * 5#3", None)
    assert parse(Rate(5, unit=Rate.MINUTES)) == RateSchedule(timedelta(minutes=5))
    assert parse("rate(1 day)") == RateSchedule(timedelta(days=1))
    friday = weekdays.next_after(datetime(2030, 1, 4, 9, 0, tzinfo=UTC))  # a Friday, 09:00
    assert friday == datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # the next Monday
