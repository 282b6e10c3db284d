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

    def shard_totals(self, month: str, run_id: str) -> list[Totals]: ...

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
