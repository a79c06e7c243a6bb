"""Reasons for unplaced candidates are true statements about the solution.

Checked against SPEC through the verifier's own eligibility test, not the engine's arrays:
``not_eligible`` only for screened-out candidates, ``no_eligible_post`` only when no post is
eligible, ``wishes_taken`` only when every eligible post is full.
"""

from __future__ import annotations

from collections import Counter
from unittest.mock import patch

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher import SolveOptions, explain, solve
from matcher.compile import Compiled, compile_problem
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


@given(problems(max_candidates=7, max_posts=4), st.data())
def test_options_are_split_as_listing_them_one_by_one_would(problem: Problem,
                                                            data: st.DataObject) -> None:
    """Reasons read each candidate's options off per-profile lists (fast at national scale):
    the count of full ones, the first few named, and the free ones must be what listing the
    candidate's options one by one gives, in the same order; and the quotas found blocking
    a free option must not depend on which candidate with the same key asked first."""
    compiled = compile_problem(problem)
    solution = solve(problem, SolveOptions()) if data.draw(st.booleans()) else None
    if solution is not None and solution.status in ("optimal", "feasible"):
        # A solved round keeps its hard quotas, so one more pair can break them.
        index = {p.id: k for k, p in enumerate(problem.posts)}
        held = {a.candidate: index[a.post] for a in solution.assignments}
        assignment = np.array([held.get(c.id, -1) for c in problem.candidates], dtype=np.int64)
    else:
        assignment = np.array(data.draw(st.lists(st.integers(-1, compiled.m - 1),
                                                  min_size=compiled.n, max_size=compiled.n)),
                              dtype=np.int64)
    placed = assignment[assignment >= 0]
    filled = np.bincount(placed, minlength=compiled.m)
    pairs = compiled.pairs(assignment)
    breaks = explain._quota_breaks(compiled, [q.count_and_base(pairs) for q in compiled.quotas])
    seats, blocking = explain._Seats(compiled, filled), explain._Blocking(compiled, breaks)
    eligible = np.flatnonzero(compiled.compat.candidate_ok).tolist()
    for listed in (1, 2, 5):
        with patch.object(explain, "_LISTED", listed):
            for c in eligible:
                options = explain.candidate_options(compiled, c)
                full = filled[options] >= compiled.capacity[options]
                count, head, free = seats.options(c)
                assert count == int(full.sum())
                assert head.tolist() == options[full][:listed].tolist()
                assert free.tolist() == options[~full].tolist()
    one_per_word = explain._Blocking(compiled, breaks)
    one_per_word.BITS = 1  # a word per quota, as with more quotas than a word holds
    for c in eligible:
        free = seats.options(c)[2]
        scanned = _scanned(compiled, breaks, c, free)
        for shared in (blocking.of(c, free), one_per_word.of(c, free)):
            assert [(k, p.tolist()) for k, p in shared[0]] == [
                (k, p.tolist()) for k, p in scanned[0]]
            assert shared[1].tolist() == scanned[1].tolist()


def _scanned(compiled: Compiled, breaks: list[np.ndarray], c: int, free: np.ndarray
             ) -> tuple[list[tuple[int, np.ndarray]], np.ndarray]:
    """Which quotas block which of ``c``'s free posts, found post by post: the quotas in
    the order the posts meet them, and the posts none blocks."""
    blocked_by: dict[int, list[int]] = {}
    first: dict[int, int] = {}
    rest = []
    for i, p in enumerate(free.tolist()):
        hit = False
        for k, quota in enumerate(compiled.quotas):
            counted = bool(quota.post_mask[p] and quota.cand_mask[c])
            based = bool(quota.post_mask[p] if quota.share_base == "posts"
                         else quota.cand_mask[c])
            if breaks[k][int(counted), int(based)]:
                hit = True
                blocked_by.setdefault(k, []).append(p)
                first.setdefault(k, i)
        if not hit:
            rest.append(p)
    order = sorted(blocked_by, key=lambda k: (first[k], k))
    return [(k, np.array(blocked_by[k])) for k in order], np.array(rest, dtype=np.int64)


def test_a_forbidden_full_post_and_a_quota_are_read_per_candidate() -> None:
    """X may not hold P0 (forbidden) and may not take P2 without breaking quota q-sd; Y is
    free to take P2 but their partner cannot be placed. Named with one post listed, X's
    full option is P1 (P0, first in post order, is not an option), and Y, with the same
    free post as X, is kept out by the couple, not by X's quota."""
    from matcher.validation import parse_problem

    def post(pid: str, capacity: int) -> dict[str, object]:
        return {"id": pid, "province": "XJ", "prefecture": "Kashgar",
                "programme": "basic_education", "capacity": capacity}

    def person(cid: str, home: str, wish: str, **more: object) -> dict[str, object]:
        return {"id": cid, "home_province": home, "score": 80, "wishes": [{"post": wish}],
                **more}

    problem = parse_problem({
        "schema_version": "1", "name": "read-per-candidate",
        "candidates": [person("A", "BJ", "P0"), person("B", "BJ", "P1"),
                       person("Y", "BJ", "P2", partner="Z"),
                       person("Z", "BJ", "P2", partner="Y", eligible=False),
                       person("X", "SD", "P2", accept_adjustment=True)],
        "posts": [post("P0", 1), post("P1", 1), post("P2", 2)],
        "rules": {"quotas": [{"id": "q-sd", "candidates": {"home_province": "SD"},
                              "posts": {"id": "P2"}, "max": 0}]},
        "forbidden": [{"candidate": "X", "post": "P0"}],
    })
    with patch.object(explain, "_LISTED", 1):
        solution = solve(problem, SolveOptions())
    reasons = {entry.candidate: [(r.code, r.detail) for r in entry.reasons]
               for entry in solution.unassigned}
    assert reasons["X"] == [
        ("wishes_taken", "every seat taken at P1"),
        ("quota", "placing at P2 would break quota q-sd")]
    assert [code for code, _ in reasons["Y"]] == ["couple"]


def test_quotas_in_separate_words_are_named_in_the_order_their_posts_come() -> None:
    """X may take P1 or P2, but q-p2 (first in the problem) blocks P2 and q-p1 blocks P1:
    named in the order the posts come, whether the quotas share a word of bits or not."""
    from matcher.validation import parse_problem

    problem = parse_problem({
        "schema_version": "1", "name": "two-words",
        "candidates": [{"id": "X", "home_province": "SD",
                        "wishes": [{"post": "P1"}, {"post": "P2"}]}],
        "posts": [{"id": p, "province": "XJ", "prefecture": "Kashgar",
                   "programme": "basic_education"} for p in ("P1", "P2")],
        "rules": {"quotas": [{"id": f"q-{p.lower()}", "candidates": {}, "posts": {"id": p},
                              "max": 0} for p in ("P2", "P1")]},
    })
    compiled = compile_problem(problem)
    for bits in (explain._Blocking.BITS, 1):
        with patch.object(explain._Blocking, "BITS", bits):
            reasons = explain.unassigned_reasons(compiled, np.array([-1]))
        assert [r.detail for r in reasons[0]] == [
            "placing at P1 would break quota q-p1", "placing at P2 would break quota q-p2"]
