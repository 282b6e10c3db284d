"""The console on its own origin: `python -m devstack.console_server --port 8001 --api http://127.0.0.1:8000`.

It serves the built app (`console/dist`) and its `/config.json`, and forwards `/api/<path>` to the local API
as `<path>` (method, query, body, status, headers and body back), as CloudFront sends `/api/*` to API
Gateway's `api` stage in the cloud: the console calls its own origin, so there is no CORS to configure.

The token never reaches this log: it travels in the URL's fragment (which a browser never sends) and in
the `Authorization` header (never logged). An access line is the method, the path without its query
string, and the status; nothing else a request carries is printed, not even on a malformed request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import mimetypes
import sys
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from devstack.lifeline import exit_with_parent
from devstack.paths import REPO_ROOT

DIST = REPO_ROOT / "console" / "dist"
API_PREFIX = "/api"
MAX_BODY_BYTES = 2 * 1024 * 1024  # above the API's own limit (512 KiB), which answers 413 itself
UPSTREAM_TIMEOUT = 300.0  # moto answers one request at a time; a settlement's burst can queue for a while
# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection; Host and Content-Length are set anew.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host", "content-length"})
# The API's own Server and Date are replaced by this server's.
NOT_FORWARDED = HOP_BY_HOP | {"server", "date"}
SECURITY_HEADERS = {
    # Everything is bundled (no CDN); no inline script; the API is on this origin.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
MISSING_BUILD = ("The console is not built: `make run` builds it (cd console && npm ci && npm run build), "
                 "then this page reloads into it.\n")


def local_config() -> dict[str, Any]:
    """`/config.json` of the local stack: the API under /api here, no hosted sign-in (tokens from `make token`)."""
    return {"apiBase": API_PREFIX, "signIn": {"staff": None, "shop": None}, "stage": "local", "staffIssuer": None}


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class ConsoleServer(ThreadingHTTPServer):
    """A threaded server that knows where the app and the API are, and where its access log goes."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: str, dist: Path = DIST,
                 config: Mapping[str, Any] | None = None, log: TextIO | None = None) -> None:
        super().__init__(address, ConsoleHandler)
        parts = urlsplit(api)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"--api must be an http:// URL, not {api!r}")
        self.api_host = parts.hostname
        self.api_port = parts.port or 80
        self.dist = dist.resolve()
        self.config_json = json.dumps(dict(config) if config is not None else local_config()).encode()
        self.log = log if log is not None else sys.stderr
        self._log_lock = threading.Lock()

    def access(self, line: str) -> None:
        with self._log_lock:
            self.log.write(f"[console] {line}\n")
            self.log.flush()


class ConsoleHandler(BaseHTTPRequestHandler):
    """Static files, /config.json, and /api/* forwarded to the API."""

    server: ConsoleServer
    protocol_version = "HTTP/1.1"
    server_version = "seoro-console"
    sys_version = ""

    # ---- the access log: method, path without its query, status; nothing else ----

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        method = self.command if self.command and self.command.isalpha() else "-"
        path = urlsplit(self.path).path if getattr(self, "path", "").startswith("/") else "-"
        self.server.access(f"{method} {path} {int(code) if isinstance(code, int) else '-'}")

    def log_error(self, format: str, *args: Any) -> None:
        """Silent: the status is in the access line, and the base class's text can quote the request line."""

    def log_message(self, format: str, *args: Any) -> None:
        """Silent for the same reason; every line goes through `log_request`."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's error page can quote the request line (a token in it too): a fixed message instead,
        in the API's error shape, with a status line even when the request line was too broken to name HTTP/1.x."""
        self.close_connection = True
        self.request_version = "HTTP/1.1"
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "error"
        body = error_body("VALIDATION_ERROR" if code < 500 else "SERVICE_UNAVAILABLE", phrase.lower())
        self._answer(code, body, "application/json", {"Connection": "close"})

    # ---- dispatch ----

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._forward()
        elif self.command in ("GET", "HEAD"):
            self._static(path)
        else:
            self._answer(405, error_body("METHOD_NOT_ALLOWED", "the console's pages are read with GET"),
                         "application/json", {"Allow": "GET, HEAD"})

    def _answer(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # ---- the app ----

    def _static(self, path: str) -> None:
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        if path == "/config.json":
            self._answer(200, self.server.config_json, "application/json", headers)
            return
        dist = self.server.dist
        if not (dist / "index.html").is_file():
            self._answer(503, MISSING_BUILD.encode(), "text/plain; charset=utf-8", headers)
            return
        file = (dist / "index.html") if path in ("/", "/index.html") else (dist / path.lstrip("/")).resolve()
        if not file.is_relative_to(dist) or not file.is_file() or file.name.startswith("."):
            self._answer(404, b"not found\n", "text/plain; charset=utf-8", headers)
            return
        if file.parent.name == "assets":  # hashed names: a new build has new names
            headers["Cache-Control"] = "public, max-age=31536000, immutable"
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self._answer(200, file.read_bytes(), content_type, headers)

    # ---- the API ----

    def _forward(self) -> None:
        parts = urlsplit(self.path)
        upstream_path = (parts.path[len(API_PREFIX):] or "/") + (f"?{parts.query}" if parts.query else "")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._answer(411, error_body("VALIDATION_ERROR", "send the body with a Content-Length"), "application/json")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._answer(413, error_body("VALIDATION_ERROR", f"the body is over {MAX_BODY_BYTES} bytes"),
                         "application/json")
            return
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection(self.server.api_host, self.server.api_port, timeout=UPSTREAM_TIMEOUT)
        try:
            connection.request(self.command, upstream_path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status, answer_headers = response.status, response.getheaders()
        except (OSError, http.client.HTTPException):
            self._answer(502, error_body("SERVICE_UNAVAILABLE", "the API did not answer; is the local stack running?"),
                         "application/json")
            return
        finally:
            connection.close()
        self.send_response(status)
        for name, value in answer_headers:
            if name.lower() not in NOT_FORWARDED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def main(argv: list[str] | None = None) -> int:
    """Serve the console until stopped."""
    parser = argparse.ArgumentParser(prog="python -m devstack.console_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--api", default="http://127.0.0.1:8000", help="the local API (default %(default)s)")
    parser.add_argument("--dist", type=Path, default=DIST, help="the built app (default console/dist)")
    args = parser.parse_args(argv)
    exit_with_parent()
    server = ConsoleServer((args.host, args.port), args.api, args.dist)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
