"""The OpenAPI description documents the models, and fuzzing it finds no server error."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from matcher.api import Settings, create_app

PROBLEM_REF = "#/components/schemas/Problem"


def test_routes_document_bodies_and_responses(client: TestClient) -> None:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"Problem", "Candidate", "Post", "Wish", "Quota", "Solution", "ErrorBody"} <= set(
        schemas)
    assert "candidates" in schemas["Problem"]["properties"]
    paths = spec["paths"]
    for route in ("/v1/validate", "/v1/solve", "/v1/jobs"):
        body = paths[route]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": PROBLEM_REF}
        assert paths[route]["post"]["responses"]["422"]["content"]["application/json"][
            "schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    ok = paths["/v1/solve"]["post"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"].endswith("/Solution")
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert any(code.startswith("2") for code in operation["responses"]), (path, method)
            if path.startswith("/v1"):
                assert "401" in operation["responses"], (path, method)
    assert client.get("/docs").status_code == 200


# Built at import because schemathesis needs the schema to generate the tests (its fixture
# loader breaks on current pytest); schemathesis runs the app's lifespan itself.
_DATA = tempfile.TemporaryDirectory(prefix="matcher-fuzz-")
_APP = create_app(Settings(data_dir=Path(_DATA.name), workers=1, max_sync_time_limit=2,
                           max_queued_jobs=5, max_body_bytes=200_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _stop_fuzzed_app() -> Iterator[None]:
    yield
    asgi.shutdown_lifespans()  # stops the app's solver processes
    _DATA.cleanup()


@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 ])
def test_fuzzing_finds_no_server_error(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])
