"""The local stand-in for API Gateway: chalice local's HTTP handler and gateway, changed only where they answer
otherwise than the cloud does with the project's gateway responses (docs/RULES.md, "Edges").

- A path the API does not have is 404 `NOT_FOUND` in the error shape. chalice local answers 403 with
  API Gateway's own text, which quotes the caller's whole Authorization header back.
- A method http.server has no handler for (TRACE, CONNECT, QUERY, PROPFIND, ...) is 405
  `METHOD_NOT_ALLOWED` with `Allow` on a path the API has, 404 elsewhere, not http.server's 501 HTML page;
  its other refusals (a malformed request line, headers too long) are in the error shape too.
- OPTIONS reaches the app (405 with `Allow`) unless a route has CORS, where chalice local's preflight
  answer stays: API Gateway has an OPTIONS method only where CORS is configured, and this API has none.
- A body is refused before it is read: over `MAX_BODY_BYTES` 413, a Content-Length that is not a
  number 400, chunked (chalice local cannot read it) 411, all `VALIDATION_ERROR`.
- The request line is decoded as UTF-8, so `curl "$API/news?dong=청라1동"` typed raw works (http.server
  decodes it as Latin-1); a request line that is not UTF-8 is 400.
- A HEAD request gets the headers of its answer and no body (chalice local wrote one, which broke the
  next response on a kept-alive connection).

Wrong methods on paths the API has reach the app itself, which answers 405 (`chalicelib.web.api.edge`),
locally as in the cloud.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

import chalice.local
from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    EventType,
    HandlerCls,
    HeaderType,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    RouteMatcher,
    ServerCls,
    ThreadedHTTPServer,
)

from chalicelib.web.api import MAX_BODY_BYTES, error_body

JSON = "application/json; charset=utf-8"


def error_bytes(code: str, message: str) -> bytes:
    return json.dumps(error_body(code, message), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class NoSuchPath(LocalGatewayException):
    """A path the API does not have: what the cloud's MISSING_AUTHENTICATION_TOKEN gateway response answers."""

    CODE = 404

    def __init__(self) -> None:
        super().__init__({"Content-Type": JSON}, error_bytes("NOT_FOUND", "no such path"))


class EdgeGateway(LocalGateway):
    """chalice local's gateway with the cloud's answers to unknown paths and to OPTIONS."""

    def __init__(self, app_object: Chalice, config: Config) -> None:
        super().__init__(app_object, config)
        self.matcher = RouteMatcher(list(app_object.routes))

    def resource(self, path: str) -> str | None:
        """The route `path` (with its query) falls on, if the API has one."""
        try:
            route: str = self.matcher.match_route(path).route
        except ValueError:
            return None
        return route

    def allowed(self, resource: str) -> str:
        """The methods the route takes, as Chalice's own 405 lists them in `Allow`."""
        return ", ".join(self._app_object.routes[resource])

    def _generate_lambda_event(self, method: str, path: str, headers: HeaderType, body: bytes | None) -> EventType:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no route: chalice local would answer 403 and quote the Authorization header
            raise NoSuchPath() from None

    def _has_user_defined_options_method(self, lambda_event: EventType) -> bool:
        views = self._app_object.routes[lambda_event["requestContext"]["resourcePath"]]
        return "OPTIONS" in views or not any(view.cors for view in views.values())


class EdgeRequestHandler(ChaliceRequestHandler):
    """chalice local's request handler, refusing in the error shape what it cannot or should not read."""

    local_gateway: EdgeGateway
    path: str
    request_version: str

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config) -> None:
        self.local_gateway = EdgeGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        try:  # http.server decoded the request line as Latin-1; clients send UTF-8 (curl, typed raw)
            self.path = self.path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            self.refuse(400, "VALIDATION_ERROR", "the request line is not UTF-8: percent-encode the path and query")
            return False
        return True

    def _generic_handle(self) -> None:
        if self.local_gateway.resource(self.path) is None:
            self.refuse(404, "NOT_FOUND", "no such path")
            return
        length = self.headers.get("content-length", "0").strip()
        if "transfer-encoding" in self.headers:
            self.refuse(411, "VALIDATION_ERROR", "send the body with a Content-Length, not chunked")
        elif not length.isdigit() or not length.isascii():
            self.refuse(400, "VALIDATION_ERROR", "Content-Length is not a number of bytes")
        elif int(length) > MAX_BODY_BYTES:
            self.refuse(413, "VALIDATION_ERROR", f"the body is over {MAX_BODY_BYTES} bytes")
        else:
            super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals, in the error shape and without its words (which quote the request)."""
        if code == HTTPStatus.NOT_IMPLEMENTED:  # a method there is no do_... for
            resource = self.local_gateway.resource(self.path)
            if resource is None:
                self.refuse(404, "NOT_FOUND", "no such path")
            else:
                self.refuse(405, "METHOD_NOT_ALLOWED", "this path does not take this method; Allow lists those it "
                            "takes", {"Allow": self.local_gateway.allowed(resource)})
        elif code == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:  # bad input is never a 5xx
            self.refuse(400, "VALIDATION_ERROR", "only HTTP/1.0 and HTTP/1.1 are served")
        else:  # 400 a malformed request line, 414 one too long, 431 headers too long or too many
            self.refuse(code, "VALIDATION_ERROR", "the request is malformed")

    def refuse(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        """Answer without reading the body, and close the connection (what is left of the request is unread)."""
        body = error_bytes(code, message)
        if self.request_version == "HTTP/0.9":  # not parsed yet: answer with a status line all the same
            self.request_version = "HTTP/1.0"
        self.send_response(status)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _send_http_response_with_body(self, code: int, headers: HeaderType, body: str | bytes) -> None:
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        self.send_response(code)
        self.send_header("Content-Length", str(len(body if isinstance(body, bytes) else body.encode("utf-8"))))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)


class EdgeDevServer(LocalDevServer):
    """chalice local's server, serving through `EdgeRequestHandler`."""

    def __init__(self, app_object: Chalice, config: Config, host: str, port: int,
                 handler_cls: HandlerCls = EdgeRequestHandler, server_cls: ServerCls = ThreadedHTTPServer) -> None:
        super().__init__(app_object, config, host, port, handler_cls, server_cls)


def install() -> None:
    """Make `chalice local` serve through these: its `create_local_server` builds the module's LocalDevServer."""
    chalice.local.LocalDevServer = EdgeDevServer  # type: ignore[misc]
