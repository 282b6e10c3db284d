"""`/openapi.json` states every rule the server enforces on input, from the definitions the server validates
with (API.md v2, "Conventions, added"): bounds, enums taken from the domain's own lists, `const: true`
for agreements, patterns and formats, which properties are required, the rules that join two fields, a tag
for each operation's area, and the error codes each status can carry. (That the server refuses just
outside what the document states and takes just inside: test_openapi_consistency.py.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

import app  # noqa: F401  (declares every area's routes)
from chalicelib.domain.bounds import MAX_LINES, MAX_QUANTITY
from chalicelib.domain.donations import MIN_DONATION
from chalicelib.domain.dongs import DONGS
from chalicelib.domain.merchant import BENEFIT_PLUS_RATES, MALLS
from chalicelib.settings import Settings
from chalicelib.web.api import STATUS_BY_CODE, declared
from chalicelib.web.openapi import CONFLICTS, build
from chalicelib.web.schemas.common import MONTH_PATTERN, NOT_BLANK
from tests.support import ROOT, Env

DOC = build(declared(), include_local=True)
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]
AREAS = {"wallet", "payments", "merchants", "catalogue", "orders", "malls", "donations", "settlement", "news",
         "policies", "audit", "system", "history", "gifts"}
TIMESTAMP = re.compile(r"(^|_)(at|now)$")
VERBS = ("get", "put", "post", "delete", "patch")


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].rsplit("/", 1)[1]]
    return node


def branches(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's non-null alternatives, references followed (`X | None` is `anyOf: [X, null]`)."""
    return [resolve(b) for b in node.get("anyOf", [node]) if b != {"type": "null"}]


def field(model: str, *path: str) -> dict[str, Any]:
    """A property's schema (its one non-null alternative), following `items` for the "[]" steps."""
    node = SCHEMAS[model]
    for step in path:
        (node,) = branches(node)
        node = node["items"] if step == "[]" else node["properties"][step]
    (only,) = branches(node)
    return only


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method in VERBS:
            if method in item:
                yield path, method, item[method]


def operation(operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in operations() if op["operationId"] == operation_id)


def request_models() -> set[str]:
    """Every schema a request body reaches (nested ones included)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    walk(SCHEMAS[name])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk([op["requestBody"] for _, _, op in operations() if "requestBody" in op])
    return found


def response_models() -> set[str]:
    return {name for name in SCHEMAS if name.endswith(("Out", "List", "Progress"))}


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object under `node` (properties, items, alternatives), references not followed."""
    if isinstance(node, dict):
        yield node
        for key in ("properties", "$defs"):
            for child in node.get(key, {}).values():
                yield from nodes(child)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from nodes(node[key])
        for key in ("anyOf", "oneOf", "allOf"):
            for child in node.get(key, []):
                yield from nodes(child)


# ---- what the domain decides, stated ---------------------------------------------------------------------


def test_a_line_buys_1_to_99_of_an_item_and_an_order_has_1_to_50_lines_each_item_once():
    assert MAX_QUANTITY == 99 and MAX_LINES == 50
    for model in ("OrderLineIn", "MallLineIn"):
        quantity = field(model, "quantity")
        assert (quantity["type"], quantity["minimum"], quantity["maximum"]) == ("integer", 1, MAX_QUANTITY), model
    for model, key in (("OrderIn", "item_id"), ("MallOrderIn", "product_id")):
        items = field(model, "items")
        assert (items["minItems"], items["maxItems"], items["x-unique-by"]) == (1, MAX_LINES, key), model
    assert field("MenuIn", "items")["x-unique-by"] == "item_id"


def test_agreements_and_consents_must_be_sent_as_true():
    for model, name in (("OpenWalletIn", "agree_terms"), ("ConsentIn", "third_party_provision"),
                        ("TaxIdIn", "consent_nts")):
        assert field(model, name) == {"type": "boolean", "const": True, "title": field(model, name)["title"]}, model
        assert name in SCHEMAS[model]["required"], model


