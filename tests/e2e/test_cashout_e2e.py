"""Money to and from the bank against the running local stack: the automatic top-up reaches the wallet through
the table's stream, which the stack's runner delivers to the function the cloud's stream invokes; a top-up goes
back to the bank and the rest is withdrawn."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Http, LocalStack, unique
from tests.support import business_number

pytestmark = pytest.mark.e2e


def shop(stack: LocalStack) -> str:
    staff = Http(stack, "staff", "e2e-staff")
    body = {"name": "자동충전 가게", "business_number": business_number(uuid.uuid4().int % 10**9), "dong": "청라1동",
            "category": "cafe", "benefit_plus": False}
    status, out = staff.call("POST", "/staff/merchants", body)
    assert status == 201, out
    return str(out["merchant_id"])


def wait_for_auto_charge(me: Http, seconds: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, auto = me.call("GET", "/wallet/auto-charge")
        assert status == 200, auto
        if auto["last"] is not None:
            return dict(auto["last"])
        time.sleep(0.5)
    raise AssertionError("no automatic top-up within a minute: the runner did not deliver the table's stream")


def test_a_payment_below_the_threshold_is_topped_up_by_the_stacks_runner_and_money_goes_back_to_the_bank(
    stack: LocalStack,
):
    merchant = shop(stack)
    me = Http(stack, "resident", unique("auto"))
    assert me.call("POST", "/wallet", {"dong": "청라1동", "agree_terms": True})[0] == 201
    status, charged = me.call("POST", "/wallet/charges", {"amount": 50_000}, key="c1")
    assert status == 201, charged
    assert me.call("PUT", "/wallet/auto-charge", {"mode": "below", "below": 20_000, "amount": 30_000})[0] == 200
    status, paid = me.call("POST", "/payments", {"merchant_id": merchant, "amount": 35_000, "use_cashback": False},
                           key="p1")
    assert status == 201, paid
    last = wait_for_auto_charge(me)
    assert (last["status"], last["amount"]) == ("charged", 30_000), last
    assert me.call("GET", "/wallet")[1]["charged_balance"] == 45_000
    # the automatic top-up goes back whole; then 35,000 of 50,000 charged is spent: the rest is withdrawn
    status, cancelled = me.call("POST", f"/wallet/charges/{last['charge_id']}/cancel")
    assert (status, cancelled["charged_balance"]) == (200, 15_000), cancelled
    status, out = me.call("POST", "/wallet/withdrawals", {}, key="w1")
    assert (status, out["amount"], out["charged_balance"]) == (201, 15_000, 0), out
    assert me.call("GET", "/wallet/auto-charge")[1]["mode"] == "off"
