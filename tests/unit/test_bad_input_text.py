"""Bad input in text: other scripts' digits, line ends, things that are not ids, and bounds on the text as sent."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest

from tests.support import BIZ, Env, new_key
from tests.unit.bad_input_helpers import (
    OWNER,
    PAYER,
    assert_error,
    make_world,
    run_table,
    send,
)

# ---- digits and line ends -----------------------------------------------------------------------
# Python's and pydantic's `\d` match any script's digits and Python's `$` also matches before a final
# line feed, so these got past the validators: a 500, or a second merchant with the same number.

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
VALID_RRN = "900101-1234568"


def test_a_registration_number_in_other_scripts_digits_is_refused_not_a_server_error(
    env: Env, subtests: pytest.Subtests
) -> None:
    env.open_wallet(PAYER)
    for label, rrn in (("full-width", VALID_RRN.translate(FULLWIDTH)), ("Arabic-Indic", VALID_RRN.translate(ARABIC_INDIC)),
                       ("one full-width digit", VALID_RRN[:7] + VALID_RRN[7].translate(FULLWIDTH) + VALID_RRN[8:]),
                       ("a trailing line feed", VALID_RRN + "\n")):
        with subtests.test(msg=label):
            status, out = env.call("PUT", "/me/tax-id", role="resident", sub=PAYER, body={"rrn": rrn, "consent_nts": True})
            assert_error(status, out, 400, "VALIDATION_ERROR")
            assert env.call("GET", "/me/tax-id", role="resident", sub=PAYER)[0] == 404
    status, out = env.call("PUT", "/me/tax-id", role="resident", sub=PAYER, body={"rrn": VALID_RRN, "consent_nts": True})
    assert (status, out["rrn_masked"]) == (200, "900101-1******"), out


def test_a_business_number_in_other_scripts_digits_is_refused_so_no_number_registers_twice(
    env: Env, subtests: pytest.Subtests
) -> None:
    env.register_merchant(number=BIZ[0])
    for label, number in (("full-width", BIZ[0].translate(FULLWIDTH)), ("Arabic-Indic", BIZ[0].translate(ARABIC_INDIC)),
                          ("full-width, another number", BIZ[1].translate(FULLWIDTH))):
        with subtests.test(msg=label):
            status, out = env.call("POST", "/staff/merchants", role="staff", sub="staff1", body={
                "name": "가게", "business_number": number, "dong": "청라1동", "category": "restaurant",
                "benefit_plus": False})
            assert_error(status, out, 400, "VALIDATION_ERROR")
    status, out = env.call("GET", "/merchants?limit=100", role="staff", sub="staff1")
    assert len(out["items"]) == 1, out


def test_a_month_in_other_scripts_digits_is_refused(env: Env, subtests: pytest.Subtests) -> None:
    month = "2020-05".translate(ARABIC_INDIC)
    env.clock.set(datetime(2020, 6, 15, 3, tzinfo=UTC))
    env.open_wallet(PAYER)
    for label, (method, path, body) in {
        "a settlement": ("POST", "/staff/settlements", {"month": month}),
        "a settlement, year only": ("POST", "/staff/settlements", {"month": month[:4] + "-05"}),
    }.items():
        with subtests.test(msg=label):
            status, out = env.call(method, path, role="staff", sub="staff1", body=body)
            assert_error(status, out, 400, "VALIDATION_ERROR")
    with subtests.test(msg="the payments filter"):
        status, out = env.call("GET", "/payments?month=" + month[:4] + "-05", role="resident", sub=PAYER)
        assert_error(status, out, 400, "VALIDATION_ERROR")
    with subtests.test(msg="the month check behind the path months"):
        from chalicelib.domain.months import is_month

        assert not is_month(month[:4] + "-05")
        assert not is_month("2020-05\n")


def test_a_shipping_phone_or_postcode_in_other_scripts_digits_is_refused(env: Env, subtests: pytest.Subtests) -> None:
    env.open_wallet(PAYER, charge=50_000)
    shipping = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
    for label, bad in (("phone", {"phone": "0" + "10-1234-5678".translate(ARABIC_INDIC)}),
                       ("postcode", {"postcode": "22742".translate(FULLWIDTH)})):
        with subtests.test(msg=label):
            status, out = env.call("POST", "/mall/orders", role="resident", sub=PAYER, key=new_key(), body={
                "mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
                "shipping": {**shipping, **bad}, "consent": {"third_party_provision": True, "version": "2020-01"}})
            assert_error(status, out, 400, "VALIDATION_ERROR")


def through_api_gateway(env: Env, method: str, resource: str, params: dict[str, str], headers: dict[str, str],
                        body: Any = None) -> tuple[int, Any]:
    """The app called as Lambda with API Gateway's proxy event, whose path parameters arrive URL-decoded
    (`/merchants/m-1%0A` gives `m-1\\n`); the test client cannot send that, as it parses the URL itself."""
    from chalice.local import LambdaContext

    from app import app

    path = resource.format(**params)
    event = {
        "requestContext": {"httpMethod": method, "resourcePath": resource, "path": path, "identity": {"sourceIp": "1"}},
        "headers": {k.lower(): v for k, v in headers.items()}, "pathParameters": params, "stageVariables": {},
        "multiValueQueryStringParameters": None, "body": None if body is None else json.dumps(body),
    }
    out = app(event, LambdaContext("api_handler", 512))
    return out["statusCode"], json.loads(out["body"])


def test_ids_keys_and_token_subjects_with_a_trailing_line_feed_are_refused(env: Env, subtests: pytest.Subtests) -> None:
    world = make_world(env)
    with subtests.test(msg="a path id: the product a merchant lists"):
        status, out = through_api_gateway(env, "PUT", "/merchant/products/{product_id}", {"product_id": "rice\n"},
                                          env.headers("merchant", OWNER, world.merchant_id),
                                          {"mall": "only-seogu", "name": "쌀", "price": 30_000, "stock": 1,
                                           "shipping_fee": 0})
        assert_error(status, out, 404, "NOT_FOUND")
    with subtests.test(msg="an Idempotency-Key"):
        status, out = send(env, "POST", "/wallet/charges", "resident", b'{"amount": 1000}', key="top-up\n")
        assert_error(status, out, 400, "VALIDATION_ERROR")
    for claim, token in (("sub", env.token("resident", PAYER + "\n")),
                         ("custom:merchant_id", env.token("merchant", OWNER, world.merchant_id + "\n"))):
        with subtests.test(msg=f"a token's {claim}"):
            r = env.client.http.request("GET", "/merchants", headers={"Authorization": f"Bearer {token}"})
            assert_error(r.status_code, json.loads(r.body), 401, "UNAUTHORIZED")


NOT_IDS = ("..", ".", "-a", ":a", "_a", ".hidden")
"""Made only of the id's characters, but not ids: an id begins with an ASCII letter or digit."""


