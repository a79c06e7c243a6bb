"""Every engine against every other, and against brute force, on generated problems.

The network engine must reach the same optimum as CP-SAT and as the brute-force reference in
every tier, on the problems it can express; auto must pick it for them and CP-SAT otherwise.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matcher import SolveOptions, parse_problem, solve
from matcher.compile import compile_problem
from matcher.engines import flow
from matcher.engines.network import network_obstacles
from matcher.problem import Problem
from matcher.solution import Solution, Status
from matcher.verify import verify
from tests.bruteforce import brute_force_optimum
from tests.strategies import network_problem_dicts, network_problems, problems


def _tiers(problem: Problem, solution: Solution) -> tuple[float | None, ...]:
    values = solution.objective.model_dump()
    return tuple(values[tier] for tier in problem.objective.order)


@given(network_problems(max_candidates=7, max_posts=4))
def test_flow_matches_brute_force(problem: Problem) -> None:
    expected = brute_force_optimum(problem)
    solution = solve(problem, SolveOptions(engine="flow"))
    if expected is None:
        assert solution.status == "infeasible"
        assert solution.conflict
        return
    assert solution.status == "optimal"
    for tier in problem.objective.order:
        got = solution.objective.model_dump()[tier]
        assert abs(float(got) - float(expected[tier])) <= 1e-9, tier
    assert verify(problem, solution) == []


@settings(max_examples=40)
@given(network_problems(max_candidates=30, max_posts=8))
def test_flow_matches_cpsat_on_larger_problems(problem: Problem) -> None:
    by_flow = solve(problem, SolveOptions(engine="flow"))
    by_cpsat = solve(problem, SolveOptions(engine="cpsat"))
    assert by_flow.status == by_cpsat.status
    if by_flow.status == "optimal":
        assert _tiers(problem, by_flow) == _tiers(problem, by_cpsat)
        assert verify(problem, by_flow) == []


@given(problems(max_candidates=7, max_posts=4))
def test_auto_picks_flow_exactly_when_a_network_expresses_the_problem(problem: Problem) -> None:
    solution = solve(problem, SolveOptions())
    expressible = not network_obstacles(compile_problem(problem))
    assert solution.solver.engine == ("flow" if expressible else "hybrid")


@settings(max_examples=30)
@given(network_problems(max_candidates=20, max_posts=8))
def test_flow_builds_the_same_network_in_small_chunks(problem: Problem) -> None:
    import matcher.engines.flow as flow

    whole = solve(problem, SolveOptions(engine="flow"))
    saved = flow._CHUNK_ENTRIES, flow._DIRECT_FACTOR
    flow._CHUNK_ENTRIES = 3  # every pattern in a chunk of its own
    flow._DIRECT_FACTOR = 0  # and every pattern a route, not direct arcs
    try:
        chunked = solve(problem, SolveOptions(engine="flow"))
    finally:
        flow._CHUNK_ENTRIES, flow._DIRECT_FACTOR = saved
    assert chunked.status == whole.status
    assert _tiers(problem, chunked) == _tiers(problem, whole)


@settings(max_examples=60)
@given(network_problem_dicts(max_candidates=7, max_posts=4),
       st.tuples(*(st.integers(-3, 3) for _ in range(3))))
def test_flow_matches_brute_force_with_bonuses_of_any_sign(problem_dict: dict[str, Any],
                                                           bonuses: tuple[int, ...]) -> None:
    """Adjustment routes in layers need bonuses ≥ 0; negative ones take the view route."""
    for name, value in zip(("home_bonus", "fit_bonus", "continuity_bonus"), bonuses,
                           strict=True):
        problem_dict["objective"][name] = value
    problem = parse_problem(problem_dict)
    assume(not network_obstacles(compile_problem(problem)))
    expected = brute_force_optimum(problem)
    solution = solve(problem, SolveOptions(engine="flow"))
    if expected is None:
        assert solution.status == "infeasible"
        return
    assert solution.status == "optimal"
    for tier in problem.objective.order:
        got = solution.objective.model_dump()[tier]
        assert abs(float(got) - float(expected[tier])) <= 1e-9, tier
    assert verify(problem, solution) == []


@settings(max_examples=60)
@given(network_problems(max_candidates=9, max_posts=5))
def test_flow_matches_brute_force_with_every_pattern_routed(problem: Problem) -> None:
    """Small wish patterns become direct arcs at scale; routed, they must give the same."""
    import matcher.engines.flow as flow

    expected = brute_force_optimum(problem)
    saved = flow._DIRECT_FACTOR
    flow._DIRECT_FACTOR = 0
    try:
        solution = solve(problem, SolveOptions(engine="flow"))
    finally:
        flow._DIRECT_FACTOR = saved
    if expected is None:
        assert solution.status == "infeasible"
        return
    assert solution.status == "optimal"
    for tier in problem.objective.order:
        got = solution.objective.model_dump()[tier]
        assert abs(float(got) - float(expected[tier])) <= 1e-9, tier
    assert verify(problem, solution) == []


def test_flow_charges_a_negative_continuity_bonus_on_every_route() -> None:
    """Found by the any-sign property: routes left the continuity bonus to direct arcs, so a
    negative one (a surcharge) was skipped by going through a hub to the continued post."""
    def cand(i: int, **fields: Any) -> dict[str, Any]:
        return {"id": f"C{i}", "home_province": "SD", "score": 60, **fields}

    place = {"province": "XJ", "prefecture": "Kashgar", "programme": "basic_education",
             "county": "Kashgar-Shule"}
    posts = [{"id": f"P{k}", **place} for k in range(4)]
    posts[2]["continuity_university"] = "U1"
    problem = parse_problem({
        "candidates": [cand(0), cand(1, wishes=[{"province": "XJ"}], university="U1"),
                       cand(2, accept_adjustment=True, university="U1"),
                       cand(3, wishes=[{"province": "XJ"}]), cand(4)],
        "posts": posts,
        "objective": {"continuity_bonus": -1},
    })
    expected = brute_force_optimum(problem)
    assert expected is not None
    solution = solve(problem, SolveOptions(engine="flow"))
    assert solution.objective.preferences == expected["preferences"]
    assert verify(problem, solution) == []


def _cand(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"C{i}", "home_province": "SD", **fields}


_PLACE = {"province": "XJ", "prefecture": "Kashgar", "programme": "basic_education"}


def test_flow_takes_off_routes_who_got_a_dear_wish_at_the_adjustment_price() -> None:
    """With adjustment costing 0 and quadratic ranks, C0's second wish (cost 1) is dearer
    than adjusting; the shared adjustment route reaches it at 0. The first solve uses that
    route, so C0 is taken off the routes and the wish is charged in full."""
    problem = parse_problem({
        "candidates": [_cand(0, accept_adjustment=True, wishes=[{"post": "P0"}, {"post": "P1"}]),
                       _cand(1, wishes=[{"post": "P0"}])],
        "posts": [{"id": f"P{k}", **_PLACE} for k in range(2)],
        "objective": {"rank_cost": "quadratic", "adjustment_cost": 0},
    })
    expected = brute_force_optimum(problem)
    assert expected is not None and expected["preferences"] == 1
    solution = solve(problem, SolveOptions(engine="flow"))
    assert solution.status == "optimal"
    assert solution.objective.preferences == 1
    assert "1 candidate(s) off shared routes" in (solution.solver.note or "")
    assert verify(problem, solution) == []


def test_flow_takes_off_routes_who_got_a_forbidden_post() -> None:
    """C0 may not hold P1, but the shared adjustment route reaches it: an answer that puts
    C0 there is solved again with C0 off the routes."""
    problem = parse_problem({
        "candidates": [_cand(k, accept_adjustment=True, wishes=[{"post": "P0"}])
                       for k in range(2)],
        "posts": [{"id": f"P{k}", **_PLACE} for k in range(2)],
        "forbidden": [{"candidate": "C0", "post": "P1"}],
    })
    solution = solve(problem, SolveOptions(engine="flow"))
    assert solution.status == "optimal"
    assert {a.candidate: a.post for a in solution.assignments} == {"C0": "P0", "C1": "P1"}
    assert verify(problem, solution) == []


def test_flow_names_a_conflict_only_when_asked() -> None:
    """Branch-and-bound nodes need only the verdict: the conflict search is skipped."""
    problem = parse_problem({
        "candidates": [_cand(0, wishes=[{"post": "P0"}])],
        "posts": [{"id": "P0", **_PLACE}],
        "rules": {"quotas": [{"id": "two", "candidates": {}, "posts": {}, "min": 2}]},
    })
    explained = solve(problem, SolveOptions(engine="flow"))
    assert explained.status == "infeasible" and explained.conflict == ["two"]
    verdict = flow.solve(compile_problem(problem),
                         SolveOptions(engine="flow", explain_infeasible=False))
    assert verdict.status is Status.infeasible and not verdict.conflict
