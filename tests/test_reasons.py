"""Reasons for unplaced candidates are true statements about the solution.

Checked against SPEC through the verifier's own eligibility test, not the engine's arrays:
``not_eligible`` only for screened-out candidates, ``no_eligible_post`` only when no post is
eligible, ``wishes_taken`` only when every eligible post is full.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given

from matcher import SolveOptions, solve
from matcher.compile import compile_problem
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


def test_every_eligibility_blocker_is_named_in_both_languages() -> None:
    """One post failing every condition of SPEC §3: English names them for ``why`` and the
    Chinese report spells each out, both from the same list of blockers."""
    from matcher.compile import compile_problem
    from matcher.explain import blockers, blocking_rules
    from matcher.report.reasons import ReasonWriter
    from matcher.validation import parse_problem

    problem = parse_problem({
        "schema_version": "1", "name": "blocked",
        "candidates": [{"id": "C", "home_province": "SD", "degree": "associate",
                        "major_category": "engineering", "gender": "M", "level": 0,
                        "service_years": [1], "wishes": [{"post": "P"}]}],
        "posts": [{"id": "P", "province": "XJ", "prefecture": "Kashgar",
                   "programme": "health", "min_degree": "master",
                   "major_categories": ["medicine"], "languages": ["ug"], "gender": "F",
                   "min_level": 2, "service_years": [3]}],
        "rules": {"pairings": [{"id": "kashgar_aid", "origins": ["SH"],
                                "destinations": {"prefecture": "Kashgar"},
                                "mode": "exclusive"}]},
        "forbidden": [{"candidate": "C", "post": "P"}],
    })
    compiled = compile_problem(problem)
    assert [b.rule for b in blockers(compiled, 0, 0)] == [
        "service period", "degree", "major category", "language", "gender", "level",
        "pairing", "forbidden pair"]
    assert blocking_rules(compiled, 0, 0) == [
        "service period", "degree below master", "major category", "language", "gender",
        "level", "pairing kashgar_aid", "forbidden pair"]
    solution = solve(problem, SolveOptions())
    (entry,) = solution.unassigned
    (detail,) = ReasonWriter(problem, solution).details("C", entry.reasons)
    for words in ("服务期不符", "学历低于硕士", "专业门类不符", "须掌握", "仅限女性", "级别低于 2",
                  "对口支援规则 kashgar_aid", "列为禁止的组合"):
        assert words in detail, (words, detail)


@given(problems(max_candidates=7, max_posts=4))
def test_forbids_finds_exactly_the_forbidden_pairs(problem: Problem) -> None:
    """``Compiled.forbids`` (a binary search, for explaining at scale) against the list."""
    compiled = compile_problem(problem)
    listed = {(f.candidate, f.post) for f in problem.forbidden}
    cand, post = np.divmod(np.arange(compiled.n * compiled.m), max(compiled.m, 1))
    found = compiled.forbids(cand, post)
    expected = [(problem.candidates[c].id, problem.posts[p].id) in listed
                for c, p in zip(cand.tolist(), post.tolist(), strict=True)]
    assert found.tolist() == expected
