"""The document and the server agree at the edges: for a sample of the rules `/openapi.json` states, values
just outside what it documents are refused with 400 `VALIDATION_ERROR` (404 for a path parameter) and values
just inside are taken (whatever business answer follows: 201, or 409 for want of money, never 400).

The values are read from the document (its minimum and maximum, enum, const, maxLength), so a bound moved in
the schema types moves the probe; each request body is checked against the document with a JSON Schema
validator (its `allOf` rules included), and the server's verdict must be the document's.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest
from pydantic import TypeAdapter, ValidationError

import app  # noqa: F401  (declares every area's routes)
from chalicelib.web.api import declared
from chalicelib.web.openapi import build
from chalicelib.web.schemas.common import Month, Text40
from chalicelib.web.schemas.donations import RegistrationNumber
from chalicelib.web.schemas.merchants import BusinessNumber
from tests.support import Env, business_number, new_key

DOC = build(declared(), include_local=True)
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]
Path = tuple[str | int, ...]
PROBER = "prober"
"""Who sends the probes: a resident with a wallet and money where a probe needs them."""
_serial = itertools.count(1)


def validator(schema: dict[str, Any]) -> Any:
    """A JSON Schema 2020-12 validator for `schema`, its references resolved in the document."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": DOC["components"]}, validate_formats=True)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].rsplit("/", 1)[1]]
    return node


def field(model: str, at: Path) -> dict[str, Any]:
    """The documented schema of the value at `at` in a `model` body (its non-null alternative)."""
    node = SCHEMAS[model]
    for step in at:
        node = resolve(node)
        node = node["items"] if isinstance(step, int) else node["properties"][step]
    (only,) = [resolve(b) for b in node.get("anyOf", [node]) if b != {"type": "null"}]
    return only


def edges(schema: dict[str, Any]) -> list[Any]:
    """Values on both sides of each bound the document states for a field."""
    if "const" in schema:
        return [schema["const"], not schema["const"]]
    if "enum" in schema:
        first, last = schema["enum"][0], schema["enum"][-1]
        if isinstance(last, int):
            return [first, last, min(schema["enum"]) - 1, max(schema["enum"]) + 1]
        return [first, last, first + "x", f" {first}"]
    if schema.get("type") == "integer":
        low = schema["minimum"] if "minimum" in schema else schema["exclusiveMinimum"] + 1
        return [low - 1, low, schema["maximum"], schema["maximum"] + 1]
    if schema.get("type") == "string" and "maxLength" in schema:
        return ["가" * schema["maxLength"], "가" * (schema["maxLength"] + 1), "", "   "]
    raise AssertionError(f"no edges for {schema}")


def put(body: dict[str, Any], at: Path, value: Any) -> dict[str, Any]:
    sent = copy.deepcopy(body)
    node: Any = sent
    for step in at[:-1]:
        node = node[step]
    node[at[-1]] = value
    return sent


def probe(env: Env, method: str, path: str, model: str, body: Any, at: Path, values: list[Any] | None = None, *,
          role: str = "resident", sub: str = PROBER, merchant_id: str | None = None, key: bool = False,
          succeeds: bool = True) -> None:
    """Send `body` (or `body()`, a fresh one per request) with each value at `at` (by default the edges of what
    the document states there), as `sub` of `role`; the server must refuse exactly the bodies the document
    calls invalid, and the values must reach both sides. Unless `succeeds` is false (the probe's caller cannot
    afford it), one of the documented bodies at least is taken with a 2xx."""
    check = validator({"$ref": f"#/components/schemas/{model}"})
    sides = set()
    statuses = set()
    for value in values if values is not None else edges(field(model, at)):
        sent = put(body() if callable(body) else body, at, value)
        documented = check.is_valid(sent)
        sides.add(documented)
        status, out = env.call(method, path, role=role, sub=sub, merchant_id=merchant_id, body=sent,
                               key=new_key() if key else None)
        where = f"{method} {path} {'.'.join(map(str, at))}={json.dumps(value, ensure_ascii=False)}"
        if documented:
            assert status != 400, f"{where}: the document takes it, the server refused: {out}"
            statuses.add(status)
        else:
            assert (status, out["error"]["code"]) == (400, "VALIDATION_ERROR"), f"{where}: {status} {out}"
    assert sides == {True, False}, f"{method} {path} {at}: the values did not reach both sides"
    assert not succeeds or any(200 <= s < 300 for s in statuses), f"{method} {path} {at}: never taken: {statuses}"


