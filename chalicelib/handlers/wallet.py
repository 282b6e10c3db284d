"""Opening, reading and charging the resident's wallet."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib import composition
from chalicelib.domain.budget import budgeted, left
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound, ValidationFailed
from chalicelib.domain.ledger import MOVE_CHARGE
from chalicelib.domain.meter import MeterLine, meter
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.policy import Policy, policy_for
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.handlers.common import now, policy_in_force
from chalicelib.handlers.topup import check_topup, stage_topup, want_topup
from chalicelib.handlers.unit import Once, Unit, write_once


@dataclass(frozen=True)
class WalletView:
    """The wallet with this month's counters and the policy in force (and what each budgeted program has left,
    for the meter)."""

    wallet: Wallet
    month: ResidentMonth
    policy: Policy
    budget_left: Mapping[str, int] = field(default_factory=dict)

    @property
    def meter(self) -> list[MeterLine]:
        """The live meter: per program, the rate of the next eligible won and the way to the next tier."""
        return meter(self.policy, self.month, self.budget_left)


@dataclass(frozen=True)
class Charge:
    """A top-up as the resident sees it."""

    charge_id: str
    amount: int
    charged_balance: int


def open_wallet(user_id: str, dong: str, agree_terms: bool) -> WalletView:
    """One wallet per resident, in one of the 22 dongs, with the terms agreed."""
    problems = []
    if not is_dong(dong):
        problems.append("dong: must be one of the 22 dongs of Seo-gu")
    if agree_terms is not True:
        problems.append("agree_terms: the terms must be agreed (true)")
    if problems:
        raise ValidationFailed("; ".join(problems))
    at = now()
    month = month_of(at)
    policy = policy_in_force(month)
    wallet = Wallet(user_id=user_id, dong=dong, created_at=kst_iso(at), version=1)
    r = composition.container().repos
    r.wallets.open(wallet)
    budget_left: dict[str, int] = {}
    if budgeted(policy):  # only then has the meter a budget to read (one BatchGetItem of the slices)
        batch = r.store.batch()
        used = r.budgets.want(batch, month, budgeted(policy))
        batch.run()
        budget_left = left(policy, used.value)
    return WalletView(wallet, ResidentMonth(user_id, month), policy, budget_left)


def get_wallet(user_id: str) -> WalletView:
    """Balances plus this month's eligible spend, pending cashback per program and the meter (one read: the
    wallet, the month's counters and, for a policy with budgets, their slices)."""
    month = month_of(now())
    r = composition.container().repos
    known = policy_for(month, composition.container().policies.all())
    batch = r.store.batch()
    wallet = r.wallets.want(batch, user_id)
    counters = r.wallets.want_month(batch, user_id, month)
    used = r.budgets.want(batch, month, budgeted(known) if known else [])
    batch.run()
    if wallet.value is None:
        raise NotFound("no wallet is open for this resident")
    policy = policy_in_force(month)
    return WalletView(wallet.value, counters.value, policy, left(policy, used.value))


def charge(user_id: str, amount: int, key: str) -> Charge:
    """Top up from the linked bank account, within the monthly charge limit and the balance limit.

    The bank transfer id is derived from the caller, the key and the request, so a retry re-uses the
    same transfer (the bank pays once); a charge refused after the transfer cancels it. The top-up's record
    (handlers/topup.py) is written with it, so it can be cancelled; a key whose stored answer expired (24 h)
    finds the record and charges nothing again.
    """
    c = composition.container()
    once = Once.of(Charge, user_id, "charge", key, {"amount": amount})
    transfer_id = "chg_" + hashlib.sha256(f"{once.record_id}|{once.request_hash}".encode()).hexdigest()[:32]
    withdrawn = False

    def attempt(u: Unit[Charge]) -> Charge:
        nonlocal withdrawn
        at = now()
        read = want_topup(u.batch, user_id, transfer_id, at)
        if (replayed := u.read()) is not None:
            return replayed
        if read.record.value is not None:
            raise Conflict("this Idempotency-Key's top-up was made more than 24 hours ago; use a new key")
        outcome = check_topup(read, amount, transfer_id, MOVE_CHARGE, at)
        transfer = c.bank.withdraw(transfer_id, user_id, amount)
        withdrawn = True
        if not transfer.approved:
            raise Conflict(f"the bank declined the transfer: {transfer.reason}")
        stage_topup(u.tx, read, outcome)
        return u.commit(Charge(transfer_id, amount, outcome.wallet.charged_balance))

    try:
        return write_once(once, attempt, lock=user_id)
    except (LimitExceeded, Conflict):
        if withdrawn:
            c.bank.cancel(transfer_id)
        raise
