"""Reasons for unplaced candidates are true statements about the solution.

Checked against SPEC through the verifier's own eligibility test, not the engine's arrays:
``not_eligible`` only for screened-out candidates, ``no_eligible_post`` only when no post is
eligible, ``wishes_taken`` only when every eligible post is full.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given

from matcher import SolveOptions, solve
from matcher.problem import Problem
from matcher.verify import is_eligible
from tests.strategies import problems


@given(problems(max_candidates=7, max_posts=4))
def test_every_reason_is_true(problem: Problem) -> None:
    solution = solve(problem, SolveOptions())
    if solution.status not in ("optimal", "feasible"):
        return
    post_by_id = {p.id: p for p in problem.posts}
    filled = Counter(a.post for a in solution.assignments)
    for entry in solution.unassigned:
        assert entry.reasons, f"{entry.candidate} has no reason"
        candidate = next(c for c in problem.candidates if c.id == entry.candidate)
        eligible = [p for p in problem.posts if is_eligible(problem, candidate, p)]
        codes = {r.code for r in entry.reasons}
        if "not_eligible" in codes:
            assert not candidate.eligible
        if "no_eligible_post" in codes:
            assert eligible == []
        if codes == {"wishes_taken"}:
            assert eligible
            assert all(filled[p.id] >= post_by_id[p.id].capacity for p in eligible)


def test_one_full_post_is_named_in_the_singular() -> None:
    """Two candidates want the one seat: the loser's reason speaks of one wish, not "wishes 1"."""
    from matcher.validation import parse_problem

    problem = parse_problem({
        "schema_version": "1", "name": "one-seat",
        "candidates": [{"id": c, "home_province": "GS", "score": score,
                        "wishes": [{"post": "P"}]} for c, score in (("A", 90), ("B", 80))],
        "posts": [{"id": "P", "province": "GS", "prefecture": "Lanzhou",
                   "programme": "basic_education", "capacity": 1}],
    })
    solution = solve(problem, SolveOptions())
    (entry,) = solution.unassigned
    (reason,) = entry.reasons
    assert reason.code == "wishes_taken"
    assert reason.detail == "every post matching wish 1 that the candidate may hold is full"
