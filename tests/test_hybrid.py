"""The hybrid engine's reduced model, forced on small problems and checked against brute force.

A reduced model leaves pairs out, so it may miss the optimum; what it must never do is break
a rule, claim a bound better than the optimum, claim ``optimal`` wrongly, or call a feasible
problem infeasible.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from ortools.sat.python import cp_model

from matcher import solve
from matcher.compile import compile_problem
from matcher.engines import hybrid
from matcher.engines.cpsat import TierRun, solve_tiers
from matcher.engines.cpsat_model import build_model
from matcher.engines.serial import serial_dictatorship
from matcher.generate import generate_problem
from matcher.options import SolveOptions
from matcher.problem import Problem
from matcher.solution import Solution, Status
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.bruteforce import brute_force_optimum
from tests.strategies import problems


def _exact(value: float) -> Fraction:
    """A reported tier value as the rational it stands for (quota shares are decimals)."""
    return Fraction(value).limit_denominator(10**6)


def _lexicographic(problem: Problem, values: dict[str, Fraction]) -> tuple[Fraction, ...]:
    """Tier values as a tuple that sorts best first."""
    return tuple(-values[t] if t == "coverage" else values[t] for t in problem.objective.order)


@given(problems(max_candidates=7, max_posts=4))
def test_reduced_model_is_valid_and_its_bound_holds(problem: Problem) -> None:
    expected = brute_force_optimum(problem)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "FULL_MODEL_PAIRS", -1)  # every problem takes the reduced path
        patch.setattr(hybrid, "branch_and_bound", lambda *_, **__: None)  # couples too
        patch.setattr(hybrid, "price_quota", lambda *_, **__: None)  # and a priced quota
        patch.setattr(hybrid, "_relaxation_keeps_all", lambda *_: None)  # and a kept one
        solution = solve(problem, SolveOptions(engine="hybrid"))
    if expected is None:
        assert solution.status in ("infeasible", "unknown")
        assert solution.status == "unknown" or solution.conflict
        return
    assert "reduced model" in (solution.solver.note or "")
    _assert_valid_and_bounded(problem, solution, expected)


@given(problems(max_candidates=7, max_posts=4))
def test_a_starting_round_returned_without_cpsat_is_valid_and_bounded(problem: Problem
                                                                       ) -> None:
    """A reduced model too large to build: the starting round is the answer when it keeps
    every rule, with the relaxation's bound."""
    expected = brute_force_optimum(problem)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "FULL_MODEL_PAIRS", -1)
        patch.setattr(hybrid, "MODEL_RANKED_PAIRS", -1)  # every reduced model is too large
        solution = solve(problem, SolveOptions(engine="hybrid"))
    if expected is None:
        assert solution.status in ("infeasible", "unknown")
        return
    _assert_valid_and_bounded(problem, solution, expected)


def _assert_valid_and_bounded(problem: Problem, solution: Solution,
                              expected: Any) -> None:
    assert solution.status != "infeasible", "a feasible problem was called infeasible"
    optimum = {t: Fraction(expected[t]) for t in problem.objective.order}
    bound = {t: _exact(getattr(solution.bound, t)) for t in problem.objective.order
             if getattr(solution.bound, t) is not None}
    # The bound, read lexicographically, is never worse than the optimum.
    for tier in problem.objective.order:
        if tier not in bound or bound[tier] != optimum[tier]:
            if tier in bound:
                assert (bound[tier] >= optimum[tier] if tier == "coverage"
                        else bound[tier] <= optimum[tier]), tier
            break
    if solution.status == "unknown":
        return
    assert verify(problem, solution) == []
    found = {t: _exact(getattr(solution.objective, t)) for t in problem.objective.order}
    assert _lexicographic(problem, found) >= _lexicographic(problem, optimum)
    if solution.status == "optimal":
        assert found == optimum


@given(problems(max_candidates=7, max_posts=4))
def test_serial_dictatorship_places_within_capacity_and_eligibility(problem: Problem) -> None:
    compiled = compile_problem(problem)
    assignment = serial_dictatorship(compiled)
    placed = assignment >= 0
    counts = np.bincount(assignment[placed], minlength=compiled.m)
    assert (counts <= compiled.capacity).all()
    cand = placed.nonzero()[0]
    post = assignment[placed]
    locked = compiled.lock_post[cand] == post
    allowed = compiled.compat.allowed(cand, post)
    ranked = compiled.rank_of(cand, post) > 0
    assert (locked | (allowed & (ranked | compiled.adjusts[cand]))).all()


