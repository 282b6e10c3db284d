"""moto's DynamoDB stream, made cheap enough to keep on (the local stack's moto server and the service tests).

The template turns the main table's stream on (the automatic top-up follows it). moto 5.2 keeps every record of
a table's stream in a list that only grows, and its TransactWriteItems deep-copies the whole table, records
included, before every transaction (to roll a failed one back): with the stream on, each transaction cost more
than the last (300 transactions on a table of 600 items: 8 s of CPU without the stream, 20 s with it, and
growing). `keep_stream_cheap()` changes two things, in this process only:

- the copy shares the records (a record never changes once written) in a list of its own, so a rolled-back
  transaction still leaves no record of its writes, as in DynamoDB, and the copy costs one list copy;
- the stream keeps its last `KEPT` records (DynamoDB keeps a day's); a reader behind them reads on from the
  oldest one kept, as DynamoDB's TRIM_HORIZON would.

Sequence numbers stay what moto makes them (consecutive integers). A reader must ask for a new shard iterator
after its last sequence number each time (`AFTER_SEQUENCE_NUMBER`), never keep one: moto's rollback replaces
the table, and an iterator holds the old one. devstack/runner.py reads it that way.
"""

from __future__ import annotations

import copy
from typing import Any

KEPT = 10_000
_PATCHED = "_seoro_stream_cheap"


def keep_stream_cheap() -> None:
    """Patch moto's stream shard (idempotent)."""
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard, _PATCHED, False):
        return
    original_add = StreamShard.add
    original_get = StreamShard.get

    def deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        clone = object.__new__(StreamShard)
        memo[id(self)] = clone
        clone.__dict__.update(self.__dict__)
        clone.table = copy.deepcopy(self.table, memo)
        clone.items = list(self.items)
        return clone

    def add(self: Any, old: Any, new: Any) -> None:
        original_add(self, old, new)
        extra = len(self.items) - KEPT
        if extra > 0:
            del self.items[:extra]
            self.starting_sequence_number += extra

    def get(self: Any, start: int, quantity: int) -> Any:
        return original_get(self, max(start, self.starting_sequence_number), quantity)

    StreamShard.__deepcopy__ = deepcopy  # type: ignore[attr-defined]
    StreamShard.add = add  # type: ignore[method-assign]
    StreamShard.get = get  # type: ignore[method-assign]
    setattr(StreamShard, _PATCHED, True)
