"""Request latency of ``POST /v1/solve`` for a small problem against a real ``matcher serve``.

Why: the service's overhead (HTTP, parsing, the hop to a pool process and back) is what a
caller with small problems pays on every request; the solve itself is ~0.05 s here. Starts a
server on a free loopback port with a temporary data dir (or uses ``--url``), warms it up, then
sends ``--requests`` requests one after another (``--concurrency`` > 1 sends them from that
many threads) and prints p50/p95/p99 with the settings that produced them.

    .venv/bin/python benchmarks/api_latency.py [--requests 200] [--workers 2] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MATCHER_API_KEYS"}
    process = subprocess.Popen(
        [sys.executable, "-m", "matcher.cli", "serve", "--port", str(port), "--data-dir",
         str(data_dir), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", trust_env=False).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, body: bytes, requests: int, concurrency: int) -> list[float]:
    with httpx.Client(base_url=url, timeout=60, trust_env=False,
                      limits=httpx.Limits(max_connections=concurrency)) as client:
        for _ in range(10):  # warm-up: connections, pool processes
            client.post("/v1/solve", content=body).raise_for_status()

        def one(_: int) -> float:
            started = time.perf_counter()
            response = client.post("/v1/solve", content=body)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(one, range(requests)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problem", type=Path, default=ROOT / "scenarios" / "sample.json")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--url", help="an already running server (default: start one)")
    args = parser.parse_args()
    body = args.problem.read_bytes()
    process = None
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as data:
        if args.url:
            url = args.url
        else:
            process, url = start_server(Path(data), args.workers)
        try:
            started = time.perf_counter()
            latencies = measure(url, body, args.requests, args.concurrency)
            wall = time.perf_counter() - started
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    ms = [value * 1000 for value in latencies]
    print(f"POST /v1/solve  problem={args.problem.name} ({len(body)} bytes)  "
          f"requests={args.requests} concurrency={args.concurrency} workers={args.workers}  "
          f"python={platform.python_version()} cpus={os.cpu_count()}")
    print(f"p50 {percentile(ms, 0.50):.1f} ms   p95 {percentile(ms, 0.95):.1f} ms   "
          f"p99 {percentile(ms, 0.99):.1f} ms   mean {statistics.fmean(ms):.1f} ms   "
          f"max {max(ms):.1f} ms   throughput {args.requests / wall:.1f} req/s")


if __name__ == "__main__":
    main()