def test_relaxation_drops_what_a_network_cannot_hold() -> None:
    from pathlib import Path

    from matcher.engines.network import network_obstacles
    from matcher.validation import load_problem

    sample = load_problem(Path(__file__).resolve().parents[1] / "scenarios" / "sample.json")
    data = sample.model_dump(exclude_unset=True)
    data["rules"]["respect_priority"] = True
    data["rules"]["quotas"] = [
        {"id": "sd", "candidates": {"recruit_province": "SD"}, "posts": {}, "max": 3},
        {"id": "women", "candidates": {"gender": "F"}, "posts": {}, "max": 3},
        {"id": "xj-medicine", "candidates": {"major_category": "medicine"},
         "posts": {"province": "XJ"}, "min": 1, "hard": False},
    ]
    problem = Problem.model_validate(data)
    relaxed, relaxed_compiled, dropped = hybrid.relaxed_problem(problem,
                                                                compile_problem(problem))
    assert network_obstacles(relaxed_compiled) == []
    assert "respect_priority" in dropped and "xj-medicine" in dropped
    assert len([q for q in relaxed.rules.quotas if q.id in ("sd", "women")]) == 1


def test_without_a_round_keeping_every_rule_a_too_large_model_is_not_built() -> None:
    """Score order breaks the hard indicator and no one can block: rather than build a model
    of national size, the answer is ``unknown`` and names what the best start breaks."""
    problem = parse_problem({
        "schema_version": "1", "name": "indicator",
        "candidates": [{"id": "V", "score": 2, "home_province": "Henan",
                        "recruit_province": "Henan", "wishes": [{"post": "P"}]}],
        "posts": [{"id": "P", "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                   "programme": "education"}],
        "rules": {"respect_priority": True, "quotas": [
            {"id": "henan", "candidates": {"recruit_province": "Henan"}, "posts": {},
             "max": 0, "hard": True}]},
    })
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "FULL_MODEL_PAIRS", -1)
        patch.setattr(hybrid, "MODEL_RANKED_PAIRS", -1)
        solution = solve(problem, SolveOptions(engine="hybrid"))
    assert solution.status == "unknown"
    assert "breaks henan" in (solution.solver.note or "")


def test_a_cpsat_round_worse_than_the_start_gives_way_to_the_start() -> None:
    """When CP-SAT cannot take the starting round as its first solution (a reduced model
    lacking its pairs, or no time to complete it) it may end below it: the start, which
    keeps every rule, is the answer then."""
    problem = parse_problem({
        "schema_version": "1", "name": "start",
        "candidates": [{"id": "V", "score": 2, "home_province": "Henan",
                        "wishes": [{"post": "P"}]}],
        "posts": [{"id": "P", "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                   "programme": "education"}],
        "rules": {"respect_priority": True},
    })
    nobody = np.full(1, -1, dtype=np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "_relaxation_keeps_all", lambda *_: None)  # to reach CP-SAT
        patch.setattr(hybrid, "solve_tiers", lambda *_, **__: TierRun(
            Status.feasible, nobody, {}, 1, hint_feasible=False))
        solution = solve(problem, SolveOptions(engine="hybrid"))
    assert [(a.candidate, a.post) for a in solution.assignments] == [("V", "P")]
    assert "CP-SAT's best round was worse" in (solution.solver.note or "")
    assert verify(problem, solution) == []


def test_cpsat_is_not_started_when_its_model_would_take_longer_to_build_than_is_left(
) -> None:
    """Building the model cannot be stopped, and CP-SAT's shortest run on it takes time
    too: with less time left than both take, the answer is the starting round (a 2 s limit
    on a 3k round under priority took 3.5 s before; a 4 s limit, 4.3 s)."""
    problem = parse_problem(generate_problem(60, seed=2, couples=True, respect_priority=True))
    for constant in ("MODEL_BUILD_SECONDS_PER_PAIR", "MODEL_LEAST_RUN_SECONDS_PER_PAIR"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hybrid, constant, 3600.0)
            patch.setattr(hybrid, "_relaxation_keeps_all", lambda *_: None)  # its round does
            slow = solve(problem, SolveOptions(engine="hybrid", time_limit=30.0))
        assert "CP-SAT not run: no time left" in (slow.solver.note or "")
        assert verify(problem, slow) == []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "_relaxation_keeps_all", lambda *_: None)
        quick = solve(problem, SolveOptions(engine="hybrid", time_limit=30.0))
    assert "CP-SAT not run" not in (quick.solver.note or "")


def _relaxation(coverage: int, quotas: int, preferences: int) -> hybrid.Relaxation:
    values: dict[str, Any] = {"coverage": coverage, "quotas": Fraction(quotas),
                              "preferences": preferences}
    return hybrid.Relaxation(values, np.zeros(0, dtype=np.int64), [])


ORDER = ["coverage", "quotas", "preferences"]


def test_a_better_answer_extends_the_bound_through_the_relaxation() -> None:
    """The answer was improved after the bound was proven: where it now meets the bound,
    the relaxation bounds the next tier (a 5k priority round reported -19,632 for
    preferences, whose relaxation proves 2,142)."""
    proven = {"coverage": 5, "quotas": Fraction(0)}
    answer = {"coverage": 5, "quotas": Fraction(0), "preferences": 12}
    assert hybrid.extended_bound(proven, _relaxation(5, 0, 9), ORDER, answer) == {
        **proven, "preferences": 9}


def test_a_bound_is_not_extended_past_a_tier_the_answer_misses() -> None:
    proven = {"coverage": 5, "quotas": Fraction(0)}
    answer = {"coverage": 5, "quotas": Fraction(1), "preferences": 12}
    assert hybrid.extended_bound(proven, _relaxation(5, 0, 9), ORDER, answer) == proven
    # nor through a relaxation whose earlier tiers the answer does not reach
    assert hybrid.extended_bound({"coverage": 5}, _relaxation(6, 0, 9), ORDER,
                                 {**answer, "quotas": Fraction(0)}) == {"coverage": 5}
    # and tiers proven for a round the answer does not match stop there too
    assert hybrid.extended_bound({"coverage": 6, "quotas": Fraction(0)}, None, ORDER,
                                 answer) == {"coverage": 6}


def test_cpsat_past_its_deadline_loads_no_model_when_a_round_is_in_hand() -> None:
    """Each CP-SAT solve loads the model first, whatever its limit: past the deadline no
    tier is started when the caller keeps a round of its own, so the answer is not made
    later still; without one, the short solves still run (they may be the only round)."""
    problem = parse_problem(generate_problem(40, seed=3, respect_priority=True))
    compiled = compile_problem(problem)
    calls: list[bool] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cp_model.CpSolver, "solve",
                      lambda self, *_, **__: calls.append(True) or cp_model.UNKNOWN)
        for in_hand in (True, False):
            calls.clear()
            run = solve_tiers(build_model(compiled), SolveOptions(), time.monotonic(),
                              time.monotonic() - 1.0, hint=serial_dictatorship(compiled),
                              in_hand=in_hand)
            assert (calls == []) is in_hand
            assert run.status is Status.unknown and run.assignment is None


def test_cpsat_alone_still_answers_when_its_model_takes_the_whole_limit() -> None:
    """The plain CP-SAT engine keeps no round of its own: past the deadline it still makes
    its short solves rather than answer ``unknown``."""
    problem = parse_problem(generate_problem(60, seed=2, respect_priority=True))
    solution = solve(problem, SolveOptions(engine="cpsat", time_limit=0.0))
    assert solution.status in ("optimal", "feasible")
    assert verify(problem, solution) == []


def test_under_priority_the_time_cpsat_cannot_use_goes_to_reseating() -> None:
    """With too little time left for CP-SAT, the start's adjusted seats are re-seated once
    more with the time left (3k priority round at 4 s: preferences 1930 -> 1871, 3.7 s)."""
    problem = parse_problem(generate_problem(60, seed=2, couples=True, respect_priority=True))
    shares: list[float] = []
    reseated = hybrid._reseated

    def recording(run: Any, found: Any, assignment: Any, share: float) -> Any:
        shares.append(share)
        return reseated(run, found, assignment, share)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid, "MODEL_LEAST_RUN_SECONDS_PER_PAIR", 3600.0)
        patch.setattr(hybrid, "_reseated", recording)
        patch.setattr(hybrid, "_relaxation_keeps_all", lambda *_: None)  # its round does
        solution = solve(problem, SolveOptions(engine="hybrid", time_limit=30.0))
    assert "CP-SAT not run: no time left" in (solution.solver.note or "")
    assert shares[-1] == 1.0 and len(shares) == 2
    assert verify(problem, solution) == []


