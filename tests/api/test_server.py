"""``matcher serve`` as a real process: restarts, SIGKILL mid-job, concurrent requests."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.solution import Solution
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.api.problems import slow, tiny
from tests.api.server import Server

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def wait_for(client: httpx.Client, job_id: str, statuses: set[str],
             timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses or time.monotonic() > deadline:
            assert job["status"] in statuses, job
            return job
        time.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path) -> Any:
    process = Server(tmp_path / "data", workers=1)
    process.start()
    yield process
    process.stop()


def test_a_finished_job_survives_a_restart(server: Server, sample: bytes) -> None:
    with server.client() as client:
        job_id = client.post("/v1/jobs", content=sample).json()["id"]
        wait_for(client, job_id, {"done"})
    server.restart()
    with server.client() as client:
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "done"
        response = client.get(f"/v1/jobs/{job_id}/solution")
    assert response.status_code == 200
    solution = Solution.model_validate_json(response.content)
    assert verify(parse_problem(sample), solution) == []
    assert solution.status == "optimal"


def test_sigkill_mid_job_fails_it_and_keeps_the_queue(server: Server, sample: bytes) -> None:
    with server.client() as client:
        long_id = client.post("/v1/jobs?time_limit=120", content=slow()).json()["id"]
        wait_for(client, long_id, {"running"})
        queued_id = client.post("/v1/jobs", content=sample).json()["id"]  # one worker: waits
        assert client.get(f"/v1/jobs/{queued_id}").json()["status"] == "queued"
    server.stop(signal.SIGKILL)
    if Path("/proc").is_dir():  # the solver processes follow the server within a moment
        deadline = time.monotonic() + 10
        while server.processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.processes() == []
    server.start()
    with server.client() as client:
        interrupted = client.get(f"/v1/jobs/{long_id}").json()
        assert interrupted["status"] == "failed"
        assert interrupted["error"]["code"] == "interrupted"
        assert client.get(f"/v1/jobs/{long_id}/solution").status_code == 409
        wait_for(client, queued_id, {"done"})
        solution = client.get(f"/v1/jobs/{queued_id}/solution").content
    assert verify(parse_problem(sample), Solution.model_validate_json(solution)) == []


def test_sixteen_concurrent_solves_all_verify(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", workers=2)
    server.start()
    problems = [tiny(index) for index in range(16)]
    try:
        with server.client(limits=httpx.Limits(max_connections=16)) as client:
            def solve(problem: dict[str, Any]) -> httpx.Response:
                return client.post("/v1/solve?time_limit=10", json=problem)

            with ThreadPoolExecutor(16) as pool:
                responses = list(pool.map(solve, problems))
    finally:
        server.stop()
    for problem, response in zip(problems, responses, strict=True):
        assert response.status_code == 200, response.text
        solution = Solution.model_validate_json(response.content)
        assert solution.problem == problem["name"]
        assert verify(parse_problem(problem), solution) == []
    log = server.log.read_text()
    assert log.count('"path": "/v1/solve", "status": 200') == 16
