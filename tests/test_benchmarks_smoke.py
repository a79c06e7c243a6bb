"""Smoke test of the benchmark's own methods on a 200-candidate round (seconds, no timing).

Why: the benchmark's verdicts (rule breaks, seats) are only as good as the peers' solutions
are well-formed and the fast envy count agrees with ``verify``; this catches a broken peer
before a long benchmark run does.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from benchmarks import peers
from benchmarks.evaluate import RULE_CODES, envy_pairs, measure
from benchmarks.relaxation import solve_relaxation
from matcher import Problem, parse_problem
from matcher.compile import Compiled, compile_problem
from matcher.generate import generate_problem
from matcher.solution import Solution
from matcher.verify import verify


@pytest.fixture(scope="module")
def rounds() -> dict[str, tuple[Problem, Compiled]]:
    out = {}
    for name, hard in (("plain", False), ("hard", True)):
        problem = parse_problem(generate_problem(200, seed=7, couples=hard,
                                                 respect_priority=hard, crossing_quota=hard))
        out[name] = (problem, compile_problem(problem))
    return out


def _well_formed(problem: Problem, solution: Solution) -> Counter[str]:
    """Every candidate exactly once; flags, objective and quota reports true; returns the
    codes of the rules the solution breaks."""
    ids = [a.candidate for a in solution.assignments] + [u.candidate for u in solution.unassigned]
    assert sorted(ids) == sorted(c.id for c in problem.candidates)
    codes = Counter(v.code for v in verify(problem, solution))
    assert set(codes) <= RULE_CODES - {"missing_candidate", "duplicate_candidate", "unknown_id",
                                       "capacity", "not_eligible", "forbidden", "lock_missing"}
    return codes


@pytest.mark.parametrize("name", ["plain", "hard"])
def test_serial_dictatorship(rounds: dict[str, tuple[Problem, Compiled]], name: str) -> None:
    problem, compiled = rounds[name]
    assignment = peers.serial_dictatorship(compiled)
    assert (assignment >= 0).sum() > 0
    codes = _well_formed(problem, peers.to_solution(compiled, assignment, "sd", 0.0))
    assert envy_pairs(compiled, assignment) == codes["priority_envy"]


@pytest.mark.parametrize("name", ["plain", "hard"])
def test_deferred_acceptance(rounds: dict[str, tuple[Problem, Compiled]], name: str) -> None:
    pytest.importorskip("matching")
    problem, compiled = rounds[name]
    assignment = peers.deferred_acceptance(compiled)
    codes = _well_formed(problem, peers.to_solution(compiled, assignment, "da", 0.0))
    assert codes["pairing"] == 0  # it is given eligible preferences only
    assert envy_pairs(compiled, assignment) == codes["priority_envy"]
    with pytest.raises(peers.PeerSkipped):
        peers.deferred_acceptance(compiled, max_entries=10)


def test_relaxation_is_a_bound(rounds: dict[str, tuple[Problem, Compiled]]) -> None:
    """The relaxation decodes to a real assignment and fills at least as many weighted seats
    as any method that respects eligibility."""
    problem, compiled = rounds["plain"]
    relaxed = solve_relaxation(compiled)
    assert relaxed.status == "optimal"
    solution = peers.to_solution(compiled, relaxed.assignment, "relaxation", relaxed.solve_s)
    codes = _well_formed(problem, solution)
    assert codes["pairing"] == 0
    assert measure(problem, compiled, solution).coverage == relaxed.coverage
    other = peers.serial_dictatorship(compiled)
    eligible = compiled.compat.allowed(np.flatnonzero(other >= 0), other[other >= 0])
    covered = int(compiled.weight[other[other >= 0][eligible]].sum())
    assert relaxed.coverage >= covered
