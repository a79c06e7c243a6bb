"""Code that runs inside solver processes, never in the server process.

Why processes: a solve holds the CPU (and, in CP-SAT, the GIL between callbacks) for seconds or
hours; in a process it cannot stall the event loop, and a cancelled job can be stopped for
real by terminating its process. Everything here talks to the server through plain picklable
values: the problem and solution travel as JSON text, results as tuples over a pipe.

A solver process must not outlive the server: when the server is killed with SIGKILL nothing
terminates its children. Each child holds the read end of a "lifeline" pipe whose only write
end is in the server; when the server dies the kernel closes it, the child reads EOF and exits.
(Watching the parent pid does not work: the fork server is the parent, and it stays alive as
long as any of its children do.)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from matcher.options import Progress, SolveOptions

PROGRESS_INTERVAL = 0.5  # seconds between progress messages within one phase

# Messages from a job process to the server: ("progress", phase, elapsed, objective, bound),
# ("done", solution_json, elapsed) or ("error", code, message).
Message = tuple[Any, ...]


class WorkerError(Exception):
    """A solve failed inside a worker; carries only a code and a message, so it pickles."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def hold_lifeline(lifeline: Connection) -> None:
    """Exit this process as soon as the server is gone (its end of ``lifeline`` closes)."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()  # the server never writes: this returns only at EOF
        os._exit(70)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _solve_json(problem_json: str, time_limit: float | None, seed: int, threads: int,
                progress: Any = None) -> str:
    from matcher.errors import MatcherError
    from matcher.solve import solve
    from matcher.validation import parse_problem

    try:
        problem = parse_problem(problem_json)
    except MatcherError as error:
        raise WorkerError("invalid_problem", str(error)) from None
    options = SolveOptions(time_limit=time_limit, workers=threads, seed=seed, progress=progress)
    try:
        return solve(problem, options).model_dump_json()
    except MatcherError as error:
        raise WorkerError("solver_error", f"{type(error).__name__}: {error}") from None
    except OverflowError:
        # The contract sets no bound on integers, but the solver needs them in 64 bits.
        raise WorkerError("invalid_problem", "a number in the problem is too large for the "
                          "solver (integers must fit in 64 bits)") from None
    except MemoryError:
        raise WorkerError("solver_error", "the solver ran out of memory") from None
    except Exception as error:
        raise WorkerError("solver_error", f"internal error ({type(error).__name__})") from None


def solve_request(problem_json: str, time_limit: float, seed: int, threads: int) -> str:
    """Solve for ``POST /v1/solve`` in a pool process; the solution as JSON text."""
    return _solve_json(problem_json, time_limit, seed, threads)


class _Reporter:
    """Progress callback that forwards to the server, at most every ``PROGRESS_INTERVAL``.

    CP-SAT calls it from its own threads, so sends are serialised.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._phase = ""
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        if progress.phase == "done":
            return  # the final message says so, with the solution
        with self._lock:
            now = time.monotonic()
            if progress.phase == self._phase and now - self._last < PROGRESS_INTERVAL:
                return
            self._phase, self._last = progress.phase, now
            self._conn.send(("progress", progress.phase, progress.elapsed_s,
                             progress.objective, progress.bound))

    def send(self, message: Message) -> None:
        with self._lock:
            self._conn.send(message)


def run_job(conn: Connection, lifeline: Connection, problem_json: str,
            time_limit: float | None, seed: int, threads: int) -> None:
    """Entry point of a job process: solve and send one final message to the server."""
    hold_lifeline(lifeline)
    reporter = _Reporter(conn)
    started = time.monotonic()
    try:
        solution = _solve_json(problem_json, time_limit, seed, threads, reporter)
    except WorkerError as error:
        reporter.send(("error", error.code, error.message))
    else:
        reporter.send(("done", solution, time.monotonic() - started))
    conn.close()


def init_pool_process(lifeline: Connection) -> None:
    """Initializer of the synchronous-solve pool's processes."""
    hold_lifeline(lifeline)


def warm_up() -> None:
    """Nothing: submitted once per pool process at start-up so that the first request does
    not wait for a process to start."""
