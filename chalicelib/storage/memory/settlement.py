"""The in-memory twin of `storage/settlement.py`. Totals are kept as JSON text, as DynamoDB keeps them, so
a stored shard never shares a mutable object with the worker that wrote it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chalicelib.domain.errors import Contention
from chalicelib.domain.ports.unit import Tx
from chalicelib.domain.settlement import MerchantLine, RunTaken, SettlementRun, Totals
from chalicelib.storage.memory.table import Change, MemoryTable, put


class MemorySettlements:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def get_run(self, month: str) -> SettlementRun | None:
        stored: tuple[SettlementRun, str | None] | None = self._t.get(("settlement-run", month))
        if stored is None:
            return None
        run, totals = stored
        return replace(run, totals=Totals.from_json(totals) if totals else None, reports=list(run.reports))

    def stage_start(self, tx: Tx, run: SettlementRun, previous_run_id: str | None) -> None:
        def allowed(cur: tuple[SettlementRun, str | None] | None) -> bool:
            return cur is None if previous_run_id is None else cur is not None and cur[0].run_id == previous_run_id

        fresh = (replace(run, shards_done=0, totals=None, finished_at=None, reports=[], segments_done=0,
                         books_started_by=None), None)
        tx.add(Change(("settlement-run", run.month), lambda _: fresh, allowed,
                      lambda: RunTaken("another start of this month's settlement began meanwhile")))

    def mark_running(self, month: str, run_id: str) -> None:
        self._t.write_if(Change(
            ("settlement-run", month), lambda cur: (replace(cur[0], status="running"), cur[1]),
            lambda cur: cur is not None and cur[0].run_id == run_id and cur[0].status == "queued",
        ))  # fmt: skip

    def record_shard(self, month: str, run_id: str, shard: int, totals: Totals) -> bool:
        def count(run: SettlementRun) -> SettlementRun:
            return replace(run, shards_done=run.shards_done + 1)

        return self._record(month, run_id, f"{month}#{shard:03d}", totals, count)

    def record_segment(self, month: str, run_id: str, segment: int, totals: Totals) -> bool:
        def count(run: SettlementRun) -> SettlementRun:
            return replace(run, segments_done=run.segments_done + 1)

        return self._record(month, run_id, f"{month}#BOOKS#{segment:03d}", totals, count)

    def _record(self, month: str, run_id: str, key: str, totals: Totals,
                count: Callable[[SettlementRun], SettlementRun]) -> bool:
        tx = self._t.tx()
        tx.add(Change(("settlement-shard", key), lambda _: (run_id, totals.to_json()),
                      lambda cur: cur is None or cur[0] != run_id))
        tx.add(Change(("settlement-run", month), lambda cur: (count(cur[0]), cur[1]),
                      lambda cur: cur is not None and cur[0].run_id == run_id))
        try:
            tx.commit()
            return True
        except Contention:
            return False

    def start_books(self, month: str, run_id: str, shard: int) -> bool:
        def allowed(cur: tuple[SettlementRun, str | None] | None) -> bool:
            return cur is not None and cur[0].run_id == run_id and cur[0].books_started_by in (None, shard)

        return self._t.write_if(Change(("settlement-run", month),
                                       lambda cur: (replace(cur[0], books_started_by=shard), cur[1]), allowed))

    def shard_totals(self, month: str, run_id: str) -> list[Totals]:
        return [Totals.from_json(text) for k, (rid, text) in sorted(self._t.scan("settlement-shard"))
                if k[1].startswith(f"{month}#") and rid == run_id]

    def finish_run(self, month: str, run_id: str, status: str, totals: Totals, reports: list[str], at: str) -> None:
        text = totals.to_json()

        def finish(cur: tuple[SettlementRun, str | None]) -> tuple[SettlementRun, str | None]:
            return replace(cur[0], status=status, finished_at=at, reports=list(reports)), text

        self._t.write_if(Change(("settlement-run", month), finish, lambda cur: cur is not None and cur[0].run_id == run_id))

    def put_merchant_lines(self, month: str, lines: dict[str, MerchantLine]) -> None:
        for merchant_id, line in lines.items():
            self._t.write(put(("settlement-merchant", f"{month}#{merchant_id}"), line))

    def merchant_line(self, month: str, merchant_id: str) -> MerchantLine | None:
        found: MerchantLine | None = self._t.get(("settlement-merchant", f"{month}#{merchant_id}"))
        return found
