"""Exact CP-SAT engine: every rule of SPEC, the objective solved tier by tier.

Each tier is optimised with the tiers before it fixed at their proven optimum, starting from
the previous tier's solution as a hint. A tier that is not proven within the time limit ends
the run with status ``feasible`` and that tier's proven bound.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from matcher.columns import IntArray
from matcher.compile import Compiled
from matcher.engines.base import EngineResult, TierValue
from matcher.engines.conflicts import find_conflict
from matcher.engines.cpsat_model import SatModel, build_model
from matcher.engines.cutoffs import cut_by_priority
from matcher.errors import EngineCapabilityError
from matcher.objective import tier_values
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
    priority = cut_by_priority(compiled)  # pairs and clauses no envy-free round needs
    pairs = estimated_pairs(compiled if priority is None else priority.compiled)
    if pairs > MAX_PAIRS:
        raise EngineCapabilityError(NAME, [
            f"{pairs:,} candidate-post pairs (the limit is {MAX_PAIRS:,}); at this size only "
            "problems the network engine expresses are solved exactly; the hybrid engine "
            "gives a feasible round with a proven bound"])
    sat = (build_model(compiled) if priority is None
           else build_model(compiled, edges=priority.admitted(priority.compiled.edges),
                            fans=priority.fans,
                            full_posts=priority.full))
    run = solve_tiers(sat, options, started, deadline)
    if run.status is Status.infeasible:
        conflict = find_conflict(compiled, options, deadline)
        return EngineResult(Status.infeasible, None, conflict=conflict, engine=NAME)
    return EngineResult(run.status, run.assignment, bound=run.bound, engine=NAME,
                        note=f"{len(sat.x)} pair variables, {run.workers} worker(s)")


@dataclass
class TierRun:
    """What :func:`solve_tiers` found: the status, the assignment of the last solution, the
    bound CP-SAT proved per tier (for the model it was given), and whether the hint given
    was a solution of the model."""

    status: Status
    assignment: IntArray | None
    bound: dict[str, TierValue]
    workers: int
    hint_feasible: bool = False


TierCut = Callable[[str, dict[str, int]], int | None]
"""Given a tier and the values fixed for the tiers before it, a proven bound on the tier
(an upper bound for coverage, a lower bound otherwise, in the model's units) or ``None``."""

LARGE_MODEL = 200_000  # constraints beyond which presolve is kept light
HINT_SECONDS = 30.0  # at most this long to complete a hint into a full solution


def solve_tiers(sat: SatModel, options: SolveOptions, started: float,
                deadline: float | None, *, hint: IntArray | None = None,
                known_bound: TierCut | None = None, hints: bool = True,
                settle: bool = False, in_hand: bool = False) -> TierRun:
    """Optimise the tiers in order, each with the tiers before it fixed at their optimum and
    the previous solution (or ``hint``, an assignment) as a hint.

    A hint is first completed into values for every variable (with the pairs fixed), since
    CP-SAT takes a complete feasible hint as its first solution but may never get back to an
    incomplete one on a large model. ``known_bound`` supplies bounds proven elsewhere (a
    relaxation): they are added as constraints, so CP-SAT stops as soon as it reaches one.
    Without ``hints`` the model gets no hint (``hint``, a solution the caller vouches for,
    only lets a tier already at its known bound be skipped): on some models CP-SAT spends
    its whole limit in presolve when hinted.

    With ``settle`` (a local search, which wants a better round more than a proof), each
    tier gets an equal share of the time left, a tier not proven in its share keeps the
    value found (or better) while the next tiers are searched, and presolve is kept light
    (re-seating with tie movers at 20k: 10 s of presolve per tier, 2 s light).

    ``in_hand`` says the caller keeps a round of its own (``hint``, valid) whatever this
    returns: then nothing is started past the deadline, since even a solve limited to 0.01 s
    loads the model first (0.25 s at 78,000 pairs). Without one, each tier still gets its
    short solve, which may be the only way to a round at all.
    """
    compiled = sat.compiled
    workers = choose_workers(options, len(sat.x))
    order: list[str] = list(compiled.problem.objective.order)
    bound: dict[str, TierValue] = {}
    fixed: dict[str, int] = {}
    full: list[int] | None = None
    hint_feasible = False
    current: IntArray | None = None  # the assignment of the solution in hand
    if hint is not None and not hints:
        current = hint
    elif hint is not None and not (in_hand and _past(deadline)):
        full = _complete_hint(sat, hint, options, deadline)
        hint_feasible = full is not None
        current = hint if hint_feasible else None
    found_any = False
    values: list[bool] | None = None
    status = Status.optimal

    tiers = order or ["feasibility"]
    for index, tier in enumerate(tiers):
        if (found_any or in_hand) and _past(deadline):
            status = Status.feasible if found_any else Status.unknown
            break
        tier_deadline = deadline
        if settle and deadline is not None:
            now = time.monotonic()
            tier_deadline = now + max(0.0, deadline - now) / (len(tiers) - index)
        solver = _solver(options, workers, tier_deadline,
                         large=settle or len(sat.model.proto.constraints) > LARGE_MODEL)
        known = known_bound(tier, dict(fixed)) if known_bound is not None else None
        if tier != "feasibility":
            expr = sat.tiers[tier]
            if tier in MAXIMISED:
                sat.model.maximize(expr)
                if known is not None:
                    sat.model.add(expr <= known)
            else:
                sat.model.minimize(expr)
                if known is not None:
                    sat.model.add(expr >= known)
        if (known is not None and current is not None
                and scaled_tier(sat, tier, current) == known):
            # The solution in hand already meets a proven bound: nothing to search.
            bound[tier] = _tier_bound(sat, tier, known)
            fixed[tier] = known
            sat.model.add(expr == known)
            sat.model.clear_objective()  # type: ignore[no-untyped-call]
            found_any = True
            continue
        if hints and full is not None:
            _hint_everything(sat.model, full)
        elif hints and hint is not None:
            _hint_pairs(sat, hint)
        scale = sat.quota_scale if tier == "quotas" else 1
        code = solver.solve(sat.model, _Reporter(options, f"cpsat:{tier}", started, scale))
        found = map_status(code)
        if found is Status.infeasible:
            return TierRun(Status.infeasible, None, bound, workers, hint_feasible)
        if found is Status.unknown:
            status = Status.unknown if not found_any else Status.feasible
            break
        found_any = True
        values = [solver.boolean_value(v) for v in sat.x]
        full = list(solver.response_proto.solution)
        current = _decode(sat, values)
        if tier == "feasibility":
            break
        value = round(solver.objective_value)
        proven = solver.best_objective_bound
        if known is not None and value == known:
            found, proven = Status.optimal, value
        bound[tier] = _tier_bound(sat, tier, proven)
        if found is Status.feasible:
            status = Status.feasible
            if not settle:
                break
            sat.model.add(expr >= value if tier in MAXIMISED else expr <= value)
        else:
            fixed[tier] = value
            sat.model.add(expr == value)
        sat.model.clear_objective()  # type: ignore[no-untyped-call]

    assignment = current if found_any else None
    return TierRun(status, assignment, bound, workers, hint_feasible)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _decode(sat: SatModel, values: list[bool]) -> IntArray:
    chosen = np.array(values, dtype=np.bool_)
    assignment = np.full(sat.compiled.n, -1, dtype=np.int64)
    assignment[sat.edges.cand[chosen]] = sat.edges.post[chosen]
    return assignment


def scaled_tier(sat: SatModel, tier: str, assignment: IntArray) -> int:
    """A tier's value for an assignment, in the model's units."""
    value = tier_values(sat.compiled, sat.compiled.pairs(assignment))[tier]
    scaled = Fraction(value) * (sat.quota_scale if tier == "quotas" else 1)
    assert scaled.denominator == 1
    return int(scaled)


def _hint_pairs(sat: SatModel, hint: IntArray) -> None:
    sat.model.clear_hints()  # type: ignore[no-untyped-call]
    chosen = (hint[sat.edges.cand] == sat.edges.post).astype(int).tolist()
    for var, value in zip(sat.x, chosen, strict=True):
        sat.model.add_hint(var, value)


def _hint_everything(model: cp_model.CpModel, values: list[int]) -> None:
    model.clear_hints()  # type: ignore[no-untyped-call]
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def _complete_hint(sat: SatModel, hint: IntArray, options: SolveOptions,
                   deadline: float | None) -> list[int] | None:
    """Values of every variable extending the hinted pairs, or ``None`` when the hint breaks
    a rule (or cannot be completed in time)."""
    _hint_pairs(sat, hint)
    solver = _solver(options, 1, deadline, large=True)
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_time_in_seconds = min(solver.parameters.max_time_in_seconds,
                                                HINT_SECONDS)
    code = solver.solve(sat.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return list(solver.response_proto.solution)


def _solver(options: SolveOptions, workers: int, deadline: float | None, *,
            large: bool = False) -> cp_model.CpSolver:
    """A solver for the remaining time; on a large model presolve is kept to one light pass
    (its probing alone can take minutes on a national round)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = options.seed
    if deadline is not None:
        solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    if large:
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
        solver.parameters.max_presolve_iterations = 1
    return solver


def _tier_bound(sat: SatModel, tier: str, raw: float) -> TierValue:
    """The proven bound of a tier in its own units (integers for coverage and preferences)."""
    if tier == "coverage":
        return math.floor(raw + 1e-6)
    if tier == "quotas":
        return Fraction(math.ceil(raw - 1e-6), sat.quota_scale)
    return math.ceil(raw - 1e-6)