def test_every_dong_the_api_takes_is_one_of_the_22_dongs_of_the_domain_and_of_the_shared_data():
    assert SCHEMAS["Dong"] == {"type": "string", "enum": list(DONGS)} and len(DONGS) == 22
    shared = ROOT.parent / "shared" / "data" / "dongs.json"
    if shared.exists():  # the project's data, beside the repository (a fresh clone may not have it)
        assert list(DONGS) == json.loads(shared.read_text(encoding="utf-8"))["dongs"]
    taken = [field("OpenWalletIn", "dong"), field("MerchantIn", "dong"), field("OrderIn", "dong"),
             field("DeliveryIn", "dongs", "[]")]
    for path in ("/merchants", "/news"):
        (param,) = [p for p in DOC["paths"][path]["get"]["parameters"] if p["name"] == "dong"]
        taken.append(resolve(param["schema"]))
    assert all(schema["enum"] == list(DONGS) for schema in taken), taken
    dongs = field("DeliveryIn", "dongs")
    assert (dongs["minItems"], dongs["maxItems"], dongs["uniqueItems"]) == (1, 22, True)


def test_every_mall_the_api_takes_is_one_of_the_malls_of_the_domain():
    assert SCHEMAS["Mall"] == {"type": "string", "enum": list(MALLS)} == {"type": "string",
                                                                          "enum": ["only-seogu", "yumyum"]}
    for model, path in (("MallOrderIn", ("mall",)), ("ProductIn", ("mall",)), ("MallApprovalIn", ("mall",)),
                        ("MerchantIn", ("malls", "[]"))):
        assert field(model, *path)["enum"] == list(MALLS), model
    assert field("MerchantIn", "malls")["uniqueItems"] is True
    (param,) = DOC["paths"]["/malls/{mall}/products"]["get"]["parameters"][:1]
    assert resolve(param["schema"])["enum"] == list(MALLS)


def test_numbers_with_a_check_digit_state_their_shape_as_a_pattern_and_their_rule_in_words():
    for model, name, pattern, kind in (
        ("MerchantIn", "business_number", r"^[0-9]{3}-?[0-9]{2}-?[0-9]{5}$", "business-registration-number"),
        ("TaxIdIn", "rrn", r"^[0-9]{6}-?[0-9]{7}$", "resident-registration-number"),
    ):
        schema = field(model, name)
        assert (schema["pattern"], schema["x-check-digit"]) == (pattern, kind)
        assert "check digit" in schema["description"]


def test_a_donation_is_at_least_100_won_and_a_fixed_automatic_one_needs_its_amount():
    assert MIN_DONATION == 100
    assert field("DonationIn", "amount")["minimum"] == MIN_DONATION
    assert field("AutoDonationIn", "amount")["minimum"] == MIN_DONATION
    assert field("AutoDonationIn", "mode")["enum"] == ["all", "fixed", "off"]
    fixed, off = SCHEMAS["AutoDonationIn"]["allOf"]
    assert fixed["if"] == {"properties": {"mode": {"const": "fixed"}}}
    assert fixed["then"]["required"] == ["amount"] and fixed["else"]["properties"]["amount"] == {"type": "null"}
    assert off["then"]["properties"]["campaign_id"] == {"type": "null"}


def test_a_benefit_plus_merchant_has_a_rate_of_3_5_or_7_any_other_none_and_yumyum_takes_the_food_complex():
    assert field("MerchantIn", "discount_rate")["enum"] == [0, *BENEFIT_PLUS_RATES] == [0, 3, 5, 7]
    rate, yumyum = SCHEMAS["MerchantIn"]["allOf"]
    assert rate["if"] == {"properties": {"benefit_plus": {"const": True}}}
    assert rate["then"] == {"required": ["discount_rate"], "properties": {"discount_rate": {"enum": [3, 5, 7]}}}
    assert rate["else"] == {"properties": {"discount_rate": {"enum": [0, None]}}}
    assert yumyum["if"]["properties"]["malls"] == {"contains": {"const": "yumyum"}}
    assert yumyum["then"]["properties"]["food_complex"] == {"const": True}


def test_a_tier_rate_is_capped_at_this_deployment_s_max_rate_bp():
    assert field("TierIn", "rate_bp")["maximum"] == Settings.max_rate_bp == 1_000
    raised = build(declared(), include_local=True, max_rate_bp=1_500)["components"]["schemas"]["TierIn"]
    assert raised["properties"]["rate_bp"]["maximum"] == 1_500
    assert field("PolicyIn", "programs")["x-unique-by"] == "program_id"
    assert field("ProgramIn", "applies_to")["enum"] == ["all", "benefit-plus"]


