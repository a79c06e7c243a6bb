"""Fixtures for the API tests: in-process apps on temporary data dirs, and sample bodies."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.api import Settings, create_app
from tests.api.problems import scenario

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """Build apps with settings overrides; each one runs its lifespan until the test ends."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        overrides.setdefault("data_dir", tmp_path / f"data{len(clients)}")
        overrides.setdefault("workers", 1)
        client = TestClient(create_app(Settings(**overrides)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


@pytest.fixture(scope="session")
def sample() -> bytes:
    return scenario("sample.json")


@pytest.fixture(scope="session")
def infeasible() -> bytes:
    return scenario("infeasible.json")


def wait_for(client: TestClient, job_id: str, statuses: set[str],
              timeout: float = 30.0) -> dict[str, Any]:
    """Poll a job until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own MATCHER_* settings must not leak into the tests."""
    for name in ("MATCHER_API_KEYS", "MATCHER_DATA_DIR", "MATCHER_DATABASE_URL",
                 "MATCHER_WORKERS", "MATCHER_MAX_BODY_BYTES", "MATCHER_MAX_QUEUED_JOBS"):
        monkeypatch.delenv(name, raising=False)
