"""Checks that one engine's answer agrees with CP-SAT's model of the whole problem."""

from __future__ import annotations

from matcher import SolveOptions, solve
from matcher.problem import Problem
from matcher.verify import verify


def assert_matches_cpsat(problem: Problem, options: SolveOptions) -> None:
    """Solved with ``options``, ``problem`` gets CP-SAT's status and, when optimal, CP-SAT's
    value in every tier, with an answer that verifies."""
    found = solve(problem, options)
    by_cpsat = solve(problem, SolveOptions(engine="cpsat"))
    assert found.status == by_cpsat.status
    if found.status == "optimal":
        tiers = problem.objective.order
        assert ([found.objective.model_dump()[t] for t in tiers]
                == [by_cpsat.objective.model_dump()[t] for t in tiers])
        assert verify(problem, found) == []
