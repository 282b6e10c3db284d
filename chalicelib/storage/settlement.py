"""Monthly settlement runs, in the month's item collection `SETTLE#<YYYY-MM>`: the run (`RUN`), each
shard's totals (`SHARD#<nnn>`), each books segment's (`SHARD#BOOKS#<nnn>`, read with the shards') and each
merchant's line (`MER#<id>`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.ports.unit import Tx
from chalicelib.domain.settlement import MerchantLine, RunTaken, SettlementRun, Totals
from chalicelib.storage.table import Put, Table, Update


@dataclass(frozen=True)
class Items:
    RunItem: Any
    ShardItem: Any
    MerchantLineItem: Any


def define(Item: Any) -> Items:
    class RunItem(Item, discriminator="settlement-run"):  # type: ignore[call-arg]
        month = UnicodeAttribute()
        run_id = UnicodeAttribute()
        status = UnicodeAttribute()
        shards_total = NumberAttribute()
        shards_done = NumberAttribute(default=0)
        started_at = UnicodeAttribute()
        finished_at = UnicodeAttribute(null=True)
        totals = UnicodeAttribute(null=True)
        reports = ListAttribute[str](of=UnicodeAttribute, default=list)
        segments_total = NumberAttribute(default=0)
        segments_done = NumberAttribute(default=0)
        books_started_by = NumberAttribute(null=True)

    class ShardItem(Item, discriminator="settlement-shard"):  # type: ignore[call-arg]
        run_id = UnicodeAttribute()
        totals = UnicodeAttribute()

    class MerchantLineItem(Item, discriminator="settlement-merchant"):  # type: ignore[call-arg]
        gross = NumberAttribute()
        discounts = NumberAttribute()
        refunds = NumberAttribute()

    return Items(RunItem, ShardItem, MerchantLineItem)


def settle_pk(month: str) -> str:
    return f"SETTLE#{month}"


def _taken() -> Exception:
    return RunTaken("another start of this month's settlement began meanwhile")


class AlreadyCounted(Exception):
    """This shard was already recorded for this run (a duplicate delivery), or the run was superseded."""


def _counted() -> Exception:
    return AlreadyCounted()


class DynamoSettlements:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def _run(self, month: str) -> Any:
        return self.m.RunItem(settle_pk(month), "RUN")

    def get_run(self, month: str) -> SettlementRun | None:
        it = self._table.get(self.m.RunItem, (settle_pk(month), "RUN"))
        if it is None:
            return None
        return SettlementRun(
            month=it.month, run_id=it.run_id, status=it.status, shards_total=int(it.shards_total),
            shards_done=int(it.shards_done), started_at=it.started_at, finished_at=it.finished_at,
            totals=Totals.from_json(it.totals) if it.totals else None, reports=list(it.reports or []),
            segments_total=int(it.segments_total or 0), segments_done=int(it.segments_done or 0),
            books_started_by=None if it.books_started_by is None else int(it.books_started_by),
        )  # fmt: skip

    def stage_start(self, tx: Tx, run: SettlementRun, previous_run_id: str | None) -> None:
        R = self.m.RunItem
        item = R(
            settle_pk(run.month), "RUN", month=run.month, run_id=run.run_id, status=run.status,
            shards_total=run.shards_total, shards_done=0, started_at=run.started_at,
            segments_total=run.segments_total, segments_done=0,
        )  # fmt: skip
        condition = R.pk.does_not_exist() if previous_run_id is None else R.run_id == previous_run_id
        tx.add(Put(item, condition, _taken))

    def mark_running(self, month: str, run_id: str) -> None:
        R = self.m.RunItem
        self._table.update_if(self._run(month), [R.status.set("running")], (R.run_id == run_id) & (R.status == "queued"))

    def record_shard(self, month: str, run_id: str, shard: int, totals: Totals) -> bool:
        return self._record(month, run_id, f"SHARD#{shard:03d}", totals, self.m.RunItem.shards_done)

    def record_segment(self, month: str, run_id: str, segment: int, totals: Totals) -> bool:
        return self._record(month, run_id, f"SHARD#BOOKS#{segment:03d}", totals, self.m.RunItem.segments_done)

    def _record(self, month: str, run_id: str, sk: str, totals: Totals, counter: Any) -> bool:
        """The part's totals and the run's count of parts done, in one transaction: once per run."""
        R, S = self.m.RunItem, self.m.ShardItem
        tx = self._table.tx()
        tx.add(Put(S(settle_pk(month), sk, run_id=run_id, totals=totals.to_json()),
                   S.pk.does_not_exist() | (S.run_id != run_id), _counted))
        tx.add(Update(self._run(month), [counter.add(1)], R.run_id == run_id, _counted))
        try:
            tx.commit()
            return True
        except AlreadyCounted:
            return False

    def start_books(self, month: str, run_id: str, shard: int) -> bool:
        R = self.m.RunItem
        condition = (R.run_id == run_id) & (R.books_started_by.does_not_exist() | (R.books_started_by == shard))
        return self._table.update_if(self._run(month), [R.books_started_by.set(shard)], condition)

    def shard_totals(self, month: str, run_id: str) -> list[Totals]:
        S = self.m.ShardItem
        items = self._table.guard(
            lambda: list(S.query(settle_pk(month), self._table.Item.sk.startswith("SHARD#"),
                                 filter_condition=S.run_id == run_id, consistent_read=True))
        )
        return [Totals.from_json(it.totals) for it in items]

    def finish_run(self, month: str, run_id: str, status: str, totals: Totals, reports: list[str], at: str) -> None:
        R = self.m.RunItem
        actions = [R.status.set(status), R.totals.set(totals.to_json()), R.reports.set(reports),
                   R.finished_at.set(at)]
        self._table.update_if(self._run(month), actions, R.run_id == run_id)

    def put_merchant_lines(self, month: str, lines: dict[str, MerchantLine]) -> None:
        L = self.m.MerchantLineItem

        def write() -> None:
            with L.batch_write() as batch:
                for merchant_id, line in lines.items():
                    batch.save(L(settle_pk(month), f"MER#{merchant_id}", gross=line.gross, discounts=line.discounts,
                                 refunds=line.refunds))

        self._table.guard(write)

    def merchant_line(self, month: str, merchant_id: str) -> MerchantLine | None:
        it = self._table.get(self.m.MerchantLineItem, (settle_pk(month), f"MER#{merchant_id}"))
        return MerchantLine(int(it.gross), int(it.discounts), int(it.refunds)) if it is not None else None
