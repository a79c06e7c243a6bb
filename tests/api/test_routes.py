"""Every route and every error class, in process (FastAPI's TestClient)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from matcher.solution import Solution
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.api.conftest import ClientFactory, wait_for


def _verified(problem: bytes, body: bytes) -> Solution:
    solution = Solution.model_validate_json(body)
    assert verify(parse_problem(problem), solution) == []
    return solution


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "workers": 1, "running": 0, "queued": 0}


def test_validate_accepts_a_valid_problem(client: TestClient, sample: bytes) -> None:
    response = client.post("/v1/validate", content=sample)
    assert response.status_code == 200
    assert response.json() == {"valid": True}


def test_validate_lists_every_error_with_its_spec_path(client: TestClient) -> None:
    problem = {"candidates": [{"id": "C1", "home_province": "SD", "wishes": [{"post": "P9"}]},
                              {"id": 7, "home_province": "SD"}],
               "posts": [{"id": "P1", "province": "XJ", "prefecture": "Kashgar",
                          "programme": "edu", "capacity": -1}],
               "surprise": 1}
    response = client.post("/v1/validate", json=problem)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["path"], e["code"]) for e in errors} >= {
        ("candidates[1].id", "string_type"),
        ("posts[0].capacity", "greater_than_equal"),
        ("surprise", "extra_forbidden"),
        ("candidates[0].wishes[0].post", "unknown_post"),
    }
    assert all(set(e) == {"path", "code", "message"} and e["message"] for e in errors)


def test_a_validator_crash_still_gets_422_with_paths(client: TestClient) -> None:
    # matcher.validation raised TypeError (unhashable list) on this body: the service must
    # still answer 422 naming the field, not 500.
    problem = {"forbidden": [{"candidate": [], "post": "P"}]}
    response = client.post("/v1/validate", json=problem)
    assert response.status_code == 422
    assert "forbidden[0].candidate" in [e["path"] for e in response.json()["errors"]]


def test_numbers_the_solver_cannot_hold_get_422(client: TestClient) -> None:
    # Found by fuzzing: a huge integer once passed validation and overflowed the solver.
    # Validation now bounds it, so both routes reject it up front with its path.
    problem = {"objective": {"continuity_bonus": 10**34}}
    for route in ("/v1/solve", "/v1/jobs"):
        response = client.post(route, json=problem)
        assert response.status_code == 422
        assert [e["path"] for e in response.json()["errors"]] == ["objective.continuity_bonus"]


@pytest.mark.parametrize("body", [b"{bad json", b"", b"[1, 2]", "{\"name\": \"\xff\"}".encode(
    "latin-1")])
def test_malformed_bodies_get_422_not_500(client: TestClient, body: bytes) -> None:
    for route in ("/v1/validate", "/v1/solve", "/v1/jobs"):
        response = client.post(route, content=body)
        assert response.status_code == 422, (route, response.text)
        assert response.json()["errors"]
    assert client.get("/healthz").status_code == 200  # still serving


def test_solve_returns_a_solution_that_verifies(client: TestClient, sample: bytes) -> None:
    response = client.post("/v1/solve", content=sample)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    solution = _verified(sample, response.content)
    assert solution.status == "optimal"
    assert (solution.objective.coverage, solution.objective.quotas,
            solution.objective.preferences) == (38, 1.6, -1)


def test_solve_answers_infeasible_with_200(client: TestClient, infeasible: bytes) -> None:
    response = client.post("/v1/solve?time_limit=10", content=infeasible)
    assert response.status_code == 200
    solution = _verified(infeasible, response.content)
    assert solution.status == "infeasible"
    assert solution.conflict == ["lock:I01", "minority_target", "pair_kashgar"]


@pytest.mark.parametrize("value", ["-1", "0", "abc", "inf", "nan"])
def test_bad_time_limit_names_the_parameter(client: TestClient, sample: bytes,
                                            value: str) -> None:
    for route in ("/v1/solve", "/v1/jobs"):
        response = client.post(f"{route}?time_limit={value}", content=sample)
        assert response.status_code == 422
        assert [e["path"] for e in response.json()["errors"]] == ["query.time_limit"]


def test_solve_caps_the_time_limit(make_client: ClientFactory, sample: bytes,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(max_sync_time_limit=3)
    runner = client.app.state.runner  # type: ignore[attr-defined]
    asked: list[float] = []
    real = runner.solve

    async def spy(text: str, limit: float) -> str:
        asked.append(limit)
        result: str = await real(text, limit)
        return result

    monkeypatch.setattr(runner, "solve", spy)
    for query in ("", "?time_limit=1", "?time_limit=999"):
        assert client.post(f"/v1/solve{query}", content=sample).status_code == 200
    assert asked == [3, 1, 3]


def test_job_lifecycle(client: TestClient, sample: bytes) -> None:
    response = client.post("/v1/jobs?time_limit=20", content=sample)
    assert response.status_code == 202
    created = response.json()
    assert created["status"] == "queued"
    assert response.headers["location"] == f"/v1/jobs/{created['id']}"
    job = wait_for(client, created["id"], {"done"})
    assert job["problem"] == "sample: western programme, one main round"
    assert job["time_limit"] == 20
    assert job["progress"]["phase"] == "done"
    assert job["started_at"] and job["finished_at"] and job["elapsed_s"] >= 0
    assert job["error"] is None
    solution = client.get(f"/v1/jobs/{created['id']}/solution")
    assert solution.status_code == 200
    _verified(sample, solution.content)
    listed = client.get("/v1/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [created["id"]]
    assert client.get("/v1/jobs?status=queued").json() == {"jobs": []}
    assert client.delete(f"/v1/jobs/{created['id']}").status_code == 409


def test_unknown_jobs_get_404(client: TestClient) -> None:
    for method, path in [("GET", "/v1/jobs/nope"), ("GET", "/v1/jobs/nope/solution"),
                         ("DELETE", "/v1/jobs/nope")]:
        response = client.request(method, path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


def test_unknown_routes_and_methods_keep_the_error_shape(client: TestClient) -> None:
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "not_found"
    wrong = client.put("/v1/solve")
    assert wrong.status_code == 405
    assert wrong.json()["errors"][0]["code"] == "method_not_allowed"
    assert client.get("/v1/jobs?limit=0").json()["errors"][0]["path"] == "query.limit"


def test_body_over_the_limit_gets_413(make_client: ClientFactory, sample: bytes) -> None:
    client = make_client(max_body_bytes=1000)
    for route in ("/v1/validate", "/v1/solve", "/v1/jobs"):
        response = client.post(route, content=sample)
        assert response.status_code == 413
        assert response.json()["errors"][0]["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed size decides
        for start in range(0, len(sample), 500):
            yield sample[start:start + 500]

    response = client.post("/v1/validate", content=chunks())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    small = json.dumps({"name": "small"}).encode()
    assert client.post("/v1/validate", content=small).status_code == 200


def test_unexpected_errors_are_json_500_without_internals(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]

    def broken(job_id: str) -> None:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(store, "get", broken)
    response = client.get("/v1/jobs/abc")
    assert response.status_code == 500
    assert response.json() == {"errors": [{
        "path": "", "code": "internal_error",
        "message": "internal error; the server log has the details"}]}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret database detail" in caplog.text
    monkeypatch.undo()
    assert client.get("/v1/jobs/abc").status_code == 404


def test_busy_pool_gets_429(client: TestClient, sample: bytes) -> None:
    runner = client.app.state.runner  # type: ignore[attr-defined]
    runner._pending = 10**6  # as if that many solves were waiting
    try:
        response = client.post("/v1/solve", content=sample)
    finally:
        runner._pending = 0
    assert response.status_code == 429
    assert response.headers["retry-after"]
    assert client.post("/v1/solve", content=sample).status_code == 200


def test_request_log_is_one_json_line_per_request(
        client: TestClient, sample: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="matcher.api.access")
    job_id = client.post("/v1/jobs", content=sample).json()["id"]
    client.get(f"/v1/jobs/{job_id}")
    client.get("/v1/jobs/missing")
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "matcher.api.access"]
    assert lines[0]["method"] == "POST" and lines[0]["path"] == "/v1/jobs"
    assert lines[0]["status"] == 202 and lines[0]["job_id"] == job_id
    assert lines[1]["job_id"] == job_id and lines[1]["status"] == 200
    assert lines[2]["status"] == 404 and lines[2]["job_id"] == "missing"
    assert all(isinstance(line["duration_ms"], float) for line in lines)
