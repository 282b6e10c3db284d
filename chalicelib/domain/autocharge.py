"""자동충전, the automatic top-up: "when my charged balance falls below X, top up Y from my bank".

The trigger is the wallet's own change, as the table's stream delivers it (handlers/autocharge.py): a change that
lowers the charged balance and leaves it below X is a drop. A drop is topped up once: its charge id is derived
from the wallet's version the drop made, so however often it is delivered the bank is asked for one transfer. At
most one top-up is in flight per wallet: it is claimed on the wallet (`in_flight`) before the bank is asked, and
a drop the wallet's automatic top-up has already seen (`seen`: the version of its last claim or result, or of a
change that must not be topped up again, like a cancelled top-up) is let pass. The top-up itself is a top-up
like any other (domain/wallet.py `apply_charge`, kind `auto_charge`): it counts in the month's `charged`, obeys
both limits and can be cancelled. A limit it would break, or the bank's refusal, skips it; the wallet records
what the last one did (`last`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.wallet import AUTO_BELOW, AUTO_OFF, AUTO_SKIPPED, AutoChargeResult, Wallet

MIN_AMOUNT = 10_000
MAX_AMOUNT = 1_000_000
"""What one automatic top-up charges: 10,000 to 1,000,000 won (API.md)."""
MIN_BELOW = 1_000
MAX_BELOW = 1_000_000
"""The threshold: 1,000 won (below that a top-up would come only once the wallet is all but empty) to 1,000,000
won (half the balance limit: a higher one would leave no room for the top-up)."""
MODES = (AUTO_BELOW, AUTO_OFF)
STUCK_AFTER = timedelta(minutes=5)
"""A top-up claimed this long ago and still in flight has lost its worker (a function runs at most a minute):
the sweep completes it."""

REASON_BANK = "bank_declined"
REASON_NO_POLICY = "no_policy"
"""Why a top-up was skipped, besides the two limits (`monthly_charge_limit`, `balance_limit`)."""

CLAIM = "claim"
RESUME = "resume"
PASS = "pass"


def set_auto(wallet: Wallet, mode: str, below: int | None, amount: int | None) -> Wallet:
    """Turn the automatic top-up on (`below` and `amount`, within their bounds) or off (neither). Changing it never
    charges by itself: the first top-up comes with the next movement that lowers the balance below `below`. A top-up
    in flight finishes; `last` stays."""
    if mode not in MODES:
        raise ValidationFailed("mode: must be below or off")
    if mode == AUTO_OFF:
        if below is not None or amount is not None:
            raise ValidationFailed("below and amount: only with mode 'below'")
    elif below is None or amount is None:
        raise ValidationFailed("below and amount: both required with mode 'below'")
    elif not MIN_BELOW <= below <= MAX_BELOW or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ValidationFailed(f"below: {MIN_BELOW:,}-{MAX_BELOW:,} won; amount: {MIN_AMOUNT:,}-{MAX_AMOUNT:,} won")
    return replace(wallet, version=wallet.version + 1, auto=replace(wallet.auto, mode=mode, below=below, amount=amount))


@dataclass(frozen=True)
class WalletChange:
    """One write of a wallet, as the table's stream tells it: before (None: it was created) and after."""

    old: Wallet | None
    new: Wallet


def is_drop(change: WalletChange) -> bool:
    """A change is a drop when the automatic top-up is on, the change lowered the charged balance, left it below
    the threshold, and happened while no top-up was in flight (one in flight covers it). A change that raises the
    balance (a refund, a top-up, the automatic one itself) never is, even if the balance stays below."""
    old, new = change.old, change.new
    return (old is not None and new.auto.mode == AUTO_BELOW and new.auto.below is not None
            and new.auto.in_flight is None and new.charged_balance < new.auto.below
            and new.charged_balance < old.charged_balance)


def drop_charge_id(user_id: str, version: int) -> str:
    """The charge id (and bank transfer id) of the top-up for the drop that made the wallet's version `version`."""
    return "auto_" + hashlib.sha256(f"{user_id}#{version}".encode()).hexdigest()[:32]


def next_step(current: Wallet, drop_version: int, charge_id: str) -> str:
    """What a delivered drop asks for, judged on the wallet as it is now: `resume` its own top-up (claimed by an
    earlier delivery that stopped); `pass` when another top-up is in flight, when the automatic top-up has seen a
    later state (a top-up was made or skipped since: once per drop), when it was turned off, or when the balance
    is back at or above the threshold; else `claim` it."""
    auto = current.auto
    if auto.in_flight == charge_id:
        return RESUME
    if auto.in_flight is not None or drop_version <= auto.seen:
        return PASS
    if auto.mode != AUTO_BELOW or auto.below is None or auto.amount is None or current.charged_balance >= auto.below:
        return PASS
    return CLAIM


def claim(wallet: Wallet, charge_id: str, at: str) -> Wallet:
    """The top-up of a drop in flight: one per wallet (the claim is a versioned write of the wallet)."""
    return replace(wallet, version=wallet.version + 1,
                   auto=replace(wallet.auto, in_flight=charge_id, in_flight_amount=wallet.auto.amount,
                                in_flight_since=at, seen=wallet.version + 1))


def ended(wallet: Wallet, result: AutoChargeResult) -> Wallet:
    """The wallet as it is written at the end of a top-up (its version already counted by the caller): nothing in
    flight, the result recorded, and every change up to this one seen."""
    return replace(wallet, auto=replace(wallet.auto, in_flight=None, in_flight_amount=None, in_flight_since=None,
                                        seen=wallet.version, last=result))


def skipped(wallet: Wallet, at: str, reason: str) -> Wallet:
    """A top-up skipped (a limit, the bank, no policy): the wallet records why; its balances do not change."""
    amount = wallet.auto.in_flight_amount or 0
    return ended(replace(wallet, version=wallet.version + 1), AutoChargeResult(at, amount, AUTO_SKIPPED, reason))


def stuck(wallet: Wallet, now: datetime) -> bool:
    """A top-up in flight whose claim is older than `STUCK_AFTER`."""
    since = wallet.auto.in_flight_since
    return wallet.auto.in_flight is not None and since is not None and (
        datetime.fromisoformat(since) + STUCK_AFTER <= now)
