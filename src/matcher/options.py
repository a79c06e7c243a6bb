"""Options a caller passes to :func:`matcher.solve`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

EngineName = Literal["auto", "cpsat", "flow", "hybrid"]


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of a running solve, for progress lines and job status."""

    phase: str
    elapsed_s: float
    objective: float | None = None
    bound: float | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """How to solve: limits, parallelism, determinism and engine choice.

    ``time_limit`` is for the whole solve, all tiers together; ``None`` means run to proven
    optimality. It counts from ``started`` (a ``time.monotonic()`` reading) when given: the
    CLI and the API pass the moment they began reading the problem, so that a limit covers
    reading, checking and writing too, as the person who set it expects; otherwise from the
    call to :func:`matcher.solve`. ``workers`` and ``seed`` make runs repeatable: the same
    input and options give the same output.
    """

    time_limit: float | None = None
    workers: int = 1
    seed: int = 0
    engine: EngineName = "auto"
    progress: ProgressCallback | None = None
    started: float | None = None
    # Name the rules that cannot hold together when there is no solution (a CP-SAT search of
    # its own); inner solves that only need the verdict, such as branch-and-bound nodes,
    # turn it off.
    explain_infeasible: bool = True
    # A ``time.monotonic()`` reading at which a network solve still running is stopped (the
    # caller's whole limit, less writing the answer). Engines plan new work by
    # ``time_limit``, which also keeps back time for finishing; this only ends work started.
    stop_at: float | None = None
