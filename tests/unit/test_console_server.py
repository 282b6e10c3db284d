"""The console's local server (devstack/console_server.py) on loopback, in front of a stand-in API: it serves the
app and /config.json, forwards /api/<path> as <path> with method, query, headers and body, passes the answer
through as it came, and its access log holds the method, the path and the status, never a token.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devstack.console_server import SECURITY_HEADERS, ConsoleServer

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjbGVyayJ9.c2lnbmF0dXJlLXNlY3JldA"


@dataclass
class Upstream:
    """A stand-in API that records each request and answers what the test set."""

    server: ThreadingHTTPServer
    seen: list[dict[str, Any]] = field(default_factory=list)
    answer: tuple[int, bytes, dict[str, str]] = (200, b"{}", {"Content-Type": "application/json"})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    holder: dict[str, Upstream] = {}

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            holder["u"].seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "body": body})
            status, payload, headers = holder["u"].answer
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = handle_one

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["u"] = Upstream(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield holder["u"]
    server.shutdown()
    server.server_close()


@dataclass
class Console:
    server: ConsoleServer
    log: io.StringIO
    dist: Path

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.server_address[1], timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def raw(self, data: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.server.server_address[1]), timeout=10) as s:
            s.sendall(data)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)


def start(api: str, dist: Path) -> Iterator[Console]:
    log = io.StringIO()
    server = ConsoleServer(("127.0.0.1", 0), api, dist, log=log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Console(server, log, dist)
    server.shutdown()
    server.server_close()


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "dist" / "assets").mkdir(parents=True)
    (tmp_path / "dist" / "index.html").write_text("<!doctype html><title>콘솔</title>", encoding="utf-8")
    (tmp_path / "dist" / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the app", encoding="utf-8")
    return tmp_path / "dist"


@pytest.fixture
def console(upstream: Upstream, dist: Path) -> Iterator[Console]:
    yield from start(upstream.url, dist)


def test_an_api_call_is_forwarded_without_the_api_prefix_with_its_method_query_headers_and_body(
    console: Console, upstream: Upstream
) -> None:
    body = json.dumps({"amount": 5000}).encode()
    status, _, _ = console.request("POST", "/api/merchant/payments/p-1/refunds?x=1", body, {
        "Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "refund-1", "Content-Type": "application/json"})
    assert status == 200
    [seen] = upstream.seen
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/merchant/payments/p-1/refunds?x=1", body)
    assert seen["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert seen["headers"]["Idempotency-Key"] == "refund-1"
    assert seen["headers"]["Host"] == upstream.url.removeprefix("http://")


def test_the_apis_status_body_and_headers_come_back_as_they_came(console: Console, upstream: Upstream) -> None:
    error = json.dumps({"error": {"code": "INVALID_STATE", "message": "이미 환불됨"}}, ensure_ascii=False).encode()
    upstream.answer = (409, error, {"Content-Type": "application/json", "Retry-After": "3", "X-Request-Id": "r-9"})
    status, headers, payload = console.request("GET", "/api/staff/settlements/2022-05")
    assert (status, payload) == (409, error)
    assert (headers["content-type"], headers["retry-after"], headers["x-request-id"]) == ("application/json", "3", "r-9")
    assert headers["content-length"] == str(len(error))
    assert upstream.seen[0]["path"] == "/staff/settlements/2022-05"


def test_a_bare_api_path_reaches_the_apis_root(console: Console, upstream: Upstream) -> None:
    assert console.request("DELETE", "/api")[0] == 200
    assert (upstream.seen[0]["method"], upstream.seen[0]["path"]) == ("DELETE", "/")


def test_the_access_log_has_method_path_and_status_and_never_the_token_or_the_query(
    console: Console, upstream: Upstream
) -> None:
    upstream.answer = (401, b'{"error":{"code":"UNAUTHORIZED","message":"invalid token"}}', {})
    console.request("GET", f"/api/staff/audit?actor=clerk&id_token={TOKEN}", headers={"Authorization": f"Bearer {TOKEN}"})
    console.request("GET", "/config.json", headers={"Authorization": f"Bearer {TOKEN}", "Cookie": f"t={TOKEN}"})
    lines = console.log.getvalue().splitlines()
    assert lines == ["[console] GET /api/staff/audit 401", "[console] GET /config.json 200"]
    assert "eyJ" not in console.log.getvalue()


def test_a_malformed_request_is_refused_and_its_request_line_is_not_logged(console: Console) -> None:
    answer = console.raw(f"GET /api/x?t={TOKEN} HTTP/1.1 trailing\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "VALIDATION_ERROR"
    assert b"eyJ" not in answer  # not echoed to the caller either
    assert TOKEN not in console.log.getvalue() and "eyJ" not in console.log.getvalue()
    assert console.log.getvalue().splitlines() == ["[console] - - 400"]


def test_the_app_and_its_config_are_served_with_a_policy_that_allows_nothing_from_elsewhere(console: Console) -> None:
    status, headers, page = console.request("GET", "/")
    assert (status, page.decode()) == (200, "<!doctype html><title>콘솔</title>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self';" in headers["content-security-policy"] and headers["referrer-policy"] == "no-referrer"
    status, headers, script = console.request("GET", "/assets/index-abc123.js")
    assert (status, script) == (200, b"console.log(1)")
    assert "immutable" in headers["cache-control"]
    status, headers, config = console.request("GET", "/config.json")
    assert status == 200 and headers["cache-control"] == "no-cache"
    assert json.loads(config) == {"apiBase": "/api", "signIn": {"staff": None, "shop": None}, "stage": "local",
                                  "staffIssuer": None}


def test_nothing_outside_the_built_app_is_served(console: Console) -> None:
    assert console.request("GET", "/../secret.txt")[0] == 404
    assert console.request("GET", "/assets/../../secret.txt")[0] == 404
    assert console.request("GET", "/nothing-here.js")[0] == 404
    status, headers, body = console.request("POST", "/index.html", b"{}")
    assert (status, headers["allow"], json.loads(body)["error"]["code"]) == (405, "GET, HEAD", "METHOD_NOT_ALLOWED")


def test_an_api_that_does_not_answer_is_a_502_in_the_error_shape(dist: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket closes
    for console in start(closed, dist):
        status, _, body = console.request("GET", "/api/health")
        assert (status, json.loads(body)["error"]["code"]) == (502, "SERVICE_UNAVAILABLE")
        assert console.log.getvalue().splitlines() == ["[console] GET /api/health 502"]


def test_a_body_over_the_limit_is_refused_before_it_is_forwarded(console: Console, upstream: Upstream) -> None:
    answer = console.raw(b"PUT /api/merchant/menu HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'"VALIDATION_ERROR"' in answer and upstream.seen == []


def test_without_a_build_the_page_says_how_to_make_one(upstream: Upstream, tmp_path: Path) -> None:
    for console in start(upstream.url, tmp_path / "missing"):
        status, _, body = console.request("GET", "/")
        assert status == 503 and "npm run build" in body.decode()
