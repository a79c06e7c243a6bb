"""Code that runs inside solver processes, never in the server process.

Why processes: a solve holds the CPU (and, in CP-SAT, the GIL between callbacks) for seconds or
hours; in a process it cannot stall the event loop, and a cancelled job can be stopped for
real by terminating its process. Everything here talks to the server through plain picklable
values: a problem to solve travels as the JSON text the client sent, results as text or tuples
over a pipe. Compare and explain get the models the server has already validated (to answer
422 with paths), pickled, rather than parse the same input twice.

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
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from matcher.options import Progress, SolveOptions

if TYPE_CHECKING:
    from matcher.changes import Applied
    from matcher.problem import Problem
    from matcher.solution import Solution

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


def _library_call(run: Callable[[], str]) -> str:
    """``run()``, with its failures as :class:`WorkerError` (code and message, no traceback)."""
    from matcher.errors import InvalidProblemError, MatcherError

    try:
        return run()
    except InvalidProblemError as error:
        raise WorkerError("invalid_problem", str(error)) from None
    except MatcherError as error:
        raise WorkerError("solver_error", f"{type(error).__name__}: {error}") from None
    except OverflowError:
        raise WorkerError("invalid_problem", "a number in the problem is too large for the "
                          "solver (integers must fit in 64 bits)") from None
    except MemoryError:
        raise WorkerError("solver_error", "the solver ran out of memory") from None
    except Exception as error:
        raise WorkerError("solver_error", f"internal error ({type(error).__name__})") from None


def _solve_json(problem_json: str, time_limit: float | None, seed: int, threads: int,
                progress: Any = None) -> str:
    from matcher.solve import solve
    from matcher.validation import parse_problem

    options = SolveOptions(time_limit=time_limit, workers=threads, seed=seed, progress=progress,
                           started=time.monotonic())  # the limit covers parsing too
    return _library_call(lambda: solve(parse_problem(problem_json), options).model_dump_json())


def solve_request(problem_json: str, time_limit: float, seed: int, threads: int) -> str:
    """Solve for ``POST /v1/solve`` in a pool process; the solution as JSON text."""
    return _solve_json(problem_json, time_limit, seed, threads)


def compare_request(base: Problem, scenarios: list[Applied], time_limit: float,
                    seed: int) -> str:
    """``POST /v1/compare`` in a pool process: every solve here, one after another; the
    comparison as JSON text. The problems arrive validated (and pickled) from the server."""
    from matcher.compare import compare

    return _library_call(lambda: compare(base, scenarios, time_limit=time_limit, seed=seed,
                                         processes=1).model_dump_json())


def explain_request(problem: Problem, solution: Solution, candidate: str, time_limit: float,
                    budget: int, check: bool, prices: bool, threads: int) -> str:
    """``POST /v1/explain`` in a pool process: the explanation as JSON text."""
    from matcher.why import explain_candidate

    options = SolveOptions(time_limit=time_limit, workers=threads,
                           seed=solution.solver.seed or 0)
    return _library_call(lambda: explain_candidate(
        problem, solution, candidate, options=options, budget=budget, check=check,
        prices=prices).model_dump_json())


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
