"""The HTTP edge: every route is declared through `Routes.route` on its area's Chalice Blueprint, which
authenticates, parses the body and query with the contract's models, calls the route function (which
calls one use case and presents its result), and maps domain errors to HTTP here and only here. The same
declarations generate the OpenAPI document.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import DomainError, MethodNotAllowed, NotFound, Unauthorized, ValidationFailed
from chalicelib.web.schemas.common import ID_PATTERN, PATH_ID_PATTERNS

if TYPE_CHECKING:
    from chalicelib.auth import Principal

SIGNED_IN = "signed-in"
"""A route any verified user (resident, merchant or staff) may call."""
RESIDENTS = "residents"
MERCHANTS = "merchants"
STAFF = "staff"

STATUS_BY_CODE = {
    "VALIDATION_ERROR": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "INSUFFICIENT_FUNDS": 409,
    "LIMIT_EXCEEDED": 409,
    "OUT_OF_STOCK": 409,
    "INVALID_STATE": 409,
    "IDEMPOTENCY_KEY_REUSED": 422,
    "METHOD_NOT_ALLOWED": 405,
    "RATE_LIMITED": 429,
    "SERVICE_UNAVAILABLE": 503,
}
JSON = "application/json"
CONTENT_TYPES = ["*/*"]
"""Every body reaches `parse_body`, so a wrong content type gets the contract's 400, not Chalice's 415."""
# Matched with `fullmatch`: `$` alone also matches before a final line feed.
_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")
_PATH_PARAM = re.compile(ID_PATTERN)
_PATH_PARAMS = {name: re.compile(pattern) for name, pattern in PATH_ID_PATTERNS.items()}
_PARAM_NAMES = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Call:
    """What a route function receives: the verified caller and the parsed request."""

    principal: Principal | None
    body: Any
    query: Any
    params: dict[str, str]
    idempotency_key: str | None

    @property
    def user(self) -> Principal:
        assert self.principal is not None
        return self.principal

    @property
    def key(self) -> str:
        """The Idempotency-Key (the route declared it required, so it is there)."""
        return self.idempotency_key or ""


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    name: str
    summary: str
    role: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    idempotent: bool
    local_only: bool
    tag: str = ""
    optional_key: bool = False
    media_type: str = JSON
    """What a 200 answer is: JSON (the `response` model), or another media type (`Raw`, a CSV file)."""


@dataclass(frozen=True)
class Raw:
    """A route's answer that is not JSON (a CSV file): passed through as it is, with its content type and any
    headers (`Content-Disposition`). Errors stay JSON in the error shape."""

    body: str
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _json_response(status: int, body: Any) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def _describe(exc: ValidationError) -> str:
    """Every problem, readable, without echoing the input back (it may hold personal data)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_body(raw: bytes | str | None, model: type[BaseModel]) -> BaseModel:
    """Strict JSON into the route's model; an empty body counts as `{}` (all-optional bodies)."""
    text = raw or b"{}"
    try:
        decoded = text if isinstance(text, str) else text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the body is not UTF-8") from exc
    try:
        json.loads(decoded)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed("the body is not valid JSON") from exc
    try:
        return model.model_validate_json(decoded, strict=True)
    except ValidationError as exc:
        raise ValidationFailed(_describe(exc)) from exc


