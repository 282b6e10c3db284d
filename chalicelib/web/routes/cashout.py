"""Money to and from the bank: cancel a top-up, withdraw the charged balance, the automatic top-up (자동충전)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, Call, Routes
from chalicelib.web.schemas.cashout import (
    AutoChargeIn,
    AutoChargeLastOut,
    AutoChargeOut,
    CancelledChargeOut,
    WithdrawalIn,
    WithdrawalOut,
)

if TYPE_CHECKING:
    from chalicelib.handlers.autocharge import AutoChargeView

routes = Routes(__name__, "wallet")


def auto_out(view: AutoChargeView) -> AutoChargeOut:
    last = view.last
    return AutoChargeOut(
        mode=view.mode,  # type: ignore[arg-type]
        below=view.below, amount=view.amount,
        last=None if last is None else AutoChargeLastOut(
            at=last.at, amount=last.amount, status=last.status, reason=last.reason,  # type: ignore[arg-type]
            charge_id=last.charge_id),
    )  # fmt: skip


@routes.route("/wallet/charges/{charge_id}/cancel", "POST", role=RESIDENTS,
              summary="Cancel a top-up whole, back to the bank (until the end of the 7th day after it)",
              response=CancelledChargeOut, optional_key=True)
def cancel_charge(call: Call) -> CancelledChargeOut:
    from chalicelib.handlers import cashout

    c = cashout.cancel_charge(call.user.sub, call.params["charge_id"], call.idempotency_key)
    return CancelledChargeOut(charge_id=c.charge_id, status="cancelled", charged_balance=c.charged_balance)


@routes.route("/wallet/withdrawals", "POST", role=RESIDENTS,
              summary="Withdraw the charged balance to the bank (60 % of everything charged spent)",
              body=WithdrawalIn, response=WithdrawalOut, status=201, idempotent=True)
def withdraw(call: Call) -> WithdrawalOut:
    from chalicelib.handlers import cashout

    w = cashout.withdraw(call.user.sub, call.key)
    return WithdrawalOut(withdrawal_id=w.withdrawal_id, amount=w.amount, charged_balance=w.charged_balance,
                         kept_back=w.kept_back)


@routes.route("/wallet/auto-charge", "PUT", role=RESIDENTS, summary="Set the automatic top-up (자동충전), or turn it off",
              body=AutoChargeIn, response=AutoChargeOut)
def set_auto_charge(call: Call) -> AutoChargeOut:
    from chalicelib.handlers import autocharge

    b = call.body
    return auto_out(autocharge.put_auto(call.user.sub, b.mode, b.below, b.amount))


@routes.route("/wallet/auto-charge", "GET", role=RESIDENTS, summary="The automatic top-up and what it did last",
              response=AutoChargeOut)
def get_auto_charge(call: Call) -> AutoChargeOut:
    from chalicelib.handlers import autocharge

    return auto_out(autocharge.get_auto(call.user.sub))