def probe_parameter(env: Env, path: str, name: str, refused: int = 400) -> None:
    """A query (or path) parameter: each edge value of its documented schema, in the URL."""
    (param,) = [p for p in DOC["paths"][path]["get"]["parameters"] if p["name"] == name]
    check = validator(param["schema"])
    sides = set()
    for value in edges(resolve(param["schema"])):
        documented = check.is_valid(value)
        sides.add(documented)
        text = quote(str(value), safe="")
        url = path.replace(f"{{{name}}}", text) if "{" in path else f"{path}?{name}={text}"
        status, out = env.call("GET", url, role="resident", sub="reader")
        if documented:
            assert status == 200, f"{url}: {status} {out}"
        else:
            assert status == refused and out["error"]["code"] in ("VALIDATION_ERROR", "NOT_FOUND"), f"{url}: {out}"
    assert sides == {True, False}, (path, name)


# ---- a district to probe -----------------------------------------------------------------------------------

MENU_SIZE = 60


@pytest.fixture
def shop(env: Env) -> str:
    """A Benefit Plus shop that delivers to every dong for free with no minimum order, a menu of cheap items,
    and a product in 온리서구몰; and a resident with money."""
    staff_body = {"name": "경계 분식", "business_number": business_number(777), "dong": "청라1동",
                  "category": "restaurant", "benefit_plus": True, "discount_rate": 5, "malls": ["only-seogu"],
                  "delivery": {"fee": 0, "min_order": 0, "dongs": ["청라1동"]}}
    status, out = env.call("POST", "/staff/merchants", role="staff", sub="clerk", body=staff_body)
    assert status == 201, out
    shop_id: str = out["merchant_id"]
    menu = {"items": [{"item_id": f"i{n}", "name": f"품목 {n}", "price": 100, "available": True}
                      for n in range(MENU_SIZE)]}
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop_id, body=menu)[0] == 200
    product = {"mall": "only-seogu", "name": "쌀", "price": 100, "stock": 100_000, "shipping_fee": 0}
    status, out = env.call("PUT", "/merchant/products/rice", role="merchant", sub="owner", merchant_id=shop_id,
                           body=product)
    assert status == 200, out
    return shop_id


# ---- the probes -------------------------------------------------------------------------------------------


def test_opening_a_wallet_takes_exactly_the_22_dongs_and_agree_terms_true(env: Env):
    body = {"dong": "청라1동", "agree_terms": True}
    probe(env, "POST", "/wallet", "OpenWalletIn", body, ("dong",))
    probe(env, "POST", "/wallet", "OpenWalletIn", body, ("agree_terms",), sub="another")


def test_an_order_s_quantities_lines_and_dong_are_refused_just_outside_the_document_and_taken_inside(
    env: Env, shop: str
):
    env.open_wallet(PROBER, charge=500_000)
    body = {"merchant_id": shop, "items": [{"item_id": "i0", "quantity": 1}], "address": "청라동 1-1",
            "dong": "청라1동"}
    probe(env, "POST", "/orders", "OrderIn", body, ("items", 0, "quantity"), key=True)
    items = field("OrderIn", ("items",))
    lines = [[{"item_id": f"i{n}", "quantity": 1} for n in range(count)]
             for count in (items["minItems"] - 1, items["minItems"], items["maxItems"], items["maxItems"] + 1)]
    probe(env, "POST", "/orders", "OrderIn", body, ("items",), lines, key=True)
    probe(env, "POST", "/orders", "OrderIn", body, ("dong",), ["청라1동", "청라 1동", " 청라1동", None], key=True)


