"""Monthly settlement end to end on the local stack: close a month by moving the local clock, start the
settlement over HTTP, watch the SQS fan-out complete, and read the cashback, the lines and the reports.

The month is 2021-03 and no other e2e test has activity in it, so the month's totals are exactly this
test's residents'. The clock is always given back to real time.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Http, LocalStack, unique
from tests.support import business_number

pytestmark = pytest.mark.e2e

MONTH = "2021-03"
SETTLE_TIMEOUT = 120.0
REPORTS_BUCKET = "seoro-reports-local"
REPORT_FILES = ("summary.json", "funders.csv", "merchants.csv", "dongs.csv")





def register(stack: LocalStack, **fields: Any) -> str:
    """A merchant with a business number no other test uses (a random seed, not test_spine's counter)."""
    staff = Http(stack, "staff", "e2e-settle-staff")
    body = {"name": "정산 가게", "business_number": business_number(uuid.uuid4().int % 10**9), "dong": "가정2동",
            "category": "restaurant", "benefit_plus": False, **fields}
    status, out = staff.call("POST", "/staff/merchants", body)
    assert status == 201, out
    return str(out["merchant_id"])


def resident(stack: LocalStack, dong: str, charge: int) -> Http:
    me = Http(stack, "resident", unique("settle-resident"))
    status, wallet = me.call("POST", "/wallet", {"dong": dong, "agree_terms": True})
    assert status == 201, wallet
    status, out = me.call("POST", "/wallet/charges", {"amount": charge}, key=unique("charge"))
    assert (status, out["charged_balance"]) == (201, charge), out
    return me


def pay(me: Http, merchant_id: str, amount: int) -> dict[str, Any]:
    status, payment = me.call("POST", "/payments", {"merchant_id": merchant_id, "amount": amount}, key=unique("pay"))
    assert status == 201, payment
    return dict(payment)


def wait_until_settled(staff: Http, month: str, timeout: float = SETTLE_TIMEOUT) -> dict[str, Any]:
    """Poll the run until it is completed (or failed), within a bounded time."""
    deadline = time.monotonic() + timeout
    seen: Any = None
    while time.monotonic() < deadline:
        status, seen = staff.call("GET", f"/staff/settlements/{month}")
        assert status == 200, seen
        if seen["status"] in ("completed", "failed"):
            return dict(seen)
        time.sleep(0.5)
    raise AssertionError(f"the settlement of {month} did not complete within {timeout:.0f} s: {seen}")


def settlement_totals(run: dict[str, Any]) -> dict[str, Any]:
    """What a run reports that must not change from one run of the month to the next."""
    return {k: run[k] for k in ("by_program", "by_funder", "by_dong", "accrued", "cashback_credited",
                                "adjustments_applied", "auto_donations")}


def test_a_month_closed_by_the_local_clock_is_settled_over_http_and_credits_cashback_once(stack: LocalStack):
    staff = Http(stack, "staff", "e2e-settle-staff")
    try:
        stack.set_clock("2021-03-15T10:00:00+09:00")
        plain = register(stack)
        bplus = register(stack, benefit_plus=True, discount_rate=5)

        # A: plain 200,000, then Benefit Plus 100,000 (paid 95,000), then 15,000 of that refunded.
        alice = resident(stack, "가정2동", 400_000)
        p1 = pay(alice, plain, 200_000)
        assert p1["cashback"] == {"city-base": 8_000, "gu-extra": 2_000, "benefit-plus": 0}
        p2 = pay(alice, bplus, 100_000)
        assert (p2["discount"], p2["paid"], p2["from_charged"]) == (5_000, 95_000, 95_000)
        # counter 200,000 → 295,000: city-base 4 %, gu-extra 1 %, benefit-plus 2 % of 95,000
        assert p2["cashback"] == {"city-base": 3_800, "gu-extra": 950, "benefit-plus": 1_900}
        shop = Http(stack, "merchant", unique("settle-owner"), merchant_id=bplus)
        status, refunded = shop.call("POST", f"/merchant/payments/{p2['payment_id']}/refunds", {"amount": 15_000},
                                     key=unique("refund"))
        assert (status, refunded["status"], refunded["refunded"]) == (200, "partially_refunded", 15_000), refunded
        # alice's counters: 280,000 everywhere, benefit-plus 80,000
        # → city-base F(280k) = 11,200; gu-extra F(280k) = 2,800; benefit-plus F(80k) = 1,600
        status, w = alice.call("GET", "/wallet")
        assert status == 200
        assert w["charged_balance"] == 400_000 - 200_000 - 95_000 + 15_000
        assert w["month"]["month"] == MONTH and w["month"]["eligible_spend"] == 280_000
        assert w["month"]["pending_by_program"] == {"city-base": 11_200, "gu-extra": 2_800, "benefit-plus": 1_600}

        # B: plain 400,000 straddles the first city-base tier: 300,000 × 4 % + 100,000 × 2 % = 14,000
        bob = resident(stack, "원당동", 500_000)
        p3 = pay(bob, plain, 400_000)
        assert p3["cashback"] == {"city-base": 14_000, "gu-extra": 4_000, "benefit-plus": 0}

        # Nothing is settled yet, and a month that has not closed cannot be.
        assert staff.call("GET", f"/staff/settlements/{MONTH}")[0] == 404
        status, err = Http(stack, "merchant", unique("settle-owner"), merchant_id=plain).call(
            "GET", f"/merchant/settlements/{MONTH}")
        assert (status, err["error"]["code"]) == (409, "INVALID_STATE")
        stack.set_clock("2021-03-31T23:59:00+09:00")
        status, err = staff.call("POST", "/staff/settlements", {"month": MONTH})
        assert (status, err["error"]["code"]) == (409, "INVALID_STATE")
        assert staff.call("GET", f"/staff/settlements/{MONTH}")[0] == 404

        # Past the close and across 01:00 KST: the runner's daily schedule may start the run by itself;
        # either way staff's POST answers 202, and a run under way is not started twice.
        stack.set_clock("2021-04-01T01:00:30+09:00")
        status, first = staff.call("POST", "/staff/settlements", {"month": MONTH})
        assert status == 202, first
        assert first["month"] == MONTH and first["status"] in ("queued", "running", "completed")
        if first["status"] != "completed":
            status, second = staff.call("POST", "/staff/settlements", {"month": MONTH})
            assert status == 202, second
            if second["status"] != "completed":
                assert second["started_at"] == first["started_at"], (first, second)
        run = wait_until_settled(staff, MONTH)
        assert run["status"] == "completed", run
        assert run["started_at"] == first["started_at"], "a run under way was started again"
        assert run["books_balanced"] is True and run["problems"] == [], run
        assert run["progress"]["shards_done"] == run["progress"]["shards_total"] > 0
        assert run["by_program"] == {"city-base": 25_200, "gu-extra": 6_800, "benefit-plus": 1_600}
        assert run["by_funder"] == {"incheon-city": 25_200, "seo-gu": 8_400}
        assert run["accrued"] == 33_600
        # other tests' residents may owe adjustments the next settlement applies; none of them accrued
        assert run["cashback_credited"] == 33_600 + run["adjustments_applied"]
        assert run["settled_residents"] >= 2 and run["residents"] >= run["settled_residents"]
        # per dong: every settled resident once, and the dongs' credits are the month's
        assert sum(d["residents"] for d in run["by_dong"].values()) == run["settled_residents"]
        assert sum(d["cashback_credited"] for d in run["by_dong"].values()) == run["cashback_credited"]
        assert run["auto_donations"] == 0

        status, w = alice.call("GET", "/wallet")
        assert (status, w["cashback_balance"], w["charged_balance"]) == (200, 15_600, 120_000), w
        assert w["month"]["month"] == "2021-04" and w["month"]["pending_cashback"] == 0
        status, w = bob.call("GET", "/wallet")
        assert (status, w["cashback_balance"], w["charged_balance"]) == (200, 18_000, 100_000), w

        lines = {}
        for merchant_id in (plain, bplus):
            status, line = Http(stack, "merchant", unique("settle-owner"), merchant_id=merchant_id).call(
                "GET", f"/merchant/settlements/{MONTH}")
            assert status == 200, line
            lines[merchant_id] = line
        assert lines[plain] == {"month": MONTH, "gross": 600_000, "discounts": 0, "refunds": 0, "net": 600_000,
                                "fees": 0}
        assert lines[bplus] == {"month": MONTH, "gross": 100_000, "discounts": 5_000, "refunds": 15_000,
                                "net": 80_000, "fees": 0}

        # The reports are in the reports bucket of the embedded S3.
        s3 = stack.client("s3")
        expected_keys = {f"settlements/{MONTH}/{name}" for name in REPORT_FILES}
        assert set(run["reports"]) == expected_keys
        listed = s3.list_objects_v2(Bucket=REPORTS_BUCKET, Prefix=f"settlements/{MONTH}/")
        assert {o["Key"] for o in listed.get("Contents", [])} == expected_keys
        summary = json.loads(s3.get_object(Bucket=REPORTS_BUCKET, Key=f"settlements/{MONTH}/summary.json")["Body"].read())
        assert summary["month"] == MONTH and summary["books_balanced"] is True
        assert summary["by_program"] == {"benefit-plus": 1_600, "city-base": 25_200, "gu-extra": 6_800}
        assert summary["merchants"][plain] == {k: v for k, v in lines[plain].items() if k != "month"}
        assert summary["merchants"][bplus] == {k: v for k, v in lines[bplus].items() if k != "month"}
        assert summary["dongs"]["가정2동"]["eligible_spend"] == 280_000
        assert summary["dongs"]["원당동"]["eligible_spend"] == 400_000
        city = next(p for p in summary["programs"] if p["program_id"] == "city-base")
        assert city["owed"] == 25_200
        assert [t["eligible_spend"] for t in city["tiers"]] == [580_000, 100_000, 0, 0]
        funders = s3.get_object(Bucket=REPORTS_BUCKET, Key=f"settlements/{MONTH}/funders.csv")["Body"].read().decode()
        assert "incheon-city,city-base,total,,,25200" in funders.splitlines()
        assert "seo-gu,benefit-plus,total,,,1600" in funders.splitlines()
        merchants_csv = s3.get_object(Bucket=REPORTS_BUCKET, Key=f"settlements/{MONTH}/merchants.csv")["Body"].read()
        assert f"{bplus},100000,5000,15000,80000,0" in merchants_csv.decode().splitlines()

        # A re-run of the settled month completes again, with the same totals, crediting nobody twice.
        status, rerun = staff.call("POST", "/staff/settlements", {"month": MONTH})
        assert status == 202, rerun
        again = wait_until_settled(staff, MONTH)
        assert again["status"] == "completed" and again["books_balanced"] is True, again
        assert again["started_at"] == rerun["started_at"] >= str(run["finished_at"]), (run, again)  # a new run
        assert settlement_totals(again) == settlement_totals(run)
        assert alice.call("GET", "/wallet")[1]["cashback_balance"] == 15_600
        assert bob.call("GET", "/wallet")[1]["cashback_balance"] == 18_000
        status, line = Http(stack, "merchant", unique("settle-owner"), merchant_id=bplus).call(
            "GET", f"/merchant/settlements/{MONTH}")
        assert (status, line) == (200, lines[bplus])
    finally:
        stack.reset_clock()
