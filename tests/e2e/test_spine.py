"""The money path end to end over HTTP against the running local stack (moto server + chalice local)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Http, LocalStack, unique
from tests.support import business_number

pytestmark = pytest.mark.e2e
_numbers = itertools.count(1000)





def register(stack: LocalStack, **fields: Any) -> str:
    staff = Http(stack, "staff", "e2e-staff")
    body = {"name": "e2e 가게", "business_number": business_number(next(_numbers)), "dong": "가정1동",
            "category": "cafe", "benefit_plus": False, **fields}
    status, out = staff.call("POST", "/staff/merchants", body)
    assert status == 201, out
    return str(out["merchant_id"])


def test_health_and_openapi_need_no_token(stack: LocalStack):
    assert requests.get(stack.base_url + "/health", timeout=10).json() == {"status": "ok", "stage": "local"}
    doc = requests.get(stack.base_url + "/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.") and "/payments" in doc["paths"] and "/_local/clock" in doc["paths"]


def test_a_resident_opens_charges_pays_plain_and_benefit_plus_and_gets_a_refund(stack: LocalStack):
    plain = register(stack)
    bplus = register(stack, benefit_plus=True, discount_rate=5)
    me = Http(stack, "resident", unique("resident"))
    status, wallet = me.call("POST", "/wallet", {"dong": "가정1동", "agree_terms": True})
    assert status == 201 and wallet["charged_balance"] == 0
    status, charge = me.call("POST", "/wallet/charges", {"amount": 300_000}, key="c1")
    assert (status, charge["charged_balance"]) == (201, 300_000)

    status, p1 = me.call("POST", "/payments", {"merchant_id": plain, "amount": 200_000}, key="p1")
    assert status == 201
    assert p1["cashback"] == {"city-base": 8_000, "gu-extra": 2_000, "benefit-plus": 0}
    status, p2 = me.call("POST", "/payments", {"merchant_id": bplus, "amount": 60_000}, key="p2")
    assert status == 201
    assert (p2["discount"], p2["paid"]) == (3_000, 57_000)
    # counter 200,000 → 257,000: all at 4 % for city-base; gu-extra 1 %; benefit-plus 2 %
    assert p2["cashback"] == {"city-base": 2_280, "gu-extra": 570, "benefit-plus": 1_140}
    assert me.call("POST", "/payments", {"merchant_id": bplus, "amount": 60_000}, key="p2") == (201, p2)
    status, reused = me.call("POST", "/payments", {"merchant_id": bplus, "amount": 1}, key="p2")
    assert (status, reused["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")

    status, w = me.call("GET", "/wallet")
    assert w["charged_balance"] == 300_000 - 200_000 - 57_000
    assert w["month"]["eligible_spend"] == 257_000 and w["month"]["pending_cashback"] == 13_990

    shop = Http(stack, "merchant", unique("owner"), merchant_id=bplus)
    status, refunded = shop.call("POST", f"/merchant/payments/{p2['payment_id']}/refunds", {"amount": 57_000},
                                 key="r1")
    assert (status, refunded["status"], refunded["refunded"]) == (200, "refunded", 57_000)
    status, w = me.call("GET", "/wallet")
    assert w["charged_balance"] == 100_000
    assert w["month"]["pending_by_program"] == {"city-base": 8_000, "gu-extra": 2_000, "benefit-plus": 0}

    stranger = Http(stack, "merchant", unique("other"), merchant_id=plain)
    status, err = stranger.call("POST", f"/merchant/payments/{p2['payment_id']}/refunds", {}, key="r3")
    assert (status, err["error"]["code"]) == (404, "NOT_FOUND")

    # each shop lists its own payments (one Query of the merchant index), without the resident
    status, mine = shop.call("GET", f"/merchant/payments?month={p2['month']}")
    assert status == 200, mine
    seen = next(p for p in mine["items"] if p["payment_id"] == p2["payment_id"])
    assert (seen["status"], seen["refunded"], seen["channel"]) == ("refunded", 57_000, "store")
    assert "user_id" not in seen
    status, theirs = stranger.call("GET", "/merchant/payments")
    assert status == 200 and p1["payment_id"] in {p["payment_id"] for p in theirs["items"]}
    assert p2["payment_id"] not in {p["payment_id"] for p in theirs["items"]}


def test_auth_and_bad_input_get_the_contract_errors_and_change_nothing(stack: LocalStack):
    me = Http(stack, "resident", unique("resident"))
    me.call("POST", "/wallet", {"dong": "검단동", "agree_terms": True})
    me.call("POST", "/wallet/charges", {"amount": 10_000}, key="k")
    r = requests.get(stack.base_url + "/wallet", timeout=10)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    r = requests.get(stack.base_url + "/wallet", headers={"Authorization": "Bearer nonsense"}, timeout=10)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    shop = Http(stack, "merchant", unique("m"), merchant_id="m-x")
    assert shop.call("GET", "/wallet")[1]["error"]["code"] == "FORBIDDEN"
    for body in ({"amount": "1000"}, {"amount": True}, {"amount": 10**30}, {"amount": 1.5}, {}):
        status, err = me.call("POST", "/wallet/charges", body, key=unique("bad"))
        assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR"), body
    status, err = me.call("POST", "/wallet/charges", {"amount": 1})
    assert (status, err["error"]["code"]) == (400, "VALIDATION_ERROR")
    r = requests.post(stack.base_url + "/payments", data=b"{not json", timeout=10,
                      headers={**me.auth, "Idempotency-Key": "x", "Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, err = me.call("POST", "/payments", {"merchant_id": "m-nobody", "amount": 100}, key=unique("p"))
    assert (status, err["error"]["code"]) == (404, "NOT_FOUND")
    assert me.call("GET", "/wallet")[1]["charged_balance"] == 10_000


def test_fifty_racing_payments_on_one_wallet_never_overdraw(stack: LocalStack):
    shop = register(stack)
    me = Http(stack, "resident", unique("racer"))
    me.call("POST", "/wallet", {"dong": "청라3동", "agree_terms": True})
    assert me.call("POST", "/wallet/charges", {"amount": 100_000}, key="c")[0] == 201

    def pay(i: int) -> tuple[int, Any]:
        return me.call("POST", "/payments", {"merchant_id": shop, "amount": 3_000}, key=f"race-{i}")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(pay, range(50)))
    ok = [b for s, b in results if s == 201]
    refused = [b["error"]["code"] for s, b in results if s != 201]
    assert len(ok) == 33 and refused == ["INSUFFICIENT_FUNDS"] * 17
    _, w = me.call("GET", "/wallet")
    assert w["charged_balance"] == 1_000 and w["month"]["eligible_spend"] == 99_000
    _, page = me.call("GET", "/payments?limit=100")
    assert len(page["items"]) == 33
