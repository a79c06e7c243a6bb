"""Where the time and memory of ``matcher solve`` go, phase by phase, on one problem file.

    .venv/bin/python -m benchmarks.phases PROBLEM.json [--engine auto] [--time-limit 120]

Why: the issue-5 goals (end to end ≤ 2 × the bare flow solve, ≤ 2 GB peak at 100k) are about
the whole pipeline, so the benchmark's single number needs a breakdown to act on. This runs
the same steps as the CLI in one process — read the bytes, parse and validate, solve (with the
engine's own progress phases: compile, network build; and, timed by wrapping them, the
min-cost flow solve call and the reasons for unplaced candidates), serialise, write — and prints
for each the seconds, the resident memory after it and the peak so far (``ru_maxrss``).
Python's start and imports (about half a second) come before the first phase and are not
counted.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from matcher import SolveOptions, parse_problem, solve
from matcher.gc_pause import freeze_loaded
from matcher.options import Progress


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Steps inside an engine phase that progress reports do not separate: each is timed by
# wrapping the function for the run (module, class or "", function, its label, the label of
# what follows it).
_STEPS = (
    ("matcher.engines.flow", "_Circulation", "solve", "flow: min-cost flow solve call",
     "flow: assignment read off the flows"),
    ("matcher.solve", "", "unassigned_reasons", "reasons for unplaced candidates",
     "solution records, quota report"),
)


@contextmanager
def _marking(mark: Callable[[str], None], names: list[str]) -> Iterator[None]:
    """Mark the phase before and after each of ``_STEPS`` (the flow solve may run several
    times when a share of the total is searched: each call is a phase)."""
    saved = []
    for module_name, inside, attribute, label, after in _STEPS:
        owner: Any = importlib.import_module(module_name)
        if inside:
            owner = getattr(owner, inside)
        original = getattr(owner, attribute)
        saved.append((owner, attribute, original))

        def timed(*args: Any, __original: Any = original, __label: str = label,
                  __after: str = after, **kwargs: Any) -> Any:
            mark(names[-1])
            names.append(__label)
            result = __original(*args, **kwargs)
            mark(names[-1])
            names.append(__after)
            return result

        setattr(owner, attribute, timed)
    try:
        yield
    finally:
        for owner, attribute, original in saved:
            setattr(owner, attribute, original)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", type=Path)
    parser.add_argument("--engine", default="auto", choices=("auto", "flow", "cpsat"))
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rows: list[tuple[str, float, float, float]] = []
    last = time.perf_counter()
    origin = last

    def mark(phase: str) -> None:
        nonlocal last
        now = time.perf_counter()
        rows.append((phase, now - last, _rss_mb(), _peak_mb()))
        last = now

    raw = args.problem.read_bytes()
    mark("read bytes")
    problem = parse_problem(raw)
    del raw
    freeze_loaded()  # as the solve command does
    mark("parse + validate")
    phase_names = ["solve: start"]

    def progress(p: Progress) -> None:
        if p.phase != phase_names[-1] and p.objective is None and p.bound is None:
            mark(phase_names[-1])
            phase_names.append(p.phase)

    options = SolveOptions(time_limit=args.time_limit, workers=args.workers,
                           engine=args.engine, progress=progress)
    with _marking(mark, phase_names):
        solution = solve(problem, options)
    mark(phase_names[-1] + " (to the solution object)")
    text = solution.model_dump_json(indent=1)
    mark("serialise")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json") as out:
        out.write(text + "\n")
    mark("write")
    total = time.perf_counter() - origin
    print(f"{args.problem.name}: {len(problem.candidates)} candidates, {len(problem.posts)} "
          f"posts; status {solution.status}, engine {solution.solver.engine}")
    print(f"{'phase':<48} {'s':>8} {'share':>6} {'RSS MB':>8} {'peak MB':>8}")
    for phase, seconds, rss, peak in rows:
        print(f"{phase:<48} {seconds:8.2f} {seconds / total:6.1%} {rss:8.0f} {peak:8.0f}")
    print(f"{'total':<48} {total:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
