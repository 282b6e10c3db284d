"""The resident's wallet: open it, read it, top it up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, Call, Routes
from chalicelib.web.schemas.wallet import (
    ChargeIn,
    ChargeOut,
    LimitsOut,
    MeterLineOut,
    MonthOut,
    OpenWalletIn,
    WalletOut,
)

if TYPE_CHECKING:
    from chalicelib.handlers.wallet import WalletView

routes = Routes(__name__, "wallet")


def wallet_out(view: WalletView) -> WalletOut:
    w, month, policy = view.wallet, view.month, view.policy
    return WalletOut(
        user_id=w.user_id,
        dong=w.dong,
        charged_balance=w.charged_balance,
        cashback_balance=w.cashback_balance,
        adjustment_due=w.adjustment_due,
        month=MonthOut(
            month=month.month,
            eligible_spend=month.eligible_spend,
            charged=month.charged,
            pending_cashback=month.pending_cashback,
            pending_by_program={p: month.pending.get(p, 0) for p in policy.program_ids},
            meter=[MeterLineOut(program_id=m.program_id, applies_to=m.applies_to, eligible_spend=m.eligible_spend,
                                rate_bp=m.rate_bp, until_next=m.until_next, next_rate_bp=m.next_rate_bp)
                   for m in view.meter],
        ),
        limits=LimitsOut(monthly_charge_limit=policy.monthly_charge_limit, balance_limit=policy.balance_limit),
    )


@routes.route("/wallet", "POST", role=RESIDENTS, summary="Open the wallet", body=OpenWalletIn,
              response=WalletOut, status=201)
def open_wallet(call: Call) -> WalletOut:
    from chalicelib.handlers import wallet

    return wallet_out(wallet.open_wallet(call.user.sub, call.body.dong, call.body.agree_terms))


@routes.route("/wallet", "GET", role=RESIDENTS, summary="Balances and this month's cashback", response=WalletOut)
def get_wallet(call: Call) -> WalletOut:
    from chalicelib.handlers import wallet

    return wallet_out(wallet.get_wallet(call.user.sub))


@routes.route("/wallet/charges", "POST", role=RESIDENTS, summary="Top up from the bank", body=ChargeIn,
              response=ChargeOut, status=201, idempotent=True)
def charge_wallet(call: Call) -> ChargeOut:
    from chalicelib.handlers import wallet

    c = wallet.charge(call.user.sub, call.body.amount, call.key)
    return ChargeOut(charge_id=c.charge_id, amount=c.amount, charged_balance=c.charged_balance)
