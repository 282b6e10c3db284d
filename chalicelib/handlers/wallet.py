"""Opening, reading and charging the resident's wallet."""

from __future__ import annotations

import hashlib

from chalicelib import composition
from chalicelib.auth import Principal
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound, ValidationFailed
from chalicelib.domain.idempotency import StoredResponse, fingerprint, record_id, replay
from chalicelib.domain.ledger import MOVE_CHARGE, Movement
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.wallet import ResidentMonth, Wallet, apply_charge
from chalicelib.handlers.common import new_id, now, policy_in_force, retrying, to_json
from chalicelib.handlers.presenters import wallet_out
from chalicelib.schemas import ChargeIn, ChargeOut, OpenWalletIn, WalletOut
from chalicelib.storage.dynamo import Writes
from chalicelib.web import Result


def open_wallet(user: Principal, body: OpenWalletIn) -> WalletOut:
    """One wallet per resident, in one of the 22 dongs, with the terms agreed."""
    problems = []
    if not is_dong(body.dong):
        problems.append("dong: must be one of the 22 dongs of Seo-gu")
    if body.agree_terms is not True:
        problems.append("agree_terms: the terms must be agreed (true)")
    if problems:
        raise ValidationFailed("; ".join(problems))
    at = now()
    month = month_of(at)
    policy = policy_in_force(month)
    wallet = Wallet(user_id=user.sub, dong=body.dong, created_at=kst_iso(at), version=1)
    composition.container().store.open_wallet(wallet)
    return wallet_out(wallet, ResidentMonth(user.sub, month), policy)


def get_wallet(user: Principal) -> WalletOut:
    """Balances plus this month's eligible spend and pending cashback per program (one read)."""
    month = month_of(now())
    loaded = composition.container().store.load(user_id=user.sub, month=month)
    if loaded.wallet is None or loaded.month is None:
        raise NotFound("no wallet is open for this resident")
    return wallet_out(loaded.wallet, loaded.month, policy_in_force(month))


def charge(user: Principal, body: ChargeIn, key: str) -> Result:
    """Top up from the linked bank account, within the monthly charge limit and the balance limit.

    The bank transfer id is derived from the caller, the key and the request, so a retry re-uses the
    same transfer (the bank pays once); a charge refused after the transfer cancels it.
    """
    c = composition.container()
    idem_id = record_id(user.sub, "charge", key)
    request_hash = fingerprint("/wallet/charges", body.model_dump())
    transfer_id = "chg_" + hashlib.sha256(f"{idem_id}|{request_hash}".encode()).hexdigest()[:32]
    withdrawn = False

    def attempt() -> Result:
        nonlocal withdrawn
        at = now()
        month = month_of(at)
        loaded = c.store.load(user_id=user.sub, month=month, idem_id=idem_id)
        if loaded.idem is not None:
            return Result(*replay(loaded.idem, request_hash))
        if loaded.wallet is None or loaded.month is None:
            raise NotFound("no wallet is open for this resident")
        outcome = apply_charge(loaded.wallet, loaded.month, body.amount, policy_in_force(month))
        transfer = c.bank.withdraw(transfer_id, user.sub, body.amount)
        withdrawn = True
        if not transfer.approved:
            raise Conflict(f"the bank declined the transfer: {transfer.reason}")
        out = ChargeOut(
            charge_id=transfer_id, amount=body.amount, charged_balance=outcome.wallet.charged_balance
        ).model_dump()
        stamp = kst_iso(at)
        c.store.commit(
            Writes(
                wallets=[(outcome.wallet, loaded.wallet.version)],
                months=[(outcome.month, loaded.month.version)],
                movements=[Movement(user.sub, new_id("mv"), MOVE_CHARGE, transfer_id, body.amount, 0, stamp)],
                idem=StoredResponse(idem_id, request_hash, 201, to_json(out)),
            ),
            int(at.timestamp()),
        )
        return Result(201, out)

    try:
        return retrying(attempt, user.sub)
    except (LimitExceeded, Conflict):
        if withdrawn:
            c.bank.cancel(transfer_id)
        raise
