"""서로도움's tax id (encrypted, masked, never in clear, one number per resident) and the tax-service export."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests import support
from tests.support import Env
from tests.unit.test_donations import RRN, RRN_DIGITS, at, give, grant_cashback, put_tax_id

# ---- the tax id and the export ---------------------------------------------------------------


def test_a_registration_number_is_checked_encrypted_and_only_ever_shown_masked(env: Env):
    status, body = put_tax_id(env, "gil")
    assert status == 200 and body["rrn_masked"] == "900101-1******" and body["consent_nts"] is True
    assert put_tax_id(env, "gil", "9001011234568")[1]["rrn_masked"] == "900101-1******"
    for rrn, consent in (("900101-1234567", True), ("9001011234", True), (RRN, False), (9001011234568, True),
                         (RRN, "true")):
        status, body = put_tax_id(env, "gil", rrn, consent)
        assert status == 400 and "1234567" not in json.dumps(body) and "234568" not in json.dumps(body)
    status, body = env.call("GET", "/me/tax-id", role="resident", sub="gil")
    assert status == 200 and body["rrn_masked"] == "900101-1******"
    stored = [v for k, v in support.stored_items(env).items() if k == ("tax-id", "gil")]
    assert len(stored) == 1 and RRN_DIGITS not in repr(stored) and stored[0][0]  # (encrypted, masked, at)
    assert env.call("GET", "/me/tax-id", role="resident", sub="other")[0] == 404
    assert env.call("DELETE", "/me/tax-id", role="resident", sub="gil")[1]["consent_nts"] is False
    assert env.call("GET", "/me/tax-id", role="resident", sub="gil")[0] == 404


def export(env: Env, year: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    status, body = env.call("POST", "/staff/donations/nts-export", role="staff", sub="clerk", body={"year": year})
    assert status == 200, body
    content, content_type = env.container.exports.files[body["s3_key"]]  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in content.decode("utf-8").splitlines()]
    return dict(body), lines, {"ContentType": content_type}


def test_the_tax_service_export_has_one_record_per_consenting_donor_of_the_year(env: Env):
    env.clock.set(at(2020, 6, 1))
    for sub in ("ann", "ben", "cat", "dan"):
        env.open_wallet(sub)
        grant_cashback(env, sub, 10_000)
    assert put_tax_id(env, "ann", "900101-1234568")[0] == 200
    assert put_tax_id(env, "ben", "850315-2345678")[0] == 200
    assert put_tax_id(env, "dan", "010203-3456788")[0] == 200
    assert give(env, "ann", 3_000, "solitary-elderly")[0] == 201
    assert give(env, "ann", 1_000, "rare-disease-children")[0] == 201
    assert give(env, "ann", 500)[0] == 201
    assert give(env, "cat", 2_000)[0] == 201          # gave, but did not consent
    assert give(env, "dan", 700)[0] == 201            # consented, then withdrew
    assert env.call("DELETE", "/me/tax-id", role="resident", sub="dan")[0] == 200
    env.clock.set(at(2021, 2, 1))
    assert give(env, "ben", 900)[0] == 201            # ben gave only in 2021

    body, lines, obj = export(env, 2020)
    assert body["records"] == 1 and body["total"] == 4_500 and body["s3_key"].startswith("nts/2020/")
    assert lines == [{"rrn": "9001011234568", "year": 2020, "total": 4_500,
                      "by_category": {"general": 500, "rare-disease-children": 1_000, "solitary-elderly": 3_000}}]
    assert obj["ContentType"] == "application/x-ndjson"  # encrypted with the KMS key on S3: tests/service
    body, lines, _ = export(env, 2021)
    assert lines == [{"rrn": "8503152345678", "year": 2021, "total": 900, "by_category": {"general": 900}}]
    assert env.call("POST", "/staff/donations/nts-export", role="resident", sub="ann", body={"year": 2020})[0] == 403


# One number, one resident (SPEC "Controls on staff power"; API v2): whoever registers a number another
# resident holds is refused without being told whose it is, and the tax service hears only of its holder.
HOLDER, OTHER = "holder-7c1e", "other-4d2a"


def test_a_number_another_resident_holds_is_refused_naming_no_one_and_only_its_holder_is_exported(env: Env):
    env.clock.set(at(2020, 6, 1))
    for sub in (HOLDER, OTHER):
        env.open_wallet(sub)
        grant_cashback(env, sub, 10_000)
    assert put_tax_id(env, HOLDER)[0] == 200
    for form in (RRN, RRN_DIGITS):
        status, body = put_tax_id(env, OTHER, form)
        assert status == 409 and body["error"]["code"] == "CONFLICT", body
        said = json.dumps(body, ensure_ascii=False)
        assert HOLDER not in said and RRN_DIGITS not in said and RRN not in said and "1234568" not in said
    assert env.call("GET", "/me/tax-id", role="resident", sub=OTHER)[0] == 404
    assert env.call("GET", "/me/tax-id", role="resident", sub=HOLDER)[1]["rrn_masked"] == "900101-1******"
    assert give(env, HOLDER, 1_000)[0] == 201
    assert give(env, OTHER, 2_000)[0] == 201
    body, lines, _ = export(env, 2020)
    assert body["records"] == 1 and lines == [{"rrn": RRN_DIGITS, "year": 2020, "total": 1_000,
                                               "by_category": {"general": 1_000}}]
    stored = repr(support.stored_items(env))   # the claim is keyed by a keyed MAC: no number, no plain hash
    assert RRN_DIGITS not in stored and hashlib.sha256(RRN_DIGITS.encode()).hexdigest() not in stored


def test_a_resident_registers_their_number_again_and_a_replaced_or_removed_number_is_free_again(env: Env):
    assert put_tax_id(env, HOLDER)[0] == 200
    assert put_tax_id(env, OTHER)[0] == 409
    assert put_tax_id(env, HOLDER, RRN_DIGITS)[0] == 200         # one's own number, again
    assert put_tax_id(env, HOLDER, "850315-2345678")[0] == 200    # replaced: the old number is free
    status, body = put_tax_id(env, OTHER)
    assert (status, body["rrn_masked"]) == (200, "900101-1******"), body
    assert put_tax_id(env, HOLDER)[0] == 409                      # and now it is the other's
    assert put_tax_id(env, OTHER, "850315-2345678")[0] == 409
    assert env.call("DELETE", "/me/tax-id", role="resident", sub=OTHER)[0] == 200   # removed: free again
    assert put_tax_id(env, HOLDER)[0] == 200
    assert env.call("GET", "/me/tax-id", role="resident", sub=HOLDER)[1]["rrn_masked"] == "900101-1******"
    assert env.call("DELETE", "/me/tax-id", role="resident", sub=HOLDER)[0] == 200
    assert put_tax_id(env, OTHER, "850315-2345678")[0] == 200     # both numbers released with the registration
    assert put_tax_id(env, OTHER)[0] == 200
