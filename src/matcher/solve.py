"""``matcher.solve``: compile, pick an engine, solve, and write the answer as SPEC §7 says."""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction

from matcher.compile import Compiled, Pairs, compile_problem
from matcher.engines import cpsat, flow, hybrid
from matcher.engines.base import EngineResult, TierValue
from matcher.engines.network import network_obstacles
from matcher.errors import EngineCapabilityError
from matcher.explain import unassigned_reasons
from matcher.objective import tier_values
from matcher.options import Progress, SolveOptions
from matcher.problem import Problem
from matcher.solution import (
    Assignment,
    QuotaReport,
    Reason,
    Solution,
    SolverInfo,
    Status,
    TierValues,
    Unassigned,
)

ENGINES = {"cpsat": cpsat.solve, "flow": flow.solve, "hybrid": hybrid.solve}
FINISHING_SHARE = 0.05  # of the time limit, kept back for reasons and the solution file
# seconds per candidate ... when that is more: the reasons for the unplaced took 4.9 s of a
# 100k round with 52k candidates beside empty seats (11 s before explain.py shared its
# splits), writing its file 1-2 s more; the rest is margin for a slower machine
FINISHING_PER_CANDIDATE = 120e-6
FINISHING_MOST = 0.25  # ... but never more than this share of the limit
# A network solve still running is stopped this long per candidate before the limit, to
# write what the engine has then. Measured at 100k given 10 s: stopped at the limit itself,
# the command ended at 11.2 s (an unknown answer lists every candidate); stopped 2 s before,
# at 9.6 s. A solve ending in those 2 s would have been written past the limit anyway.
WRITING_PER_CANDIDATE = 20e-6


def solve(problem: Problem, options: SolveOptions | None = None) -> Solution:
    """Solve ``problem`` exactly (or as far as the time limit allows) and return its solution."""
    options = options or SolveOptions()
    started = time.monotonic() if options.started is None else options.started
    options = _timed_from(options, started)
    _report(options, "compile", started)
    compiled = compile_problem(problem)
    engine, why = choose_engine(compiled, options)
    _report(options, engine, started)
    try:
        result = ENGINES[engine](compiled, _engine_options(options, started, compiled.n))
    except EngineCapabilityError as error:
        if options.engine != "auto" or engine != "flow":
            raise
        why = f"auto: hybrid, as the network engine cannot ({'; '.join(error.rules)})"
        result = ENGINES["hybrid"](compiled, _engine_options(options, started, compiled.n))
    if why:
        result.note = f"{why}; {result.note}" if result.note else why
    solution = build_solution(compiled, result, time.monotonic() - started, options)
    _report(options, "done", started)
    return solution


def finishing_seconds(time_limit: float, candidates: int) -> float:
    """Seconds kept back from a time limit for what follows the engine: the unplaced
    candidates' reasons, the solution's records and writing them. A share of the limit, or
    more on large rounds under short limits (a 100k round takes about 4 s on 2 cores; its
    reasons alone took 4.9 s with 52k candidates beside empty seats), but never more than
    :data:`FINISHING_MOST` of the limit."""
    wanted = max(time_limit * FINISHING_SHARE, candidates * FINISHING_PER_CANDIDATE)
    return min(wanted, time_limit * FINISHING_MOST)


def _engine_options(options: SolveOptions, started: float, candidates: int) -> SolveOptions:
    """The options an engine runs with: the time limit is what is left of the caller's once
    reading and compiling are done and finishing is kept back (engines count from their own
    start)."""
    if options.time_limit is None:
        return replace(options, started=None)
    left = options.time_limit - (time.monotonic() - started)
    left -= finishing_seconds(options.time_limit, candidates)
    stop_at = started + options.time_limit - candidates * WRITING_PER_CANDIDATE
    return replace(options, time_limit=max(left, 0.0), started=None, stop_at=stop_at)


def _timed_from(options: SolveOptions, started: float) -> SolveOptions:
    """Options whose progress callback reports time since ``started`` (the engines count
    from their own start), so one solve reads as one clock."""
    report = options.progress
    if report is None:
        return options

    def rebased(progress: Progress) -> None:
        report(Progress(progress.phase, time.monotonic() - started, progress.objective,
                        progress.bound))

    return replace(options, progress=rebased)


def _report(options: SolveOptions, phase: str, started: float) -> None:
    if options.progress is not None:
        options.progress(Progress(phase, time.monotonic() - started))


