"""API keys: every /v1 route needs one when keys exist; binding publicly needs keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.api.deps import key_matches
from matcher.api.settings import Settings, bind_refusal, is_loopback
from matcher.cli import app as cli
from tests.api.conftest import ClientFactory

V1 = [("POST", "/v1/validate"), ("POST", "/v1/solve"), ("POST", "/v1/jobs"),
      ("GET", "/v1/jobs"), ("GET", "/v1/jobs/x"), ("GET", "/v1/jobs/x/solution"),
      ("DELETE", "/v1/jobs/x")]


def test_without_keys_no_header_is_needed(make_client: ClientFactory, sample: bytes) -> None:
    client = make_client()
    assert client.post("/v1/validate", content=sample).status_code == 200


@pytest.mark.parametrize("source", ["env", "file"])
def test_keys_guard_every_v1_route(make_client: ClientFactory, tmp_path: Path, sample: bytes,
                                   source: str) -> None:
    if source == "env":
        client = make_client(api_keys="alpha, beta")
    else:
        data = tmp_path / "keyed"
        data.mkdir()
        (data / "api_keys").write_text("# office keys\nalpha\n\nbeta\n")
        client = make_client(data_dir=data)
    for method, path in V1:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic alpha"},
                        {"Authorization": "alpha"}):
            response = client.request(method, path, headers=headers, content=sample)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["errors"][0]["code"] == "unauthorized"
    good = {"Authorization": "Bearer beta"}
    assert client.post("/v1/validate", content=sample, headers=good).status_code == 200
    assert client.get("/v1/jobs/x", headers=good).status_code == 404
    assert client.get("/healthz").status_code == 200  # probes need no key
    assert client.get("/openapi.json").status_code == 200


def test_key_comparison() -> None:
    assert key_matches("b", ["a", "b"])
    assert not key_matches("", ["a"])
    assert not key_matches("ab", ["a", "b"])
    assert not key_matches("é", ["e"])


def test_public_bind_needs_keys_or_insecure(tmp_path: Path) -> None:
    bare = Settings(data_dir=tmp_path)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.5.0.1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")
    assert bind_refusal("127.0.0.1", bare, insecure=False) is None
    refusal = bind_refusal("0.0.0.0", bare, insecure=False)
    assert refusal is not None and "--insecure" in refusal
    assert bind_refusal("0.0.0.0", bare, insecure=True) is None
    assert bind_refusal("0.0.0.0", Settings(data_dir=tmp_path, api_keys="k"), False) is None


def test_serve_refuses_a_public_host_without_keys(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--data-dir",
                                      str(tmp_path)])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0" in result.output
