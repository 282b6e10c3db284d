"""Monthly settlement at district scale: DynamoDB requests and time per resident, on moto in-process.

For each size, in a fresh process (so each size has its own memory peak and nothing carries over):

1. The stack is created from `infra/resources.yaml` on moto's CloudFormation, the Season 2 policy is
   seeded, and N synthetic residents are written straight into moto's table (`bench/residents.py`).
2. The coordinator runs (`chalicelib.handlers.settlement.start`, the clock at 01:00 KST on the 1st);
   it sends one SQS message per shard. `devstack.runner.LocalRunner.poll_queues()` then delivers the
   messages to the app's `settlement_worker` (Chalice's SQS handler → `settlement.on_sqs_batch` →
   `process_message`), in batches of 5 as the event source mapping is configured, with a Lambda context
   whose timeout is `--lambda-timeout`, until the last shard has written the reports and closed the books.
3. Every DynamoDB request is counted where botocore sends it (`bench.counting.RequestCounter`) and
   classified from its body (shard page, month counters, credit, ledger, ...); the app's SQS and S3 calls
   are counted too, apart from the calls that stand in for Lambda's event source mapping.
4. The run must come out right: every resident counted, the settled residents and the cashback credited
   exactly what the seeding computed with the domain functions, the books balanced, and a sample of
   wallets credited as expected.

moto's emulator is patched (`devstack/moto_index.py`, which the local stack's moto server also runs): its
Query, segmented Scan and TransactWriteItems cost O(items in the table) per request, which would make any
settlement look quadratic. The patched emulator answers the same (checked after seeding). The table's stream is on, as the
template has it: every write, the seeding's included, makes a stream record, of which moto keeps the last 10,000
(`devstack/moto_streams.py`, applied by `bench.moto_app.prepare_environment`).

`python -m bench.settlement --size 10000 --json out.json` runs one size; `python -m bench` runs the
sizes in `--settlement-sizes` this way and merges the figures into `bench/settlement_figures.json`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.counting import RequestCounter
from bench.settlement_tallies import Tallies

REGION = "ap-northeast-2"
BATCH_SIZE = 5  # app.py: @app.on_sqs_message(queue="seoro-settlement", batch_size=5)


# ---- one size -----------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    residents: int
    shards: int
    lambda_timeout_s: int
    merchants: int
    seed_s: float
    settle_s: float
    settle_cpu_s: float
    emulator_s: float
    dynamodb: dict[str, int]
    dynamodb_total: int
    segments: int
    """The books check's Scan segments (the run's `segments_total`)."""
    write_units: int
    """Write units of every DynamoDB request, from the items as sent (bench/settlement_tallies.py)."""
    write_units_by_op: dict[str, int]
    phases: dict[str, Any]
    """Per phase (the credit shards, the books check's segments): messages, CPU, of it in moto, ms per message."""
    app_calls: dict[str, int]
    harness_calls: dict[str, int]
    messages: int
    continuations: int
    invocations: int
    message_ms: dict[str, float]
    shard_residents: dict[str, float]
    peak_rss_mb: float
    profile: dict[str, Any]
    outcome: dict[str, Any]
    checks: list[str]
    recorded_at: str = ""
    revision: str = ""
    machine: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def requests_per_resident(self) -> float:
        return self.dynamodb_total / self.residents

    @property
    def ms_per_resident(self) -> float:
        return self.settle_s * 1000 / self.residents


def run_size(size: int, shards: int, lambda_timeout_s: int, merchant_count: int) -> SizeResult:
    from bench.moto_app import prepare_environment

    prepare_environment()
    counter = RequestCounter.install()
    tallies = Tallies.install()

    import boto3
    from moto import mock_aws

    from bench import residents as district
    from bench.moto_app import create_stack, forget_dynamodb_instances
    from chalicelib import composition
    from chalicelib.adapters.bank import FakeBank
    from chalicelib.domain.months import KST
    from chalicelib.domain.settlement import STATUS_COMPLETED, STATUS_FAILED, settle_resident
    from chalicelib.domain.wallet import ResidentMonth
    from chalicelib.handlers import settlement
    from chalicelib.handlers.admin import seed_defaults
    from chalicelib.settings import Settings
    from devstack.moto_index import indexed_moto, scanning
    from tests.support import SettableClock, read_wallet

    checks: list[str] = []
    with mock_aws(), indexed_moto(), tempfile.TemporaryDirectory(prefix="seoro-settle-"):
        forget_dynamodb_instances()  # the stream's records too: every write makes one (see bench/moto_app.py)
        outputs = create_stack()
        clock = SettableClock(datetime(2020, 3, 31, 12, 0, tzinfo=KST))
        settings = Settings(
            stage="bench",
            region=REGION,
            table_name=outputs["TableName"],
            notices_bucket=outputs["NoticesBucket"],
            reports_bucket="seoro-reports-local",
            settlement_shards=shards,
            contention_deadline_seconds=30.0,
        )
        c = composition.override(settings=settings, clock=clock, bank=FakeBank())
        seed_defaults()
        wallets = c.repos.wallets
        table = district.moto_table(settings.table_name, REGION)

        # ---- seed ----
        started = time.perf_counter()
        profile = district.Profile()
        shard_sizes = [0] * shards
        people = district.district(size, merchant_count=merchant_count)
        # The first resident goes through the app's own write path, the rest straight into moto; their
        # stored items must have the same shape.
        first = next(people)
        tx = c.repos.store.tx()
        wallets.stage(tx, first.wallet, 0)
        if first.month:
            wallets.stage_month(tx, first.month, 0)
        for mv in first.movements:
            wallets.stage_movement(tx, mv)
        tx.commit()
        written = {(it.pk, it.sk): it for it in district.items_of(wallets, first)}
        from moto.dynamodb.models.dynamo_type import DynamoType, Item

        for (pk, sk), it in written.items():
            stored = table.get_item(DynamoType({"S": pk}), DynamoType({"S": sk}))
            direct = Item(DynamoType({"S": pk}), DynamoType({"S": sk}), it.serialize(null_check=True))
            if stored is None or stored.to_json() != direct.to_json():
                raise AssertionError(f"{pk} {sk}: a seeded item differs from what the wallet repository writes")
        checks.append("a resident written by the wallet repository's transaction and one put straight into moto are "
                      "the same items")
        profile.items += len(written)
        district.count(first, profile, shard_sizes, shards)
        kept = [first, *district.seed(wallets, table, people, profile, shard_sizes, shards)]
        seed_s = time.perf_counter() - started
        expected_settled, expected_credited = profile.expected_settled, profile.expected_credited

        # the reads the settlement makes answer the same with moto's full scan and with the index: every
        # page of two shards, and the ledgers of three residents (who must read back as seeded)
        for shard in {_shard(kept[0].wallet.user_id, shards), _shard(kept[-1].wallet.user_id, shards)}:
            fast_pages = _all_pages(wallets, shard)
            with scanning():
                slow_pages = _all_pages(wallets, shard)
            if fast_pages != slow_pages or sum(len(p.items) for p in fast_pages) != shard_sizes[shard]:
                raise AssertionError(f"shard {shard}: the indexed emulator pages differently from moto's own")
        for r in kept[:3]:
            fast = wallets.movements(r.wallet.user_id)
            with scanning():
                slow = wallets.movements(r.wallet.user_id)
            if fast != slow or sorted(fast, key=_key) != sorted(r.movements, key=_key):
                raise AssertionError(f"{r.wallet.user_id}: the ledger reads back differently")
        segment = _segment_of(kept[0].wallet.user_id, CHECKED_SEGMENTS)
        fast_pages = _books_pages(wallets, segment, 2)
        with scanning():
            slow_pages = _books_pages(wallets, segment, 2)
        if fast_pages != slow_pages or not fast_pages[0].items:
            raise AssertionError(f"books segment {segment}: the indexed emulator scans differently from moto's own")
        from chalicelib.domain.books import WalletBalances, line_of

        w = kept[0].wallet
        alone = [*map(line_of, sorted(kept[0].movements, key=lambda m: (m.created_at, m.seq, m.movement_id))),
                 WalletBalances(w.user_id, w.charged_balance, w.cashback_balance, w.version)]
        if wallets.books_of(w.user_id) != alone:
            raise AssertionError(f"{w.user_id}: the books check reads the wallet and ledger differently")
        for r in kept:
            wallet, month = read_wallet(r.wallet.user_id, district.MONTH)
            if wallet != r.wallet or month != (r.month or ResidentMonth(r.wallet.user_id, district.MONTH)):
                raise AssertionError(f"{r.wallet.user_id}: the stored wallet or month differs from the seeded one")
        checks.append("every page of two shards, three ledgers and the first two pages of a books Scan segment "
                      "answer the same with moto's own full scan as with the index; the seeded wallets, months and "
                      "ledgers read back as seeded")

        # ---- settle ----
        clock.set(datetime(2020, 4, 1, 1, 0, tzinfo=KST))
        import devstack.runner as runner_module
        from app import app

        harness_sqs = boto3.client("sqs", region_name=REGION)
        tallies.harness_clients.add(id(harness_sqs))
        runner = runner_module.LocalRunner(app, clock, harness_sqs)

        message_ms: list[float] = []
        phases: dict[str, dict[str, Any]] = {name: {"messages": 0, "cpu_s": 0.0, "emulator_s": 0.0, "ms": []}
                                             for name in ("credit", "books")}
        errors: list[BaseException] = []
        counts = {"messages": 0, "continuations": 0, "invocations": 0}
        real_process, real_batch, real_context = (settlement.process_message, settlement.on_sqs_batch,
                                                  runner_module.FakeLambdaContext)

        def process(body: str, remaining_ms: Any, receive_count: int = 1) -> None:
            counts["messages"] += 1
            counts["continuations"] += "cursor" in body
            phase = phases["books" if '"segment"' in body else "credit"]
            began, cpu, emulated = time.perf_counter(), time.process_time(), tallies.emulator_s
            try:
                real_process(body, remaining_ms, receive_count)
            except BaseException as exc:
                errors.append(exc)
                raise
            finally:
                message_ms.append((time.perf_counter() - began) * 1000)
                phase["messages"] += 1
                phase["ms"].append(message_ms[-1])
                phase["cpu_s"] += time.process_time() - cpu
                phase["emulator_s"] += tallies.emulator_s - emulated

        def batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
            counts["invocations"] += 1
            return real_batch(event, context)

        class Context(real_context):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs["timeout_seconds"] = float(lambda_timeout_s)
                super().__init__(*args, **kwargs)

        settlement.process_message = process  # type: ignore[assignment]
        settlement.on_sqs_batch = batch  # type: ignore[assignment]
        runner_module.FakeLambdaContext = Context  # type: ignore[misc]
        before_requests = counter.snapshot()
        before = tallies.snapshot()
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            settlement.start(district.MONTH)
            idle = 0
            while True:
                delivered = counts["invocations"]
                runner.poll_queues()
                if errors:
                    raise RuntimeError(f"a shard message failed: {errors[0]!r}") from errors[0]
                status = _run_status(table, district.MONTH)  # read in moto itself: no request counted
                if status in (STATUS_COMPLETED, STATUS_FAILED):
                    break
                idle = idle + 1 if counts["invocations"] == delivered else 0
                if idle > 3:
                    raise RuntimeError(f"the queue is empty and the run is {status}")
        finally:
            settle_s, settle_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
            settlement.process_message = real_process  # type: ignore[assignment]
            settlement.on_sqs_batch = real_batch  # type: ignore[assignment]
            runner_module.FakeLambdaContext = real_context  # type: ignore[misc]
        after = tallies.snapshot()
        spent = counter.snapshot() - before_requests
        dynamodb = after[0] - before[0]
        units = after[4] - before[4]
        final = settlement.status(district.MONTH)
        run, result = final.run, final.totals

        # ---- check ----
        if run.status != STATUS_COMPLETED or result.books_balanced is not True:
            raise AssertionError(f"settlement ended {run.status}, books_balanced={result.books_balanced}: "
                                 f"{result.problems[:3]}")
        if result.residents != size or result.settled_residents != expected_settled:
            raise AssertionError(f"{result.residents} residents / {result.settled_residents} settled; "
                                 f"expected {size} / {expected_settled}")
        if result.cashback_credited != expected_credited:
            raise AssertionError(f"credited {result.cashback_credited}, expected {expected_credited}")
        for r in kept:
            outcome = settle_resident(r.wallet, r.month or ResidentMonth(r.wallet.user_id, district.MONTH), None,
                                      district.SETTLED_AT)
            want = outcome.wallet.cashback_balance if outcome else r.wallet.cashback_balance
            got, _ = read_wallet(r.wallet.user_id)
            if got is None or got.cashback_balance != want:
                raise AssertionError(f"{r.wallet.user_id}: cashback {got and got.cashback_balance}, expected {want}")
        checks.append(f"completed, books balanced, {size:,} residents counted, {expected_settled:,} settled and "
                      f"{expected_credited:,} won credited as the domain computes, sample wallets credited")
        if result.wallets_checked != size:
            raise AssertionError(f"the books check read {result.wallets_checked} wallets of {size}")
        if result.merchants != profile.merchant_lines:
            wrong = sorted(m for m in {*result.merchants, *profile.merchant_lines}
                           if result.merchants.get(m) != profile.merchant_lines.get(m))
            raise AssertionError(f"merchant lines differ from the seeded payments and refunds: {wrong[:3]}")
        for mid, (gross, discounts, refunds) in sorted(profile.merchant_lines.items())[:25]:
            stored = settlement.merchant_line(mid, district.MONTH)
            if (stored.gross, stored.discounts, stored.refunds) != (gross, discounts, refunds):
                raise AssertionError(f"{mid}: stored line {stored}, expected {(gross, discounts, refunds)}")
        checks.append(f"the books check read all {size:,} wallets, each equal to the sum of its ledger; the "
                      f"{len(profile.merchant_lines):,} merchants' lines are exactly the seeded month's payments "
                      "and refunds (25 read back from the table)")

    if sum(dynamodb.values()) != spent.total_requests:
        raise AssertionError("the classified DynamoDB requests do not add up to the counter's")
    return SizeResult(
        residents=size,
        shards=shards,
        lambda_timeout_s=lambda_timeout_s,
        merchants=merchant_count,
        seed_s=round(seed_s, 1),
        settle_s=round(settle_s, 2),
        settle_cpu_s=round(settle_cpu_s, 2),
        emulator_s=round(after[3] - before[3], 2),
        dynamodb=dict(sorted(dynamodb.items())),
        dynamodb_total=spent.total_requests,
        segments=run.segments_total,
        write_units=sum(units.values()),
        write_units_by_op=dict(sorted(units.items())),
        phases={name: {"messages": ph["messages"], "cpu_s": round(ph["cpu_s"], 2),
                       "emulator_s": round(ph["emulator_s"], 2), "message_ms": _stats(ph["ms"])}
                for name, ph in phases.items()},
        app_calls=dict(sorted((after[1] - before[1]).items())),
        harness_calls=dict(sorted((after[2] - before[2]).items())),
        messages=counts["messages"],
        continuations=counts["continuations"],
        invocations=counts["invocations"],
        message_ms=_stats(message_ms),
        shard_residents=_stats([float(n) for n in shard_sizes]),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        profile=profile.as_dict(),
        outcome={
            "residents": result.residents,
            "settled_residents": result.settled_residents,
            "cashback_credited": result.cashback_credited,
            "adjustments_applied": result.adjustments_applied,
            "recovered_from_charged": result.recovered_from_charged,
            "still_owed": result.still_owed,
            "books_balanced": result.books_balanced,
            "by_funder": result.by_funder(final.policy),
            "reports": len(run.reports),
        },
        checks=checks,
    )


def _run_status(table: Any, month: str) -> str | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    item = table.get_item(DynamoType({"S": f"SETTLE#{month}"}), DynamoType({"S": "RUN"}))
    return None if item is None else str(item.attrs["status"].value)


def _shard(user_id: str, shards: int) -> int:
    from chalicelib.domain.settlement import shard_of

    return shard_of(user_id, shards)


def _all_pages(wallets: Any, shard: int) -> list[Any]:
    pages, cursor = [], None
    while True:
        page = wallets.in_shard(shard, cursor, 100)
        pages.append(page)
        cursor = page.next
        if cursor is None:
            return pages


CHECKED_SEGMENTS = 256
"""The books Scan segment compared both ways after seeding is one of 256 (moto's own Scan sorts the whole table on
every page, so a small segment and two pages keep that check to minutes at 300,000 residents)."""


def _segment_of(user_id: str, segments: int) -> int:
    """The Scan segment of a resident's items, by moto's hash of the partition key (`Item.is_within_segment`)."""
    import hashlib

    return hashlib.md5(f"U#{user_id}".encode()).digest()[0] % segments  # moto's hash, not a secret


def _books_pages(wallets: Any, segment: int, most: int) -> list[Any]:
    pages: list[Any] = []
    cursor = None
    while len(pages) < most:
        page = wallets.books_page(segment, CHECKED_SEGMENTS, cursor, 1_000)
        pages.append(page)
        cursor = page.next
        if cursor is None:
            break
    return pages


def _key(m: Any) -> tuple[str, str]:
    return (m.created_at, m.movement_id)


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "n": len(values),
        "min": round(ordered[0], 1),
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.settlement", description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--shards", type=int, default=256)
    parser.add_argument("--lambda-timeout", type=int, default=900)
    parser.add_argument("--merchants", type=int, default=3_000)
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    result = run_size(args.size, args.shards, args.lambda_timeout, args.merchants)
    text = json.dumps(asdict(result), ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
