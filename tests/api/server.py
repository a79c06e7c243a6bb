"""``matcher serve`` as a real process on a free loopback port, for restart and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One ``matcher serve`` process; :meth:`restart` starts a new one on the same data dir."""

    def __init__(self, data_dir: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.tag = uuid.uuid4().hex  # inherited by every process the server starts
        self.env = {**os.environ, **(env or {}), "MATCHER_TEST_TAG": self.tag}
        self.env.pop("MATCHER_API_KEYS", None)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, trust_env=False, **kwargs)

    def start(self, timeout: float = 60) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "matcher.cli", "serve", "--port", str(self.port),
                   "--data-dir", str(self.data_dir), "--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def processes(self) -> list[int]:
        """Pids of live processes carrying this server's tag: it and its solver processes."""
        found = []
        marker = f"MATCHER_TEST_TAG={self.tag}".encode()
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0") and \
                        (entry / "stat").read_text().split()[2] != "Z":
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()
