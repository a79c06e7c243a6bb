"""Job queue behaviour: bounded queue, cancellation that stops the process, start-up recovery."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matcher.api.store import ErrorCode, Job, JobStatus, Store
from tests.api.conftest import ClientFactory, wait_for
from tests.api.problems import slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


@pytest.fixture(scope="module")
def slow_problem() -> bytes:
    return slow()


def test_queue_bound_cancellation_and_409(make_client: ClientFactory, slow_problem: bytes,
                                          sample: bytes) -> None:
    client = make_client(workers=1, max_queued_jobs=1)
    runner = client.app.state.runner  # type: ignore[attr-defined]
    long_id = client.post("/v1/jobs?time_limit=120", content=slow_problem).json()["id"]
    running = wait_for(client, long_id, {"running"})
    assert running["started_at"] is not None
    queued = client.post("/v1/jobs", content=sample)
    assert queued.status_code == 202
    queued_id = queued.json()["id"]

    full = client.post("/v1/jobs", content=sample)
    assert full.status_code == 429
    assert full.json()["errors"][0]["code"] == "queue_full"
    assert full.headers["retry-after"]

    not_done = client.get(f"/v1/jobs/{queued_id}/solution")
    assert not_done.status_code == 409
    assert not_done.json()["errors"][0]["code"] == "not_done"
    assert client.get(f"/v1/jobs/{long_id}/solution").status_code == 409

    # Cancelling the queued job frees its place in the queue.
    cancelled = client.delete(f"/v1/jobs/{queued_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.delete(f"/v1/jobs/{queued_id}").status_code == 409
    assert client.post("/v1/jobs", content=sample).status_code == 202

    # Cancelling the running job stops its process for real.
    deadline = time.monotonic() + 10
    while long_id not in runner.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = runner.running()[long_id]
    assert pid is not None and _alive(pid)
    stopped = client.delete(f"/v1/jobs/{long_id}")
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled"
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert client.get(f"/v1/jobs/{long_id}").json()["status"] == "cancelled"
    assert client.get(f"/v1/jobs/{long_id}/solution").status_code == 409
    # ... and the worker moves on to the queue.
    for job in client.get("/v1/jobs").json()["jobs"]:
        if job["status"] != "cancelled":
            wait_for(client, job["id"], {"done"})


def test_progress_is_reported_while_running(make_client: ClientFactory,
                                            slow_problem: bytes) -> None:
    client = make_client(workers=1)
    job_id = client.post("/v1/jobs?time_limit=60", content=slow_problem).json()["id"]
    deadline = time.monotonic() + 20
    progress = {}
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        progress = job["progress"]
        if job["status"] == "running" and progress["phase"] not in (None, "compile"):
            break
        time.sleep(0.1)
    assert progress["phase"] and progress["phase"] != "compile"
    assert progress["elapsed_s"] is not None
    assert client.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"


def test_startup_fails_jobs_left_running_and_runs_queued_ones(
        make_client: ClientFactory, tmp_path: Path, sample: bytes) -> None:
    data = tmp_path / "recovered"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'jobs.sqlite3'}")
    now = datetime.now(UTC)
    with store.session() as session:
        session.add(Job(id="was-running", status=JobStatus.running, name="x", created_at=now,
                        started_at=now, problem=sample.decode()))
        session.add(Job(id="was-queued", status=JobStatus.queued, name="y", created_at=now,
                        problem=sample.decode()))
    store.close()

    client = make_client(data_dir=data)
    interrupted = client.get("/v1/jobs/was-running").json()
    assert interrupted["status"] == "failed"
    assert interrupted["error"]["code"] == ErrorCode.interrupted
    assert wait_for(client, "was-queued", {"done"})["error"] is None
    assert client.get("/v1/jobs/was-queued/solution").status_code == 200


def test_graceful_shutdown_puts_running_jobs_back_in_the_queue(
        make_client: ClientFactory, tmp_path: Path, slow_problem: bytes) -> None:
    data = tmp_path / "graceful"
    first = make_client(data_dir=data)
    job_id = first.post("/v1/jobs?time_limit=120", content=slow_problem).json()["id"]
    wait_for(first, job_id, {"running"})
    first.__exit__(None, None, None)  # lifespan shutdown: stops the process, re-queues
    store = Store(f"sqlite:///{data / 'jobs.sqlite3'}")
    job = store.get(job_id)
    store.close()
    assert job is not None and job.status == JobStatus.queued and job.started_at is None

    second = make_client(data_dir=data)
    assert wait_for(second, job_id, {"running"})["error"] is None
    assert second.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