def choose_engine(compiled: Compiled, options: SolveOptions) -> tuple[str, str]:
    """The engine for this problem and why.

    The network engine when it expresses every rule exactly (it is orders of magnitude faster
    and proves optimality by construction); otherwise the hybrid engine, CP-SAT with every
    rule, started and bounded by the network relaxation (reduced at national scale).
    """
    if options.engine == "auto":
        obstacles = network_obstacles(compiled)
        if obstacles:
            return "hybrid", f"auto: hybrid, as a network cannot express {'; '.join(obstacles)}"
        return "flow", "auto: flow, as a network expresses every rule"
    if options.engine not in ENGINES:
        raise EngineCapabilityError(options.engine, ["unknown engine"])
    return options.engine, ""


def trivial_bounds(compiled: Compiled) -> dict[str, TierValue]:
    """Bounds that hold for every feasible solution, for tiers no engine proved."""
    objective = compiled.problem.objective
    best_bonus = objective.home_bonus + objective.fit_bonus + objective.continuity_bonus
    free = compiled.compat.candidate_ok & (compiled.lock_post < 0)
    locks = compiled.pairs(compiled.lock_post)
    return {
        "coverage": int((compiled.weight * compiled.capacity).sum()),
        "quotas": Fraction(0),
        "preferences": int(locks.cost.sum()) + int(free.sum()) * min(0, -best_bonus),
    }


def _as_tier_values(values: dict[str, TierValue]) -> TierValues:
    quotas = values.get("quotas")
    return TierValues(
        coverage=int(values["coverage"]) if "coverage" in values else None,
        quotas=float(quotas) if quotas is not None else None,
        preferences=int(values["preferences"]) if "preferences" in values else None,
    )


def build_solution(compiled: Compiled, result: EngineResult, elapsed: float,
                   options: SolveOptions) -> Solution:
    problem = compiled.problem
    info = SolverInfo(engine=result.engine, time_s=round(elapsed, 4), workers=options.workers,
                      seed=options.seed, note=result.note)
    if result.assignment is None:
        code = "infeasible" if result.status is Status.infeasible else "no_solution"
        detail = ("the rules in `conflict` cannot hold together"
                  if result.status is Status.infeasible
                  else "no feasible solution was found within the time limit")
        return Solution(
            problem=problem.name, status=result.status,
            bound=_as_tier_values(result.bound),
            unassigned=[Unassigned(candidate=c.id, reasons=[Reason(code=code, detail=detail)])
                        for c in problem.candidates],
            conflict=result.conflict, solver=info,
        )
    pairs = compiled.pairs(result.assignment)
    values = tier_values(compiled, pairs)
    bound = trivial_bounds(compiled) | result.bound
    if result.status is Status.optimal:
        bound = dict(values)
    reasons = unassigned_reasons(compiled, result.assignment)
    unassigned = [Unassigned(candidate=problem.candidates[c].id, reasons=reasons[c])
                  for c in sorted(reasons)]
    return Solution(
        problem=problem.name, status=result.status, objective=_as_tier_values(values),
        bound=_as_tier_values(bound), assignments=assignment_records(compiled, pairs),
        unassigned=unassigned, quotas=quota_reports(compiled, pairs), solver=info,
    )


def assignment_records(compiled: Compiled, pairs: Pairs) -> list[Assignment]:
    """SPEC §7 ``assignments`` of the assigned pairs (rank, adjusted and locked flags)."""
    problem = compiled.problem
    return [
        Assignment(candidate=problem.candidates[c].id, post=problem.posts[p].id,
                   rank=r or None, adjusted=bool(r == 0 and not locked), locked=bool(locked))
        for c, p, r, locked in zip(pairs.cand.tolist(), pairs.post.tolist(),
                                   pairs.rank.tolist(), pairs.locked.tolist(), strict=True)
    ]


def quota_reports(compiled: Compiled, pairs: Pairs) -> list[QuotaReport]:
    """SPEC §7 ``quotas``: each quota's N, D and deviation on the assigned pairs."""
    reports = []
    for quota in compiled.quotas:
        count, base = quota.count_and_base(pairs)
        deviation = quota.deviation(count, base)
        reports.append(QuotaReport(id=quota.id, count=count, base=base,
                                   deviation=float(deviation), satisfied=deviation == 0))
    return reports
