"""The edges of the API in the app itself (as it runs in Lambda) and in the local gateway in front of it
(docs/RULES.md, "Edges"): a wrong method is 405 `METHOD_NOT_ALLOWED` with `Allow`, a body over the limit
413 `VALIDATION_ERROR` before any route reads it, an unknown path 404 `NOT_FOUND`; every answer has the
error shape and none quotes the caller's token. `RATE_LIMITED` is 429.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import error_response
from chalice.config import Config

from chalicelib.domain.errors import RateLimited
from chalicelib.web.api import MAX_BODY_BYTES, edge
from devstack.gateway import EdgeGateway, NoSuchPath
from tests.support import BIZ, Env

RESIDENT = "edge-resident"
WALLET = {"dong": "청라1동", "agree_terms": True}


def assert_refused(status: int, body: Any, expected_status: int, code: str, token: str | None = None) -> None:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    if token is not None:
        assert token not in json.dumps(body), body


def padded(body: Any, size: int) -> str:
    """`body` as JSON, followed by spaces up to `size` bytes: still valid, and exactly that long."""
    text = json.dumps(body)
    assert len(text.encode()) <= size
    return text + " " * (size - len(text.encode()))


def largest_menu() -> dict[str, Any]:
    """The largest menu the schema takes: 200 items, 64-character ids, 100-character names of characters
    outside the BMP (each sent as a 12-byte JSON escape), the highest price."""
    return {"items": [{"item_id": f"i{n:03d}".ljust(64, "x"), "name": "😀" * 100, "price": 1_000_000,
                       "available": False} for n in range(200)]}


# ---- a wrong method ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT", "HEAD"])
def test_a_known_path_called_with_a_method_it_does_not_take_is_a_405_that_lists_the_methods_it_takes(
    env: Env, method: str
) -> None:
    token = env.token("resident", RESIDENT)
    r = env.client.http.request(method, "/wallet", headers={"Authorization": f"Bearer {token}"}, body=b"")
    assert_refused(r.status_code, json.loads(r.body), 405, "METHOD_NOT_ALLOWED", token)
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "POST"}


def test_a_wrong_method_is_refused_before_the_token_is_looked_at(env: Env) -> None:
    status, body = env.call("DELETE", "/payments/pay_1", headers={"Authorization": "Bearer not-a-token"})
    assert_refused(status, body, 405, "METHOD_NOT_ALLOWED", "not-a-token")


# ---- a body too large ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_validation_error_and_opens_nothing(env: Env) -> None:
    token = env.token("resident", RESIDENT)
    status, body = env.call("POST", "/wallet", role="resident", sub=RESIDENT, raw=padded(WALLET, MAX_BODY_BYTES + 1))
    assert_refused(status, body, 413, "VALIDATION_ERROR", token)
    assert env.call("GET", "/wallet", role="resident", sub=RESIDENT)[0] == 404


def test_a_body_of_exactly_the_limit_is_read(env: Env) -> None:
    status, body = env.call("POST", "/wallet", role="resident", sub=RESIDENT, raw=padded(WALLET, MAX_BODY_BYTES))
    assert status == 201, body


def test_a_body_over_the_limit_is_refused_before_the_token_or_the_route_is_looked_at(env: Env) -> None:
    status, body = env.call("POST", "/wallet", raw=padded(WALLET, MAX_BODY_BYTES + 1))
    assert_refused(status, body, 413, "VALIDATION_ERROR")
    status, body = env.call("DELETE", "/wallet", raw=padded({}, MAX_BODY_BYTES + 1))
    assert_refused(status, body, 413, "VALIDATION_ERROR")


def test_the_largest_menu_the_schema_takes_is_under_the_limit_and_a_padded_one_over_it_changes_nothing(
    env: Env,
) -> None:
    shop = env.register_merchant(number=BIZ[0], delivery={"fee": 0, "min_order": 0, "dongs": ["청라1동"]})
    menu = largest_menu()
    sent = json.dumps(menu)  # what Python's json sends by default: every non-ASCII character escaped
    assert len(sent.encode()) * 3 // 2 < MAX_BODY_BYTES, "the limit must stay well above the largest valid body"
    status, body = env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop, raw=sent)
    assert status == 200, body

    small = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True}]}
    status, body = env.call("PUT", "/merchant/menu", role="merchant", sub="owner", merchant_id=shop,
                            raw=padded(small, MAX_BODY_BYTES + 1))
    assert_refused(status, body, 413, "VALIDATION_ERROR")
    status, body = env.call("GET", f"/merchants/{shop}/menu", role="resident", sub=RESIDENT)
    assert status == 200 and len(body["items"]) == 200, body


# ---- the error vocabulary and what Chalice answers by itself ---------------------------------------------


def test_a_use_case_refusing_for_too_many_requests_is_a_429_rate_limited(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.handlers import system

    def refuse() -> str:
        raise RateLimited("too many requests; try again later")

    monkeypatch.setattr(system, "stage", refuse)
    status, body = env.call("GET", "/health")
    assert_refused(status, body, 429, "RATE_LIMITED")


def test_an_error_outside_any_route_is_a_500_internal_in_the_error_shape() -> None:
    def crash(request: Any) -> Any:
        raise RuntimeError("boom")

    for get_response in (crash, lambda request: error_response("Unknown request.", "InternalServerError", 500)):
        response = edge(None, get_response)
        assert_refused(response.status_code, json.loads(response.body), 500, "INTERNAL")


# ---- the local gateway in front of the app ------------------------------------------------------------


def test_the_local_gateway_answers_an_unknown_path_404_without_quoting_the_authorization_header(env: Env) -> None:
    from app import app

    token = env.token("staff", "clerk")
    gateway = EdgeGateway(app, Config.create())
    for path in ("/nope", "/wallet/x/y", "/staff", "/newsroom?dong=x"):
        with pytest.raises(NoSuchPath) as refused:
            gateway.handle_request("GET", path, {"authorization": f"Bearer {token}"}, b"")
        assert refused.value.body is not None
        assert_refused(refused.value.CODE, json.loads(refused.value.body), 404, "NOT_FOUND", token)


def test_the_local_gateway_lets_the_app_answer_options_405_since_no_route_has_cors(env: Env) -> None:
    from app import app

    response = EdgeGateway(app, Config.create()).handle_request("OPTIONS", "/wallet", {}, b"")
    assert_refused(response["statusCode"], json.loads(response["body"]), 405, "METHOD_NOT_ALLOWED")
    assert {m.strip() for m in response["headers"]["Allow"].split(",")} == {"GET", "POST"}
