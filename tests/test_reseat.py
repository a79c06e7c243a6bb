"""Re-seating the adjusted holders of an envy-free round (``engines.reseat``): it keeps every
rule, never makes the round worse, never beats the true optimum, and respects each post's
threshold (a lower scorer may not take a seat a worse-off fan outscores them for)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from matcher.compile import compile_problem
from matcher.engines import hybrid
from matcher.engines.base import EngineResult
from matcher.engines.keeps import keeps_every_rule
from matcher.engines.reseat import (
    best_in_neighbourhood,
    reseat_edges,
    reseat_pool,
    reseated,
    thresholds,
)
from matcher.engines.serial import serial_dictatorship
from matcher.objective import round_key, tier_values
from matcher.options import SolveOptions
from matcher.problem import Problem
from matcher.solution import Status
from matcher.solve import build_solution
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.bruteforce import brute_force_optimum
from tests.strategies import problem_dicts


def _key(problem: Problem, values: dict[str, Any]) -> tuple[Fraction, ...]:
    """Tier values as a tuple that sorts best first."""
    return tuple(-Fraction(values[t]) if t == "coverage" else Fraction(values[t])
                 for t in problem.objective.order)


def _reseat(problem: Problem, start: np.ndarray) -> np.ndarray:
    compiled = compile_problem(problem)
    return reseated(compiled, start, SolveOptions(), 0.0, None)


def _round(problem: Problem, held: dict[str, str]) -> np.ndarray:
    index = {p.id: k for k, p in enumerate(problem.posts)}
    return np.array([index.get(held.get(c.id, ""), -1) for c in problem.candidates],
                    dtype=np.int64)


@given(problem_dicts(max_candidates=7, max_posts=4).map(
    lambda raw: parse_problem({**raw, "rules": {**raw["rules"], "respect_priority": True}})))
def test_reseating_keeps_every_rule_and_never_worsens_or_beats_the_optimum(problem: Problem
                                                                           ) -> None:
    compiled = compile_problem(problem)
    start = serial_dictatorship(compiled)
    if not keeps_every_rule(compiled, start):
        return
    best = best_in_neighbourhood(compiled, start, SolveOptions(), 0.0, None)
    assert best is not None and keeps_every_rule(compiled, best)  # by construction
    found = reseated(compiled, start, SolveOptions(), 0.0, None)
    solution = build_solution(compiled, EngineResult(Status.feasible, found), 0.0,
                              SolveOptions())
    assert verify(problem, solution) == []
    before = tier_values(compiled, compiled.pairs(start))
    after = tier_values(compiled, compiled.pairs(found))
    assert _key(problem, after) <= _key(problem, before)
    optimum = brute_force_optimum(problem)
    assert optimum is not None  # the start keeps every rule
    assert _key(problem, after) >= _key(problem, dict(optimum))


def _province_problem(*, envious_fan: bool, quotas_first: bool = False) -> Problem:
    """C holds P2, which A and B also want; one of A and B takes P1 by adjustment. A's
    province is capped at none placed. With ``envious_fan``, D wants P1 and scores between
    A and B, so only A may hold it. With ``quotas_first`` the cap outranks coverage."""
    candidates: list[dict[str, Any]] = [
        {"id": "C", "score": 95, "wishes": [{"post": "P2"}]},
        {"id": "A", "score": 90, "recruit_province": "HA", "accept_adjustment": True,
         "wishes": [{"post": "P2"}]},
        {"id": "B", "score": 80, "recruit_province": "SD", "accept_adjustment": True,
         "wishes": [{"post": "P2"}]},
    ]
    if envious_fan:
        candidates.append({"id": "D", "score": 85, "wishes": [{"post": "P1"}]})
    for candidate in candidates:
        candidate["home_province"] = "SC"
    post = {"capacity": 1, "province": "XJ", "prefecture": "Hotan", "programme": "teaching"}
    return parse_problem({
        "schema_version": "1", "name": "reseat",
        "candidates": candidates,
        "posts": [{"id": "P1", **post}, {"id": "P2", **post}],
        "rules": {"respect_priority": True, "quotas": [
            {"id": "ha-none", "candidates": {"recruit_province": "HA"}, "max": 0,
             "hard": False}]},
        "objective": {"order": ["quotas", "coverage", "preferences"] if quotas_first
                      else ["coverage", "quotas", "preferences"]},
    })


def test_a_seat_by_adjustment_goes_to_the_province_under_its_cap() -> None:
    problem = _province_problem(envious_fan=False)
    start = _round(problem, {"C": "P2", "A": "P1"})
    found = _reseat(problem, start)
    assert found.tolist() == _round(problem, {"C": "P2", "B": "P1"}).tolist()


def test_a_seat_stays_with_the_holder_a_worse_off_fan_does_not_outscore() -> None:
    problem = _province_problem(envious_fan=True)
    compiled = compile_problem(problem)
    start = _round(problem, {"C": "P2", "A": "P1"})
    assert keeps_every_rule(compiled, start)
    # score levels 80 < 85 < 90 < 95: P1's worse-off fan is D (85), P2's are A and B
    assert thresholds(compiled, start).tolist() == [1, 2]
    assert reseat_pool(compiled, start).tolist() == [False, True, True, False]
    edges, fixed = reseat_edges(compiled, start, thresholds(compiled, start))
    assert sorted(zip(edges.cand[~fixed].tolist(), edges.post[~fixed].tolist(),
                      strict=True)) == [(1, 0)]  # A may hold P1; B (80) < D (85) may not
    assert _reseat(problem, start).tolist() == start.tolist()


def test_a_seat_a_worse_off_fan_wants_is_not_left_empty() -> None:
    """The cap outranks coverage, so emptying P1 would meet it; but D, unplaced, wants P1:
    it must stay full, and A is the only one who may hold it."""
    problem = _province_problem(envious_fan=True, quotas_first=True)
    start = _round(problem, {"C": "P2", "A": "P1"})
    assert _reseat(problem, start).tolist() == start.tolist()
    best = best_in_neighbourhood(compile_problem(problem), start, SolveOptions(), 0.0, None)
    assert best is not None and best.tolist() == start.tolist()


def test_the_hybrid_reseats_cpsat_answer_and_keeps_its_bounds() -> None:
    """The hybrid's last step under priority: an answer CP-SAT left with a seat to gain is
    re-seated; what CP-SAT proved still bounds the optimum, so the bounds stay."""
    problem = _province_problem(envious_fan=False)
    compiled = compile_problem(problem)
    run = hybrid._Run.start(compiled, SolveOptions())
    found = hybrid._Found(compiled, [], None, 0.0)
    answer = EngineResult(Status.feasible, _round(problem, {"C": "P2", "A": "P1"}),
                          bound={"coverage": 2}, engine="hybrid", note="CP-SAT")
    polished = hybrid._polished(run, found, answer)
    assert polished.assignment is not None
    assert polished.assignment.tolist() == _round(problem, {"C": "P2", "B": "P1"}).tolist()
    assert polished.bound == {"coverage": 2}
    assert polished.status is Status.feasible
    assert "re-seated" in polished.note


def test_no_time_left_builds_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the deadline the round is kept as it is: building the model alone takes
    seconds on a national round."""
    problem = _province_problem(envious_fan=False)
    compiled = compile_problem(problem)
    run = hybrid._Run.start(compiled, SolveOptions(time_limit=0.0))
    start = _round(problem, {"C": "P2", "A": "P1"})

    def no_model(*_: Any, **__: Any) -> np.ndarray:
        raise AssertionError("a model was built with no time left")

    monkeypatch.setattr(hybrid, "reseated", no_model)
    found = hybrid._reseated(run, hybrid._Found(compiled, [], None, 0.0), start, 1.0)
    assert found is start


