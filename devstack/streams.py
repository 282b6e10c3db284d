"""The app's table's stream, read locally the way Lambda's event source mapping reads it (for devstack/runner.py).

Each `@app.on_dynamodb_record` function gets the records of every shard in order, in batches of its
`batch_size`, from its `starting_position` (TRIM_HORIZON: every record the stream still holds; LATEST: those
written after the runner started). A batch the function fails is delivered again on the next pass; a partial
batch response (`batchItemFailures`, by sequence number) checkpoints just before the first failed record, as
Lambda does. The app names its stream by a placeholder ARN (the cloud template gives the table's); locally the
stream is the one of the table the app is configured with (`TABLE_NAME`). No filter criteria apply locally: the
function gets every record and ignores what is not for it.

Every pass asks for a fresh shard iterator after the last sequence number delivered (moto's rollback of a failed
transaction replaces the table, which a kept iterator would still point at: devstack/moto_streams.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

logger = logging.getLogger("devstack.runner")

Handler = Callable[[dict[str, Any], Any], Any]
Invoke = Callable[[str, Handler, dict[str, Any]], tuple[bool, Any]]
RETRY_SECONDS = 10.0


@dataclass
class StreamConsumer:
    """One function reading the stream, and where it is in each shard."""

    name: str
    handler: Handler
    batch_size: int
    starting_position: str
    after: dict[str, str | None] = field(default_factory=dict)
    """Each shard's last sequence number delivered (None: nothing yet, start from `starting_position`)."""


def streams_client(region: str) -> Any:
    """A DynamoDB Streams client. botocore sends the calls that name a stream to an endpoint of the account
    (`<account>.streams-ddb.<region>.amazonaws.com`), which moto in-process does not answer; the classic endpoint
    serves both moto and AWS."""
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodbstreams", region_name=region, config=Config(account_id_endpoint_mode="disabled"))


class TableStream:
    """The stream of one table: found when first needed (the table may not exist yet), then read on each pass."""

    def __init__(self, dynamodb: Any, streams: Any, table_name: str, region: str,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._dynamodb = dynamodb
        self._streams = streams
        self._table = table_name
        self._region = region
        self._monotonic = monotonic
        self.arn: str | None = None
        self.shards: list[str] = []
        self._retry_at = float("-inf")
        self._warned = False

    def _resolve(self) -> bool:
        if self.arn is not None:
            return True
        if self._monotonic() < self._retry_at:
            return False
        try:
            arn = self._dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]
            described = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]
        except Exception as e:
            self._retry_at = self._monotonic() + RETRY_SECONDS
            if not self._warned:
                self._warned = True
                logger.warning("the stream of table %s is not there (%s); retrying", self._table, e)
            return False
        self.arn, self.shards = arn, [s["ShardId"] for s in described["Shards"]]
        logger.info("delivering the stream of table %s", self._table)
        return True

    def _read(self, shard: str, after: str | None, position: str, limit: int) -> list[dict[str, Any]]:
        where = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after is not None
                 else {"ShardIteratorType": position})
        iterator = self._streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, **where)["ShardIterator"]
        records: list[dict[str, Any]] = self._streams.get_records(ShardIterator=iterator, Limit=limit)["Records"]
        return records

    def _skip_to_latest(self, consumer: StreamConsumer, shard: str) -> None:
        """LATEST: start after the last record the stream holds now."""
        last = None
        while records := self._read(shard, last, "TRIM_HORIZON", 1000):
            last = records[-1]["dynamodb"]["SequenceNumber"]
        consumer.after[shard] = last

    def drain(self, consumer: StreamConsumer, invoke: Invoke, max_batches: int) -> None:
        """Deliver what each shard holds past the consumer's place, batch by batch (bounded per pass)."""
        if not self._resolve():
            return
        for shard in self.shards:
            if shard not in consumer.after:
                consumer.after[shard] = None
                if consumer.starting_position == "LATEST":
                    self._skip_to_latest(consumer, shard)
            for _ in range(max_batches):
                records = self._read(shard, consumer.after[shard], "TRIM_HORIZON", consumer.batch_size)
                if not records:
                    break
                ok, result = invoke(consumer.name, consumer.handler, {"Records": [self._record(r) for r in records]})
                if not ok:
                    break   # the whole batch comes again on the next pass
                delivered = _delivered(consumer.name, records, result)
                if delivered:
                    consumer.after[shard] = delivered[-1]["dynamodb"]["SequenceNumber"]
                if len(delivered) < len(records) or len(records) < consumer.batch_size:
                    break

    def _record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record of GetRecords as Lambda hands it on: times in seconds, the stream's ARN and region added."""
        data = dict(record["dynamodb"])
        when = data.get("ApproximateCreationDateTime")
        if isinstance(when, datetime):
            data["ApproximateCreationDateTime"] = when.timestamp()
        return {**record, "dynamodb": data, "awsRegion": self._region, "eventSourceARN": self.arn}


def _delivered(name: str, records: list[dict[str, Any]], result: Any) -> list[dict[str, Any]]:
    """The records before the first one the partial batch response names (all of them without one); a malformed
    response fails the whole batch, as Lambda reads it."""
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return records
    items = result["batchItemFailures"]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    failed: list[int] = []
    for item in items if isinstance(items, list) else [None]:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if ident not in sequence:
            logger.error("%s: malformed batchItemFailures %r: whole batch fails", name, items)
            return []
        failed.append(sequence.index(ident))
    return records[:min(failed)] if failed else records
