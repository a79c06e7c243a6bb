"""Solving several problems at once: local worker processes, or a Dask distributed cluster.

A what-if comparison solves a handful of independent problems; each solve is single-threaded
by default and deterministic, so running them side by side gives the same answers sooner.
Problems travel as JSON text and are validated again on arrival, which keeps the workers free
of any state of the caller (and works the same on a cluster of other machines, provided they
have matcher installed at the same version).

Local workers are *spawned*, not forked: a fork of a process that has already run solver
threads can deadlock, and spawning is what Windows does anyway.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from matcher.errors import MatcherError
from matcher.problem import Problem
from matcher.solution import Solution


def solve_payload(problem_json: str, time_limit: float | None, seed: int) -> str:
    """Worker side: parse, solve, and return the solution as JSON text."""
    from matcher.options import SolveOptions
    from matcher.solve import solve
    from matcher.validation import parse_problem

    problem = parse_problem(problem_json)
    options = SolveOptions(time_limit=time_limit, workers=1, seed=seed)
    return solve(problem, options).model_dump_json()


#: Below this many candidates in all, starting worker processes (about a second each, most
#: of it importing OR-Tools) costs more than the solves themselves.
SMALL = 5_000


def local_processes(problems: Sequence[Problem], processes: int | None) -> int:
    """How many local processes :func:`solve_many` uses (1 = in this process)."""
    if processes is None:
        if sum(len(p.candidates) for p in problems) < SMALL:
            return 1
        processes = os.cpu_count() or 1
    return max(1, min(len(problems), processes))


def solve_many(problems: Sequence[Problem], *, time_limit: float | None = None, seed: int = 0,
               cluster: str | None = None, processes: int | None = None) -> list[Solution]:
    """Solve every problem, in order.

    ``cluster`` is a Dask scheduler address (``tcp://host:8786``); without it the solves run
    in ``processes`` local processes (default: one per core, or just this process when the
    problems are small; see :func:`local_processes`).
    """
    payloads = [problem.model_dump_json() for problem in problems]
    job = partial(solve_payload, time_limit=time_limit, seed=seed)
    if cluster is not None:
        texts = _on_cluster(cluster, job, payloads)
    else:
        count = local_processes(problems, processes)
        if count <= 1:
            texts = [job(payload) for payload in payloads]
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
                texts = list(pool.map(job, payloads))
    return [Solution.model_validate_json(text) for text in texts]


def _on_cluster(address: str, job: partial[str], payloads: list[str]) -> list[str]:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise MatcherError("--cluster needs Dask: pip install 'matcher[cluster]'") from exc
    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        # Scatter first: a national problem is tens of MB of JSON, too big to ride in the
        # task graph itself.
        data = client.scatter(payloads)
        futures = client.map(job, data, pure=False)
        texts: list[str] = client.gather(futures)
    return texts
