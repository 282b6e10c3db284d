"""Bad input is a 400 `VALIDATION_ERROR` in the contract's shape, never a 5xx, and has no effect at all:
balances, bank transfers, payments, merchants and policies are exactly as they were before.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import BIZ, Env, new_key
from tests.unit.bad_input_helpers import (
    NEWCOMER,
    OWNER,
    PAYER,
    as_bytes,
    assert_error,
    make_world,
    run_table,
    send,
    snapshot,
)

HUGE = 10**30
NOT_UTF8 = b'{"amount": "\xff\xfe"}'


# Bodies that are wrong whatever the route.
NOT_AN_OBJECT: list[tuple[str, Any]] = [
    ("bad JSON", b'{"amount": 1000'),
    ("trailing garbage", b'{"amount": 1000} x'),
    ("not UTF-8", NOT_UTF8),
    ("Latin-1 text", '{"amount": 1000, "note": "café"}'.encode("latin-1")),
    ("JSON array", b'[{"amount": 1000}]'),
    ("JSON string", b'"hello"'),
    ("JSON number", b"1000"),
    ("JSON null", b"null"),
    ("deeply nested", b"[" * 10_000 + b"]" * 10_000),
]


def amount_cases(valid: dict[str, Any]) -> list[tuple[str, Any]]:
    """Everything that is not a positive integer number of won, around an otherwise valid body."""
    return [
        ("amount as a string", {**valid, "amount": "1000"}),
        ("amount true", {**valid, "amount": True}),
        ("amount as a float", {**valid, "amount": 1000.0}),
        ("amount with a fraction", {**valid, "amount": 1000.5}),
        ("amount in exponent form", as_bytes(valid).replace(b'"amount": 1000', b'"amount": 1e3')),
        ("amount null", {**valid, "amount": None}),
        ("amount as an object", {**valid, "amount": {"value": 1000}}),
        ("amount as a list", {**valid, "amount": [1000]}),
        ("amount negative", {**valid, "amount": -1000}),
        ("amount zero", {**valid, "amount": 0}),
        ("amount huge", {**valid, "amount": HUGE}),
        ("amount NaN", as_bytes(valid).replace(b'"amount": 1000', b'"amount": NaN')),
        ("amount Infinity", as_bytes(valid).replace(b'"amount": 1000', b'"amount": Infinity')),
        ("unknown field", {**valid, "bonus": 1}),
        ("a client-sent discount", {**valid, "discount": 500}),
    ]


# ---- money-moving POSTs ----------------------------------------------------------------------


def test_bad_charge_bodies_are_refused_and_charge_nothing(env: Env, subtests: pytest.Subtests) -> None:
    make_world(env)
    cases = NOT_AN_OBJECT + amount_cases({"amount": 1000}) + [("missing amount", {}), ("empty body", b"")]
    run_table(env, subtests, "POST", "/wallet/charges", "resident", cases)


def test_bad_payment_bodies_are_refused_and_pay_nothing(env: Env, subtests: pytest.Subtests) -> None:
    world = make_world(env)
    valid = {"merchant_id": world.merchant_id, "amount": 1000, "use_cashback": True}
    cases = NOT_AN_OBJECT + amount_cases(valid) + [
        ("missing amount", {"merchant_id": world.merchant_id}),
        ("missing merchant_id", {"amount": 1000}),
        ("empty object", {}),
        ("merchant_id a number", {**valid, "merchant_id": 123}),
        ("merchant_id null", {**valid, "merchant_id": None}),
        ("merchant_id empty", {**valid, "merchant_id": ""}),
        ("merchant_id over-long", {**valid, "merchant_id": "m" * 65}),
        ("merchant_id very long", {**valid, "merchant_id": "m" * 100_000}),
        ("merchant_id with a slash", {**valid, "merchant_id": "../m-1"}),
        ("use_cashback as a string", {**valid, "use_cashback": "true"}),
        ("use_cashback as a number", {**valid, "use_cashback": 1}),
        ("use_cashback null", {**valid, "use_cashback": None}),
        ("a client-sent cashback", {**valid, "cashback": {"city-base": 1_000_000}}),
    ]
    run_table(env, subtests, "POST", "/payments", "resident", cases)


def test_bad_refund_bodies_are_refused_and_refund_nothing(env: Env, subtests: pytest.Subtests) -> None:
    world = make_world(env)
    path = f"/merchant/payments/{world.payment_id}/refunds"
    cases = NOT_AN_OBJECT + amount_cases({"amount": 1000})
    cases = [c for c in cases if c[0] != "amount null"]  # null means "all that is left"
    cases += [
        ("amount above what was paid", {"amount": 9_501}),
        ("amount far above what was paid", {"amount": 1_000_000}),
    ]
    run_table(env, subtests, "POST", path, "merchant", cases, merchant_id=world.merchant_id, sub=OWNER)


def test_a_refund_above_what_is_left_after_a_partial_refund_is_refused(env: Env) -> None:
    world = make_world(env)
    path = f"/merchant/payments/{world.payment_id}/refunds"
    status, partly = env.call("POST", path, role="merchant", sub=OWNER, merchant_id=world.merchant_id,
                              body={"amount": 9_000}, key=new_key())
    assert status == 200, partly
    assert partly["refunded"] == 9_000 and partly["status"] == "partially_refunded"
    before = snapshot(env)
    status, out = env.call("POST", path, role="merchant", sub=OWNER, merchant_id=world.merchant_id,
                           body={"amount": 501}, key=new_key())
    assert_error(status, out, 400, "VALIDATION_ERROR")
    assert snapshot(env) == before


# ---- the Idempotency-Key header ---------------------------------------------------------------


BAD_KEYS: list[tuple[str, str | None]] = [
    ("missing", None),
    ("empty", ""),
    ("65 characters", "k" * 65),
    ("1000 characters", "k" * 1000),
    ("a space inside", "my key"),
    ("non-ASCII", "열쇠-1"),
    ("a control character", "key\x01"),
]


def test_an_invalid_idempotency_key_is_refused_on_every_money_moving_post(
    env: Env, subtests: pytest.Subtests
) -> None:
    world = make_world(env)
    routes = [
        ("/wallet/charges", "resident", None, PAYER, {"amount": 1000}),
        ("/payments", "resident", None, PAYER, {"merchant_id": world.merchant_id, "amount": 1000}),
        (f"/merchant/payments/{world.payment_id}/refunds", "merchant", world.merchant_id, OWNER, {"amount": 100}),
    ]
    before = snapshot(env)
    for path, role, merchant_id, sub, body in routes:
        for label, key in BAD_KEYS:
            with subtests.test(msg=f"{path}: key {label}"):
                status, out = send(env, "POST", path, role, as_bytes(body), key=key, merchant_id=merchant_id,
                                   sub=sub)
                assert_error(status, out, 400, "VALIDATION_ERROR")
                assert snapshot(env) == before


def test_a_64_character_idempotency_key_is_accepted(env: Env) -> None:
    world = make_world(env)
    status, out = env.call("POST", "/wallet/charges", role="resident", sub=PAYER, body={"amount": 1000},
                           key="k" * 64)
    assert status == 201, out
    status, out = env.pay(PAYER, world.merchant_id, 1000, key="~" * 64)
    assert status == 201, out


# ---- wallet, merchants, policies ----------------------------------------------------------------


def test_bad_wallet_bodies_are_refused_and_open_no_wallet(env: Env, subtests: pytest.Subtests) -> None:
    make_world(env)
    valid = {"dong": "청라1동", "agree_terms": True}
    cases = [
        *NOT_AN_OBJECT,
        ("empty object", {}),
        ("missing dong", {"agree_terms": True}),
        ("missing agree_terms", {"dong": "청라1동"}),
        ("terms not agreed", {**valid, "agree_terms": False}),
        ("agree_terms as a string", {**valid, "agree_terms": "true"}),
        ("agree_terms as 1", {**valid, "agree_terms": 1}),
        ("agree_terms null", {**valid, "agree_terms": None}),
        ("dong a number", {**valid, "dong": 1}),
        ("dong null", {**valid, "dong": None}),
        ("dong empty", {**valid, "dong": ""}),
        ("dong blank", {**valid, "dong": "   "}),
        ("dong outside Seo-gu", {**valid, "dong": "역삼1동"}),
        ("dong over-long", {**valid, "dong": "청" * 41}),
        ("dong very long", {**valid, "dong": "청" * 100_000}),
        ("unknown field", {**valid, "charged_balance": 1_000_000}),
    ]
    run_table(env, subtests, "POST", "/wallet", "resident", cases, sub=NEWCOMER, watch=("newcomer",))
    status, out = env.call("GET", "/wallet", role="resident", sub=NEWCOMER)
    assert_error(status, out, 404, "NOT_FOUND")


def test_bad_merchant_registrations_are_refused_and_register_nothing(
    env: Env, subtests: pytest.Subtests
) -> None:
    make_world(env)
    valid = {"name": "새 가게", "business_number": BIZ[1], "dong": "청라2동", "category": "cafe",
             "benefit_plus": True, "discount_rate": 5,
             "delivery": {"fee": 2000, "min_order": 10_000, "dongs": ["청라2동"]}}
    delivery = valid["delivery"]
    assert isinstance(delivery, dict)
    cases = [
        *NOT_AN_OBJECT,
        ("empty object", {}),
        ("missing name", {k: v for k, v in valid.items() if k != "name"}),
        ("missing business_number", {k: v for k, v in valid.items() if k != "business_number"}),
        ("name blank", {**valid, "name": "  "}),
        ("name over-long", {**valid, "name": "가" * 101}),
        ("category over 40 characters", {**valid, "category": "c" * 41}),
        ("business_number as a number", {**valid, "business_number": int(BIZ[1])}),
        ("business_number with a bad check digit", {**valid, "business_number": BIZ[1][:-1] + "0"}),
        ("business_number too long", {**valid, "business_number": BIZ[1] * 3}),
        ("benefit_plus as a string", {**valid, "benefit_plus": "true"}),
        ("discount_rate as a string", {**valid, "discount_rate": "5"}),
        ("discount_rate as a float", {**valid, "discount_rate": 5.0}),
        ("discount_rate as a fraction", {**valid, "discount_rate": 0.05}),
        ("discount_rate huge", {**valid, "discount_rate": HUGE}),
        ("delivery fee negative", {**valid, "delivery": {**delivery, "fee": -1}}),
        ("delivery fee as a string", {**valid, "delivery": {**delivery, "fee": "2000"}}),
        ("delivery fee huge", {**valid, "delivery": {**delivery, "fee": HUGE}}),
        ("delivery min_order huge", {**valid, "delivery": {**delivery, "min_order": HUGE}}),
        ("delivery dongs empty", {**valid, "delivery": {**delivery, "dongs": []}}),
        ("delivery dongs a string", {**valid, "delivery": {**delivery, "dongs": "청라2동"}}),
        ("delivery unknown field", {**valid, "delivery": {**delivery, "radius_km": 3}}),
        ("malls a string", {**valid, "malls": "only-seogu"}),
        ("food_complex as a string", {**valid, "food_complex": "yes"}),
        ("unknown field", {**valid, "merchant_id": "m-chosen-by-client"}),
    ]
    run_table(env, subtests, "POST", "/staff/merchants", "staff", cases, sub="staff1", watch=("merchants",))


def test_bad_policy_bodies_are_refused_and_publish_nothing(env: Env, subtests: pytest.Subtests) -> None:
    make_world(env)
    tier = {"up_to": None, "rate_bp": 100}
    program = {"program_id": "city-base", "funder": "incheon-city", "tiers": [tier]}
    valid = {"programs": [program], "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}
    cases = [
        *NOT_AN_OBJECT,
        ("empty object", {}),
        ("no programs", {**valid, "programs": []}),
        ("programs an object", {**valid, "programs": program}),
        ("rate_bp as a string", {**valid, "programs": [{**program, "tiers": [{**tier, "rate_bp": "100"}]}]}),
        ("rate_bp as a float", {**valid, "programs": [{**program, "tiers": [{**tier, "rate_bp": 100.0}]}]}),
        ("rate_bp huge", {**valid, "programs": [{**program, "tiers": [{**tier, "rate_bp": HUGE}]}]}),
        ("up_to as a string", {**valid, "programs": [{**program, "tiers": [
            {"up_to": "300000", "rate_bp": 400}, tier]}]}),
        ("up_to huge", {**valid, "programs": [{**program, "tiers": [{"up_to": HUGE, "rate_bp": 400}, tier]}]}),
        ("monthly_charge_limit true", {**valid, "monthly_charge_limit": True}),
        ("monthly_charge_limit zero", {**valid, "monthly_charge_limit": 0}),
        ("balance_limit negative", {**valid, "balance_limit": -1}),
        ("balance_limit huge", {**valid, "balance_limit": HUGE}),
        ("program_id over-long", {**valid, "programs": [{**program, "program_id": "p" * 200}]}),
        ("unknown field", {**valid, "effective_month": "2020-01"}),
    ]
    run_table(env, subtests, "PUT", "/staff/policies/2020-06", "staff", cases, sub="staff1", watch=("policy",))
    env.clock.set(datetime(2020, 6, 15, 3, tzinfo=UTC))
    status, policy = env.call("GET", "/policies/current", role="staff", sub="staff1")
    assert status == 200 and policy["effective_month"] == "2020-01", policy


def test_a_malformed_policy_month_in_the_path_is_refused(env: Env, subtests: pytest.Subtests) -> None:
    body = {"programs": [{"program_id": "city-base", "funder": "incheon-city",
                          "tiers": [{"up_to": None, "rate_bp": 100}]}],
            "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}
    for month in ("2020-13", "2020-00", "2020-6", "202006", "June", "9999-01"):
        with subtests.test(msg=month):
            status, out = env.call("PUT", f"/staff/policies/{month}", role="staff", sub="staff1", body=body)
            assert_error(status, out, 400, "VALIDATION_ERROR")


# ---- query parameters ---------------------------------------------------------------------------


def test_bad_list_query_parameters_are_refused(env: Env, subtests: pytest.Subtests) -> None:
    make_world(env)
    shared = ["limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1.5", "limit=", "limit=" + "9" * 40,
              "next=garbage", "next=", "next=" + "A" * 5000, "next=eyJmb28iOiJiYXIifQ"]
    cases = [("/payments", q) for q in [*shared, "month=2020-13", "month=2020-1", "month=March", "month=",
                                          "month=0000-01", "month=1999-12", "month=3000-01"]]
    cases += [("/merchants", q) for q in [*shared, "benefit_plus=maybe", "delivery=sometimes", "dong=" + "x" * 41,
                                          "dong=" + quote("서구동"), "dong=Seo-gu"]]
    for path, query in cases:
        with subtests.test(msg=f"{path}?{query}"):
            status, out = env.call("GET", f"{path}?{query}", role="resident", sub=PAYER)
            assert_error(status, out, 400, "VALIDATION_ERROR")


def test_a_next_token_from_another_list_is_refused(env: Env) -> None:
    world = make_world(env)
    env.register_merchant(number=BIZ[2])
    status, merchants = env.call("GET", "/merchants?limit=1", role="resident", sub=PAYER)
    assert status == 200 and merchants["next"], merchants
    status, out = env.call("GET", f"/payments?next={merchants['next']}", role="resident", sub=PAYER)
    assert_error(status, out, 400, "VALIDATION_ERROR")

    env.pay(PAYER, world.merchant_id, 1_000)
    status, mine = env.call("GET", "/payments?limit=1", role="resident", sub=PAYER)
    assert status == 200 and mine["next"], mine
    env.open_wallet("payer-2")
    status, out = env.call("GET", f"/payments?next={mine['next']}", role="resident", sub="payer-2")
    assert status == 400 or (status == 200 and out["items"] == []), "another resident's cursor shows nothing"


# ---- unknown ids in a body ----------------------------------------------------------------------


def test_a_payment_to_a_merchant_that_does_not_exist_is_404_and_pays_nothing(env: Env) -> None:
    make_world(env)
    before = snapshot(env)
    status, out = env.pay(PAYER, "m-nobody", 1_000)
    assert_error(status, out, 404, "NOT_FOUND")
    assert snapshot(env) == before


def test_a_refund_of_a_payment_that_does_not_exist_is_404(env: Env) -> None:
    world = make_world(env)
    before = snapshot(env)
    status, out = env.call("POST", "/merchant/payments/pay_nobody/refunds", role="merchant", sub=OWNER,
                           merchant_id=world.merchant_id, body={}, key=new_key())
    assert_error(status, out, 404, "NOT_FOUND")
    assert snapshot(env) == before


# ---- the transport ------------------------------------------------------------------------------


def test_a_body_with_an_unexpected_content_type_is_refused_in_the_contract_shape(env: Env) -> None:
    """Not a 5xx, and not the framework's own `{"Code", "Message"}` body either."""
    make_world(env)
    before = snapshot(env)
    headers = {**env.headers("resident", PAYER, key=new_key()), "Content-Type": "application/xml"}
    r = env.client.http.request("POST", "/wallet/charges", headers=headers, body=b"<amount>1000</amount>")
    assert 400 <= r.status_code < 500, r.body
    body = json.loads(r.body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert snapshot(env) == before