@given(problem_dicts(max_candidates=7, max_posts=4).map(
    lambda raw: parse_problem({**raw, "rules": {**raw["rules"], "respect_priority": True}})))
def test_blocked_rounds_grown_from_a_round_keep_every_rule_and_never_worsen_it(
        problem: Problem) -> None:
    compiled = compile_problem(problem)
    start = serial_dictatorship(compiled)
    if not keeps_every_rule(compiled, start):
        return
    run = hybrid._Run.start(compiled, SolveOptions())
    found = hybrid._blocked_from(run, start)
    solution = build_solution(compiled, EngineResult(Status.feasible, found), 0.0,
                              SolveOptions())
    assert verify(problem, solution) == []
    assert round_key(compiled, found) <= round_key(compiled, start)


def _tie_problem(mover_score: int) -> Problem:
    """A holds P1 by a county wish that ranks P1 and P2 alike; P2 weighs 2 and is held by
    B, adjusted, who could take P5 (weight 3, free) if P2 stayed full. D (85) ranks P2
    first and holds P3, so P2's threshold is 85: A may move to P2 (freeing B for P5) only
    scoring at least that. No one else wants P1, so it may be left empty."""
    def post(pid: str, county: str, weight: int = 1) -> dict[str, Any]:
        return {"id": pid, "capacity": 1, "weight": weight, "province": "XJ",
                "prefecture": "Hotan", "county": county, "programme": "teaching"}

    return parse_problem({
        "schema_version": "1", "name": "ties",
        "candidates": [{**c, "home_province": "SC"} for c in [
            {"id": "A", "score": mover_score, "wishes": [{"county": "Hotan-C1"}]},
            {"id": "B", "score": 88, "accept_adjustment": True, "wishes": [{"post": "P4"}]},
            {"id": "C", "score": 99, "wishes": [{"post": "P4"}]},
            {"id": "D", "score": 85, "wishes": [{"post": "P2"}, {"post": "P3"}]},
        ]],
        "posts": [post("P1", "Hotan-C1"), post("P2", "Hotan-C1", 2), post("P3", "Hotan-C2"),
                  post("P4", "Hotan-C3"), post("P5", "Hotan-C4", 3)],
        "rules": {"respect_priority": True},
    })


@pytest.mark.parametrize(("mover_score", "moves"), [(86, True), (82, False)])
def test_a_tie_mover_takes_a_post_of_its_rank_only_at_the_threshold(mover_score: int,
                                                                    moves: bool) -> None:
    problem = _tie_problem(mover_score)
    start = _round(problem, {"A": "P1", "B": "P2", "C": "P4", "D": "P3"})
    assert keeps_every_rule(compile_problem(problem), start)
    moved = _round(problem, {"A": "P2", "B": "P5", "C": "P4", "D": "P3"})
    expected = (moved if moves else start).tolist()
    best = best_in_neighbourhood(compile_problem(problem), start, SolveOptions(), 0.0, None)
    assert best is not None and best.tolist() == expected  # before the safety check
    assert _reseat(problem, start).tolist() == expected
