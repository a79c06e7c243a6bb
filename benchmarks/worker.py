"""One non-CLI method on one problem file, in a process of its own.

    python -m benchmarks.worker METHOD PROBLEM.json SOLUTION.json METRICS.json [--max-entries N]

Why a process per method: peak resident memory is only meaningful per process (the parent
reads it from ``wait4``), and a method that blows up must not take the benchmark with it.
The worker reads and validates the problem like ``matcher solve`` does, compiles it, runs the
method, and writes a SPEC §7 solution plus the method's own timings (``core_s`` is what the
table calls the method's time: the solve call alone for the relaxation, the algorithm for the
peers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.relaxation import solve_relaxation
from matcher.compile import compile_problem
from matcher.validation import load_problem

METHODS = ("relaxation", "serial_dictatorship", "deferred_acceptance")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("problem", type=Path)
    parser.add_argument("solution", type=Path)
    parser.add_argument("metrics", type=Path)
    parser.add_argument("--max-entries", type=int, default=None,
                        help="deferred acceptance: skip above this many preference entries")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    problem = load_problem(args.problem)
    loaded = time.perf_counter()
    compiled = compile_problem(problem)
    prepared = time.perf_counter()
    metrics: dict[str, Any] = {"load_s": loaded - started, "compile_s": prepared - loaded}
    try:
        if args.method == "relaxation":
            relaxed = solve_relaxation(compiled)
            assignment = relaxed.assignment
            core = relaxed.solve_s
            metrics.update(build_s=relaxed.build_s, decode_s=relaxed.decode_s,
                           nodes=relaxed.nodes, arcs=relaxed.arcs, hubs=relaxed.hubs,
                           flow_status=relaxed.status)
        elif args.method == "serial_dictatorship":
            t0 = time.perf_counter()
            assignment = peers.serial_dictatorship(compiled)
            core = time.perf_counter() - t0
        else:
            timings: dict[str, float] = {}
            t0 = time.perf_counter()
            assignment = peers.deferred_acceptance(compiled, max_entries=args.max_entries,
                                                   timings=timings)
            core = time.perf_counter() - t0
            metrics.update(timings)
    except peers.PeerSkipped as skipped:
        metrics["skipped"] = str(skipped)
        args.metrics.write_text(json.dumps(metrics))
        return 0
    solution = peers.to_solution(compiled, assignment, args.method, core)
    args.solution.write_text(solution.model_dump_json())
    metrics["core_s"] = core
    args.metrics.write_text(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
