"""The local stack's edges over HTTP (docs/RULES.md, "Edges"): unknown paths, wrong and unknown methods,
bodies too large or unreadable, raw UTF-8 request lines and http.server's own refusals all answer in the
error shape, and none quotes the caller's token. Requests are written byte by byte where a client library
would tidy them (percent-encoding, refusing odd methods).
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import quote

import pytest
import requests

from chalicelib.web.api import MAX_BODY_BYTES
from tests.e2e.conftest import REQUEST_TIMEOUT, LocalStack, unique

pytestmark = pytest.mark.e2e

DONG = "청라1동"


def assert_refused(status: int, raw_body: bytes | str, expected_status: int, code: str, token: str | None) -> None:
    text = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
    assert status == expected_status, text
    body = json.loads(text)
    assert isinstance(body, dict) and set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    if token is not None:
        assert token not in text, text


def raw(stack: LocalStack, request: bytes, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send `request` as it is on a connection of its own; the answer's status, headers and body."""
    with socket.create_connection(("127.0.0.1", stack.api_port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def request_bytes(method: str, target: str, token: str | None, *headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def allowed(headers: dict[str, str]) -> set[str]:
    return {m.strip() for m in headers["allow"].split(",")}


@pytest.mark.parametrize("path", ["/nope", "/wallet/charges/c-1/extra", "/staff", "/Wallet", "/_local"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_path_is_a_404_not_found_that_never_quotes_the_callers_token(
    stack: LocalStack, path: str, method: str
) -> None:
    token = stack.token("resident", unique("edge"))
    r = requests.request(method, stack.base_url + path, headers={"Authorization": f"Bearer {token}"},
                         json={"amount": 1_000} if method == "POST" else None, timeout=REQUEST_TIMEOUT)
    assert_refused(r.status_code, r.text, 404, "NOT_FOUND", token)
    assert token not in json.dumps(dict(r.headers))
    r = requests.request(method, stack.base_url + path, timeout=REQUEST_TIMEOUT)
    assert_refused(r.status_code, r.text, 404, "NOT_FOUND", None)


@pytest.mark.parametrize(("method", "path", "methods"), [
    ("DELETE", "/wallet", {"GET", "POST"}),
    ("PATCH", "/payments/pay-1", {"GET"}),
    ("PUT", "/health", {"GET"}),
    ("OPTIONS", "/wallet", {"GET", "POST"}),
    ("GET", "/wallet/charges", {"POST"}),
])
def test_a_known_path_with_a_method_it_does_not_take_is_a_405_that_lists_the_methods_it_takes(
    stack: LocalStack, method: str, path: str, methods: set[str]
) -> None:
    token = stack.token("resident", unique("edge"))
    r = requests.request(method, stack.base_url + path, headers={"Authorization": f"Bearer {token}"},
                         timeout=REQUEST_TIMEOUT)
    assert_refused(r.status_code, r.text, 405, "METHOD_NOT_ALLOWED", token)
    assert allowed({k.lower(): v for k, v in r.headers.items()}) == methods


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "QUERY", "get", "BREW"])
def test_a_method_the_server_has_no_handler_for_is_a_405_on_a_known_path_and_a_404_elsewhere(
    stack: LocalStack, method: str
) -> None:
    token = stack.token("staff", unique("edge"))
    status, headers, body = raw(stack, request_bytes(method, "/wallet", token), method)
    assert_refused(status, body, 405, "METHOD_NOT_ALLOWED", token)
    assert allowed(headers) == {"GET", "POST"}
    status, _, body = raw(stack, request_bytes(method, "/nope", token), method)
    assert_refused(status, body, 404, "NOT_FOUND", token)


def test_head_gets_the_headers_of_its_answer_and_no_body_so_the_connection_stays_usable(stack: LocalStack) -> None:
    token = stack.token("resident", unique("edge"))
    connection = http.client.HTTPConnection("127.0.0.1", stack.api_port, timeout=REQUEST_TIMEOUT)
    try:
        for path, status in [("/wallet", 405), ("/nope", 404), ("/health", 405)]:
            connection.request("HEAD", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            assert (response.status, response.read()) == (status, b"")
            if response.will_close:
                connection.close()
        connection.request("GET", "/health")
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["status"] == "ok"
    finally:
        connection.close()


def test_a_body_over_the_limit_is_refused_413_before_the_server_reads_it(stack: LocalStack) -> None:
    token = stack.token("resident", unique("edge"))
    # Only the headers are sent: a server that waited for the body would not answer at all.
    request = request_bytes("POST", "/wallet", token, "Content-Type: application/json",
                            f"Content-Length: {MAX_BODY_BYTES + 1}")
    status, _, body = raw(stack, request, "POST")
    assert_refused(status, body, 413, "VALIDATION_ERROR", token)


def test_a_body_of_exactly_the_limit_is_read(stack: LocalStack) -> None:
    token = stack.token("resident", unique("edge"))
    text = json.dumps({"dong": DONG, "agree_terms": True})
    data = (text + " " * (MAX_BODY_BYTES - len(text.encode()))).encode()
    r = requests.post(f"{stack.base_url}/wallet", data=data, timeout=REQUEST_TIMEOUT,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(("header", "status"), [
    ("Content-Length: ten", 400),
    ("Content-Length: -1", 400),
    ("Content-Length: １２", 400),
    ("Transfer-Encoding: chunked", 411),
])
def test_a_body_whose_length_the_server_cannot_know_is_refused_in_the_error_shape(
    stack: LocalStack, header: str, status: int
) -> None:
    token = stack.token("resident", unique("edge"))
    request = request_bytes("POST", "/wallet", token, "Content-Type: application/json", header)
    got, _, body = raw(stack, request + b'{"dong": "x"}', "POST")
    assert_refused(got, body, status, "VALIDATION_ERROR", token)


def test_korean_typed_raw_in_the_query_reads_as_utf8_like_its_percent_encoded_form(stack: LocalStack) -> None:
    token = stack.token("resident", unique("edge"))
    status, _, typed = raw(stack, request_bytes("GET", f"/news?dong={DONG}&limit=5", token))
    assert status == 200, typed
    encoded = requests.get(f"{stack.base_url}/news?dong={quote(DONG)}&limit=5", timeout=REQUEST_TIMEOUT,
                           headers={"Authorization": f"Bearer {token}"})
    assert encoded.status_code == 200
    assert json.loads(typed) == encoded.json()

    status, _, body = raw(stack, request_bytes("GET", "/news?dong=서울동", token))  # UTF-8, but not a dong of Seo-gu
    assert_refused(status, body, 400, "VALIDATION_ERROR", token)
    status, _, body = raw(stack, request_bytes("GET", "/merchants/청라", token))  # not an id
    assert_refused(status, body, 404, "NOT_FOUND", token)


def test_a_request_line_that_is_not_utf8_is_a_400_validation_error_not_read_as_latin1(stack: LocalStack) -> None:
    token = stack.token("resident", unique("edge"))
    for target in ("/health?q=PLACEHOLDER", "/news?dong=PLACEHOLDER"):  # an ignored parameter, and a checked one
        request = request_bytes("GET", target, token).replace(b"PLACEHOLDER", DONG.encode("euc-kr"))
        status, _, body = raw(stack, request)
        assert_refused(status, body, 400, "VALIDATION_ERROR", token)


@pytest.mark.parametrize(("request_line", "extra", "status"), [
    ("GET /health HTTP/9.9", "", 400),
    ("GET /health HTTP/1.1 extra", "", 400),
    ("GET /health BANANA", "", 400),
    ("GET /" + "a" * 70_000 + " HTTP/1.1", "", 414),
    ("GET /health HTTP/1.1", "X-Long: " + "a" * 70_000, 431),
])
def test_the_servers_own_refusals_of_malformed_requests_are_in_the_error_shape(
    stack: LocalStack, request_line: str, extra: str, status: int
) -> None:
    token = stack.token("resident", unique("edge"))
    headers: list[Any] = ["Host: 127.0.0.1", f"Authorization: Bearer {token}"] + ([extra] if extra else [])
    got, _, body = raw(stack, ("\r\n".join([request_line, *headers]) + "\r\n\r\n").encode())
    assert_refused(got, body, status, "VALIDATION_ERROR", token)
