"""Delivers events to the app's handlers locally, as Lambda would in the cloud.

It reads the Chalice app's registered event sources and calls the very handler objects Lambda calls:
each `@app.schedule` when it falls due by the local clock, each `@app.on_sqs_message` with batches
received from the local AWS, and each `@app.on_dynamodb_record` with batches of the app's table's stream
(devstack/streams.py). S3 notifications reach the app through SQS (bucket notification or EventBridge →
queue), because `chalice package` cannot deploy `@app.on_s3_event`; so the SQS path covers them and
`@app.on_s3_event` is not polled. Event patterns (`@app.on_cw_event`), SNS and Kinesis are not delivered
locally.

Clock semantics: on a forward jump of the clock each schedule whose due time was crossed runs once
(not once per crossed time); after any jump, forward or backward, schedules count on from the new time.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from chalice.app import (
    Chalice,
    CloudWatchEventConfig,
    DynamoDBEventConfig,
    KinesisEventConfig,
    S3EventConfig,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)

from devstack.lambda_events import FakeLambdaContext as FakeLambdaContext  # re-exported: bench/settlement.py swaps it
from devstack.lambda_events import lambda_message_attribute
from devstack.lifeline import exit_with_parent
from devstack.schedules import RateSchedule, Schedule, parse
from devstack.streams import StreamConsumer, TableStream, streams_client

logger = logging.getLogger("devstack.runner")

Handler = Callable[[dict[str, Any], Any], Any]
SQSClient = Any  # boto3's SQS client (no stubs installed for it)

DEFAULT_ACCOUNT = "123456789012"  # moto's account
QUEUE_RETRY_SECONDS = 10.0


@dataclass
class _ScheduledJob:
    name: str
    handler: Handler
    schedule: Schedule
    rule_arn: str
    next_due: datetime | None = None  # rate schedules only

    def due_in(self, after: datetime, until: datetime) -> datetime | None:
        """The latest due time in (after, until], if any was crossed."""
        if isinstance(self.schedule, RateSchedule):
            if self.next_due is None or self.next_due > until:
                return None
            crossed = (until - self.next_due) // self.schedule.period
            latest: datetime = self.next_due + crossed * self.schedule.period
            return latest
        first = self.schedule.next_after(after)
        if first is None or first > until:
            return None
        return first if self.schedule.years is not None else self.schedule.latest_at_or_before(until)


@dataclass
class _QueueConsumer:
    name: str
    handler: Handler
    queue_name: str
    batch_size: int
    url: str | None = None
    arn: str | None = None
    retry_at: float = field(default=float("-inf"))
    warned: bool = False


class LocalRunner:
    """One `tick(now)` runs the schedules due by `now` and drains the app's queues and its table's stream once.

    `monotonic` tells real elapsed time apart from clock movement: when the clock moved more than real
    time did (beyond `jump_tolerance`), it was set, and rate schedules re-base on the new time.
    """

    def __init__(
        self,
        app: Chalice,
        clock: Any,
        sqs: SQSClient | None,
        *,
        region: str = "ap-northeast-2",
        account_id: str = DEFAULT_ACCOUNT,
        stage: str = "local",
        monotonic: Callable[[], float] = time.monotonic,
        jump_tolerance: timedelta = timedelta(seconds=2),
        max_batches_per_tick: int = 10,
        stream: TableStream | None = None,
    ) -> None:
        self._app = app
        self._clock = clock
        self._sqs = sqs
        self._region = region
        self._account = account_id
        self._stage = stage
        self._monotonic = monotonic
        self._tolerance = jump_tolerance
        self._max_batches = max_batches_per_tick
        self._stream = stream
        self._last: tuple[datetime, float] | None = None
        self.jobs: list[_ScheduledJob] = []
        self.consumers: list[_QueueConsumer] = []
        self.stream_consumers: list[StreamConsumer] = []
        for source in app.event_sources:
            self._register(source)

    def _function_name(self, name: str) -> str:
        return f"{self._app.app_name}-{self._stage}-{name}"

    def _register(self, source: Any) -> None:
        handler: Handler = self._app.handler_map[source.name]
        if isinstance(source, ScheduledEventConfig):
            rule_name = f"{self._function_name(source.name)}-event"
            rule = f"arn:aws:events:{self._region}:{self._account}:rule/{rule_name}"
            self.jobs.append(_ScheduledJob(source.name, handler, parse(source.schedule_expression), rule))
        elif isinstance(source, SQSEventConfig):
            queue = source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]
            batch = max(1, min(source.batch_size, 10))
            self.consumers.append(_QueueConsumer(source.name, handler, queue, batch))
        elif isinstance(source, S3EventConfig):
            logger.info(
                "%s: @app.on_s3_event is not polled locally; S3 events reach the app through SQS", source.name
            )
        elif isinstance(source, CloudWatchEventConfig):
            logger.info("%s: event pattern %s is not delivered locally", source.name, source.event_pattern)
        elif isinstance(source, DynamoDBEventConfig) and self._stream is not None:
            batch = max(1, min(source.batch_size, 1000))
            self.stream_consumers.append(StreamConsumer(source.name, handler, batch, source.starting_position))
        elif isinstance(source, SNSEventConfig | KinesisEventConfig | DynamoDBEventConfig):
            logger.info("%s: %s is not delivered locally", source.name, type(source).__name__)

    # -- one pass ---------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> None:
        """Run what is due by `now` (default: the clock) and deliver what the queues and the stream hold."""
        self.run_schedules(self._clock.now() if now is None else now)
        self.poll_queues()
        self.poll_streams()

    def run_schedules(self, now: datetime) -> None:
        """Run each schedule whose due time lies in (previous check, now], once."""
        mono = self._monotonic()
        previous, self._last = self._last, (now, mono)
        if previous is None:
            self._rebase(now)
            return
        last, last_mono = previous
        if now < last:
            logger.info("clock moved back to %s: schedules count on from there", now.isoformat())
            self._rebase(now)
            return
        drift = (now - last) - timedelta(seconds=mono - last_mono)
        jumped = drift > self._tolerance
        for job in self.jobs:
            due = job.due_in(last, now)
            if due is None:
                continue
            self._invoke(job.name, job.handler, self._scheduled_event(job, due))
            if isinstance(job.schedule, RateSchedule):
                job.next_due = due + job.schedule.period
        if jumped:
            logger.info("clock jumped forward to %s: schedules count on from there", now.isoformat())
            self._rebase(now)

    def _rebase(self, now: datetime) -> None:
        for job in self.jobs:
            if isinstance(job.schedule, RateSchedule):
                job.next_due = now + job.schedule.period

    def _scheduled_event(self, job: _ScheduledJob, due: datetime) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._account,
            "time": due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [job.rule_arn],
            "detail": {},
        }

    def poll_queues(self) -> None:
        """Deliver batches from every queue until it is empty (bounded per tick)."""
        for consumer in self.consumers:
            try:
                self._drain(consumer)
            except Exception:
                logger.exception("%s: polling %s failed", consumer.name, consumer.queue_name)

    def poll_streams(self) -> None:
        """Deliver the table's stream to each function reading it (bounded per tick, ten times the queues' bound:
        every write of the table is a record, and most are not for the function)."""
        for consumer in self.stream_consumers:
            try:
                assert self._stream is not None
                self._stream.drain(consumer, self._invoke, self._max_batches * 10)
            except Exception:
                logger.exception("%s: reading the table's stream failed", consumer.name)

    def _resolve(self, consumer: _QueueConsumer) -> bool:
        assert self._sqs is not None
        if consumer.url is not None:
            return True
        if self._monotonic() < consumer.retry_at:
            return False
        try:
            url: str = self._sqs.get_queue_url(QueueName=consumer.queue_name)["QueueUrl"]
            attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        except Exception as e:
            consumer.retry_at = self._monotonic() + QUEUE_RETRY_SECONDS
            if not consumer.warned:
                consumer.warned = True
                logger.warning("%s: queue %s not found (%s); retrying", consumer.name, consumer.queue_name, e)
            return False
        consumer.url, consumer.arn = url, attrs["QueueArn"]
        logger.info("%s: delivering messages from %s", consumer.name, consumer.queue_name)
        return True

    def _drain(self, consumer: _QueueConsumer) -> None:
        if self._sqs is None or not self._resolve(consumer):
            return
        for _ in range(self._max_batches):
            # WaitTimeSeconds=0: a long poll would hold the single-threaded local AWS for everyone.
            messages: list[dict[str, Any]] = self._sqs.receive_message(
                QueueUrl=consumer.url,
                MaxNumberOfMessages=consumer.batch_size,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return
            event = {"Records": [self._record(m, consumer) for m in messages]}
            ok, result = self._invoke(consumer.name, consumer.handler, event)
            if not ok:
                return  # the whole batch comes back after its visibility timeout
            failed = self._failed_ids(consumer, result, {m["MessageId"] for m in messages})
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self._sqs.delete_message_batch(
                    QueueUrl=consumer.url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )
            if failed:
                return  # failed messages come back after their visibility timeout, not in this tick

    @staticmethod
    def _failed_ids(consumer: _QueueConsumer, result: Any, ids: set[str]) -> set[str]:
        """Partial batch response, read as Lambda reads it: anything malformed fails the whole batch."""
        if not isinstance(result, dict) or "batchItemFailures" not in result:
            return set()
        items = result["batchItemFailures"]
        failed: set[str] = set()
        if not isinstance(items, list):
            items = [None]
        for item in items:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(ident, str) or ident not in ids:
                logger.error("%s: malformed batchItemFailures %r: whole batch fails", consumer.name, items)
                return set(ids)
            failed.add(ident)
        return failed

    def _record(self, message: dict[str, Any], consumer: _QueueConsumer) -> dict[str, Any]:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: lambda_message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": consumer.arn,
            "awsRegion": self._region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _invoke(self, name: str, handler: Handler, event: dict[str, Any]) -> tuple[bool, Any]:
        context = FakeLambdaContext(self._function_name(name), self._region, self._account)
        try:
            return True, handler(event, context)
        except Exception:
            logger.exception("%s failed (request %s)", name, context.aws_request_id)
            return False, None

    # -- the loop ---------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Tick every `interval` seconds until `stop` is set; nothing a handler does ends the loop."""
        while not stop.is_set():
            started = self._monotonic()
            try:
                self.tick()
            except Exception:
                logger.exception("runner tick failed")
            stop.wait(max(0.0, interval - (self._monotonic() - started)))


def main() -> int:
    """Run the runner for the app in the current directory until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="[runner] %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    exit_with_parent()
    import boto3

    from chalicelib.clock import FileClock, SystemClock

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    app: Chalice = importlib.import_module("app").app
    clock_file = os.environ.get("LOCAL_CLOCK_FILE", "").strip()
    clock = FileClock(clock_file) if clock_file else SystemClock()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-northeast-2"
    stream = TableStream(boto3.client("dynamodb", region_name=region), streams_client(region),
                         os.environ.get("TABLE_NAME", "seoro-local-main"), region)
    runner = LocalRunner(app, clock, boto3.client("sqs", region_name=region), region=region, stream=stream)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logger.info(
        "ready: %d schedule(s) [%s], %d queue(s) [%s], the table's stream [%s]",
        len(runner.jobs),
        ", ".join(j.name for j in runner.jobs),
        len(runner.consumers),
        ", ".join(f"{c.name}<-{c.queue_name}" for c in runner.consumers),
        ", ".join(c.name for c in runner.stream_consumers),
    )
    runner.run_forever(stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