def _provinces_and_a_minority_target(share: float, most: int) -> Problem:
    """Three serving provinces, each with a minority-region post and another, a hard
    maximum of ``most`` per province and a hard minority-region share of all placements:
    each province overlaps the minority regions without nesting."""
    provinces = ["Gansu", "Qinghai", "Sichuan"]
    posts = [{"id": f"{prov}-{kind}", "capacity": 2, "province": prov,
              "prefecture": f"{prov}-{kind}", "programme": "education",
              "minority_region": kind == "m"} for prov in provinces for kind in ("m", "o")]
    candidates = [{"id": f"C{i}", "home_province": "Henan", "score": i,
                   "wishes": [{"post": posts[(i + k) % 6]["id"]} for k in range(3)]}
                  for i in range(10)]
    quotas: list[dict[str, Any]] = [
        {"id": f"max-{prov}", "posts": {"province": prov}, "max": most, "hard": True}
        for prov in provinces]
    quotas.append({"id": "minority-target", "posts": {"minority_region": True},
                   "min_share": share, "hard": True})
    return parse_problem({"schema_version": "1", "name": "overlap", "candidates": candidates,
                          "posts": posts, "rules": {"quotas": quotas}})


def test_the_relaxation_drops_the_fewest_quotas_then_the_later_of_each_clash() -> None:
    """The minority target overlaps all three provinces: dropping it alone clears every
    clash. Not binding, that relaxation's round keeps it and is the answer, proven without
    CP-SAT; binding, the relaxation dropping the three maximums instead (the later quota
    of each clash) may keep them; when neither does, CP-SAT settles it from both. Either
    way, CP-SAT alone agrees."""
    later = "relaxation without max-Gansu, max-Qinghai, max-Sichuan: its optimum keeps them"
    cases = [(0.3, 3, "relaxation without minority-target: its optimum keeps them"),
             (0.9, 3, later), (0.9, 1, None)]
    for share, most, note in cases:
        problem = _provinces_and_a_minority_target(share, most)
        _, _, dropped = hybrid.relaxed_problem(problem, compile_problem(problem))
        assert dropped == ["minority-target"]
        phases: list[str] = []
        solution = solve(problem, SolveOptions(engine="hybrid", progress=(
            lambda p, seen=phases: seen.append(p.phase))))
        assert (solution.solver.note == note) if note else (
            "its optimum keeps them" not in (solution.solver.note or ""))
        assert ("hybrid:relaxation (other quotas dropped)" in phases) is (share == 0.9)
        assert verify(problem, solution) == []
        reference = solve(problem, SolveOptions(engine="cpsat"))
        assert (solution.status, solution.objective) == (reference.status, reference.objective)


def test_under_priority_no_second_relaxation_is_solved() -> None:
    """Neither relaxation's round keeps score-first priority, so the time goes to the
    rounds that make the answer rather than to a second relaxation."""
    problem = _provinces_and_a_minority_target(0.9, 1)
    data: dict[str, Any] = problem.model_dump(mode="json", exclude_none=True)
    data["rules"]["respect_priority"] = True
    problem = parse_problem(data)
    phases: list[str] = []
    solution = solve(problem, SolveOptions(engine="hybrid", progress=(
        lambda p: phases.append(p.phase))))
    assert "hybrid:relaxation" in phases
    assert "hybrid:relaxation (other quotas dropped)" not in phases
    assert verify(problem, solution) == []
    reference = solve(problem, SolveOptions(engine="cpsat"))
    assert (solution.status, solution.objective) == (reference.status, reference.objective)