def test_ids_made_only_of_dots_or_not_beginning_with_a_letter_or_digit_are_refused(
    env: Env, subtests: pytest.Subtests
) -> None:
    """`PUT /merchant/products/%2e%2e` reaches the function as `..` (API Gateway decodes path parameters)
    and used to list a product whose id was `..`. In a path such an id is 404, as no resource can have it;
    in a body it is 400; and either way nothing is stored."""
    world = make_world(env)
    seller = env.register_merchant(number=BIZ[3], malls=["only-seogu"])
    product = {"mall": "only-seogu", "name": "쌀", "price": 30_000, "stock": 1, "shipping_fee": 0}

    def on_sale() -> Any:
        status, listed = env.call("GET", "/malls/only-seogu/products?limit=100", role="resident", sub=PAYER)
        assert status == 200, listed
        return listed

    before = on_sale()
    for product_id in ("%2e%2e", *NOT_IDS):
        with subtests.test(msg=f"PUT /merchant/products/{product_id}, decoded as API Gateway does"):
            status, out = through_api_gateway(env, "PUT", "/merchant/products/{product_id}",
                                              {"product_id": unquote(product_id)},
                                              env.headers("merchant", OWNER, seller), product)
            assert_error(status, out, 404, "NOT_FOUND")
        with subtests.test(msg=f"PUT /merchant/products/{product_id}, as sent"):
            status, out = env.call("PUT", f"/merchant/products/{product_id}", role="merchant", sub=OWNER,
                                   merchant_id=seller, body=product)
            assert_error(status, out, 404, "NOT_FOUND")
    assert on_sale() == before
    valid = {"merchant_id": world.merchant_id, "amount": 1000, "use_cashback": True}
    run_table(env, subtests, "POST", "/payments", "resident",
              [(f"merchant_id {bad!r}", {**valid, "merchant_id": bad}) for bad in NOT_IDS])


