"""The OpenAPI description: FastAPI's, plus the Problem model as the request body schema.

Routes read the raw body (see :mod:`matcher.api.body`), so FastAPI does not know the body is
a Problem; :data:`PROBLEM_BODY` says so on each route, and :func:`build_openapi` adds the
Problem model and the models it uses to the components the references point at.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from matcher.api.schemas import ErrorBody
from matcher.problem import Problem

REF = "#/components/schemas/{model}"

PROBLEM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a problem file (SPEC §6)",
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }
}


Responses = dict[int | str, dict[str, Any]]


def error_doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


UNAUTHORIZED: Responses = {
    401: error_doc("missing or wrong API key (only when the server has keys)")}
BODY_ERRORS: Responses = {
    413: error_doc("the body exceeds the configured limit"),
    422: error_doc("malformed JSON or a problem that breaks the contract; "
                   "each error has its path"),
}
NOT_FOUND: Responses = {404: error_doc("no job with this id")}
BUSY: Responses = {429: error_doc("too many jobs queued or solves waiting; retry later")}


def problem_schemas() -> dict[str, Any]:
    """The Problem model and every model it uses, keyed by component name."""
    _, top = models_json_schema([(Problem, "validation")], ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    return schemas


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, body in problem_schemas().items():
        if name in components and components[name] != body:
            raise RuntimeError(f"OpenAPI component {name!r} is defined twice, differently")
        components[name] = body
    app.openapi_schema = schema
    return schema
