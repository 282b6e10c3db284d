"""Monthly settlement: the coordinator (HTTP or schedule) fans shards out through SQS; shard workers
credit their residents exactly once; the shard that finishes the credits sends out the books check's Scan
segments (`handlers/books.py`); the last segment to finish writes the reports and closes the books.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import composition
from chalicelib.domain.audit import SETTLEMENT_START
from chalicelib.domain.books import every_wallet_checked, segments_for
from chalicelib.domain.donations import AutoDonation
from chalicelib.domain.errors import InvalidState, NotFound, ValidationFailed
from chalicelib.domain.months import KST, MONTH_RULE, is_month, kst_iso, month_closed, month_of, previous_month
from chalicelib.domain.policy import Policy
from chalicelib.domain.reports import render
from chalicelib.domain.settlement import (
    STATUS_COMPLETED,
    STATUS_FAILED,
    STATUS_QUEUED,
    STATUS_RUNNING,
    Credit,
    MerchantLine,
    RunTaken,
    SettlementRun,
    Totals,
    credit_of,
    settle_resident,
)
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.handlers import audit, books, donations
from chalicelib.handlers.common import new_id, now, policy_in_force, retrying
from chalicelib.observability import logger

PAGE_SIZE = 100
MAX_RESIDENTS_PER_MESSAGE = 5_000
MIN_REMAINING_MS = 60_000
MAX_RECEIVES = 5
STALE_RUN_SECONDS = 30 * 60


@dataclass(frozen=True)
class Status:
    """A month's settlement as staff follow it: the run and the totals so far (the month's, when completed)."""

    run: SettlementRun
    totals: Totals
    policy: Policy


def _send(bodies: list[dict[str, Any]]) -> None:
    composition.container().shards.send(bodies)


# ---- coordinator -----------------------------------------------------------------------------


def start(month: str, actor: str | None = None) -> Status:
    """Start (or re-run) a closed month's settlement: one SQS message per resident shard.

    A month not yet closed (00:00 KST on the 1st of the next month) is 409. A run under way is not
    started twice; a re-run of a completed month walks every resident again, credits nobody twice
    and recomputes the same totals.
    """
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    at = now()
    if not month_closed(month, at):
        raise InvalidState(f"{month} closes at 00:00 KST on the 1st of the next month")
    policy_in_force(month)
    store = composition.container().repos.settlements
    run = store.get_run(month)
    if run is not None and run.status in (STATUS_QUEUED, STATUS_RUNNING) and not _stale(run, at):
        if run.status == STATUS_QUEUED:
            # No worker has begun: the start that wrote this run may have died before its messages
            # went out. Sending them again is safe (a shard is credited and counted once per run).
            _send([{"month": month, "run_id": run.run_id, "shard": s} for s in range(run.shards_total)])
        return status(month)
    shards = composition.container().settings.settlement_shards
    fresh = SettlementRun(month, new_id("run"), STATUS_QUEUED, shards, 0, kst_iso(at),
                          segments_total=segments_for(shards))
    if _begin(fresh, run.run_id if run else None, actor):
        try:
            _send([{"month": month, "run_id": fresh.run_id, "shard": s} for s in range(shards)])
        except Exception:
            # Some shard messages may be missing: the run can never complete, so it is marked failed and
            # the caller's retry starts a new one (a run whose mark is lost too goes stale in 30 minutes).
            store.finish_run(month, fresh.run_id, STATUS_FAILED, Totals(), [], kst_iso(now()))
            raise
        logger().info("settlement started", extra={"month": month, "run_id": fresh.run_id})
    return status(month)


def _begin(run: SettlementRun, previous_run_id: str | None, actor: str | None) -> bool:
    """Write the run record (with a staff member's start, its audit record); False when another start won."""
    r = composition.container().repos
    tx = r.store.tx()
    r.settlements.stage_start(tx, run, previous_run_id)
    if actor is not None:
        audit.stage(tx, actor, SETTLEMENT_START, run.month, {"run_id": run.run_id, "rerun": previous_run_id is not None})
    try:
        tx.commit()
    except RunTaken:
        return False
    return True


def _stale(run: SettlementRun, at: datetime) -> bool:
    """A run that has not finished long after it began may be started again (its messages were lost)."""
    started = datetime.fromisoformat(run.started_at)
    return (at - started).total_seconds() > STALE_RUN_SECONDS


def on_schedule(due: str | None = None) -> str | None:
    """Runs daily at 16:00 UTC; on the 1st at 01:00 KST it settles the month that just closed.

    `due` is the time the schedule fell due (the event's `time`), so a run delivered late — or by the
    local runner after the clock jumped past several days — still settles the right month.
    """
    at = _parse_time(due) or now()
    at = at.astimezone(KST)
    if at.day != 1 or at.hour < 1:
        return None
    month = previous_month(month_of(at))
    run = composition.container().repos.settlements.get_run(month)
    if run is not None and run.status != STATUS_QUEUED:
        return None  # started already (a queued run is started again: its start may have died halfway)
    start(month)
    return month


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# ---- shard worker ----------------------------------------------------------------------------


def process_message(body: str, remaining_ms: Callable[[], int], receive_count: int = 1) -> None:
    """Settle one shard, or check one books segment (or the rest of one), then record it; the shard that
    finishes the credits starts the books check, and the last segment finalises the month."""
    try:
        msg = json.loads(body)
        month, run_id = str(msg["month"]), str(msg["run_id"])
        books_check = "segment" in msg
        part = int(msg["segment"] if books_check else msg["shard"])
        cursor = msg.get("cursor")
        partial = msg.get("tally" if books_check else "totals")
    except (ValueError, KeyError, TypeError):
        logger().error("malformed settlement message dropped")
        return  # it would never parse, so retrying it is pointless
    store = composition.container().repos.settlements
    run = store.get_run(month)
    if run is None or run.run_id != run_id:
        return  # a newer run superseded this message
    if run.status == STATUS_QUEUED:
        store.mark_running(month, run_id)
    try:
        if books_check:
            _check_segment(run, part, cursor, partial, remaining_ms)
        else:
            _settle_shard(month, run_id, part, cursor, partial, remaining_ms)
    except Exception:
        if receive_count >= MAX_RECEIVES:
            store.finish_run(month, run_id, STATUS_FAILED, Totals(), [], kst_iso(now()))
        raise


def _settle_shard(
    month: str, run_id: str, shard: int, cursor: str | None, partial: str | None, remaining_ms: Callable[[], int]
) -> None:
    r = composition.container().repos
    policy = policy_in_force(month)
    totals = Totals.from_json(partial) if partial else Totals()
    autos = r.donations.autos_in_shard(shard)
    processed = 0
    while True:
        page = r.wallets.in_shard(shard, cursor, PAGE_SIZE)
        months = r.wallets.months_of([w.user_id for w in page.items], month)
        for wallet in page.items:
            _settle_one(wallet, months[wallet.user_id], autos.get(wallet.user_id), policy, totals)
        processed += len(page.items)
        cursor = page.next
        if cursor is None:
            break
        if processed >= MAX_RESIDENTS_PER_MESSAGE or remaining_ms() < MIN_REMAINING_MS:
            _send([{"month": month, "run_id": run_id, "shard": shard, "cursor": cursor, "totals": totals.to_json()}])
            return
    r.settlements.record_shard(month, run_id, shard, totals)
    finalize(month, run_id, shard)


def _check_segment(
    run: SettlementRun, segment: int, cursor: str | None, partial: str | None, remaining_ms: Callable[[], int]
) -> None:
    totals = books.check_segment(run.month, run.run_id, segment, run.segments_total, cursor, partial, remaining_ms)
    if totals is None:
        return  # handed on in a continuation message
    composition.container().repos.settlements.record_segment(run.month, run.run_id, segment, totals)
    finalize(run.month, run.run_id)


def _settle_one(wallet: Wallet, month: ResidentMonth, auto: AutoDonation | None, policy: Policy, totals: Totals) -> None:
    """Credit one resident exactly once (the settled flag is written with the credit), then count it."""
    r = composition.container().repos
    read: list[tuple[Wallet, ResidentMonth]] = [(wallet, month)]

    def attempt() -> tuple[Wallet, ResidentMonth, Credit | None]:
        w, m = read[-1]
        at = now()
        outcome = settle_resident(w, m, auto, kst_iso(at))
        if outcome is None:
            return w, m, credit_of(m)
        tx = r.store.tx()
        final = outcome.wallet
        if outcome.movement is not None:
            r.wallets.stage_movement(tx, outcome.movement)
        if outcome.credit.auto_donated > 0:
            gift, year_version = donations.auto_gift(outcome.wallet, auto, m.month, outcome.credit.auto_donated, at)
            donations.stage_gift(tx, gift, year_version)
            final = gift.wallet
        r.wallets.stage(tx, final, w.version)
        r.wallets.stage_month(tx, outcome.month, m.version)
        try:
            tx.commit()
        except Exception:
            batch = r.store.batch()
            fresh_wallet = r.wallets.want(batch, w.user_id)
            fresh_month = r.wallets.want_month(batch, w.user_id, m.month)
            batch.run()
            if fresh_wallet.value is not None:
                read.append((fresh_wallet.value, fresh_month.value))
            raise
        return final, outcome.month, outcome.credit

    final_wallet, final_month, credit = retrying(attempt, wallet.user_id)
    totals.add_resident(final_wallet, final_month, credit, policy)


def finalize(month: str, run_id: str, shard: int | None = None) -> bool:
    """When every shard of the run is in, the books check begins (sent by the message of the shard that found
    them all in: `shard`); when every segment of it is in too: sum them, write the reports, close the books.
    Idempotent."""
    c = composition.container()
    store = c.repos.settlements
    run = store.get_run(month)
    if run is None or run.run_id != run_id or run.shards_done < run.shards_total:
        return False
    if run.segments_done < run.segments_total:
        if shard is not None and store.start_books(month, run_id, shard):
            # sent again if this shard's message is delivered again (its first try may have died sending them)
            _send([{"month": month, "run_id": run_id, "segment": s} for s in range(run.segments_total)])
        return False
    totals = Totals()
    for part in store.shard_totals(month, run_id):
        totals.merge(part)
    if run.segments_total:
        every_wallet_checked(totals)
    policy = policy_in_force(month)
    keys = []
    for name, content in render(month, totals, policy).items():
        key = f"settlements/{month}/{name}"
        c.reports.put(key, content, "application/json" if name.endswith(".json") else "text/csv")
        keys.append(key)
    store.put_merchant_lines(month, {mid: MerchantLine(*row) for mid, row in totals.merchants.items()})
    store.finish_run(month, run_id, STATUS_COMPLETED, totals, keys, kst_iso(now()))
    logger().info("settlement completed", extra={"month": month, "books_balanced": totals.books_balanced})
    return True


def on_sqs_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The SQS worker: each record is settled on its own; failures are reported per message
    (Powertools batch processing), so only the failed shards are delivered again."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def remaining_ms() -> int:
        getter = getattr(context, "get_remaining_time_in_millis", None)
        return int(getter()) if callable(getter) else 15 * 60 * 1000

    def record_handler(record: SQSRecord) -> None:
        receives = int(record.attributes.approximate_receive_count or 1)
        process_message(record.body, remaining_ms, receives)

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context))


# ---- reading ---------------------------------------------------------------------------------


def status(month: str) -> Status:
    """The run as staff follow it; amounts are the whole month's, whatever number of runs made them."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    store = composition.container().repos.settlements
    run = store.get_run(month)
    if run is None:
        raise NotFound(f"no settlement of {month} has been started")
    totals = run.totals
    if totals is None or run.status != STATUS_COMPLETED:
        totals = Totals()
        for shard in store.shard_totals(month, run.run_id):
            totals.merge(shard)
    return Status(run, totals, policy_in_force(month))


def merchant_line(merchant_id: str, month: str) -> MerchantLine:
    """A merchant's own line of a settled month (zeros when it sold nothing)."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    store = composition.container().repos.settlements
    run = store.get_run(month)
    if run is None or run.status != STATUS_COMPLETED:
        raise InvalidState(f"{month} is not settled yet")
    return store.merchant_line(month, merchant_id) or MerchantLine()
