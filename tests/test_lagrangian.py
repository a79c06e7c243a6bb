"""One soft quota priced into the network (engines/lagrangian.py), against brute force.

The problems are network problems with one more soft quota, with a single bound, whose
candidate and post groups both restrict (so it crosses the network's quota families): the
hybrid drops it from the relaxation and prices it. Brute force reads SPEC independently.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from matcher import SolveOptions, solve
from matcher.compile import compile_problem
from matcher.engines import flow, hybrid
from matcher.engines.hybrid import relaxed_problem
from matcher.engines.lagrangian import price_quota
from matcher.generate import generate_problem
from matcher.objective import tier_values
from matcher.problem import Problem
from matcher.solution import Status
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.bruteforce import brute_force_optimum
from tests.strategies import network_problem_dicts


@st.composite
def crossing_problems(draw: st.DrawFn, *, clones: bool = False) -> Problem:
    """A network problem and a soft quota on majors × programmes with one bound. With
    ``clones``, some candidates and posts come with copies (other ids and scores), so that
    shared routes have hubs of several candidates and groups of several posts."""
    problem: dict[str, Any] = draw(network_problem_dicts(max_candidates=7, max_posts=4))
    if clones:
        for kind in ("candidates", "posts"):
            rows = problem[kind]
            for row in list(rows):
                for copy in range(draw(st.integers(0, 2))):
                    twin = {**row, "id": f"{row['id']}x{copy}"}
                    if kind == "candidates":
                        twin["score"] = draw(st.integers(50, 99))
                    rows.append(twin)
    bound = draw(st.sampled_from(("min", "max", "min_share", "max_share")))
    quota: dict[str, Any] = {
        "id": "crossing", "hard": False, "penalty": draw(st.integers(1, 3)),
        "candidates": {"major_category": draw(st.sampled_from(
            [c.get("major_category") or "law" for c in problem["candidates"]]))},
        "posts": {"id": draw(st.lists(st.sampled_from(
            [p["id"] for p in problem["posts"] if "x" not in p["id"]]), min_size=1, unique=True))},
        bound: (draw(st.integers(0, 3)) if bound in ("min", "max")
                else draw(st.sampled_from((0.25, 0.5, 0.75)))),
        "share_base": draw(st.sampled_from(("candidates", "posts"))),
    }
    quota["posts"]["id"] += [p["id"] for p in problem["posts"]  # a post's copies with it
                             if p["id"].split("x")[0] in quota["posts"]["id"] and "x" in p["id"]]
    problem["rules"]["quotas"].append(quota)
    parsed = parse_problem(problem)
    compiled = compile_problem(parsed)
    _, _, dropped = relaxed_problem(parsed, compiled)
    if dropped != ["crossing"]:
        reject()
    return parsed


def _key(problem: Problem, values: dict[str, Any]) -> tuple[float, ...]:
    return tuple(-float(values[t]) if t == "coverage" else float(values[t])
                 for t in problem.objective.order)


@given(crossing_problems())
def test_priced_rounds_and_bounds_bracket_the_optimum(problem: Problem) -> None:
    expected = brute_force_optimum(problem)
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    relaxation = flow.solve(relaxed, SolveOptions(engine="flow"))
    if expected is None or relaxation.assignment is None:
        return
    quota = next(q for q in compiled.quotas if q.id == "crossing")
    priced = price_quota(compiled, relaxed, quota, relaxation.assignment, SolveOptions(), None)
    if priced is None:
        return
    found = tier_values(compiled, compiled.pairs(priced.assignment))
    assert _key(problem, priced.bound) <= _key(problem, expected) <= _key(problem, found)
    if priced.status is Status.optimal:
        assert _key(problem, found) == _key(problem, expected)


@given(crossing_problems())
def test_the_hybrid_with_a_priced_quota_matches_brute_force(problem: Problem) -> None:
    _assert_solved_optimally(problem)


@st.composite
def clashing_problems(draw: st.DrawFn) -> Problem:
    """A network problem and two post-side quotas whose groups overlap without nesting, the
    second soft with one bound: dropping it alone clears the clash."""
    problem: dict[str, Any] = draw(network_problem_dicts(max_candidates=7, max_posts=4))
    ids = [p["id"] for p in problem["posts"]]
    if len(ids) < 3:
        reject()
    cut = draw(st.integers(1, len(ids) - 2))
    problem["rules"]["quotas"] = [
        {"id": "hard", "candidates": {}, "posts": {"id": ids[:cut + 1]},
         "max": draw(st.integers(0, 3)), "hard": True},
        {"id": "soft", "candidates": {}, "posts": {"id": ids[cut:]}, "hard": False,
         "min": draw(st.integers(0, 3)), "penalty": draw(st.integers(1, 3))},
    ]
    return parse_problem(problem)


@given(clashing_problems())
def test_a_soft_quota_that_clears_a_clash_is_priced(problem: Problem) -> None:
    _, _, dropped = relaxed_problem(problem, compile_problem(problem))
    assert dropped == ["soft"]
    _assert_solved_optimally(problem)


def _assert_solved_optimally(problem: Problem) -> None:
    """matcher's answer is brute force's optimum, and verifies."""
    expected = brute_force_optimum(problem)
    solution = solve(problem, SolveOptions())
    if expected is None:
        assert solution.status == "infeasible"
        return
    assert solution.status == "optimal", solution.solver.note
    assert _key(problem, solution.objective.model_dump()) == _key(problem, expected)
    assert verify(problem, solution) == []


@settings(max_examples=80)
@given(crossing_problems(clones=True),
       st.sampled_from((Fraction(1, 2), Fraction(1), Fraction(3))))
def test_priced_candidates_on_shared_routes_find_the_priced_optimum(problem: Problem,
                                                                    price: Fraction) -> None:
    """Priced candidates share routes among themselves, paying on the step into a priced
    group; every pattern routed that way must reach the optimum of the network in which
    everyone has arcs of their own."""
    compiled = compile_problem(problem)
    _, relaxed, _ = relaxed_problem(problem, compiled)
    quota = next(q for q in compiled.quotas if q.id == "crossing")
    prices = flow.Prices(quota.cand_mask, quota.post_mask, -price, price / 2, Fraction(0),
                         price * 2 * compiled.n, "quotas")
    own_arcs = flow.solve(relaxed, SolveOptions(engine="flow"), prices,
                          derouted=np.ones(compiled.n, dtype=np.bool_))
    saved = flow._DIRECT_FACTOR
    flow._DIRECT_FACTOR = 0  # every pattern a route
    try:
        routed = flow.solve(relaxed, SolveOptions(engine="flow"), prices)
    finally:
        flow._DIRECT_FACTOR = saved
    assert routed.status == own_arcs.status
    if own_arcs.assignment is None or routed.assignment is None:
        return

    def priced_key(assignment: np.ndarray) -> tuple[Fraction, ...]:
        values = tier_values(relaxed, relaxed.pairs(assignment))
        placed = assignment >= 0
        at_priced = placed & quota.post_mask[np.where(placed, assignment, 0)]
        charge = (prices.pair * int((at_priced & quota.cand_mask).sum())
                  + prices.post * int(at_priced.sum()))
        values["quotas"] = Fraction(values["quotas"]) + charge
        return tuple(-Fraction(values[t]) if t == "coverage" else Fraction(values[t])
                     for t in problem.objective.order)

    assert priced_key(routed.assignment) == priced_key(own_arcs.assignment)


@settings(max_examples=30)
@given(crossing_problems())
def test_no_priced_solve_starts_once_the_limit_is_spent(problem: Problem) -> None:
    """A priced solve cannot be stopped, so none starts when the time left is shorter than
    the relaxation's solve took; the answer still keeps every rule."""
    if "priced into the network" not in (solve(problem, SolveOptions()).solver.note or ""):
        return
    spent = solve(problem, SolveOptions(time_limit=0))
    assert "priced into the network" not in (spent.solver.note or "")
    if spent.status in ("optimal", "feasible"):
        assert verify(problem, spent) == []


def test_under_priority_a_limit_leaves_the_quota_unpriced() -> None:
    """Under priority the priced round breaks the rule and its bound seldom passes 0: under
    a time limit the rounds that make the answer get the time instead; with no limit, the
    quota is still priced."""
    problem = parse_problem(generate_problem(60, seed=5, couples=True, respect_priority=True,
                                             crossing_quota=True))
    priced: list[float | None] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "price_quota", lambda *_, **__: priced.append(1.0))
        patch.setattr(hybrid, "_relaxation_keeps_all", lambda *_: None)  # its round does
        for limit in (None, 600.0):
            answer = solve(problem, SolveOptions(time_limit=limit))
            assert answer.status in ("optimal", "feasible")
            assert verify(problem, answer) == []
    assert len(priced) == 1  # the run without a limit only
