"""자동충전: the resident's setting, and the top-ups the table's stream starts.

`on_stream_batch` is what the table's stream invokes (app.py `auto_charge`; locally devstack/runner.py delivers the
stream to the same function). Each record that is a drop of a wallet (domain/autocharge.py `is_drop`) claims the
wallet's one top-up in flight, then makes it (`top_up`) through the same top-up as `POST /wallet/charges`
(handlers/topup.py): the payment whose write started it never waits, and never calls the bank. A record that
fails is reported and delivered again (Powertools partial batch response): the same drop asks the bank for the
same transfer. A top-up whose worker died is completed by the sweep (`resume_stuck`, from handlers/cashout.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from chalicelib import composition
from chalicelib.domain.autocharge import (
    CLAIM,
    PASS,
    REASON_BANK,
    REASON_NO_POLICY,
    STUCK_AFTER,
    WalletChange,
    claim,
    drop_charge_id,
    ended,
    is_drop,
    next_step,
    set_auto,
    skipped,
)
from chalicelib.domain.errors import BankUnavailable, NotFound
from chalicelib.domain.ledger import MOVE_AUTO_CHARGE
from chalicelib.domain.months import kst_iso
from chalicelib.domain.policy import policy_for
from chalicelib.domain.wallet import AUTO_CHARGED, AUTO_SKIPPED, AutoCharge, AutoChargeResult, Wallet, charge_refusal
from chalicelib.handlers.common import now, retrying
from chalicelib.handlers.topup import TopupRead, check_topup, stage_topup, want_topup
from chalicelib.observability import logger

SWEEP_PAGE = 100
IN_FLIGHT = "in_flight"
"""What `on_change` answers when the bank did not answer: the top-up stays claimed, for the sweep."""


@dataclass(frozen=True)
class AutoChargeView:
    """The setting as the resident reads it, and what the last automatic top-up did."""

    mode: str
    below: int | None
    amount: int | None
    last: AutoChargeResult | None


def _view(auto: AutoCharge) -> AutoChargeView:
    return AutoChargeView(auto.mode, auto.below, auto.amount, auto.last)


def _read(user_id: str) -> Wallet:
    r = composition.container().repos
    batch = r.store.batch()
    held = r.wallets.want(batch, user_id)
    batch.run()
    if held.value is None:
        raise NotFound("no wallet is open for this resident")
    return held.value


def get_auto(user_id: str) -> AutoChargeView:
    return _view(_read(user_id).auto)


def put_auto(user_id: str, mode: str, below: int | None, amount: int | None) -> AutoChargeView:
    """Turn the automatic top-up on or off (domain/autocharge.py `set_auto`): one versioned write of the wallet."""

    def attempt() -> AutoChargeView:
        wallet = _read(user_id)
        after = set_auto(wallet, mode, below, amount)
        r = composition.container().repos
        tx = r.store.tx()
        r.wallets.stage(tx, after, wallet.version)
        tx.commit()
        return _view(after.auto)

    return retrying(attempt, user_id)


# ---- the stream ----------------------------------------------------------------------------------


def on_stream_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The table's stream, a batch of records: each is handled on its own; the failed ones are reported, and
    Lambda delivers them (and the records after them) again."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    repos = composition.container().repos

    def record_handler(record: DynamoDBRecord) -> None:
        change = repos.cashouts.wallet_change(record.raw_event)
        if change is not None:
            on_change(change)

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))


def on_change(change: WalletChange) -> str:
    """A wallet's change: a drop claims the wallet's top-up and makes it (`charged` or `skipped`); anything else,
    or a drop already seen, is `pass`. A bank that does not answer leaves the top-up claimed (`in_flight`) for the
    sweep rather than failing the record, which would hold up the stream's other wallets."""
    if not is_drop(change):
        return PASS
    user_id, version = change.new.user_id, change.new.version
    charge_id = drop_charge_id(user_id, version)
    if retrying(partial(_claim, user_id, version, charge_id), user_id) == PASS:
        return PASS
    try:
        return top_up(user_id, charge_id)
    except BankUnavailable:
        # The claim stands: the sweep completes it, and the stream goes on with the other wallets meanwhile.
        logger().warning("the bank did not answer; the sweep completes the top-up", extra={"charge_id": charge_id})
        return IN_FLIGHT


