"""A program's monthly budget under concurrency, end to end on the local stack: the sharded budget counter
grants exactly the budget, never more, however many payments race for the last of it, and a refund gives
its grant back.

The budgeted policy is published for 2021-06 only; 2021-07 gets the Season 2 policy back (no budgets), so
every later month (real time, which other e2e tests use) is unchanged. The clock is always given back.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Http, LocalStack, unique
from tests.support import SEASON2_PROGRAMS, business_number

pytestmark = pytest.mark.e2e

BUDGET_MONTH = "2021-06"
RESTORED_MONTH = "2021-07"
CITY_BUDGET = 50_000
RESIDENTS = 40
CHARGE = 200_000
PAYMENT = 100_000
SETUP_WORKERS = 8

LIMITS = {"monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}





def register(stack: LocalStack) -> str:
    """A plain merchant with a business number no other test uses (a random seed)."""
    staff = Http(stack, "staff", "e2e-budget-staff")
    body = {"name": "예산 가게", "business_number": business_number(uuid.uuid4().int % 10**9), "dong": "마전동",
            "category": "grocery", "benefit_plus": False}
    status, out = staff.call("POST", "/staff/merchants", body)
    assert status == 201, out
    return str(out["merchant_id"])


def policy(city_budget: int | None) -> dict[str, Any]:
    """The Season 2 policy document, with a monthly budget on city-base when one is given."""
    programs = [dict(p) for p in SEASON2_PROGRAMS]
    if city_budget is not None:
        programs[0]["monthly_budget"] = city_budget
    return {"programs": programs, **LIMITS}


def programs_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["program_id"]: p for p in doc["programs"]}


def open_and_charge(stack: LocalStack, _: int) -> Http:
    me = Http(stack, "resident", unique("budget-resident"))
    status, wallet = me.call("POST", "/wallet", {"dong": "마전동", "agree_terms": True})
    assert status == 201, wallet
    status, out = me.call("POST", "/wallet/charges", {"amount": CHARGE}, key=unique("charge"))
    assert (status, out["charged_balance"]) == (201, CHARGE), out
    return me


def test_racing_payments_grant_exactly_the_monthly_budget_and_a_refund_gives_its_grant_back(stack: LocalStack):
    staff = Http(stack, "staff", "e2e-budget-staff")
    approver = Http(stack, "staff", "e2e-budget-approver")
    try:
        stack.set_clock("2021-05-20T12:00:00+09:00")
        status, budgeted = staff.call("PUT", f"/staff/policies/{BUDGET_MONTH}", policy(CITY_BUDGET))
        assert status == 202 and budgeted["status"] == "proposed", budgeted
        assert budgeted["effective_month"] == BUDGET_MONTH
        assert programs_of(budgeted)["city-base"]["monthly_budget"] == CITY_BUDGET
        status, approved = approver.call("POST", f"/staff/policies/{BUDGET_MONTH}/approve")
        assert status == 200 and approved["status"] == "approved", approved
        # the month after goes back to no budgets, so nothing after June inherits this test's budget
        status, restored = staff.call("PUT", f"/staff/policies/{RESTORED_MONTH}", policy(None))
        assert status == 202, restored
        assert all(p["monthly_budget"] is None for p in restored["programs"])
        assert approver.call("POST", f"/staff/policies/{RESTORED_MONTH}/approve")[0] == 200

        stack.set_clock("2021-06-10T12:00:00+09:00")
        status, current = staff.call("GET", "/policies/current")
        assert status == 200, current
        city = programs_of(current)["city-base"]
        assert (current["effective_month"], city["monthly_budget"], city["budget_remaining"]) == (
            BUDGET_MONTH, CITY_BUDGET, CITY_BUDGET)
        assert programs_of(current)["gu-extra"]["monthly_budget"] is None

        shop = register(stack)
        with ThreadPoolExecutor(max_workers=SETUP_WORKERS) as pool:
            residents = list(pool.map(lambda i: open_and_charge(stack, i), range(RESIDENTS)))

        # Each would accrue 4,000 city-base without a budget: 160,000 asked of a 50,000 budget, all at once.
        start = threading.Barrier(RESIDENTS)

        def pay(me: Http) -> tuple[int, Any]:
            start.wait(timeout=30)
            return me.call("POST", "/payments", {"merchant_id": shop, "amount": PAYMENT}, key=unique("pay"))

        with ThreadPoolExecutor(max_workers=RESIDENTS) as pool:
            results = list(pool.map(pay, residents))
        refused = [(s, b) for s, b in results if s != 201]
        # a payment is refused only for a business reason, never because another request raced it
        assert not refused, f"{len(refused)} of {RESIDENTS} racing payments refused, e.g. {refused[0]}"
        payments = [b for _, b in results]
        grants = [p["cashback"]["city-base"] for p in payments]
        assert sum(grants) == CITY_BUDGET, grants
        assert all(0 <= g <= 4_000 for g in grants), grants
        assert [p["cashback"]["gu-extra"] for p in payments] == [1_000] * RESIDENTS
        assert [p["cashback"]["benefit-plus"] for p in payments] == [0] * RESIDENTS
        assert [p["paid"] for p in payments] == [PAYMENT] * RESIDENTS

        status, current = staff.call("GET", "/policies/current")
        assert status == 200, current
        city = programs_of(current)["city-base"]
        assert (city["monthly_budget"], city["budget_remaining"]) == (CITY_BUDGET, 0), city
        assert programs_of(current)["gu-extra"]["budget_remaining"] is None

        # each resident's pending cashback is what its payment was granted
        for me, payment in zip(residents, payments, strict=True):
            status, w = me.call("GET", "/wallet")
            assert status == 200, w
            assert w["month"]["pending_by_program"] == payment["cashback"], (w, payment)

        # A merchant refund of a payment that was granted city-base gives that grant back to the budget.
        granted = max(range(RESIDENTS), key=lambda i: grants[i])
        given_back = grants[granted]
        assert given_back > 0
        owner = Http(stack, "merchant", unique("budget-owner"), merchant_id=shop)
        status, refunded = owner.call("POST", f"/merchant/payments/{payments[granted]['payment_id']}/refunds", {},
                                      key=unique("refund"))
        assert (status, refunded["status"], refunded["refunded"]) == (200, "refunded", PAYMENT), refunded
        status, current = staff.call("GET", "/policies/current")
        assert status == 200, current
        assert programs_of(current)["city-base"]["budget_remaining"] == given_back
        status, w = residents[granted].call("GET", "/wallet")
        assert w["month"]["pending_by_program"] == {"city-base": 0, "gu-extra": 0, "benefit-plus": 0}, w

        # ... and the next payment may use it: a resident whose payment got nothing pays 50,000 more
        # (counter 100,000 → 150,000: 2,000 due), granted at most what came back.
        unlucky = next(i for i in range(RESIDENTS) if grants[i] == 0)
        status, later = residents[unlucky].call("POST", "/payments", {"merchant_id": shop, "amount": 50_000},
                                                key=unique("pay"))
        assert status == 201, later
        assert later["cashback"]["city-base"] == min(2_000, given_back)
        status, current = staff.call("GET", "/policies/current")
        assert programs_of(current)["city-base"]["budget_remaining"] == given_back - min(2_000, given_back)
    finally:
        stack.reset_clock()
