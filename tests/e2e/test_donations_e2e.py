"""서로도움 end to end on the local stack: an automatic donation run by the settlement, a one-off gift,
the yearly statement, a registration number encrypted with the embedded KMS, and the tax-service export.

The month is 2021-09 and no other e2e test has activity in it. Only this test sets an automatic
donation, in mode `all` (it gives only new cashback), and turns it off again; the clock is always
given back to real time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import Http, LocalStack, unique
from tests.e2e.test_settlement_e2e import pay, register, resident, wait_until_settled

pytestmark = pytest.mark.e2e

MONTH = "2021-09"
EXPORTS_BUCKET = "seoro-exports-local"


def campaign(me: Http, campaign_id: str) -> dict[str, Any]:
    status, body = me.call("GET", f"/campaigns/{campaign_id}")
    assert status == 200, body
    return dict(body)


def test_cashback_credited_by_the_settlement_is_donated_and_exported_for_the_tax_service(stack: LocalStack):
    staff = Http(stack, "staff", "e2e-donations-staff")
    giver: Http | None = None
    try:
        stack.set_clock("2021-09-10T10:00:00+09:00")
        shop = register(stack)
        giver = resident(stack, "검단동", 300_000)
        other = resident(stack, "마전동", 300_000)
        status, auto = giver.call("PUT", "/donations/auto", {"mode": "all", "campaign_id": "solitary-elderly"})
        assert (status, auto["mode"], auto["campaign_id"]) == (200, "all", "solitary-elderly"), auto
        status, tax = giver.call("PUT", "/me/tax-id", {"rrn": "850315-2345678", "consent_nts": True})
        assert (status, tax["rrn_masked"]) == (200, "850315-2******"), tax
        status, err = other.call("PUT", "/me/tax-id", {"rrn": "850315-2345679", "consent_nts": True})
        assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR")
        raised_before = campaign(giver, "solitary-elderly")["raised"]

        assert pay(giver, shop, 100_000)["cashback"] == {"city-base": 4_000, "gu-extra": 1_000, "benefit-plus": 0}
        pay(other, shop, 50_000)  # 2,000 + 500

        # No cashback yet, so a one-off gift is refused whole.
        status, err = other.call("POST", "/donations", {"amount": 100}, key=unique("gift"))
        assert (status, err["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")

        stack.set_clock("2021-10-01T01:00:30+09:00")
        status, started = staff.call("POST", "/staff/settlements", {"month": MONTH})
        assert status == 202, started
        run = wait_until_settled(staff, MONTH)
        assert run["status"] == "completed" and run["books_balanced"] is True, run
        assert run["auto_donations"] == 5_000

        status, w = giver.call("GET", "/wallet")
        assert (status, w["cashback_balance"], w["charged_balance"]) == (200, 0, 200_000), w
        after = campaign(giver, "solitary-elderly")
        assert after["raised"] == raised_before + 5_000

        # The other resident gives part of the new cashback to the general fund; a replay changes nothing.
        key = unique("gift")
        status, gift = other.call("POST", "/donations", {"amount": 1_000}, key=key)
        assert (status, gift["campaign_id"], gift["cashback_balance"]) == (201, None, 1_500), gift
        assert other.call("POST", "/donations", {"amount": 1_000}, key=key) == (201, gift)
        status, err = other.call("POST", "/donations", {"amount": 2_000}, key=key)
        assert (status, err["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")

        status, mine = giver.call("GET", "/donations?year=2021")
        assert status == 200, mine
        assert (mine["total"], mine["tax_credit_estimate"], mine["by_campaign"]) == (5_000, 750,
                                                                                     {"solitary-elderly": 5_000})
        assert [(d["kind"], d["month"], d["amount"]) for d in mine["items"]] == [("auto", MONTH, 5_000)]
        status, theirs = other.call("GET", "/donations?year=2021")
        assert (theirs["total"], theirs["by_category"]) == (1_000, {"general": 1_000})

        status, exported = staff.call("POST", "/staff/donations/nts-export", {"year": 2021})
        assert status == 200, exported
        obj = stack.client("s3").get_object(Bucket=EXPORTS_BUCKET, Key=exported["s3_key"])
        records = [json.loads(line) for line in obj["Body"].read().decode("utf-8").splitlines()]
        assert {"rrn": "8503152345678", "year": 2021, "total": 5_000, "by_category": {"solitary-elderly": 5_000}} \
            in records
        assert exported["records"] == len(records) and obj["ServerSideEncryption"] == "aws:kms"
        assert all(r["rrn"] != "" for r in records)
    finally:
        if giver is not None:
            giver.call("PUT", "/donations/auto", {"mode": "off"})
        stack.reset_clock()
