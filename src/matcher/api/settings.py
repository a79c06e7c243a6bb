"""Everything the service can be told, from the environment (``MATCHER_*``) or ``matcher serve``.

One :class:`Settings` object is built per process and handed to :func:`create_app`, so tests
build apps with their own data dirs and limits instead of patching globals.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

API_KEYS_FILE = "api_keys"


def default_data_dir() -> Path:
    """The per-user data directory (``~/.local/share/matcher`` on Linux)."""
    return Path(platformdirs.user_data_dir("matcher", appauthor=False))


class Settings(BaseSettings):
    """Service configuration; every field can be set as ``MATCHER_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir,
                           description="where the database and the api_keys file live")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file jobs.sqlite3 in data_dir")
    api_keys: str = Field(
        "", description="comma-separated bearer keys; empty: read data_dir/api_keys if present")
    workers: int = Field(2, ge=1, description="job solver processes (and as many for /v1/solve)")
    solver_threads: int = Field(1, ge=1, description="CP-SAT threads inside each solver process")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1, description="largest request body")
    max_queued_jobs: int = Field(32, ge=0, description="queued jobs beyond which POST gets 429")
    max_pending_solves: int = Field(
        64, ge=1, description="synchronous solves running or waiting beyond which POST gets 429")
    max_sync_time_limit: float = Field(
        30.0, gt=0, description="cap (and default) on time_limit for POST /v1/solve")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'jobs.sqlite3'}"

    def keys(self) -> list[str]:
        """Configured API keys: the environment's list, else the data dir's file (one a line).

        Read on every call, so a key added to the file takes effect without a restart.
        """
        listed = [key.strip() for key in self.api_keys.split(",") if key.strip()]
        if listed:
            return listed
        path = self.data_dir / API_KEYS_FILE
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the service on this machine.

    Host names other than ``localhost`` count as public: what they resolve to can change.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, settings: Settings, insecure: bool) -> str | None:
    """Why ``matcher serve`` must not start on ``host``, or ``None`` when it may."""
    if is_loopback(host) or insecure or settings.keys():
        return None
    return (f"refusing to listen on {host} without API keys: set MATCHER_API_KEYS or write "
            f"{settings.data_dir / API_KEYS_FILE}, or pass --insecure")
