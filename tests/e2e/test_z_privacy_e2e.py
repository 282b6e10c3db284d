"""Privacy over the whole e2e session: every log line the local stack printed, every table item and every
S3 object written, searched for personal data in clear where it should not be.

It runs last (the file name sorts after the other e2e files), so it sees what the whole session wrote
to the shared stack; it also writes its own personal data first, so it proves something on its own.
Shipping name, phone and address are allowed in one place only: the mall or delivery order they belong
to (until the purge). A registration number is allowed nowhere but in the tax service's export file,
which is encrypted with the personal-data KMS key.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Http, LocalStack, unique
from tests.e2e.test_orders_e2e import SHIPPING, buy, resident, seller
from tests.support import scan_table

pytestmark = pytest.mark.e2e

TABLE = "seoro-local-main"
BUCKETS = ("seoro-notices-local", "seoro-reports-local", "seoro-exports-local")
RRN = "030711-4567890"


def rrn() -> str:
    """A valid number (its check digit computed) that no other test uses."""
    from chalicelib.domain.rrn import check_digit

    stem = RRN.replace("-", "")[:12]
    return f"{stem[:6]}-{stem[6:]}{check_digit(stem)}"


def test_no_log_line_table_item_or_report_holds_personal_data_where_it_should_not(stack: LocalStack):
    number = rrn()
    me = Http(stack, "resident", unique("privacy"))
    status, out = me.call("PUT", "/me/tax-id", {"rrn": number, "consent_nts": True})
    assert status == 200, out
    assert me.call("PUT", "/me/tax-id", {"rrn": number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1",
                                         "consent_nts": True})[0] == 400
    _, _, product_id = seller(stack, price=1_000, stock=5, shipping_fee=0)
    buyer = resident(stack, 10_000)
    status, order = buy(buyer, product_id, 1)
    assert status == 201, order
    staff = Http(stack, "staff", unique("privacy-staff"))
    assert staff.call("POST", "/staff/donations/nts-export", {"year": 2026})[0] == 200

    digits = number.replace("-", "")
    secrets = {
        "registration number": (number, digits),
        "phone": (SHIPPING["phone"], SHIPPING["phone"].replace("-", "")),
        "address": (SHIPPING["address"],),
        "shipping name": (SHIPPING["name"],),
    }
    logged = stack.output()
    assert '"route":"PUT /me/tax-id"' in logged  # the requests were logged, so the search means something
    for what, forms in secrets.items():
        assert not [f for f in forms if f in logged], f"the stack's log holds a {what} in clear"

    orders_with_shipping = 0
    for item in scan_table(stack.client("dynamodb"), TABLE):
        text = json.dumps(item, ensure_ascii=False)
        entry = item.get("entry", {}).get("S")
        assert digits not in text and number not in text, f"a {entry} item holds a registration number"
        if entry == "order":
            orders_with_shipping += SHIPPING["phone"] in text
            continue
        for what in ("phone", "address", "shipping name"):
            assert not [f for f in secrets[what] if f in text], f"a {entry} item holds a {what}"
    assert orders_with_shipping >= 1  # the order keeps its shipping data until the purge, as it must

    s3 = stack.client("s3")
    for bucket in BUCKETS:
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8", "replace")
            for what, forms in secrets.items():
                if what == "registration number" and obj["Key"].startswith("nts/"):
                    continue  # the tax service's file, encrypted with the personal-data key
                assert not [f for f in forms if f in body], f"s3://{bucket}/{obj['Key']} holds a {what}"
