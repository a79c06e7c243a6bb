"""The relaxation narrowed to keep a hard quota it dropped (engines/narrowed.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from matcher import SolveOptions
from matcher.compile import compile_problem
from matcher.engines import flow
from matcher.engines.base import EngineResult
from matcher.engines.narrowed import narrowed_round
from matcher.engines.network import network_obstacles
from matcher.objective import holds
from matcher.problem import Problem
from matcher.solution import Status
from matcher.solve import build_solution
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.strategies import network_problem_dicts


@st.composite
def capped_problems(draw: st.DrawFn) -> tuple[Problem, Problem]:
    """A network problem, and the same with one more hard cap: on a set of posts (every
    candidate counts) or on a major (every post counts), a count or a share."""
    raw: dict[str, Any] = draw(network_problem_dicts(max_candidates=7, max_posts=4))
    without = parse_problem(raw)
    if network_obstacles(compile_problem(without)):
        reject()
    bound = draw(st.sampled_from(("max", "max_share")))
    cap: dict[str, Any] = {
        "id": "cap", "hard": True, "candidates": {}, "posts": {},
        bound: draw(st.integers(0, 2)) if bound == "max" else draw(st.sampled_from((0.25, 0.5))),
        "share_base": draw(st.sampled_from(("candidates", "posts"))),
    }
    if draw(st.booleans()):
        cap["posts"] = {"id": draw(st.lists(st.sampled_from(
            [p["id"] for p in raw["posts"]]), min_size=1, unique=True))}
    else:
        cap["candidates"] = {"major_category": draw(st.sampled_from(
            [c.get("major_category") or "law" for c in raw["candidates"]]))}
    raw["rules"]["quotas"].append(cap)
    return parse_problem(raw), without


@settings(max_examples=150)
@given(capped_problems())
def test_a_narrowed_round_keeps_every_rule(problems: tuple[Problem, Problem]) -> None:
    """Whatever the relaxation (the problem without the cap) did, a narrowed round is a
    solution of the whole problem; a count cap on seats is always met by narrowing, when
    nothing else is hard."""
    problem, without = problems
    compiled, relaxed = compile_problem(problem), compile_problem(without)
    relaxation = flow.solve(relaxed, SolveOptions(engine="flow"))
    if relaxation.assignment is None:
        return
    found = narrowed_round(compiled, relaxed, relaxation.assignment, SolveOptions(), None, 0.0)
    if found is None:
        if all(holds(q, compiled.pairs(relaxation.assignment)) for q in compiled.quotas
               if q.hard):
            return  # nothing to narrow
        cap = compiled.quotas[-1]
        # Seats cut to a count always leave a solution, unless locks or another hard
        # quota (a minimum the cut seats were needed for) stand in the way.
        assert (cap.max is None or not cap.cand_mask.all() or bool(problem.locks)
                or any(q.hard for q in compiled.quotas[:-1]))
        return
    solution = build_solution(compiled, EngineResult(Status.feasible, found), 0.0,
                              SolveOptions())
    assert verify(problem, solution) == []


def _two_posts(cap: dict[str, Any]) -> tuple[Problem, Problem]:
    """A (weight 1) and B (weight 2) in XJ; four law graduates, two of them women, wish for
    both; ``cap`` is added."""
    raw: dict[str, Any] = {
        "schema_version": "1", "name": "narrow",
        "candidates": [{"id": f"C{i}", "home_province": "SD", "major_category": "law",
                        "gender": "F" if i < 2 else "M",
                        "wishes": [{"post": "A"}, {"post": "B"}]} for i in range(4)],
        "posts": [{"id": post, "province": "XJ", "prefecture": "Kashgar", "capacity": 2,
                   "programme": "basic_education",
                   "weight": weight} for post, weight in (("A", 1), ("B", 2))],
    }
    without = parse_problem(raw)
    raw["rules"] = {"quotas": [cap]}
    return parse_problem(raw), without


def _narrowed(problems: tuple[Problem, Problem]) -> list[int] | None:
    problem, without = problems
    compiled, relaxed = compile_problem(problem), compile_problem(without)
    start = np.array([0, 0, 1, 1])  # the women at A, the men at B
    found = narrowed_round(compiled, relaxed, start, SolveOptions(), None, 0.0)
    return None if found is None else found.tolist()


def test_seats_go_from_the_least_weighted_post_and_members_placed_worst() -> None:
    """At most three seats in XJ: one of A's goes (weight 1, not 2). At most one woman: the
    one the round placed worse stays out (both cost the same at A: the later one)."""
    cap_seats = {"id": "xj", "candidates": {}, "posts": {"province": "XJ"}, "max": 3}
    found = _narrowed(_two_posts(cap_seats))
    assert found is not None and sorted(found).count(0) == 1 and found.count(1) == 2
    cap_women = {"id": "women", "candidates": {"gender": "F"}, "posts": {}, "max": 1}
    found = _narrowed(_two_posts(cap_women))
    assert found is not None and [p >= 0 for p in found[:2]].count(True) == 1


def test_a_broken_minimum_is_not_narrowed() -> None:
    at_least = {"id": "women", "candidates": {"gender": "F"}, "posts": {"id": "B"}, "min": 2}
    assert _narrowed(_two_posts(at_least)) is None