def _claim(user_id: str, version: int, charge_id: str) -> str:
    """Claim the drop's top-up on the wallet (a versioned write): `claim` or `resume` to go on, `pass` to stop."""
    wallet = _read(user_id)
    step = next_step(wallet, version, charge_id)
    if step == CLAIM:
        r = composition.container().repos
        tx = r.store.tx()
        r.wallets.stage(tx, claim(wallet, charge_id, kst_iso(now())), wallet.version)
        tx.commit()
    return step


def top_up(user_id: str, charge_id: str) -> str:
    """Make the wallet's claimed top-up `charge_id` (its amount was fixed by the claim): `skipped` with the reason
    when a limit would break (the bank is not asked; a transfer an earlier attempt took is cancelled) or the bank
    declines; else `charged`, in one transaction that also ends the claim. `pass` when it is no longer in flight
    (a retry or the sweep finished it)."""
    c = composition.container()

    def attempt() -> str:
        at = now()
        stamp = kst_iso(at)
        batch = c.repos.store.batch()
        read = want_topup(batch, user_id, charge_id, at)
        batch.run()
        wallet = read.current
        amount = wallet.auto.in_flight_amount
        if wallet.auto.in_flight != charge_id or amount is None:
            return PASS
        refusal = _refusal(read, amount)
        if refusal is not None:
            c.bank.cancel(charge_id)   # an earlier attempt may have taken the money before a limit closed
        else:
            transfer = c.bank.withdraw(charge_id, user_id, amount)
            if transfer.approved:
                result = AutoChargeResult(stamp, amount, AUTO_CHARGED, charge_id=charge_id)
                tx = c.repos.store.tx()
                stage_topup(tx, read, check_topup(read, amount, charge_id, MOVE_AUTO_CHARGE, at),
                            lambda after: ended(after, result))
                tx.commit()
                return AUTO_CHARGED
            refusal = REASON_BANK
        tx = c.repos.store.tx()
        c.repos.wallets.stage(tx, skipped(wallet, stamp, refusal), wallet.version)
        tx.commit()
        logger().info("automatic top-up skipped", extra={"charge_id": charge_id, "reason": refusal})
        return AUTO_SKIPPED

    return retrying(attempt, user_id)


def _refusal(read: TopupRead, amount: int) -> str | None:
    """Why the top-up cannot be made now: a month without a policy, or the limit it would break."""
    policy = policy_for(read.month, composition.container().policies.all())
    if policy is None:
        return REASON_NO_POLICY
    refused = charge_refusal(read.current, read.counters.value, amount, policy)
    return None if refused is None else refused[0]


def resume_stuck(deadline: float) -> int:
    """Complete every top-up in flight for longer than `STUCK_AFTER` (its worker was lost), until the monotonic
    `deadline`; how many were completed. A bank that does not answer ends the run (the next sweep goes on)."""
    r = composition.container().repos
    before = kst_iso(now() - STUCK_AFTER)
    resumed = 0
    done: set[str] = set()
    while fresh := [w for w in r.cashouts.auto_charges_in_flight(before, SWEEP_PAGE) if w.user_id not in done]:
        for wallet in fresh:
            done.add(wallet.user_id)
            try:
                if wallet.auto.in_flight is not None and top_up(wallet.user_id, wallet.auto.in_flight) != PASS:
                    resumed += 1
            except BankUnavailable:
                logger().warning("the bank did not answer; automatic top-ups wait for the next sweep")
                return resumed
            if time.monotonic() > deadline:
                return resumed
    return resumed
