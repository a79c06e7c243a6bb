"""Re-solving a problem with one thing changed, to answer a planner's "what would it take?".

Explanations make claims ("a seat at P03 was impossible without losing coverage"); a claim is
only as good as its check, and the one check that covers every rule together is to solve the
problem again with the change made and compare the objectives. Each probe here builds one
variant (force a candidate onto a post, force a candidate to be placed, one more seat, accept
adjustment, a quota bound relaxed by one) and :func:`run_probe` solves it and compares.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from matcher.options import SolveOptions
from matcher.problem import Candidate, Pair, Problem, Quota
from matcher.solution import Solution, Status, TierValues
from matcher.solve import solve

#: Rule id of the quota a probe adds to force a placement; never clashes with a user's id.
FORCE_ID = "explain:force"

Verdict = Literal["worse", "equal", "better", "infeasible", "unproven"]


class Outcome(BaseModel):
    """A probe's solve compared with the reference solution's objective."""

    verdict: Verdict = Field(description="the probe's objective against the reference: worse, "
                             "equal, better, infeasible, or unproven (stopped at the time "
                             "limit)")
    coverage: int | None = Field(None, description="change in weighted coverage")
    seats: int | None = Field(None, description="change in seats filled")
    quotas: float | None = Field(None, description="change in quota deviation cost")
    preferences: int | None = Field(None, description="change in preference cost")
    conflict: list[str] = Field(default_factory=list, description="rules that clash, when "
                                "infeasible (the probe's own forcing rule left out)")


def lexicographic_key(problem: Problem, values: TierValues) -> tuple[float, ...]:
    """The objective as a tuple that sorts best first (coverage negated)."""
    # Quota costs are sums of rationals written as floats: compare them to 1e-9.
    sign = {"coverage": -1.0, "quotas": 1.0, "preferences": 1.0}
    return tuple(round(sign[tier] * float(getattr(values, tier) or 0), 9)
                 for tier in problem.objective.order)


def compare_outcome(problem: Problem, reference: Solution, probe: Solution,
                    own_rules: frozenset[str] = frozenset({FORCE_ID})) -> Outcome:
    """How ``probe`` (a solution of a variant) stands against ``reference``; ``own_rules``
    are the probe's own additions, left out of a conflict."""
    if probe.status is Status.infeasible:
        conflict = [r for r in probe.conflict or [] if r not in own_rules]
        return Outcome(verdict="infeasible", conflict=conflict)
    if probe.status is not Status.optimal or probe.objective.coverage is None:
        return Outcome(verdict="unproven")
    mine, theirs = probe.objective, reference.objective
    key, ref = lexicographic_key(problem, mine), lexicographic_key(problem, theirs)
    verdict: Verdict = "worse" if key > ref else "better" if key < ref else "equal"
    return Outcome(
        verdict=verdict,
        coverage=_diff_int(mine.coverage, theirs.coverage),
        seats=len(probe.assignments) - len(reference.assignments),
        quotas=_diff(mine.quotas, theirs.quotas),
        preferences=_diff_int(mine.preferences, theirs.preferences),
    )


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 9)


def _diff_int(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


@dataclass
class Prober:
    """Runs probes against one reference solution, within a budget of solves."""

    problem: Problem
    reference: Solution
    options: SolveOptions
    budget: int
    used: int = 0
    on_solve: Callable[[int, int, str], None] | None = None  # (k, budget, what) before each

    def run(self, variant: Problem, own_rules: frozenset[str] = frozenset({FORCE_ID}),
            what: str = "") -> tuple[Outcome, Solution] | None:
        """Solve ``variant``; ``None`` once the budget is spent."""
        if self.used >= self.budget:
            return None
        self.used += 1
        if self.on_solve is not None:
            self.on_solve(self.used, self.budget, what)
        solution = solve(variant, self.options)
        return compare_outcome(self.problem, self.reference, solution, own_rules), solution


# --- variants -----------------------------------------------------------------------------


def _with_quota(problem: Problem, quota: Quota) -> Problem:
    rules = problem.rules.model_copy(update={"quotas": [*problem.rules.quotas, quota]})
    return problem.model_copy(update={"rules": rules})


def force_onto(problem: Problem, candidate: str, post: str) -> Problem:
    """The candidate must hold the post; every other rule unchanged.

    A hard quota rather than a lock, because a lock would also lift eligibility and exempt
    the candidate from score-first priority, which is exactly what is being asked about.
    """
    return _with_quota(problem, Quota(id=FORCE_ID, candidates={"id": candidate},
                                      posts={"id": post}, min=1))


def force_placed(problem: Problem, candidate: str) -> Problem:
    """The candidate must be placed somewhere."""
    return _with_quota(problem, Quota(id=FORCE_ID, candidates={"id": candidate}, min=1))


def lock_onto(problem: Problem, candidate: str, post: str) -> Problem:
    """The candidate locked to the post (as an earlier round would have confirmed it)."""
    return problem.model_copy(update={"locks": [*problem.locks,
                                                Pair(candidate=candidate, post=post)]})


def one_more_seat(problem: Problem, post: str) -> Problem:
    posts = [p.model_copy(update={"capacity": p.capacity + 1}) if p.id == post else p
             for p in problem.posts]
    return problem.model_copy(update={"posts": posts})


def accepting_adjustment(problem: Problem, candidate: str) -> Problem:
    candidates: list[Candidate] = [
        c.model_copy(update={"accept_adjustment": True}) if c.id == candidate else c
        for c in problem.candidates]
    return problem.model_copy(update={"candidates": candidates})


Relaxation = tuple[str, str, Callable[[Problem], Problem]]


def relaxations(quota: Quota, base: int) -> list[Relaxation]:
    """Each bound of a quota relaxed by one seat: (bound, relaxed bound, variant builder).

    A share bound moves by one seat at the round's current base ``base`` (D): ``min_share``
    0.5 of 10 allows 5, relaxed to 0.4 it allows 4. Shares are rounded outward to 6 decimals
    so the relaxation is never smaller than a seat.
    """
    out: list[Relaxation] = []

    def variant(**update: float | int | None) -> Callable[[Problem], Problem]:
        def build(problem: Problem) -> Problem:
            quotas = [q.model_copy(update=update) if q.id == quota.id else q
                      for q in problem.rules.quotas]
            return problem.model_copy(
                update={"rules": problem.rules.model_copy(update={"quotas": quotas})})
        return build

    if quota.min is not None and quota.min > 0:
        out.append((f"min {quota.min}", f"min {quota.min - 1}", variant(min=quota.min - 1)))
    if quota.max is not None:
        out.append((f"max {quota.max}", f"max {quota.max + 1}", variant(max=quota.max + 1)))
    if quota.min_share is not None and quota.min_share > 0 and base > 0:
        share = max(0.0, math.floor((quota.min_share * base - 1) / base * 1e6) / 1e6)
        out.append((f"min_share {quota.min_share:g}", f"min_share {share:g}",
                    variant(min_share=share)))
    if quota.max_share is not None and quota.max_share < 1 and base > 0:
        share = min(1.0, math.ceil((quota.max_share * base + 1) / base * 1e6) / 1e6)
        out.append((f"max_share {quota.max_share:g}", f"max_share {share:g}",
                    variant(max_share=share)))
    return out