def test_the_served_document_is_the_generated_one_with_this_deployment_s_settings(env: Env):
    status, served = env.call("GET", "/openapi.json")
    assert status == 200
    settings = env.container.settings
    assert served == build(declared(), include_local=settings.is_local, max_rate_bp=settings.max_rate_bp)


# ---- formats, bounds and what is required ---------------------------------------------------------------


def test_every_timestamp_in_requests_and_responses_is_format_date_time():
    found = []
    for name, schema in SCHEMAS.items():
        for prop, node in schema.get("properties", {}).items():
            if TIMESTAMP.search(prop):
                found.append(f"{name}.{prop}")
                assert all(b.get("format") == "date-time" for b in branches(node)), f"{name}.{prop}: {node}"
    assert len(found) >= 20, found
    assert {"ClockIn.now", "PaymentOut.created_at", "MallOrderOut.consent_at", "AuditEntryOut.at"} <= set(found)


def test_every_month_is_yyyy_mm_as_a_pattern_in_bodies_queries_and_paths():
    months = [(f"{name}.{prop}", node) for name, schema in SCHEMAS.items()
              for prop, node in schema.get("properties", {}).items()
              if prop in ("month", "effective_month") and branches(node)[0].get("type") == "string"]
    months += [(f"{method} {path} {p['name']}", p["schema"]) for path, method, op in operations()
               for p in op.get("parameters", []) if p["name"] == "month"]
    assert len(months) >= 12, months
    for where, node in months:
        assert all(b.get("pattern") == MONTH_PATTERN for b in branches(node)), where


def test_free_texts_are_bounded_and_not_blank():
    category = field("CampaignIn", "category")
    assert (category["minLength"], category["maxLength"], category["pattern"]) == (1, 40, NOT_BLANK)
    for model in request_models():
        for node in nodes(SCHEMAS[model]):
            if node.get("type") == "string":
                assert {"maxLength", "enum", "const", "pattern", "format"} & set(node), (model, node)
                if "minLength" in node and "enum" not in node:
                    assert node.get("pattern") == NOT_BLANK or node["pattern"].startswith("^"), (model, node)


def test_every_number_and_list_in_a_request_is_bounded():
    for model in request_models():
        for node in nodes(SCHEMAS[model]):
            if node.get("type") == "integer" and "enum" not in node:
                assert {"minimum", "exclusiveMinimum"} & set(node) and "maximum" in node, (model, node)
            if node.get("type") == "array":
                assert "maxItems" in node, (model, node)
    for _, _, op in operations():
        for param in op.get("parameters", []):
            for node in branches(param["schema"]):
                if node.get("type") == "integer":
                    assert "minimum" in node and "maximum" in node, (op["operationId"], param)


def test_request_bodies_take_no_unknown_field_and_say_which_are_required():
    for model in request_models():
        schema = SCHEMAS[model]
        if schema.get("type") == "object":
            assert schema.get("additionalProperties") is False, model
    assert set(SCHEMAS["OpenWalletIn"]["required"]) == {"dong", "agree_terms"}
    assert set(SCHEMAS["OrderIn"]["required"]) == {"merchant_id", "items", "address"}
    # A body whose every field is optional may be left out; every other is required.
    assert operation("refund_payment")["requestBody"]["required"] is False
    assert operation("place_order")["requestBody"]["required"] is True


def test_every_response_field_is_required_as_the_server_always_sends_it():
    for model in response_models():
        schema = SCHEMAS[model]
        assert set(schema.get("required", [])) == set(schema.get("properties", {})), model


# ---- operations and their errors --------------------------------------------------------------------------


def test_every_operation_has_a_tag_for_its_area():
    for path, method, op in operations():
        assert len(op.get("tags", [])) == 1 and op["tags"][0] in AREAS, f"{method} {path}"


def test_every_error_response_lists_the_codes_it_can_carry():
    expected_status = {**STATUS_BY_CODE, "METHOD_NOT_ALLOWED": 405, "RATE_LIMITED": 429}
    for path, method, op in operations():
        statuses = {int(s) for s in op["responses"] if int(s) >= 400}
        where = f"{method} {path}"
        assert {400, 404, 405, 429, 503} <= statuses, where
        assert ({401, 403} <= statuses) == ("security" in op), where
        assert (413 in statuses) == ("requestBody" in op), where
        keyed = any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
        assert (422 in statuses) == keyed, where
        for status in statuses:
            response = op["responses"][str(status)]
            codes = response["x-error-codes"]
            assert codes, (where, status)
            for code in codes:
                assert code in response["description"], (where, status)
                assert expected_status[code] == status or (status, code) == (413, "VALIDATION_ERROR"), (where, code)


