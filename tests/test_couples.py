"""Couples by branch and bound over the network (engines/couples.py), against brute force.

The problems are network problems with couples added, so couples are the only rule a network
cannot express and the hybrid engine takes the branch-and-bound path; brute force reads SPEC
independently.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from hypothesis import given, reject
from hypothesis import strategies as st

from matcher import SolveOptions, solve
from matcher.compile import compile_problem
from matcher.engines import flow
from matcher.engines.base import EngineResult
from matcher.engines.couples import (
    CoupleFix,
    Fixes,
    _dive,
    _together,
    branch_and_bound,
    dive_round,
    node_problem,
    split_couples,
)
from matcher.engines.hybrid import relaxed_problem
from matcher.engines.network import network_obstacles
from matcher.problem import Problem
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.bruteforce import brute_force_optimum
from tests.strategies import network_problem_dicts


@st.composite
def couples_problems(draw: st.DrawFn) -> Problem:
    """A network problem with one or two couples: couples are its only obstacle."""
    problem: dict[str, Any] = draw(network_problem_dicts(max_candidates=7, max_posts=4))
    cands = problem["candidates"]
    free = list(range(len(cands)))
    for _ in range(draw(st.integers(1, max(1, min(2, len(cands) // 2))))):
        if len(free) < 2:
            break
        a = draw(st.sampled_from(free))
        free.remove(a)
        b = draw(st.sampled_from(free))
        free.remove(b)
        cands[a]["partner"], cands[b]["partner"] = cands[b]["id"], cands[a]["id"]
    if len(free) == len(cands):
        reject()  # a single candidate: no couple
    parsed = parse_problem(problem)
    obstacles = network_obstacles(compile_problem(parsed))
    assert obstacles
    if any(not o.startswith("couples") for o in obstacles):  # quotas that do not nest
        reject()
    return parsed


@given(couples_problems())
def test_branch_and_bound_matches_brute_force(problem: Problem) -> None:
    expected = brute_force_optimum(problem)
    solution = solve(problem, SolveOptions())
    if expected is None:
        assert solution.status == "infeasible"
        assert solution.conflict
        return
    assert solution.status == "optimal", solution.solver.note
    for tier in problem.objective.order:
        got = getattr(solution.objective, tier)
        assert abs(float(got) - float(expected[tier])) <= 1e-9, tier
    assert verify(problem, solution) == []


def test_a_split_couple_is_branched_on_and_kept_together() -> None:
    """The relaxation puts the partners in two prefectures (each's first wish); the answer
    keeps them together at the better joint option, proven optimal."""
    problem = _two_prefectures()
    compiled = compile_problem(problem)
    _, relaxed, dropped = relaxed_problem(problem, compiled)
    assert dropped == ["couples"]
    apart = np.array([0, 1])  # A at P1 (Hotan), B at P2 (Kashgar)
    assert split_couples(compiled, apart) == [0]
    in_kashgar = node_problem(relaxed, compiled.couples, {0: CoupleFix(area=int(
        compiled.scope[1]))})
    assert len(in_kashgar.quotas) == len(relaxed.quotas) + 2  # each partner must be placed
    solution = solve(problem, SolveOptions())
    assert solution.status == "optimal"
    placed = {a.candidate: a.post for a in solution.assignments}
    assert placed in ({"A": "P3", "B": "P2"}, {"A": "P1", "B": "P4"})
    assert solution.objective.preferences == 1
    assert "branch and bound" in (solution.solver.note or "")


def _post(post_id: str, prefecture: str) -> dict[str, Any]:
    return {"id": post_id, "province": "XJ", "prefecture": prefecture, "programme": "health"}


def _two_prefectures(*, adjust: bool = False) -> Problem:
    """A couple whose first wishes lie in two prefectures, with a seat for each in both."""
    return parse_problem({
        "schema_version": "1", "name": "split",
        "candidates": [
            {"id": "A", "home_province": "SD", "partner": "B", "accept_adjustment": adjust,
             "wishes": [{"post": "P1"}, {"post": "P3"}]},
            {"id": "B", "home_province": "SD", "partner": "A", "accept_adjustment": adjust,
             "wishes": [{"post": "P2"}, {"post": "P4"}]},
        ],
        "posts": [_post("P1", "Hotan"), _post("P2", "Kashgar"), _post("P3", "Kashgar"),
                  _post("P4", "Hotan")],
    })


def test_the_dive_seats_a_split_couple_together_where_a_partner_sits() -> None:
    """Branch and bound's first round comes from the dive: the split couple is placed
    together in the first partner's prefecture in one solve, so both seats stay filled (the
    repair alone would unplace both)."""
    problem = _two_prefectures()
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    solved: list[Fixes] = []

    def solve_node(fixes: Fixes) -> EngineResult:
        solved.append(fixes)
        return flow.solve(node_problem(relaxed, compiled.couples, fixes), SolveOptions())

    apart = np.array([0, 1])  # A at P1 (Hotan), B at P2 (Kashgar)
    dive = _dive(compiled, apart, solve_node, None)
    assert dive.assignment is not None
    assert dive.assignment.tolist() == [0, 3]  # A at P1, B at P4: both in Hotan
    assert dive.solves == 1
    assert solved == [{0: CoupleFix(area=int(compiled.scope[0]))}]


def test_the_dive_unplaces_a_couple_with_one_seat_between_them() -> None:
    """Where a partner sits, the two may hold only one seat: no area can take both, so the
    dive's decision for the couple is to unplace it."""
    problem = _two_prefectures()
    compiled = compile_problem(problem)
    one_seat = replace(compiled, capacity=np.array([1, 1, 0, 0]))  # P3, P4 closed
    assert _together(one_seat, np.array([0, 1]), 0) == CoupleFix(unplaced=True)
    assert _together(compiled, np.array([0, 1]), 0) == CoupleFix(area=int(compiled.scope[0]))


