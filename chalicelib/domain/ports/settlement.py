"""Monthly settlement: runs, shard totals, merchant lines, the shard queue and the report store
(storage/settlement.py, adapters/shards.py, adapters/files.py)."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.ports.unit import Tx
from chalicelib.domain.settlement import MerchantLine, SettlementRun, Totals


class Settlements(Protocol):
    def get_run(self, month: str) -> SettlementRun | None: ...

    def stage_start(self, tx: Tx, run: SettlementRun, previous_run_id: str | None) -> None:
        """Begin a run (replacing `previous_run_id`'s, if given); if another request began one meanwhile, the
        commit raises `RunTaken`."""
        ...

    def mark_running(self, month: str, run_id: str) -> None: ...

    def record_shard(self, month: str, run_id: str, shard: int, totals: Totals) -> bool:
        """Store a shard's totals and count it done, once per run (a duplicate delivery counts nothing)."""
        ...

    def start_books(self, month: str, run_id: str, shard: int) -> bool:
        """Mark the run's books check begun by the message of `shard` (the one that found every shard done): True
        if this run's check was not begun yet, or was begun by that same shard (its message, delivered again
        after a failure, sends the segments again); False for any other shard or a superseded run."""
        ...

    def record_segment(self, month: str, run_id: str, segment: int, totals: Totals) -> bool:
        """Store a books segment's totals with the shards' and count it done, once per run."""
        ...

    def shard_totals(self, month: str, run_id: str) -> list[Totals]:
        """The totals of every shard and books segment recorded for the run."""
        ...

    def finish_run(self, month: str, run_id: str, status: str, totals: Totals, reports: list[str], at: str) -> None: ...

    def put_merchant_lines(self, month: str, lines: dict[str, MerchantLine]) -> None: ...

    def merchant_line(self, month: str, merchant_id: str) -> MerchantLine | None: ...


class ShardQueue(Protocol):
    """Where the coordinator sends one message per shard (SQS in the cloud)."""

    def send(self, messages: list[dict[str, Any]]) -> None:
        """Send every message or raise; a message may arrive more than once."""
        ...


class ReportFiles(Protocol):
    """The settlement's report files (the reports bucket)."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...