def test_a_mall_order_s_quantity_mall_and_consent_are_refused_just_outside_and_taken_inside(env: Env, shop: str):
    env.open_wallet(PROBER, charge=500_000)
    body = {"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
            "shipping": {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 1", "postcode": "22742"},
            "consent": {"third_party_provision": True, "version": "2020-01"}}
    probe(env, "POST", "/mall/orders", "MallOrderIn", body, ("items", 0, "quantity"), key=True)
    probe(env, "POST", "/mall/orders", "MallOrderIn", body, ("consent", "third_party_provision"), key=True)
    probe(env, "POST", "/mall/orders", "MallOrderIn", body, ("mall",), key=True)


def test_donations_start_at_100_won_and_a_fixed_automatic_donation_needs_its_amount(env: Env):
    env.open_wallet(PROBER)
    # No cashback yet: 409 INSUFFICIENT_FUNDS, whatever the amount the document takes.
    probe(env, "POST", "/donations", "DonationIn", {"amount": 100}, ("amount",), key=True, succeeds=False)
    probe(env, "PUT", "/donations/auto", "AutoDonationIn", {"mode": "fixed", "amount": 100}, ("amount",))
    probe(env, "PUT", "/donations/auto", "AutoDonationIn", {"mode": "fixed", "amount": 100}, ("amount",), [100, None])
    probe(env, "PUT", "/donations/auto", "AutoDonationIn", {"mode": "all"}, ("amount",), [None, 100])
    probe(env, "PUT", "/donations/auto", "AutoDonationIn", {"mode": "off"}, ("campaign_id",),
          [None, "solitary-elderly"])


def test_a_merchant_s_rate_number_dong_malls_and_texts_are_refused_just_outside_and_taken_inside(env: Env):
    def body(**changes: Any) -> Any:
        def fresh() -> dict[str, Any]:
            return {"name": "가게", "business_number": business_number(next(_serial) + 1000), "dong": "청라1동",
                    "category": "restaurant", "benefit_plus": True, "discount_rate": 5, **changes}
        return fresh

    def register(fresh: Any, at: str, values: list[Any] | None = None) -> None:
        probe(env, "POST", "/staff/merchants", "MerchantIn", fresh, (at,), values, role="staff")

    register(body(), "discount_rate", [0, 3, 5, 7, 4, None])
    register(body(benefit_plus=False), "discount_rate", [0, None, 3])
    register(body(), "dong")
    register(body(), "category")
    register(body(malls=["yumyum"]), "food_complex", [True, False])
    register(body(), "malls", [["only-seogu"], [], ["only-seogu", "only-seogu"], ["coupang"]])
    register(body(), "business_number", ["220-81-62517", "2208162517", " 2208162517", "220-8162517x",
                                         "２２０８１６２５１７"])


def test_a_tax_id_needs_consent_and_a_number_of_the_documented_shape(env: Env):
    body = {"rrn": "900101-1234568", "consent_nts": True}
    probe(env, "PUT", "/me/tax-id", "TaxIdIn", body, ("consent_nts",))
    probe(env, "PUT", "/me/tax-id", "TaxIdIn", body, ("rrn",),
          ["900101-1234568", "9001011234568", "900101-1234568\n", "900101 1234568", "９００１０１-１２３４５６８"])


def test_a_tier_rate_is_refused_just_above_the_deployment_s_cap(env: Env):
    body = {"programs": [{"program_id": "city-base", "funder": "incheon-city",
                          "tiers": [{"up_to": None, "rate_bp": 100}]}],
            "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}
    probe(env, "PUT", "/staff/policies/2020-06", "PolicyIn", body, ("programs", 0, "tiers", 0, "rate_bp"),
          role="staff")


def test_campaigns_products_and_acceptance_are_refused_just_outside_their_bounds(env: Env, shop: str):
    probe(env, "POST", "/staff/campaigns", "CampaignIn", {"title": "겨울 나기", "category": "elderly", "target": 1},
          ("target",), role="staff")
    probe(env, "POST", "/staff/campaigns", "CampaignIn", {"title": "겨울 나기", "category": "elderly", "target": 1},
          ("category",), role="staff")
    product = {"mall": "only-seogu", "name": "쌀", "price": 100, "stock": 10, "shipping_fee": 0}
    for at in ("price", "stock", "shipping_fee"):
        probe(env, "PUT", "/merchant/products/rice", "ProductIn", product, (at,), role="merchant", merchant_id=shop)
    env.open_wallet("eater", charge=100_000)
    status, placed = env.call("POST", "/orders", role="resident", sub="eater", key=new_key(),
                              body={"merchant_id": shop, "items": [{"item_id": "i1", "quantity": 1}], "address": "1"})
    assert status == 201, placed
    probe(env, "POST", f"/merchant/orders/{placed['order_id']}/accept", "AcceptIn", {"eta_minutes": 30},
          ("eta_minutes",), role="merchant", merchant_id=shop)


def test_query_and_path_parameters_are_refused_just_outside_the_document(env: Env, shop: str):
    probe_parameter(env, "/campaigns", "limit")
    probe_parameter(env, "/merchants", "dong")
    probe_parameter(env, "/news", "dong")
    probe_parameter(env, "/malls/{mall}/products", "mall", refused=404)


def test_a_shop_s_location_and_a_search_s_radius_and_point_are_refused_just_outside_the_document(env: Env):
    shop = env.register_merchant(number=business_number(4242))
    for at in ("lat", "lng"):
        bounds = field("LocationIn", (at,))
        low, high = bounds["minimum"], bounds["maximum"]
        probe(env, "PUT", f"/staff/merchants/{shop}/location", "LocationIn", {"lat": 37.5455, "lng": 126.6761}, (at,),
              [low, high, round(low - 0.000001, 6), round(high + 0.000001, 6), "37.5", None], role="staff")
    (radius,) = [p for p in DOC["paths"]["/merchants"]["get"]["parameters"] if p["name"] == "radius"]
    (near,) = [p for p in DOC["paths"]["/merchants"]["get"]["parameters"] if p["name"] == "near"]
    check_radius, check_near = validator(radius["schema"]), validator(near["schema"])
    for value in edges(radius["schema"]):
        status, out = env.call("GET", f"/merchants?near=37.5455,126.6761&radius={value}", role="resident", sub="r")
        assert (status == 200) == check_radius.is_valid(value), (value, out)
    within: dict[str, list[float]] = near["schema"]["x-within"]

    def documented(value: str) -> bool:
        if not check_near.is_valid(value):
            return False
        lat, lng = map(float, value.split(","))
        return within["lat"][0] <= lat <= within["lat"][1] and within["lng"][0] <= lng <= within["lng"][1]

    for value in ("37.5455,126.6761", "37.71,126.82", "37.4,126.48", "37.711,126.6761", "37.5455,126.479", "-37,126",
                  "37.5455", "37.5455,126.6761,0", "37.5455, 126.6761", "3e1,126", "37.5455,126.6761\n"):
        status, out = env.call("GET", f"/merchants?near={quote(value)}", role="resident", sub="r")
        assert status == (200 if documented(value) else 400), (value, out)


# ---- what a pattern cannot test at the edges: character by character -------------------------------------


def test_the_not_blank_pattern_takes_exactly_the_texts_the_server_s_trimming_leaves_something_of():
    check = validator(field("CampaignIn", ("category",)))
    server = TypeAdapter(Text40)
    for code in [*range(0x0, 0xD800), *range(0xE000, 0x10000)]:
        for text in (chr(code), f"{chr(code)}a{chr(code)}"):
            try:
                server.validate_python(text, strict=True)
                taken = True
            except ValidationError:
                taken = False
            assert check.is_valid(text) == taken, hex(code)


@pytest.mark.parametrize(("kind", "values"), [
    (Month, ["2020-01", "2999-12", "2000-01", "1999-12", "3000-01", "2020-13", "2020-00", "2020-1", "٢٠٢٠-٠١",
             "2020-01\n", " 2020-01", "2020/01"]),
    (BusinessNumber, ["1248100998", "124-81-00998", "124-8100998", "12481-00998", "12-481-00998", "124810099",
                      "12481009988", "１２４８１００９９８", "1248100998\n", "1248100997"]),
    (RegistrationNumber, ["9001011234568", "900101-1234568", "900101-123456", "90010112345678", "900101--1234568",
                          "900101-1234568\n", "900101-1234567"]),
])
def test_a_value_the_server_takes_always_matches_the_documented_pattern(kind: Any, values: list[str]):
    """A pattern may say less than the server checks (a check digit), never more: the server takes nothing
    the document calls invalid."""
    adapter = TypeAdapter(kind)
    check = validator(adapter.json_schema(ref_template="#/components/schemas/{model}"))
    for value in values:
        try:
            adapter.validate_python(value, strict=True)
            taken = True
        except ValidationError:
            taken = False
        assert check.is_valid(value) or not taken, value


def test_a_time_in_a_request_is_taken_exactly_when_the_document_calls_it_an_rfc_3339_time_of_the_years_2xxx():
    """pydantic alone took seconds since 1970 in a string, a space for the `T`, `+0900` and times without
    seconds, none of which is `format: date-time`. (A leap second, `23:59:60`, is RFC 3339 and refused: no
    clock of this system has one.)"""
    from chalicelib.web.schemas.system import ClockIn

    check = validator({"$ref": "#/components/schemas/ClockIn"})
    for now in ["2020-05-15T10:00:00+09:00", "2020-05-15T01:00:00Z", "2020-05-15t01:00:00z", "2020-05-15T10:00:00.5+09:00",
                "1589504400", "2020-05-15 10:00:00+09:00", "2020-05-15T10:00:00+0900", "2020-05-15T10:00+09:00",
                "2020-05-15T10:00:00", "2020-02-30T10:00:00Z", "1999-12-31T23:59:59+09:00", "0001-01-01T00:00:00Z"]:
        try:
            ClockIn.model_validate_json(json.dumps({"now": now}), strict=True)
            taken = True
        except ValidationError:
            taken = False
        assert check.is_valid({"now": now}) == taken, now
