"""The history's CSV file over HTTP on the local stack: the bytes a spreadsheet opens (a UTF-8 byte-order mark,
CRLF lines, a shop name quoted and kept from running as a formula) and its content type, as chalice local
serves them; the same month as JSON, with the balances after each movement."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.conftest import REQUEST_TIMEOUT, Http, LocalStack, unique
from tests.support import business_number

pytestmark = pytest.mark.e2e


def test_a_month_of_history_downloads_as_a_utf8_csv_with_a_bom_that_excel_opens_safely(stack: LocalStack):
    staff = Http(stack, "staff", "e2e-history-staff")
    status, shop = staff.call("POST", "/staff/merchants", {
        "name": "=SUM(1,2) \"빵집\"", "business_number": business_number(uuid.uuid4().int % 10**9),
        "dong": "청라1동", "category": "bakery", "benefit_plus": False})
    assert status == 201, shop
    me = Http(stack, "resident", unique("history-resident"))
    assert me.call("POST", "/wallet", {"dong": "청라1동", "agree_terms": True})[0] == 201
    assert me.call("POST", "/wallet/charges", {"amount": 20_000}, key=unique("charge"))[0] == 201
    status, paid = me.call("POST", "/payments", {"merchant_id": shop["merchant_id"], "amount": 4_500},
                           key=unique("pay"))
    assert status == 201, paid

    status, page = me.call("GET", "/history")
    assert status == 200, page
    newest, oldest = page["items"]
    assert newest["balance"] == {"charged": 15_500, "cashback": 0} and oldest["balance"]["charged"] == 20_000
    month = newest["at"][:7]

    answer = requests.get(f"{stack.base_url}/history.csv", params={"month": month}, headers=me.auth,
                          timeout=REQUEST_TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbfat,type,ref_id,charged,cashback,balance_charged,")
    rows = answer.content.decode("utf-8-sig").split("\r\n")
    assert rows[-1] == "" and len(rows) == 4
    assert rows[1].startswith(f"{oldest['at']},charge,{oldest['ref_id']},20000,0,20000,0,")
    assert rows[2] == (f"{newest['at']},payment,{paid['payment_id']},-4500,0,15500,0,"
                       "\"'=SUM(1,2) \"\"빵집\"\"\"")

    refused = requests.get(f"{stack.base_url}/history.csv", headers=me.auth, timeout=REQUEST_TIMEOUT)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "VALIDATION_ERROR"
