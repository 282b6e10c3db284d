"""Monthly settlement: the coordinator (HTTP or schedule) fans shards out through SQS; shard workers
credit their residents exactly once; the last shard to finish writes the reports and closes the books.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import composition
from chalicelib.domain.errors import InvalidState, NotFound, ValidationFailed
from chalicelib.domain.ledger import MOVE_CASHBACK, Movement, balances_match
from chalicelib.domain.months import KST, MONTH_RULE, is_month, kst_iso, month_closed, month_of, previous_month
from chalicelib.domain.policy import Policy
from chalicelib.domain.reports import merchant_line_dict, render
from chalicelib.domain.settlement import (
    STATUS_COMPLETED,
    STATUS_FAILED,
    STATUS_QUEUED,
    STATUS_RUNNING,
    Credit,
    MerchantLine,
    Totals,
    credit_of,
    settle_resident,
)
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.handlers import donations
from chalicelib.handlers.common import new_id, now, policy_in_force, retrying
from chalicelib.observability import logger
from chalicelib.schemas import MerchantSettlementOut, SettlementOut, SettlementProgress
from chalicelib.storage.dynamo import SettlementRun, Writes, totals_to_json

QUEUE_NAME = "seoro-settlement"
PAGE_SIZE = 100
MAX_RESIDENTS_PER_MESSAGE = 5_000
MIN_REMAINING_MS = 60_000
MAX_RECEIVES = 5
STALE_RUN_SECONDS = 30 * 60


def _queue_url() -> str:
    c = composition.container()
    url = c.settings.settlement_queue_url
    if url:
        return url
    found: str = c.sqs.get_queue_url(QueueName=QUEUE_NAME)["QueueUrl"]
    return found


def _send(bodies: list[dict[str, Any]]) -> None:
    """Send messages in batches of ten, retrying the entries SQS did not take."""
    sqs = composition.container().sqs
    url = _queue_url()
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(b, separators=(",", ":"), ensure_ascii=False)}
            for i, b in enumerate(bodies[start : start + 10])
        ]
        for _ in range(5):
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
            if not failed:
                break
            ids = {f["Id"] for f in failed}
            entries = [e for e in entries if e["Id"] in ids]
        else:
            raise RuntimeError("SQS did not accept the settlement shard messages")


# ---- coordinator -----------------------------------------------------------------------------


def start(month: str) -> SettlementOut:
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
    store = composition.container().store
    run = store.get_run(month)
    if run is not None and run.status in (STATUS_QUEUED, STATUS_RUNNING) and not _stale(run, at):
        if run.status == STATUS_QUEUED:
            # No worker has begun: the start that wrote this run may have died before its messages
            # went out. Sending them again is safe (a shard is credited and counted once per run).
            _send([{"month": month, "run_id": run.run_id, "shard": s} for s in range(run.shards_total)])
        return status(month)
    shards = store.shards
    fresh = SettlementRun(month, new_id("run"), STATUS_QUEUED, shards, 0, kst_iso(at))
    if store.start_run(fresh, run.run_id if run else None):
        try:
            _send([{"month": month, "run_id": fresh.run_id, "shard": s} for s in range(shards)])
        except Exception:
            # Some shard messages may be missing: the run can never complete, so it is marked failed and
            # the caller's retry starts a new one (a run whose mark is lost too goes stale in 30 minutes).
            store.finish_run(month, fresh.run_id, STATUS_FAILED, Totals(), [], kst_iso(now()))
            raise
        logger().info("settlement started", extra={"month": month, "run_id": fresh.run_id})
    return status(month)


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
    run = composition.container().store.get_run(month)
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
    """Settle one shard (or the rest of one), then record it; the last shard finalises the month."""
    try:
        msg = json.loads(body)
        month, run_id, shard = str(msg["month"]), str(msg["run_id"]), int(msg["shard"])
        cursor = msg.get("cursor")
        partial = msg.get("totals")
    except (ValueError, KeyError, TypeError):
        logger().error("malformed settlement message dropped")
        return  # it would never parse, so retrying it is pointless
    store = composition.container().store
    run = store.get_run(month)
    if run is None or run.run_id != run_id:
        return  # a newer run superseded this message
    if run.status == STATUS_QUEUED:
        store.mark_running(month, run_id)
    try:
        _settle_shard(month, run_id, shard, cursor, partial, remaining_ms)
    except Exception:
        if receive_count >= MAX_RECEIVES:
            store.finish_run(month, run_id, STATUS_FAILED, Totals(), [], kst_iso(now()))
        raise


def _settle_shard(
    month: str, run_id: str, shard: int, cursor: str | None, partial: str | None, remaining_ms: Callable[[], int]
) -> None:
    store = composition.container().store
    policy = policy_in_force(month)
    totals = Totals(**json.loads(partial)) if partial else Totals()
    processed = 0
    while True:
        page = store.wallets_in_shard(shard, cursor, PAGE_SIZE)
        months = store.months_of([w.user_id for w in page.items], month)
        for wallet in page.items:
            _settle_one(wallet, months[wallet.user_id], policy, totals)
        processed += len(page.items)
        cursor = page.next
        if cursor is None:
            break
        if processed >= MAX_RESIDENTS_PER_MESSAGE or remaining_ms() < MIN_REMAINING_MS:
            _send([{"month": month, "run_id": run_id, "shard": shard, "cursor": cursor,
                    "totals": totals_to_json(totals)}])
            return
    store.record_shard(month, run_id, shard, totals)
    finalize(month, run_id)


def _settle_one(wallet: Wallet, month: ResidentMonth, policy: Policy, totals: Totals) -> None:
    """Credit one resident exactly once (the settled flag is written with the credit), then count it."""
    store = composition.container().store
    state: dict[str, Any] = {"wallet": wallet, "month": month}

    def attempt() -> tuple[Wallet, ResidentMonth, Credit | None]:
        w, m = state["wallet"], state["month"]
        outcome = settle_resident(w, m)
        if outcome is None:
            return w, m, credit_of(m)
        at = now()
        writes = Writes()
        final = outcome.wallet
        if outcome.credit.auto_donated > 0:
            gift, year_version = donations.auto_gift(outcome.wallet, m.month, outcome.credit.auto_donated, at)
            writes = donations.gift_writes(gift, year_version)
            final = gift.wallet
        if outcome.credit.credited:
            writes.movements.insert(0, Movement(w.user_id, f"cb-{m.month}", MOVE_CASHBACK, f"settlement:{m.month}", 0,
                                                outcome.credit.credited, kst_iso(at)))
        writes.wallets = [(final, w.version)]
        writes.months = [(outcome.month, m.version)]
        try:
            store.commit(writes, int(at.timestamp()))
        except Exception:
            fresh = store.load(user_id=w.user_id, month=m.month)
            if fresh.wallet is not None and fresh.month is not None:
                state["wallet"], state["month"] = fresh.wallet, fresh.month
            raise
        return final, outcome.month, outcome.credit

    final_wallet, final_month, credit = retrying(attempt, wallet.user_id)
    movements = store.movements(wallet.user_id)
    if not balances_match(final_wallet.charged_balance, final_wallet.cashback_balance, movements):
        # the shard index may lag, or a payment of the new month landed meanwhile: read both again
        fresh = store.load(user_id=wallet.user_id)
        movements = store.movements(wallet.user_id)
        final_wallet = fresh.wallet or final_wallet
    totals.add_resident(final_wallet, final_month, credit, movements, policy)


def finalize(month: str, run_id: str) -> bool:
    """When every shard of the run is in: sum them, write the reports, close the books. Idempotent."""
    c = composition.container()
    run = c.store.get_run(month)
    if run is None or run.run_id != run_id or run.shards_done < run.shards_total:
        return False
    totals = Totals()
    for shard in c.store.shard_totals(month, run_id):
        totals.merge(shard)
    policy = policy_in_force(month)
    keys = []
    for name, content in render(month, totals, policy).items():
        key = f"settlements/{month}/{name}"
        c.s3.put_object(Bucket=c.settings.reports_bucket, Key=key, Body=content,
                        ContentType="application/json" if name.endswith(".json") else "text/csv")
        keys.append(key)
    c.store.put_merchant_lines(month, {mid: MerchantLine(*row) for mid, row in totals.merchants.items()})
    c.store.finish_run(month, run_id, STATUS_COMPLETED, totals, keys, kst_iso(now()))
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


def status(month: str) -> SettlementOut:
    """The run as staff follow it; amounts are the whole month's, whatever number of runs made them."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    store = composition.container().store
    run = store.get_run(month)
    if run is None:
        raise NotFound(f"no settlement of {month} has been started")
    totals = run.totals
    if totals is None or run.status != STATUS_COMPLETED:
        totals = Totals()
        for shard in store.shard_totals(month, run.run_id):
            totals.merge(shard)
    policy = policy_in_force(month)
    completed = run.status == STATUS_COMPLETED
    return SettlementOut(
        month=month,
        status=run.status,  # type: ignore[arg-type]
        residents=totals.residents,
        settled_residents=totals.settled_residents,
        cashback_credited=totals.cashback_credited,
        accrued=totals.accrued,
        adjustments_applied=totals.adjustments_applied,
        by_program={p: totals.by_program.get(p, 0) for p in policy.program_ids},
        by_funder=totals.by_funder(policy),
        auto_donations=totals.auto_donations,
        books_balanced=totals.books_balanced if completed else None,
        problems=list(totals.problems),
        progress=SettlementProgress(shards_done=run.shards_done, shards_total=run.shards_total),
        reports=run.reports,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def merchant_line(merchant_id: str, month: str) -> MerchantSettlementOut:
    """A merchant's own line of a settled month (zeros when it sold nothing)."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    store = composition.container().store
    run = store.get_run(month)
    if run is None or run.status != STATUS_COMPLETED:
        raise InvalidState(f"{month} is not settled yet")
    line = store.merchant_line(month, merchant_id) or MerchantLine()
    return MerchantSettlementOut(month=month, **merchant_line_dict(line))
