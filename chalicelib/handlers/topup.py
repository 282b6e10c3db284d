"""A top-up, written once for both kinds: the resident's own (`POST /wallet/charges`, handlers/wallet.py) and the
automatic one (handlers/autocharge.py).

`want_topup` asks for the wallet, the month's counters and the top-up's record in the caller's batch; `check_topup`
computes the top-up (the two limits, `apply_charge`); the caller asks the bank for the money (once per charge id)
and `stage_topup` stages the wallet, the month, the ledger movement and the record into the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib import composition
from chalicelib.domain.errors import NotFound
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.domain.wallet import ChargeOutcome, ChargeRecord, ResidentMonth, Wallet, apply_charge
from chalicelib.handlers.common import new_id, policy_in_force


@dataclass(frozen=True)
class TopupRead:
    """What a top-up needs, read in the caller's batch: the wallet, this month's counters, the record of the
    charge id (None: not made yet)."""

    user_id: str
    month: str
    wallet: Slot[Wallet | None]
    counters: Slot[ResidentMonth]
    record: Slot[ChargeRecord | None]

    @property
    def current(self) -> Wallet:
        if self.wallet.value is None:
            raise NotFound("no wallet is open for this resident")
        return self.wallet.value


def want_topup(batch: Batch, user_id: str, charge_id: str, at: datetime) -> TopupRead:
    r = composition.container().repos
    month = month_of(at)
    return TopupRead(user_id, month, r.wallets.want(batch, user_id), r.wallets.want_month(batch, user_id, month),
                     r.cashouts.want_charge(batch, user_id, charge_id))


def check_topup(read: TopupRead, amount: int, charge_id: str, kind: str, at: datetime) -> ChargeOutcome:
    """The top-up as it would be now; a limit it breaks refuses it whole (`LimitExceeded`), a month without a
    policy too (`InvalidState`)."""
    return apply_charge(read.current, read.counters.value, amount, policy_in_force(read.month), charge_id=charge_id,
                        movement_id=new_id("mv"), at=kst_iso(at), kind=kind)


def stage_topup(tx: Tx, read: TopupRead, outcome: ChargeOutcome,
                finish: Callable[[Wallet], Wallet] | None = None) -> ChargeOutcome:
    """Stage the top-up the bank has paid: wallet (as `finish` leaves it), month, movement and record."""
    r = composition.container().repos
    wallet = outcome.wallet if finish is None else finish(outcome.wallet)
    r.wallets.stage(tx, wallet, read.current.version)
    r.wallets.stage_month(tx, outcome.month, read.counters.value.version)
    r.wallets.stage_movement(tx, outcome.movement)
    r.cashouts.stage_charge(tx, outcome.record, 0)
    return replace(outcome, wallet=wallet)