def test_409_lists_the_business_refusals_each_operation_can_make():
    def conflicts(operation_id: str) -> list[str]:
        response = operation(operation_id)["responses"].get("409")
        return response["x-error-codes"] if response else []

    assert conflicts("charge_wallet") == ["CONFLICT", "LIMIT_EXCEEDED", "INVALID_STATE"]
    assert conflicts("create_payment") == ["CONFLICT", "INSUFFICIENT_FUNDS", "INVALID_STATE"]
    assert conflicts("place_mall_order") == ["CONFLICT", "INSUFFICIENT_FUNDS", "OUT_OF_STOCK", "INVALID_STATE"]
    assert conflicts("accept_order") == ["CONFLICT", "INVALID_STATE"]
    assert conflicts("register_merchant") == ["CONFLICT"]
    assert conflicts("merchant_settlement") == ["INVALID_STATE"]
    assert conflicts("list_orders") == [] and conflicts("health") == []
    # Every operation the table names exists (a renamed route would otherwise fall back to every code).
    assert set(CONFLICTS) <= {op["operationId"] for _, _, op in operations()}


def test_the_idempotency_key_is_required_where_the_contract_requires_it_and_optional_where_it_is_optional():
    required = {"charge_wallet", "create_payment", "refund_payment", "place_order", "place_mall_order", "donate",
                "withdraw"}
    optional = {"cancel_order", "cancel_mall_order", "reject_order", "cancel_charge"}
    for _, _, op in operations():
        keys = [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
        if op["operationId"] in required:
            assert [k["required"] for k in keys] == [True], op["operationId"]
        elif op["operationId"] in optional:
            assert [k["required"] for k in keys] == [False], op["operationId"]


@pytest.mark.parametrize("path", ["/staff/settlements/{month}", "/staff/policies/{month}"])
def test_a_month_in_a_path_is_documented_as_a_month(path: str):
    for method in DOC["paths"][path]:
        (param,) = [p for p in DOC["paths"][path][method]["parameters"] if p["in"] == "path"]
        assert param["schema"]["pattern"] == MONTH_PATTERN


def test_the_meter_a_shop_s_rate_and_shops_near_me_are_documented_with_their_bounds():
    from chalicelib.domain.geo import RADIUS_DEFAULT_M, RADIUS_MAX_M, SEARCH_AREA, SEOGU
    from chalicelib.web.schemas.merchants import NEAR_PATTERN

    assert set(field("MonthOut", "meter", "[]")["required"]) == {
        "program_id", "applies_to", "eligible_spend", "rate_bp", "until_next", "next_rate_bp"}
    assert operation("get_merchant")["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MerchantDetailOut"}
    assert "cashback_rate_bp" in SCHEMAS["MerchantDetailOut"]["required"]
    assert {"location", "distance_m"} <= set(field("MerchantList", "items", "[]")["required"])
    for model in ("MerchantIn", "MerchantOut"):
        assert "location" in SCHEMAS[model]["properties"], model
    lat, lng = field("LocationIn", "lat"), field("LocationIn", "lng")
    assert (lat["minimum"], lat["maximum"], lng["minimum"], lng["maximum"]) == (
        SEOGU.south, SEOGU.north, SEOGU.west, SEOGU.east)
    assert SCHEMAS["LocationIn"]["required"] == ["lat", "lng"]
    assert operation("set_location")["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LocationIn"}
    params = {p["name"]: p for p in DOC["paths"]["/merchants"]["get"]["parameters"]}
    assert {"near", "radius", "category", "dong", "benefit_plus", "delivery", "limit", "next"} <= set(params)
    assert (params["radius"]["schema"]["minimum"], params["radius"]["schema"]["maximum"],
            params["radius"]["schema"]["default"]) == (1, RADIUS_MAX_M, RADIUS_DEFAULT_M) == (1, 5_000, 1_000)
    assert params["near"]["schema"]["pattern"] == NEAR_PATTERN
    assert params["near"]["schema"]["x-within"] == {"lat": [SEARCH_AREA.south, SEARCH_AREA.north],
                                                    "lng": [SEARCH_AREA.west, SEARCH_AREA.east]}
    assert params["category"]["schema"]["maxLength"] == 40
