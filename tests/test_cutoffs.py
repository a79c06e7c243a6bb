"""Score cutoffs (engines/cutoffs.py): no envy-free round breaks one.

Every assignment of a tiny problem is enumerated and the envy-free ones are picked out by
the verifier (which reads SPEC §4); none may seat an unlocked candidate below a post's
cutoff. The network relaxation with the cutoffs must still bound the true optimum, which
the brute-force reference computes.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.compile import compile_problem
from matcher.engines import flow
from matcher.engines.cutoffs import score_cutoffs, with_cutoffs
from matcher.engines.hybrid import relaxed_problem
from matcher.objective import tier_values
from matcher.options import SolveOptions
from matcher.problem import Problem
from matcher.solution import Assignment
from matcher.validation import parse_problem
from matcher.verify import _priority, is_eligible
from tests.bruteforce import brute_force_optimum
from tests.strategies import problems


def _with_priority(problem: Problem, scores: list[float]) -> Problem:
    """``problem`` under score-first priority, its candidates' scores drawn from ``scores``
    (few distinct values, so that ties come up)."""
    return problem.model_copy(update={
        "candidates": [c.model_copy(update={"score": scores[i % len(scores)]})
                       for i, c in enumerate(problem.candidates)],
        "rules": problem.rules.model_copy(update={"respect_priority": True}),
    })


def _envy_free_rounds(problem: Problem) -> list[list[int]]:
    """Every assignment within eligibility, capacities and locks that leaves no justified
    envy (post index per candidate, -1 = unplaced)."""
    locks = {(lock.candidate, lock.post) for lock in problem.locks}
    locked = {cid: pid for cid, pid in locks}
    post_index = {p.id: i for i, p in enumerate(problem.posts)}
    options = []
    for cand in problem.candidates:
        if cand.id in locked:
            options.append([post_index[locked[cand.id]]])
        else:
            options.append([-1, *(i for i, post in enumerate(problem.posts)
                                  if is_eligible(problem, cand, post))])
    rounds = []
    for choice in itertools.product(*options):
        load = np.bincount([p for p in choice if p >= 0], minlength=len(problem.posts))
        if (load > [p.capacity for p in problem.posts]).any():
            continue
        placed = [(problem.candidates[c], problem.posts[p],
                   Assignment(candidate=problem.candidates[c].id, post=problem.posts[p].id,
                              rank=None, adjusted=False,
                              locked=(problem.candidates[c].id, problem.posts[p].id) in locks))
                  for c, p in enumerate(choice) if p >= 0]
        if not any(_priority(problem, placed)):
            rounds.append(list(choice))
    return rounds


def _tied_priority_problems(max_candidates: int, max_posts: int) -> st.SearchStrategy[Problem]:
    """Generated problems under priority, their scores drawn from a few values."""
    return st.builds(_with_priority, problems(max_candidates, max_posts),
                     st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=1, max_size=3))


@given(_tied_priority_problems(max_candidates=5, max_posts=3))
def test_no_envy_free_round_seats_anyone_below_a_cutoff(problem: Problem) -> None:
    compiled = compile_problem(problem)
    cutoff = score_cutoffs(compiled)
    for assignment in _envy_free_rounds(problem):
        for c, p in enumerate(assignment):
            if p >= 0 and compiled.lock_post[c] != p:
                assert compiled.score[c] >= cutoff[p], (c, p, assignment, cutoff.tolist())


@given(_tied_priority_problems(max_candidates=6, max_posts=4))
def test_the_relaxation_with_cutoffs_still_bounds_the_optimum(problem: Problem) -> None:
    expected = brute_force_optimum(problem)
    if expected is None:
        return
    compiled = compile_problem(problem)
    _, relaxed, dropped = relaxed_problem(problem, compiled)
    result = flow.solve(relaxed, SolveOptions())
    if result.assignment is None:
        return  # a relaxation without a round proves nothing here
    dropped_quotas = frozenset(q for q in dropped if q in {x.id for x in compiled.quotas})
    bound = tier_values(relaxed, relaxed.pairs(result.assignment), skip=dropped_quotas)
    order = problem.objective.order
    best = tuple(-expected[t] if t == "coverage" else Fraction(expected[t]) for t in order)
    found = tuple(-bound[t] if t == "coverage" else Fraction(bound[t]) for t in order)
    assert found <= best


def _ladder() -> Problem:
    """Scores 3 > 2 > 1; A and B one seat each. C3 wishes only A, so A closes below 3;
    C2 wishes A then B, is pinned to B, so B closes below 2; C1 may hold neither."""
    return parse_problem({
        "schema_version": "1", "name": "ladder",
        "candidates": [
            {"id": "C3", "score": 3, "wishes": [{"post": "A"}], "home_province": "Gansu"},
            {"id": "C2", "score": 2, "wishes": [{"post": "A"}, {"post": "B"}],
             "home_province": "Gansu"},
            {"id": "C1", "score": 1, "wishes": [{"post": "A"}], "accept_adjustment": True,
             "home_province": "Gansu"},
        ],
        "posts": [{"id": post, "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                   "programme": "education"} for post in ("A", "B")],
        "rules": {"respect_priority": True},
    })


def test_cutoffs_follow_the_pinned_candidates_down_the_levels() -> None:
    compiled = compile_problem(_ladder())
    assert score_cutoffs(compiled).tolist() == [3.0, 2.0]


def test_a_cut_compiled_problem_leaves_out_exactly_the_pairs_below_a_cutoff() -> None:
    compiled = compile_problem(_ladder())
    cut = with_cutoffs(compiled, score_cutoffs(compiled))
    pairs = {(int(c), int(p)) for c, p in zip(cut.edges.cand, cut.edges.post, strict=True)}
    assert pairs == {(0, 0), (1, 1)}  # C3 at A, C2 at B; C1's adjustment to B is cut too


def _prefecture_wishers(high: int) -> Problem:
    """``high`` candidates scoring 3 wish the prefecture of posts A and B (one seat each, one
    rank for both); L, scoring 1, wishes B."""
    wishers = [{"id": f"H{i}", "score": 3, "wishes": [{"prefecture": "Lanzhou"}],
                "home_province": "Gansu"} for i in range(high)]
    return parse_problem({
        "schema_version": "1", "name": "prefecture",
        "candidates": [*wishers, {"id": "L", "score": 1, "wishes": [{"post": "B"}],
                                  "home_province": "Gansu"}],
        "posts": [{"id": post, "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                   "programme": "education"} for post in ("A", "B")],
        "rules": {"respect_priority": True},
    })


def test_one_wisher_of_a_rank_with_two_posts_closes_neither() -> None:
    # H0 may take A and leave B to L without envy: L must not be cut from B.
    compiled = compile_problem(_prefecture_wishers(1))
    cutoff = score_cutoffs(compiled)
    assert np.isneginf(cutoff[0]) and cutoff[1] <= 1.0


def test_as_many_wishers_of_the_same_posts_as_seats_close_them() -> None:
    compiled = compile_problem(_prefecture_wishers(2))
    assert score_cutoffs(compiled).tolist() == [3.0, 3.0]


@given(problems(max_candidates=8, max_posts=4))
def test_ranked_options_are_the_ranked_pairs_a_candidate_may_hold(problem: Problem) -> None:
    """Worked out without keeping every wish's pairs (265 MB at 100k), the options are still
    exactly the ranked pairs that are allowed, not forbidden and not locked, by candidate,
    rank and post."""
    compiled = compile_problem(problem)
    cand, post, rank = compiled.ranked_options
    assert "ranked" not in compiled.__dict__
    rc, rp, rr = compiled.ranked
    keep = compiled.may_hold(rc, rp) & (compiled.lock_post[rc] < 0)
    expected = sorted(zip(rc[keep].tolist(), rr[keep].tolist(), rp[keep].tolist(),
                          strict=True))
    assert list(zip(cand.tolist(), rank.tolist(), post.tolist(), strict=True)) == expected
