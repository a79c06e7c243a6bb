"""Measure a solution the same way whichever method produced it.

Rule breaks come from :func:`matcher.verify.verify`, the independent SPEC checker, with one
exception for speed: its no-justified-envy check walks every candidate × post pair in Python
(about five minutes per solution at 20,000 candidates), so :func:`envy_pairs` counts the same
thing over arrays, and the smoke test checks the two agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from benchmarks.peers import ranked_options
from matcher.columns import IntArray
from matcher.compile import Compiled
from matcher.problem import Problem
from matcher.solution import Solution, Status
from matcher.verify import verify

# Codes of verify that mean a rule of SPEC is broken (not a mis-reported objective, bound,
# quota figure or flag): these are what "rule violations" counts.
RULE_CODES = frozenset({
    "capacity", "pairing", "quota_hard", "couple_split", "priority_envy", "not_eligible",
    "forbidden", "lock_missing", "missing_candidate", "duplicate_candidate", "unknown_id",
})
TIERS = ("coverage", "quotas", "preferences")


def envy_pairs(compiled: Compiled, assignment: IntArray) -> int:
    """Pairs (candidate j, post p) of justified envy as SPEC §4 Priority defines them (what
    ``verify`` reports as ``priority_envy``, one per pair): j is unlocked, ranks p, may hold p,
    and is unassigned or holds a post it ranks worse or not at all, while p has a free seat or
    an unlocked holder scoring below j."""
    if not compiled.problem.rules.respect_priority:
        return 0
    options = ranked_options(compiled, with_pairings=True)  # unlocked candidates only
    held = compiled.pairs(assignment)
    held_rank = np.full(compiled.n, np.iinfo(np.int64).max, dtype=np.int64)
    held_rank[held.cand] = np.where(held.rank > 0, held.rank, np.iinfo(np.int64).max)
    wants = options.rank < held_rank[options.cand]
    load = np.bincount(held.post, minlength=compiled.m)
    unlocked = ~held.locked
    lowest = np.full(compiled.m, np.inf)
    np.minimum.at(lowest, held.post[unlocked], compiled.score[held.cand[unlocked]])
    post, cand = options.post[wants], options.cand[wants]
    envy = (load[post] < compiled.capacity[post]) | (lowest[post] < compiled.score[cand])
    return int(envy.sum())


@dataclass
class Measured:
    """What the table shows about one solution."""

    status: str
    seats: int
    coverage: int | None
    quotas: float | None
    preferences: int | None
    bound_coverage: int | None
    bound_quotas: float | None
    bound_preferences: int | None
    mean_rank: float | None
    first_wish: float | None
    adjusted: float | None
    minority: float | None
    violations: int
    breakdown: str
    report_issues: int
    gap: str


def gap(problem: Problem, solution: Solution) -> str:
    """The proven gap at the first tier (in ``objective.order``) where the bound and the
    objective differ: ``0`` when they agree on every tier, ``—`` without a bound."""
    if solution.status == Status.optimal:
        return "0"
    for tier in problem.objective.order:
        value, bound = getattr(solution.objective, tier), getattr(solution.bound, tier)
        if value is None or bound is None:
            return "—"
        if Fraction(value) != Fraction(bound):
            scale = max(abs(Fraction(bound)), Fraction(1))
            return (f"{float(abs(Fraction(bound) - Fraction(value)) / scale):.2%} "
                    f"({tier} {value:g} vs bound {bound:g})")
    return "0"


def measure(problem: Problem, compiled: Compiled, solution: Solution) -> Measured:
    """Seats, ranks, shares, rule breaks and gap of ``solution``."""
    index = {c.id: i for i, c in enumerate(problem.candidates)}
    post_index = {p.id: i for i, p in enumerate(problem.posts)}
    assignment = np.full(compiled.n, -1, dtype=np.int64)
    for a in solution.assignments:
        if a.candidate in index and a.post in post_index:
            assignment[index[a.candidate]] = post_index[a.post]
    if problem.rules.respect_priority:
        rules = problem.rules.model_copy(update={"respect_priority": False})
        found = verify(problem.model_copy(update={"rules": rules}), solution)
    else:
        found = verify(problem, solution)
    codes = Counter(v.code for v in found)
    envy = envy_pairs(compiled, assignment)
    if envy:
        codes["priority_envy"] = envy
    rules_broken = {k: v for k, v in codes.items() if k in RULE_CODES}
    seats = len(solution.assignments)
    ranks = [a.rank for a in solution.assignments if a.rank is not None]
    minority = {p.id for p in problem.posts if p.minority_region}

    def share(count: int) -> float | None:
        return count / seats if seats else None

    o, b = solution.objective, solution.bound
    return Measured(
        status=str(solution.status), seats=seats,
        coverage=o.coverage, quotas=o.quotas, preferences=o.preferences,
        bound_coverage=b.coverage, bound_quotas=b.quotas, bound_preferences=b.preferences,
        mean_rank=sum(ranks) / len(ranks) if ranks else None,
        first_wish=share(sum(1 for r in ranks if r == 1)),
        adjusted=share(sum(1 for a in solution.assignments if a.adjusted)),
        minority=share(sum(1 for a in solution.assignments if a.post in minority)),
        violations=sum(rules_broken.values()),
        breakdown=", ".join(f"{k} {v}" for k, v in sorted(rules_broken.items())),
        report_issues=sum(v for k, v in codes.items() if k not in RULE_CODES),
        gap=gap(problem, solution) if solution.assignments else "—",
    )