def test_the_dive_stops_at_its_deadline() -> None:
    problem = _two_prefectures()
    compiled = compile_problem(problem)

    def never(fixes: Fixes) -> EngineResult:
        raise AssertionError("no solve past the deadline")

    dive = _dive(compiled, np.array([0, 1]), never, time.monotonic() - 1)
    assert dive.assignment is None and dive.solves == 0


def test_a_narrowed_node_keeps_partners_to_their_wishes_in_the_area() -> None:
    """For the dive, partners with a wish each in the area (two seats between them) are kept
    to those wishes: forbidden at their other wishes only, no adjustment. Partners whose
    wishes there share one seat keep the exact node: every post outside the area is
    forbidden and adjustment stays."""
    problem = _two_prefectures(adjust=True)
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    assert relaxed.adjusts.all()
    hotan = {0: CoupleFix(area=int(compiled.scope[0]))}
    narrowed = node_problem(relaxed, compiled.couples, hotan, narrow=True)
    exact = node_problem(relaxed, compiled.couples, hotan)
    m = compiled.m
    assert sorted(narrowed.forbidden_keys.tolist()) == [0 * m + 2, 1 * m + 1]  # A-P3, B-P2
    assert sorted(exact.forbidden_keys.tolist()) == [0 * m + 1, 0 * m + 2, 1 * m + 1, 1 * m + 2]
    assert not narrowed.adjusts.any() and exact.adjusts.all()
    one_seat = replace(relaxed, capacity=np.array([1, 1, 1, 0]))  # P4 closed: only P1 in Hotan
    shared = node_problem(one_seat, compiled.couples, hotan, narrow=True)
    assert sorted(shared.forbidden_keys.tolist()) == sorted(exact.forbidden_keys.tolist())


def test_dive_round_keeps_every_couple_of_a_relaxation() -> None:
    """What the hybrid adds to its starting rounds when couples were dropped beside other
    rules: the relaxation's round, dived into one that keeps the couple."""
    problem = _two_prefectures()
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    dived = dive_round(compiled, relaxed, np.array([0, 1]), SolveOptions(), None).assignment
    assert dived is not None and dived.tolist() == [0, 3]
    assert split_couples(compiled, dived) == []


def test_a_locked_partner_draws_the_couple_to_the_lock_even_off_their_wishes() -> None:
    """A lock need not meet a candidate's wishes: the dive still places the couple in the
    lock's area (the partner at their Hotan wish), not unplaced."""
    problem = parse_problem({
        "schema_version": "1", "name": "locked",
        "candidates": [
            {"id": "A", "home_province": "SD", "partner": "B", "wishes": [{"post": "P2"}]},
            {"id": "B", "home_province": "SD", "partner": "A",
             "wishes": [{"post": "P2"}, {"post": "P3"}]},
        ],
        "posts": [_post("P1", "Hotan"), _post("P2", "Kashgar"), _post("P3", "Hotan")],
        "locks": [{"candidate": "A", "post": "P1"}],
    })
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    apart = np.array([0, 1])  # A locked at P1 (Hotan), B at P2 (Kashgar)
    assert _together(compiled, apart, 0) == CoupleFix(area=int(compiled.scope[0]))
    dived = dive_round(compiled, relaxed, apart, SolveOptions(), None).assignment
    assert dived is not None and dived.tolist() == [0, 2]


def test_past_its_deadline_the_search_solves_nothing_and_keeps_the_root_open() -> None:
    """A node solve cannot be cut short, so none starts past the deadline: the root stays
    open (its bound is the answer's bound) and the repaired root round, split couple
    unplaced, is the best round."""
    problem = _two_prefectures()
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    apart = np.array([0, 1])
    search = branch_and_bound(compiled, relaxed, SolveOptions(), time.monotonic() - 1,
                              root=apart)
    assert search is not None and search.nodes == 0
    assert search.status == "feasible"
    assert search.assignment is not None and search.assignment.tolist() == [-1, -1]
    assert search.bound == {"coverage": 2, "quotas": 0, "preferences": 0}
