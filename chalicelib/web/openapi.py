"""The OpenAPI 3.1 document, generated from the route declarations and their pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.web.api import RouteSpec, path_params
from chalicelib.web.schemas.common import ID_PATTERN, ErrorOut

REF = "#/components/schemas/{model}"


def _error_statuses(spec: RouteSpec) -> list[int]:
    statuses = [400, 404, 409, 503]
    if spec.role is not None:
        statuses += [401, 403]
    if spec.idempotent:
        statuses.append(422)
    return sorted(statuses)


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    props: dict[str, Any] = schema.get("properties", {})
    return [
        {"name": name, "in": "query", "required": False, "schema": {k: v for k, v in prop.items() if k != "title"}}
        for name, prop in props.items()
    ]


def build(specs: list[RouteSpec], *, include_local: bool, title: str = "Seoro e-Eum API") -> dict[str, Any]:
    """Every declared route (the local-only ones only where the stage has them)."""
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

    paths: dict[str, Any] = {}
    for spec in visible:
        op: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary}
        if spec.tag:
            op["tags"] = [spec.tag]
        params: list[dict[str, Any]] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN}}
            for p in path_params(spec.path)
        ]
        if spec.query is not None:
            params += _query_parameters(spec.query)
        if spec.idempotent:
            params.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,64}$"},
                }
            )
        if params:
            op["parameters"] = params
        if spec.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(spec.body, "validation")}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if spec.response is not None:
            ok["content"] = {"application/json": {"schema": ref(spec.response, "serialization")}}
        responses: dict[str, Any] = {str(spec.status): ok}
        error = {"content": {"application/json": {"schema": ref(ErrorOut, "serialization")}}}
        for status in _error_statuses(spec):
            responses[str(status)] = {"description": "Error", **error}
        op["responses"] = responses
        if spec.role is not None:
            op["security"] = [{"bearer": []}]
            op["x-role"] = spec.role
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
