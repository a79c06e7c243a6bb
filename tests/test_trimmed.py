"""Rounds trimmed to keep hard quotas by taking placements away (engines/trimmed.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from matcher import parse_problem
from matcher.compile import compile_problem
from matcher.engines.trimmed import trimmed_round
from matcher.objective import holds
from matcher.problem import Problem
from tests.strategies import problems


@given(problems(max_candidates=10, max_posts=5), st.data())
def test_a_trimmed_round_keeps_every_hard_quota_and_only_takes_away(
        problem: Problem, data: st.DataObject) -> None:
    """From any round: nobody moves, nobody new is placed, every hard quota holds, and a
    partner of someone taken away is not left placed alone."""
    assume(not problem.rules.respect_priority)
    compiled = compile_problem(problem)
    start = np.array(data.draw(st.lists(st.integers(-1, compiled.m - 1), min_size=compiled.n,
                                        max_size=compiled.n)), dtype=np.int64)
    locked = compiled.lock_post >= 0
    start[locked] = compiled.lock_post[locked]
    trimmed = trimmed_round(compiled, start)
    if trimmed is None:
        return
    assert ((trimmed == start) | (trimmed == -1)).all()
    assert (trimmed[locked] == start[locked]).all()
    pairs = compiled.pairs(trimmed)
    assert all(holds(q, pairs) for q in compiled.quotas if q.hard)
    for a, b in compiled.couples:
        for one, other in ((a, b), (b, a)):
            if start[one] >= 0 and trimmed[one] < 0 and start[other] >= 0:
                assert trimmed[other] < 0


def _ten_placed(women: int, quota: dict[str, Any]) -> list[int]:
    """Ten candidates placed at one post, ``women`` of them women (placed first), under
    ``quota`` on the women; returns who stays placed."""
    problem = parse_problem({
        "schema_version": "1", "name": "trim",
        "candidates": [{"id": f"C{i}", "home_province": "SD", "major_category": "law",
                        "gender": "F" if i < women else "M", "wishes": [{"post": "P"}]}
                       for i in range(10)],
        "posts": [{"id": "P", "province": "XJ", "prefecture": "Kashgar", "capacity": 10,
                   "programme": "basic_education"}],
        "rules": {"quotas": [{"id": "women", "candidates": {"gender": "F"}, "posts": {},
                              "share_base": "posts", "hard": True, **quota}]}})
    compiled = compile_problem(problem)
    trimmed = trimmed_round(compiled, np.zeros(10, dtype=np.int64))
    assert trimmed is not None
    return np.flatnonzero(trimmed >= 0).tolist()


def test_the_fewest_placements_go() -> None:
    """Six women of ten, at most half: one woman out leaves 5 of 9 (too many), two leave 4
    of 8. Three women of ten, at least half: the men go, four of them (3 of 6), as three
    would leave 3 of 7. At most four women: two go."""
    placed = _ten_placed(6, {"max_share": 0.5})
    assert len(placed) == 8 and set(range(6, 10)) <= set(placed)
    placed = _ten_placed(3, {"min_share": 0.5})
    assert len(placed) == 6 and set(range(3)) <= set(placed)
    placed = _ten_placed(6, {"max": 4})
    assert len(placed) == 8


def test_a_minimum_count_is_not_trimmed_for() -> None:
    problem = parse_problem({
        "schema_version": "1", "name": "trim",
        "candidates": [{"id": "C0", "home_province": "SD", "major_category": "law",
                        "gender": "M", "wishes": [{"post": "P"}]}],
        "posts": [{"id": "P", "province": "XJ", "prefecture": "Kashgar", "capacity": 1,
                   "programme": "basic_education"}],
        "rules": {"quotas": [{"id": "women", "candidates": {"gender": "F"}, "posts": {},
                              "min": 1, "hard": True}]}})
    assert trimmed_round(compile_problem(problem), np.zeros(1, dtype=np.int64)) is None


def test_a_partner_leaves_with_the_one_taken_away() -> None:
    """C0 (a woman) and C1 are a couple; no woman may be placed: both go, C2 stays."""
    problem = parse_problem({
        "schema_version": "1", "name": "trim",
        "candidates": [{"id": f"C{i}", "home_province": "SD", "major_category": "law",
                        "gender": "F" if i == 0 else "M", "wishes": [{"post": "P"}],
                        **({"partner": f"C{1 - i}"} if i < 2 else {})} for i in range(3)],
        "posts": [{"id": "P", "province": "XJ", "prefecture": "Kashgar", "capacity": 3,
                   "programme": "basic_education"}],
        "rules": {"quotas": [{"id": "women", "candidates": {"gender": "F"}, "posts": {},
                              "max": 0, "hard": True}]}})
    trimmed = trimmed_round(compile_problem(problem), np.zeros(3, dtype=np.int64))
    assert trimmed is not None and trimmed.tolist() == [-1, -1, 0]
