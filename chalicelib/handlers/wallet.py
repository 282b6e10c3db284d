"""Opening, reading and charging the resident's wallet."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib import composition
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound, ValidationFailed
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.policy import Policy
from chalicelib.domain.wallet import ResidentMonth, Wallet, apply_charge
from chalicelib.handlers.common import new_id, now, policy_in_force
from chalicelib.handlers.unit import Once, Unit, write_once


@dataclass(frozen=True)
class WalletView:
    """The wallet with this month's counters and the policy in force."""

    wallet: Wallet
    month: ResidentMonth
    policy: Policy


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
    composition.container().repos.wallets.open(wallet)
    return WalletView(wallet, ResidentMonth(user_id, month), policy)


def get_wallet(user_id: str) -> WalletView:
    """Balances plus this month's eligible spend and pending cashback per program (one read)."""
    month = month_of(now())
    r = composition.container().repos
    batch = r.store.batch()
    wallet = r.wallets.want(batch, user_id)
    counters = r.wallets.want_month(batch, user_id, month)
    batch.run()
    if wallet.value is None:
        raise NotFound("no wallet is open for this resident")
    return WalletView(wallet.value, counters.value, policy_in_force(month))


def charge(user_id: str, amount: int, key: str) -> Charge:
    """Top up from the linked bank account, within the monthly charge limit and the balance limit.

    The bank transfer id is derived from the caller, the key and the request, so a retry re-uses the
    same transfer (the bank pays once); a charge refused after the transfer cancels it.
    """
    c = composition.container()
    once = Once.of(Charge, user_id, "charge", key, {"amount": amount})
    transfer_id = "chg_" + hashlib.sha256(f"{once.record_id}|{once.request_hash}".encode()).hexdigest()[:32]
    withdrawn = False

    def attempt(u: Unit[Charge]) -> Charge:
        nonlocal withdrawn
        at = now()
        month = month_of(at)
        held = c.repos.wallets.want(u.batch, user_id)
        counters = c.repos.wallets.want_month(u.batch, user_id, month)
        if (replayed := u.read()) is not None:
            return replayed
        wallet = held.value
        if wallet is None:
            raise NotFound("no wallet is open for this resident")
        outcome = apply_charge(wallet, counters.value, amount, policy_in_force(month), charge_id=transfer_id,
                               movement_id=new_id("mv"), at=kst_iso(at))
        transfer = c.bank.withdraw(transfer_id, user_id, amount)
        withdrawn = True
        if not transfer.approved:
            raise Conflict(f"the bank declined the transfer: {transfer.reason}")
        c.repos.wallets.stage(u.tx, outcome.wallet, wallet.version)
        c.repos.wallets.stage_month(u.tx, outcome.month, counters.value.version)
        c.repos.wallets.stage_movement(u.tx, outcome.movement)
        return u.commit(Charge(transfer_id, amount, outcome.wallet.charged_balance))

    try:
        return write_once(once, attempt, lock=user_id)
    except (LimitExceeded, Conflict):
        if withdrawn:
            c.bank.cancel(transfer_id)
        raise
