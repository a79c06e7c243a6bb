"""Exact CP-SAT engine: every rule of SPEC, the objective solved tier by tier.

Each tier is optimised with the tiers before it fixed at their proven optimum, starting from
the previous tier's solution as a hint. A tier that is not proven within the time limit ends
the run with status ``feasible`` and that tier's proven bound.
"""

from __future__ import annotations

import math
import os
import time
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from matcher.compile import Compiled
from matcher.engines.base import EngineResult, TierValue
from matcher.engines.conflicts import find_conflict
from matcher.engines.cpsat_model import SatModel, build_model
from matcher.errors import EngineCapabilityError
from matcher.options import Progress, SolveOptions
from matcher.solution import Status

NAME = "cpsat"
MAXIMISED = frozenset({"coverage"})


def map_status(code: cp_model.CpSolverStatus) -> Status:
    """CP-SAT's status codes in matcher's vocabulary."""
    if code == cp_model.OPTIMAL:
        return Status.optimal
    if code == cp_model.FEASIBLE:
        return Status.feasible
    if code == cp_model.INFEASIBLE:
        return Status.infeasible
    return Status.unknown


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Forwards each improving solution to the caller's progress callback."""

    def __init__(self, options: SolveOptions, phase: str, started: float,
                 scale: int = 1) -> None:
        super().__init__()
        self._options, self._phase, self._started = options, phase, started
        self._scale = scale  # the quotas tier is solved in units of 1/scale

    def on_solution_callback(self) -> None:
        if self._options.progress is not None:
            self._options.progress(Progress(
                self._phase, time.monotonic() - self._started,
                self.objective_value / self._scale, self.best_objective_bound / self._scale,
            ))


def choose_workers(options: SolveOptions, edge_count: int) -> int:
    """One worker is fastest and fully deterministic on small models; larger ones use the
    machine's cores."""
    if options.workers > 0:
        return options.workers
    return 1 if edge_count < 20_000 else min(8, os.cpu_count() or 1)


MAX_PAIRS = 3_000_000  # beyond this the model alone takes gigabytes and minutes to build


def estimated_pairs(compiled: Compiled) -> int:
    """An upper estimate of the pair variables, without materialising them."""
    wishes, compat = compiled.wishes, compiled.compat
    ranked = int(np.diff(wishes.starts)[wishes.pattern].sum())
    adjusting = compiled.adjusts & compat.candidate_ok
    per_profile = (compat.attributes_ok & compat.pairings_ok).astype(np.int64) @ np.bincount(
        compat.post_class, minlength=compat.attributes_ok.shape[1])
    return ranked + int(per_profile[compat.profile[adjusting]].sum())


def solve(compiled: Compiled, options: SolveOptions) -> EngineResult:
    started = time.monotonic()
    deadline = None if options.time_limit is None else started + options.time_limit
    pairs = estimated_pairs(compiled)
    if pairs > MAX_PAIRS:
        raise EngineCapabilityError(NAME, [
            f"{pairs:,} candidate-post pairs (the limit is {MAX_PAIRS:,}); at this size only "
            "problems the network engine expresses are solved (no couples, no score-first "
            "priority, no quota restricting both candidates and posts)"])
    sat = build_model(compiled)
    workers = choose_workers(options, len(sat.x))
    order: list[str] = list(compiled.problem.objective.order)
    bound: dict[str, TierValue] = {}
    values: list[int] | None = None
    status = Status.optimal

    for tier in order or ["feasibility"]:
        solver = _solver(options, workers, deadline)
        if tier != "feasibility":
            expr = sat.tiers[tier]
            if tier in MAXIMISED:
                sat.model.maximize(expr)
            else:
                sat.model.minimize(expr)
        if values is not None:
            sat.model.clear_hints()  # type: ignore[no-untyped-call]
            for var, value in zip(sat.x, values, strict=True):
                sat.model.add_hint(var, value)
        scale = sat.quota_scale if tier == "quotas" else 1
        code = solver.solve(sat.model, _Reporter(options, f"cpsat:{tier}", started, scale))
        found = map_status(code)
        if found is Status.infeasible:
            conflict = find_conflict(compiled, options, deadline)
            return EngineResult(Status.infeasible, None, conflict=conflict, engine=NAME)
        if found is Status.unknown:
            status = Status.unknown if values is None else Status.feasible
            break
        values = [solver.boolean_value(v) for v in sat.x]
        if tier == "feasibility":
            break
        bound[tier] = _tier_bound(sat, tier, solver.best_objective_bound)
        if found is Status.feasible:
            status = Status.feasible
            break
        value = round(solver.objective_value)
        sat.model.add(expr == value)
        sat.model.clear_objective()  # type: ignore[no-untyped-call]

    assignment = None
    if values is not None:
        chosen = np.array(values, dtype=np.bool_)
        assignment = np.full(compiled.n, -1, dtype=np.int64)
        assignment[sat.edges.cand[chosen]] = sat.edges.post[chosen]
    return EngineResult(status, assignment, bound=bound, engine=NAME,
                        note=f"{len(sat.x)} pair variables, {workers} worker(s)")


def _solver(options: SolveOptions, workers: int, deadline: float | None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = options.seed
    if deadline is not None:
        solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    return solver


def _tier_bound(sat: SatModel, tier: str, raw: float) -> TierValue:
    """The proven bound of a tier in its own units (integers for coverage and preferences)."""
    if tier == "coverage":
        return math.floor(raw + 1e-6)
    if tier == "quotas":
        return Fraction(math.ceil(raw - 1e-6), sat.quota_scale)
    return math.ceil(raw - 1e-6)