def test_every_id_the_system_makes_is_an_id(env: Env) -> None:
    """The id rule must not refuse the system's own ids: those made by requests, by each `new_id` prefix
    the use cases use, the news posts' and the seeded campaigns' ids, the malls and months in paths; and a
    payment's or an order's, sealed for a Cognito sub (a UUID), the longer rule of those ids' parameters."""
    from chalicelib.domain.campaign import SEEDED_CAMPAIGNS
    from chalicelib.domain.merchant import MALLS
    from chalicelib.domain.notices import post_id_for
    from chalicelib.domain.sealed_ids import Sealed
    from chalicelib.handlers.common import new_id, sealed_ids
    from chalicelib.web.schemas.common import ID_PATTERN, SEALED_ID_PATTERN

    world = make_world(env)
    status, charge = env.call("POST", "/wallet/charges", role="resident", sub=PAYER, key=new_key(),
                              body={"amount": 1000})
    assert status == 201, charge
    made = [world.merchant_id, world.payment_id, charge["charge_id"], post_id_for("notices/" + "가" * 160 + ".md"),
            *(new_id(prefix) for prefix in ("pay", "ord", "mord", "don", "camp", "run", "mv")),
            *(c.campaign_id for c in SEEDED_CAMPAIGNS), *MALLS, "2026-12"]
    assert [m for m in made if not re.fullmatch(ID_PATTERN, m)] == []
    assert world.merchant_id.startswith("m-") and world.payment_id.startswith("pay_")
    key = env.container.keyring.key("sealed-ids") or b""
    sealed = sealed_ids(("mord", "ord", "pay"), Sealed(str(uuid.uuid4()), "2999-12", world.merchant_id), key)
    assert [s for s in sealed if not re.fullmatch(SEALED_ID_PATTERN, s) or len(s) <= 64] == []


# ---- bounds hold for the text as sent --------------------------------------------------------------


def test_a_text_over_its_bound_is_refused_even_if_trimming_would_bring_it_under(
    env: Env, subtests: pytest.Subtests
) -> None:
    """The document's maxLength and patterns speak of the JSON string as sent; a title of 101 characters
    whose first is a space used to be trimmed to 100 and taken (found by the schema fuzzing)."""
    env.open_wallet(PAYER, charge=50_000)
    before = env.call("GET", "/campaigns?limit=100", role="staff", sub="staff1")
    for label, body in (("a title, one space over", {"title": " " + "가" * 100, "category": "general", "target": 1000}),
                        ("a category, one space over", {"title": "연탄", "category": "x" * 40 + " ", "target": 1000})):
        with subtests.test(msg=label):
            status, out = env.call("POST", "/staff/campaigns", role="staff", sub="staff1", body=body)
            assert_error(status, out, 400, "VALIDATION_ERROR")
    assert env.call("GET", "/campaigns?limit=100", role="staff", sub="staff1") == before
    with subtests.test(msg="a shipping phone with a space in front"):
        status, out = env.call("POST", "/mall/orders", role="resident", sub=PAYER, key=new_key(), body={
            "mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
            "shipping": {"name": "홍길동", "phone": " 010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"},
            "consent": {"third_party_provision": True, "version": "2020-01"}})
        assert_error(status, out, 400, "VALIDATION_ERROR")
    status, out = env.call("POST", "/staff/campaigns", role="staff", sub="staff1",
                           body={"title": "가" * 100, "category": " general ", "target": 1000})
    assert (status, out["category"]) == (201, "general"), out
