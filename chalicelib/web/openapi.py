"""The OpenAPI 3.1 document, generated from the route declarations and their pydantic models.

The models are what the server validates with, so the document states each rule the server enforces on
input from the same definitions: bounds, patterns, enums derived from the domain's own lists (the 22 dongs,
the malls, the Benefit Plus rates), `const: true` for agreements, formats, which properties are required,
and, in `allOf`, the rules that join two fields. What JSON Schema cannot say (a check digit, an id unique
within a list, a tier's rising bounds) has its shape in a pattern, its whole in a description, and an `x-`
extension naming it (`schemas/common.py`, `Rule`). Each error status lists the codes it can carry, in its
description and in `x-error-codes`. `tests/unit/test_openapi_rules.py` checks the document says all this;
`tests/service/test_openapi_clients.py` that client generators take it without a warning.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from chalicelib.settings import Settings
from chalicelib.web.api import _KEY, JSON, MAX_BODY_BYTES, STATUS_BY_CODE, RouteSpec, path_params
from chalicelib.web.schemas.common import ID_PATTERN, PATH_ID_PATTERNS, ErrorOut, Mall, Month
from chalicelib.web.schemas.policies import RATE_CAP_SETTING

REF = "#/components/schemas/{model}"
PATH_TYPES: dict[str, Any] = {"month": Month, "mall": Mall}
"""Path parameters with a rule of their own (the handlers check them: a month is 400, a mall 404); every
other one is an id (`ID_PATTERN`, or `SEALED_ID_PATTERN` for a payment's or an order's: `PATH_ID_PATTERNS`)."""

# ---- error answers -----------------------------------------------------------------------------------

WHY: dict[int, str] = {
    400: "The request breaks a rule this document states (or describes: a check digit, a month that may not "
         "be set, more than is left to refund), or its body is not JSON.",
    401: "No valid bearer token.",
    403: "The token's role may not do this, or the resident acts for the shop being paid.",
    404: "No such resource (or another user's), an id in the body that names nothing, or no such path.",
    405: "The path does not have this method.",
    409: "Refused for a business reason; the code says which.",
    413: f"The body is over {MAX_BODY_BYTES:,} bytes.",
    422: "The Idempotency-Key was used before with another body.",
    429: "Too many requests: try again later.",
    503: "The service is unavailable for a moment: try again later.",
}
EXTRA_CODES: dict[int, tuple[str, ...]] = {405: ("METHOD_NOT_ALLOWED",), 413: ("VALIDATION_ERROR",),
                                           429: ("RATE_LIMITED",)}
"""Answers whose code is not (or not only) where `STATUS_BY_CODE` maps it: a body too large is
`VALIDATION_ERROR` with 413."""
CONFLICT = "CONFLICT"
CONFLICT_CODES = tuple(code for code, status in STATUS_BY_CODE.items() if status == 409)
CONFLICTS: dict[str, tuple[str, ...]] = {
    # Every write may also be CONFLICT (a duplicate, or records that stayed contended past the deadline):
    # `conflict_codes` adds it. INVALID_STATE also where the month has no policy in force (the local clock).
    "open_wallet": ("INVALID_STATE",),
    "get_wallet": ("INVALID_STATE",),
    "charge_wallet": ("LIMIT_EXCEEDED", "INVALID_STATE"),
    "create_payment": ("INSUFFICIENT_FUNDS", "INVALID_STATE"),
    "refund_payment": ("INVALID_STATE",),
    "place_order": ("INSUFFICIENT_FUNDS", "INVALID_STATE"),
    "cancel_order": ("INVALID_STATE",),
    "accept_order": ("INVALID_STATE",),
    "reject_order": ("INVALID_STATE",),
    "dispatch_order": ("INVALID_STATE",),
    "deliver_order": ("INVALID_STATE",),
    "place_mall_order": ("INSUFFICIENT_FUNDS", "OUT_OF_STOCK", "INVALID_STATE"),
    "cancel_mall_order": ("INVALID_STATE",),
    "ship_mall_order": ("INVALID_STATE",),
    "deliver_mall_order": ("INVALID_STATE",),
    "donate": ("INSUFFICIENT_FUNDS", "INVALID_STATE"),
    "set_auto_donation": ("INVALID_STATE",),
    "send_gift": ("INSUFFICIENT_FUNDS",),
    "claim_gift": ("LIMIT_EXCEEDED", "INVALID_STATE"),
    "cancel_gift": ("INVALID_STATE",),
    "cancel_charge": ("INVALID_STATE",),
    "withdraw": ("INVALID_STATE",),
    "list_gifts": (),
    "current_policy": ("INVALID_STATE",),
    "publish_policy": ("INVALID_STATE",),
    "approve_policy": ("INVALID_STATE",),
    "start_settlement": ("INVALID_STATE",),
    "settlement_status": ("INVALID_STATE",),
    "merchant_settlement": ("INVALID_STATE",),
    "staff_budgets": ("INVALID_STATE",),
    # Writes with no business refusal of their own but CONFLICT, and reads that never answer 409.
    **dict.fromkeys((
        "put_menu", "put_product", "create_campaign", "close_campaign", "reopen_campaign", "register_merchant",
        "approve_mall", "set_delivery", "end_delivery", "set_location", "put_tax_id", "delete_tax_id", "nts_export",
        "set_local_clock", "reset_local_clock",
        "staff_audit", "get_menu", "mall_products", "list_campaigns", "get_campaign", "donation_statement",
        "get_auto_donation", "list_orders", "get_order", "merchant_orders", "get_mall_order", "seller_mall_orders",
        "list_merchants", "get_merchant", "list_news", "get_news", "staff_notices", "list_payments", "get_payment",
        "month_policy", "health", "openapi_document", "get_tax_id", "history", "history_csv", "usage_statement",
        "set_auto_charge", "get_auto_charge", "merchant_payments", "my_products", "my_menu",
    ), ()),
}
"""The 409 codes each operation can answer with besides CONFLICT (by operationId). An operation not listed
(a new route) is documented with every 409 code, which is never wrong, only vague."""


def conflict_codes(spec: RouteSpec) -> tuple[str, ...]:
    """The 409 codes `spec` can answer with (none: it never answers 409)."""
    if spec.name not in CONFLICTS:
        return CONFLICT_CODES
    extra = CONFLICTS[spec.name]
    codes = (CONFLICT, *extra) if spec.method != "GET" else extra
    return tuple(c for c in CONFLICT_CODES if c in codes)


def codes_by_status() -> dict[int, tuple[str, ...]]:
    """Every error status of the API and the codes it carries (`STATUS_BY_CODE`, with `EXTRA_CODES`)."""
    by: dict[int, list[str]] = {}
    for code, status in [*STATUS_BY_CODE.items(), *((c, s) for s, codes in EXTRA_CODES.items() for c in codes)]:
        if code not in by.setdefault(status, []):
            by[status].append(code)
    return {status: tuple(codes) for status, codes in by.items()}


def error_codes(spec: RouteSpec) -> dict[int, tuple[str, ...]]:
    """Each error status `spec` can answer with, and the codes it can carry there."""
    wanted = [400, 404, 405, 429, 503]
    if spec.role is not None:
        wanted += [401, 403]
    if spec.body is not None:
        wanted.append(413)
    if spec.idempotent or spec.optional_key:
        wanted.append(422)
    known = codes_by_status()
    statuses = {s: known[s] for s in wanted if s in known}
    if conflicts := conflict_codes(spec):
        statuses[409] = conflicts
    return dict(sorted(statuses.items()))


def _error_response(status: int, codes: tuple[str, ...], error: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": f"{' or '.join(codes)}. {WHY.get(status, '')}".strip(),
        "x-error-codes": list(codes),
        "content": {"application/json": {"schema": error}},
    }


# ---- parameters ----------------------------------------------------------------------------------


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a string: its schema without the model's `null` branch and title."""
    schema = {k: v for k, v in prop.items() if k not in ("title", "anyOf")}
    branches = [b for b in prop.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    if schema.get("default") is None:
        schema.pop("default", None)
    return schema


def _query_parameters(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    defs.update(schema.get("$defs", {}))
    required = set(schema.get("required", []))
    props: dict[str, Any] = schema.get("properties", {})
    params = []
    for name, prop in props.items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                 "schema": _without_null(prop)}
        if "description" in param["schema"]:
            param["description"] = param["schema"].pop("description")
        params.append(param)
    return params


def _path_parameter(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    if name in PATH_TYPES:
        schema = TypeAdapter(PATH_TYPES[name]).json_schema(ref_template=REF)
        defs.update(schema.pop("$defs", {}))
    else:
        schema = {"type": "string", "pattern": PATH_ID_PATTERNS.get(name, ID_PATTERN)}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _fill_settings(node: Any, values: dict[str, int]) -> None:
    """Bounds that are a deployment's setting (`x-maximum-setting`) take this deployment's value."""
    if isinstance(node, dict):
        setting = node.get("x-maximum-setting")
        if setting in values:
            node["maximum"] = values[setting]
        for child in node.values():
            _fill_settings(child, values)
    elif isinstance(node, list):
        for child in node:
            _fill_settings(child, values)


# ---- the document ----------------------------------------------------------------------------------


def build(specs: list[RouteSpec], *, include_local: bool, title: str = "Seoro e-Eum API",
          max_rate_bp: int = Settings.max_rate_bp) -> dict[str, Any]:
    """Every declared route (the local-only ones only where the stage has them); `max_rate_bp` is the
    deployment's cap on a tier's rate (`MAX_RATE_BP`)."""
    visible = [s for s in specs if include_local or not s.local_only]
    models: list[tuple[type[BaseModel], Any]] = [(ErrorOut, "serialization")]
    for spec in visible:
        if spec.body is not None:
            models.append((spec.body, "validation"))
        if spec.response is not None:
            models.append((spec.response, "serialization"))
    unique = list(dict.fromkeys(models))
    refs, defs = models_json_schema(unique, ref_template=REF)
    schemas: dict[str, Any] = defs.get("$defs", {})

    def ref(model: type[BaseModel], mode: Any) -> dict[str, Any]:
        return dict(refs[(model, mode)])

    error = ref(ErrorOut, "serialization")
    paths: dict[str, Any] = {}
    for spec in visible:
        op: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary}
        if spec.tag:
            op["tags"] = [spec.tag]
        params: list[dict[str, Any]] = [_path_parameter(p, schemas) for p in path_params(spec.path)]
        if spec.query is not None:
            params += _query_parameters(spec.query, schemas)
        if spec.idempotent or spec.optional_key:
            params.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": spec.idempotent,
                    "description": "1–64 visible ASCII characters, scoped to the caller; the same key with the same "
                                   "body within 24 h replays the first answer, with another body is 422.",
                    "schema": {"type": "string", "pattern": _KEY.pattern},
                }
            )
        if params:
            op["parameters"] = params
        if spec.body is not None:
            body = ref(spec.body, "validation")
            op["requestBody"] = {
                # A body whose every field is optional may be left out (it counts as `{}`).
                "required": bool(schemas[body["$ref"].rsplit("/", 1)[1]].get("required")),
                "content": {"application/json": {"schema": body}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if spec.media_type != JSON:  # a file (text/csv): its text, described by the route's summary
            ok = {"description": spec.summary, "content": {spec.media_type: {"schema": {"type": "string"}}}}
        elif spec.response is not None:
            ok["content"] = {"application/json": {"schema": ref(spec.response, "serialization")}}
        responses: dict[str, Any] = {str(spec.status): ok}
        for status, codes in error_codes(spec).items():
            responses[str(status)] = _error_response(status, codes, error)
        op["responses"] = responses
        if spec.role is not None:
            op["security"] = [{"bearer": []}]
            op["x-role"] = spec.role
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    _fill_settings(schemas, {RATE_CAP_SETTING: max_rate_bp})
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
