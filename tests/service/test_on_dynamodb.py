"""What only DynamoDB, S3 and KMS can show, on moto: each budget slice and each campaign-total slice is a
partition of its own, the tax-service export is encrypted at rest, and no table item, report or log line
holds a registration number in clear. (The use cases themselves are tested on the in-memory store in
tests/unit; tests/contract holds the two stores to the same behaviour.)"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import sys
from typing import Any

import boto3
import pytest

from chalicelib.domain.months import kst_iso
from tests import support
from tests.support import BIZ, Env
from tests.unit.test_budgets import city, enter_budget_month
from tests.unit.test_donations import RRN, RRN_DIGITS, at, campaign, give, put_auto, put_tax_id


def grant_cashback(env: Env, sub: str, amount: int) -> None:
    support.grant_cashback(env.repos, sub, amount, kst_iso(env.clock.now()))


def settle(env: Env, month: str) -> dict[str, Any]:
    return env.settle(month)


def table_items(env: Env) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="ap-northeast-2")
    return support.scan_table(client, env.container.settings.table_name)


def export(env: Env, year: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    status, body = env.call("POST", "/staff/donations/nts-export", role="staff", sub="clerk", body={"year": year})
    assert status == 200, body
    s3 = boto3.client("s3", region_name="ap-northeast-2")
    obj = s3.get_object(Bucket=env.container.settings.exports_bucket, Key=body["s3_key"])
    lines = [json.loads(line) for line in obj["Body"].read().decode("utf-8").splitlines()]
    return dict(body), lines, obj


def test_each_budget_slice_has_a_partition_key_of_its_own_and_the_slices_sum_to_the_grants(env: Env):
    shop = enter_budget_month(env, 1_000_000)
    residents = [f"r{i:02d}" for i in range(24)]
    granted = 0
    for user in residents:
        env.open_wallet(user, charge=100_000)
        status, body = env.pay(user, shop, 50_000)
        assert status == 201, body
        granted += body["cashback"]["city-base"]
    assert granted == 24 * 2_000
    slices = [it for it in table_items(env) if it["entry"]["S"] == "budget"]
    keys = [it["pk"]["S"] for it in slices]
    assert len(set(keys)) == len(keys) > 1, "every slice written is its own partition"
    assert all(k.startswith("BUDGET#2021-06#city-base#") for k in keys)
    assert sum(int(it["used"]["N"]) for it in slices) == granted == env.repos.budgets.used(
        "2021-06", "city-base")
    assert city(env)["budget_remaining"] == 1_000_000 - granted


def test_a_campaigns_total_slices_each_have_a_partition_key_of_their_own_and_sum_to_the_gifts(env: Env):
    donors = [f"d{i:02d}" for i in range(24)]
    for sub in donors:
        env.open_wallet(sub)
        grant_cashback(env, sub, 1_000)
        assert give(env, sub, 100, "solitary-elderly")[0] == 201
    slices = [it for it in table_items(env) if it["entry"]["S"] == "campaign-total"]
    keys = [it["pk"]["S"] for it in slices]
    assert len(set(keys)) == len(keys) > 1, "every slice written is its own partition"
    assert all(k.startswith("CAMPTOT#solitary-elderly#") for k in keys)
    assert sum(int(it["raised"]["N"]) for it in slices) == 2_400
    assert (campaign(env, "solitary-elderly")["raised"], campaign(env, "solitary-elderly")["donors"]) == (2_400, 24)
    listed = env.call("GET", "/campaigns", role="resident", sub="reader")[1]["items"]
    assert next(c for c in listed if c["campaign_id"] == "solitary-elderly")["raised"] == 2_400


def test_the_tax_service_export_is_encrypted_at_rest_with_the_personal_data_key(env: Env):
    env.clock.set(at(2020, 6, 1))
    env.open_wallet("ann")
    grant_cashback(env, "ann", 10_000)
    assert put_tax_id(env, "ann")[0] == 200
    assert give(env, "ann", 3_000, "solitary-elderly")[0] == 201
    body, lines, obj = export(env, 2020)
    assert body["records"] == 1 and lines[0]["rrn"] == RRN_DIGITS
    assert obj["ServerSideEncryption"] == "aws:kms"
    stored = [i for i in table_items(env) if i["pk"]["S"] == "U#ann" and i["sk"]["S"] == "TAXID"]
    assert len(stored) == 1 and RRN_DIGITS not in json.dumps(stored) and stored[0]["rrn_encrypted"]["S"]


def test_no_table_item_log_line_or_report_holds_a_registration_number_in_clear(
    env: Env, capsys: pytest.CaptureFixture[str]
):
    from chalicelib.observability import logger

    level = logger().log_level
    logger().setLevel("DEBUG")
    handler = logger().registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = handler.stream
    handler.stream = sys.stdout
    capsys.readouterr()
    try:
        env.clock.set(at(2020, 3, 2))
        shop = env.register_merchant(number=BIZ[0])
        env.open_wallet("hana", charge=100_000)
        assert put_tax_id(env, "hana")[0] == 200
        put_tax_id(env, "hana", "900101-1234567")                       # a wrong check digit, refused
        env.call("PUT", "/me/tax-id", role="resident", sub="hana", raw='{"rrn": "' + RRN + '", "consent_nts": tru')
        env.call("PUT", "/me/tax-id", role="resident", sub="hana", body={"rrn": RRN, "consent_nts": True, "x": 1})
        assert put_auto(env, "hana", mode="all")[0] == 200
        assert env.pay("hana", shop, 30_000)[0] == 201
        env.clock.set(at(2020, 4, 1, 1))
        settle(env, "2020-03")
        exported, _, _ = export(env, 2020)
        out, err = capsys.readouterr()
    finally:
        logger().setLevel(level)
        handler.stream = stream
    logged = out + err
    assert '"route":"PUT /me/tax-id"' in logged
    clear = (RRN_DIGITS, RRN, "1234568")
    for secret in clear:
        assert secret not in logged
        assert secret not in json.dumps(table_items(env), ensure_ascii=False)
    # the number's claim (one number, one resident) is keyed by a keyed MAC, not by a plain hash anyone
    # could compute for every possible number
    claims = [i for i in table_items(env) if i["entry"]["S"] == "tax-id-claim"]
    assert [c["user_id"]["S"] for c in claims] == ["hana"]
    stored = json.dumps(table_items(env), ensure_ascii=False)
    for form in (RRN_DIGITS, RRN):
        digest = hashlib.sha256(form.encode()).digest()
        for encoded in (digest.hex(), digest.hex().upper(), base64.b64encode(digest).decode(),
                        base64.urlsafe_b64encode(digest).decode().rstrip("=")):
            assert encoded not in stored
    s3 = boto3.client("s3", region_name="ap-northeast-2")
    for bucket in (env.container.settings.reports_bucket, env.container.settings.exports_bucket):
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            if obj["Key"] == exported["s3_key"]:
                continue  # the tax service's own file: it holds the number by design, encrypted with the KMS key
            text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8", "replace")
            assert all(secret not in text for secret in clear), obj["Key"]


def save_legacy_registration(env: Env, user: str) -> None:
    """A registration as it was stored before claims were kept: no fingerprint (`rrn_mac`)."""
    from chalicelib.domain.settlement import shard_of
    from chalicelib.storage.tax_ids import TAX_ID_SHARDS, define, tax_id_key

    items = env.repos.store.define(define)  # type: ignore[attr-defined]
    at_ = "2019-01-01T00:00:00+09:00"
    items.TaxIdItem(*tax_id_key(user), gsi1pk=f"TAXIDS#{shard_of(user, TAX_ID_SHARDS):02d}", gsi1sk=user,
                    user_id=user, rrn_encrypted="enc", rrn_masked="900101-1******", consent_nts_at=at_,
                    updated_at=at_).save()


def test_a_registration_stored_before_claims_were_kept_claims_nothing_and_is_replaced_or_removed(env: Env):
    save_legacy_registration(env, "old")
    assert put_tax_id(env, "new")[0] == 200                       # the old registration held no claim
    assert env.call("DELETE", "/me/tax-id", role="resident", sub="old")[0] == 200
    assert env.call("GET", "/me/tax-id", role="resident", sub="old")[0] == 404
    save_legacy_registration(env, "old")
    assert put_tax_id(env, "old", "850315-2345678")[0] == 200     # replaced, it claims its new number
    assert put_tax_id(env, "new", "850315-2345678")[0] == 409


def test_fingerprints_are_kms_hmacs_bound_to_their_purpose_and_need_the_hmac_key(env: Env):
    from chalicelib.adapters.fingerprints import KmsFingerprints
    from chalicelib.domain.errors import StorageUnavailable

    settings = env.container.settings
    kms = boto3.client("kms", region_name="ap-northeast-2")
    prints = KmsFingerprints(kms, settings.tax_id_mac_key_arn)
    first = prints.mac(RRN_DIGITS, "rrn:nts-donations")
    assert prints.mac(RRN_DIGITS, "rrn:nts-donations") == first and len(first) == 64
    assert prints.mac(RRN_DIGITS, "another purpose") != first
    assert prints.mac("8503152345678", "rrn:nts-donations") != first
    assert first != hashlib.sha256(RRN_DIGITS.encode()).hexdigest()
    for wrong in (KmsFingerprints(kms, settings.pii_key_arn), KmsFingerprints(kms, None)):   # not an HMAC key
        with pytest.raises(StorageUnavailable) as failed:
            wrong.mac(RRN_DIGITS, "rrn:nts-donations")
        assert RRN_DIGITS not in str(failed.value) and failed.value.__cause__ is None