def parse_query(params: Mapping[str, str] | None, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate({k: params[k] for k in params} if params else {})
    except ValidationError as exc:
        raise ValidationFailed(_describe(exc)) from exc


def authenticate(header: str | None) -> Principal:
    from chalicelib import composition

    if not header:
        raise Unauthorized("missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return composition.container().verifier.verify(token.strip())


_DECLARED: list[RouteSpec] = []


def declared() -> list[RouteSpec]:
    """Every route of every area imported so far (app.py imports them all), for the OpenAPI document."""
    return list(_DECLARED)


class Routes:
    """One area's routes: a Chalice Blueprint, and the declarations the OpenAPI document is made of."""

    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag
        self.specs: list[RouteSpec] = []

    def route(
        self,
        path: str,
        method: str,
        *,
        role: str | None,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        idempotent: bool = False,
        local_only: bool = False,
        optional_key: bool = False,
        media_type: str = JSON,
    ) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
        def decorate(fn: Callable[[Call], Any]) -> Callable[[Call], Any]:
            spec = RouteSpec(
                method, path, fn.__name__, summary, role, body, query, response, status, idempotent, local_only,
                self.tag, optional_key, media_type,
            )
            self.specs.append(spec)
            _DECLARED.append(spec)

            def view(**params: str) -> Response:
                return self._dispatch(spec, fn, params)

            view.__name__ = fn.__name__
            view.__doc__ = fn.__doc__
            self.blueprint.route(path, methods=[method], content_types=CONTENT_TYPES)(view)
            return fn

        return decorate

    def _dispatch(self, spec: RouteSpec, fn: Callable[[Call], Any], params: dict[str, str]) -> Response:
        from chalicelib import composition
        from chalicelib.observability import logger

        started = time.perf_counter()
        request = self.blueprint.current_request
        assert request is not None
        principal: Principal | None = None
        try:
            if spec.local_only and not composition.container().settings.is_local:
                raise NotFound("no such route")
            if spec.role is not None:
                principal = authenticate(request.headers.get("authorization"))
                if spec.role == SIGNED_IN:
                    if not principal.groups & {"residents", "merchants", "staff"}:
                        from chalicelib.domain.errors import Forbidden

                        raise Forbidden("the token carries no known role")
                else:
                    principal.require(spec.role)
            for name, value in params.items():
                if not _PATH_PARAMS.get(name, _PATH_PARAM).fullmatch(value):
                    raise NotFound("no such resource")
            key = None
            if spec.idempotent or spec.optional_key:
                key = request.headers.get("idempotency-key")
                if key is None and spec.idempotent:
                    raise ValidationFailed("the Idempotency-Key header is required")
                if key is not None and not _KEY.fullmatch(key):
                    raise ValidationFailed("Idempotency-Key must be 1-64 visible ASCII characters")
            body = parse_body(request.raw_body, spec.body) if spec.body is not None else None
            query = parse_query(request.query_params, spec.query) if spec.query is not None else None
            result = fn(Call(principal, body, query, params, key))
            status = spec.status
            if isinstance(result, Raw):
                response = Response(body=result.body, status_code=status,
                                    headers={**result.headers, "Content-Type": result.content_type})
            else:
                payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
                response = _json_response(status, payload)
        except DomainError as exc:
            status = STATUS_BY_CODE.get(exc.code, 409)
            response = _json_response(status, error_body(exc.code, exc.message))
        except Exception:
            logger().exception("unhandled error", extra={"route": f"{spec.method} {spec.path}"})
            status = 500
            response = _json_response(500, error_body("INTERNAL", "internal error"))
        logger().info(
            "request",
            extra={
                "route": f"{spec.method} {spec.path}",
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "caller": principal.sub if principal else None,
            },
        )
        return response


def path_params(path: str) -> list[str]:
    return _PARAM_NAMES.findall(path)


# ---- the edge in front of every route: body size, and Chalice's own answers ----------------------------

MAX_BODY_BYTES = 512 * 1024
"""The largest request body the API takes (docs/RULES.md, "Edges"): about twice the largest body the schemas
allow, a menu of 200 items whose 100-character names are sent as JSON escapes (265 KB)."""
_CODE_OF_CHALICE_STATUS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
                           429: "RATE_LIMITED"}


def body_size(request: Request) -> int:
    """The request body's length in bytes, without decoding it."""
    event = request.to_original_event()
    body = event.get("body")
    if body is None:
        return 0
    if isinstance(body, bytes):
        return len(body)
    if event.get("isBase64Encoded"):
        return len(body) // 4 * 3
    return len(str(body).encode("utf-8", "surrogatepass"))


def edge(request: Request | None, get_response: Callable[[Request | None], Response]) -> Response:
    """The app's HTTP middleware (app.py registers it), around routing: a body over MAX_BODY_BYTES is refused
    with 413 before any route reads it, and what Chalice answers by itself — 405 (with `Allow`) for a method
    the path does not take, 500 for an error outside a route — comes out in the error shape. Nothing of the
    request is echoed."""
    from chalicelib.observability import logger

    if request is not None and body_size(request) > MAX_BODY_BYTES:
        return _json_response(413, error_body("VALIDATION_ERROR", f"the body is over {MAX_BODY_BYTES} bytes"))
    try:
        response = get_response(request)
    except Exception:
        logger().exception("unhandled error outside a route")
        return _json_response(500, error_body("INTERNAL", "internal error"))
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response  # a route's own answer
    status = response.status_code
    if status == 405:
        exc = MethodNotAllowed("this path does not take this method; Allow lists those it takes")
        refusal = _json_response(STATUS_BY_CODE[exc.code], error_body(exc.code, exc.message))
        refusal.headers["Allow"] = response.headers.get("Allow", "")
        return refusal
    if status >= 500:
        logger().error("Chalice answered by itself", extra={"status": status, "code": body.get("Code")})
        return _json_response(500, error_body("INTERNAL", "internal error"))
    code = _CODE_OF_CHALICE_STATUS.get(status, "VALIDATION_ERROR")
    return _json_response(status, error_body(code, "the request was refused"))
