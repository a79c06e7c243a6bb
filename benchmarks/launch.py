"""Run one command and report its wall time and its own peak resident memory, exactly.

    python -m benchmarks.launch REPORT.json TIMEOUT_S MAX_BYTES -- COMMAND...

Why a separate small process: Linux carries a process's peak-RSS record across ``fork`` and
``exec`` (``ru_maxrss`` of a child starts at its parent's high-water mark), so a command
started straight from the benchmark — which holds a 100,000-candidate problem for scoring —
would report at least the benchmark's own memory. This launcher imports nothing heavy, so
the command it forks inherits only a few megabytes, and ``wait4`` gives the command's true
peak. It also enforces the time and memory limits (CP-SAT enforces no memory limit of its
own, and the machine is shared) and writes ``{"returncode", "wall_s", "peak_mb",
"killed"}`` to REPORT.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def rss_bytes(pid: int) -> int:
    """Current resident memory of ``pid`` (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def main(argv: list[str]) -> int:
    report, timeout, max_bytes = argv[0], float(argv[1]), float(argv[2])
    if argv[3] != "--":
        raise SystemExit("usage: python -m benchmarks.launch REPORT TIMEOUT MAX_BYTES -- CMD")
    cmd = argv[4:]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd)
    killed, polls = "", 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        polls += 1
        elapsed = time.perf_counter() - started
        if elapsed > timeout:
            killed = f"timeout: killed after {elapsed:.0f} s"
        elif polls % 10 == 0 and rss_bytes(proc.pid) > max_bytes:
            killed = (f"out of memory: killed at {max_bytes / 2**30:.0f} GB resident "
                      f"after {elapsed:.0f} s")
        if killed:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here; keeps Popen from waiting again
    with open(report, "w") as out:
        json.dump({"returncode": code, "wall_s": wall, "peak_mb": usage.ru_maxrss / 1024,
                   "killed": killed}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
