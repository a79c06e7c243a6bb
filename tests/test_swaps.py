"""Swaps toward a soft quota (engines/swaps.py): nothing but the quota changes, and under
score-first priority no envy appears."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.columns import IntArray
from matcher.compile import Compiled, CompiledQuota, compile_problem
from matcher.engines import swaps
from matcher.engines.keeps import keeps_every_rule
from matcher.engines.quota_form import linear_form
from matcher.engines.serial import serial_dictatorship
from matcher.engines.swaps import swapped_toward
from matcher.problem import Problem
from matcher.validation import parse_problem
from tests.strategies import problems


def _some_round(compiled: Compiled, draws: list[int]) -> IntArray:
    """A round from arbitrary draws: locks kept, every other candidate at the drawn post
    when they may hold it (ranked, or adjusted if they accept that) and it has room."""
    assignment = np.where(compiled.lock_post >= 0, compiled.lock_post, -1)
    filled = np.bincount(assignment[assignment >= 0], minlength=compiled.m)
    for c, p in enumerate(draws):
        if assignment[c] >= 0 or p < 0 or filled[p] >= compiled.capacity[p]:
            continue
        one, at = np.array([c]), np.array([p])
        if compiled.may_hold(one, at)[0] and (compiled.rank_of(one, at)[0] > 0
                                              or compiled.adjusts[c]):
            assignment[c] = p
            filled[p] += 1
    return assignment


@st.composite
def swap_problems(draw: st.DrawFn, *, priority: bool = False) -> Problem:
    """Small rounds where swaps are likely: majors on both sides of a soft quota on health
    posts, a second quota (hard or soft) on home provinces, sometimes a couple or a lock;
    with ``priority``, score-first priority and three score levels."""
    posts = [{"id": f"P{k}", "province": "XJ", "prefecture": "Kashgar",
              "programme": draw(st.sampled_from(("health", "basic_education"))),
              "capacity": draw(st.integers(1, 2))} for k in range(draw(st.integers(1, 3)))]
    candidates: list[dict[str, Any]] = [{
        "id": f"C{i}", "home_province": draw(st.sampled_from(("SD", "BJ"))),
        "major_category": draw(st.sampled_from(("medicine", "law"))),
        "score": draw(st.sampled_from((70, 80, 90))) if priority else 80,
        "accept_adjustment": draw(st.booleans()),
        "wishes": [{"post": f"P{k}"} for k in draw(st.lists(
            st.integers(0, len(posts) - 1), max_size=2, unique=True))],
    } for i in range(draw(st.integers(2, 8)))]
    if draw(st.booleans()):
        candidates[0]["partner"], candidates[1]["partner"] = "C1", "C0"
    bound = draw(st.sampled_from(("min", "max", "min_share", "max_share")))
    problem: dict[str, Any] = {
        "schema_version": "1", "name": "swaps", "candidates": candidates, "posts": posts,
        "rules": {"respect_priority": priority, "quotas": [
            {"id": "medicine", "candidates": {"major_category": "medicine"},
             "posts": {"programme": "health"}, "hard": False, "penalty": 1,
             "share_base": draw(st.sampled_from(("candidates", "posts"))),
             bound: {"min": draw(st.integers(1, 3)), "max": draw(st.integers(0, 1)),
                     "min_share": draw(st.sampled_from((0.5, 0.75, 1.0))),
                     "max_share": draw(st.sampled_from((0.0, 0.25)))}[bound]},
            {"id": "home-sd", "candidates": {"home_province": "SD"}, "posts": {},
             "max": draw(st.integers(0, 3)), "hard": draw(st.booleans())}]},
    }
    if draw(st.booleans()):
        problem["locks"] = [{"candidate": f"C{len(candidates) - 1}", "post": "P0"}]
    return parse_problem(problem)


@settings(max_examples=200)  # about one in ten rounds has a swap to make
@given(st.one_of(swap_problems(), problems(max_candidates=7, max_posts=4)), st.data())
def test_swaps_toward_a_soft_quota_change_nothing_else(problem: Problem,
                                                        data: st.DataObject) -> None:
    """Each swap puts an unplaced candidate in a holder's seat, each chain a placed one
    whose seat an unplaced one takes: the quota's ``g`` falls, every other quota's count
    and base and every post's fill stay, and only single, unlocked candidates move, each
    to a post they may hold (ranked, or adjusted when they accept that)."""
    compiled = compile_problem(problem)
    draws = data.draw(st.lists(st.integers(-1, compiled.m - 1), min_size=compiled.n,
                               max_size=compiled.n))
    before = _some_round(compiled, draws)
    for quota in compiled.quotas:
        after = swapped_toward(compiled, quota, before)
        if after is not None:
            assert swapped_toward(compiled, quota, before, time.monotonic() - 1) is None
            _assert_only_the_quota_changed(compiled, quota, before, after)


@settings(max_examples=300)  # about one in eight rounds has a swap to make
@given(swap_problems(priority=True), st.data())
def test_swaps_under_priority_leave_no_envy(problem: Problem, data: st.DataObject) -> None:
    """From an envy-free round (score order, some 服从调剂 candidates given a seat at their
    turn), swaps keep every rule: a holder leaves only when every post they rank is then
    closed to them, and a newcomer never lowers a post's least holder score."""
    compiled = compile_problem(problem)
    adjusting = np.flatnonzero(compiled.adjusts).tolist()
    reserved = data.draw(st.dictionaries(st.sampled_from(adjusting),
                                         st.integers(0, compiled.m - 1))
                         if adjusting else st.just({}))
    before = serial_dictatorship(compiled, reserved)
    if not keeps_every_rule(compiled, before):
        return
    for quota in compiled.quotas:
        after = swapped_toward(compiled, quota, before)
        if after is not None:
            _assert_only_the_quota_changed(compiled, quota, before, after)
            assert keeps_every_rule(compiled, after)


def _assert_only_the_quota_changed(compiled: Compiled, quota: CompiledQuota,
                                   before: IntArray, after: IntArray) -> None:
    form = linear_form(quota)
    assert form is not None
    assert form.value(quota, compiled, after) < form.value(quota, compiled, before)
    fill = [np.bincount(r[r >= 0], minlength=compiled.m).tolist() for r in (before, after)]
    assert fill[0] == fill[1]
    for other in compiled.quotas:
        if other is not quota:
            assert (other.count_and_base(compiled.pairs(after))
                    == other.count_and_base(compiled.pairs(before)))
    moved = np.flatnonzero(after != before)
    assert (compiled.partner[moved] < 0).all() and (compiled.lock_post[moved] < 0).all()
    placed = moved[after[moved] >= 0]  # newcomers, and movers in a chain
    rank = compiled.rank_of(placed, after[placed])
    assert compiled.may_hold(placed, after[placed]).all()
    assert ((rank > 0) | compiled.adjusts[placed]).all()


def _health_post(newcomer: int, *others: dict[str, Any], capacity: int = 1,
                 locked: str | None = None) -> Problem:
    """L (law, 80) holds the health post H by its first wish; N (medicine, scoring
    ``newcomer``) is unplaced and takes any post; ``others`` join them, ``locked`` to H.
    Every medical graduate is wanted on H; B is a second post."""
    law = {"home_province": "SD", "major_category": "law"}
    return parse_problem({
        "schema_version": "1", "name": "priority-swap",
        "candidates": [
            {"id": "L", **law, "score": 80, "wishes": [{"post": "H"}]},
            {"id": "N", **law, "major_category": "medicine", "score": newcomer,
             "accept_adjustment": True},
            *({**law, **other} for other in others)],
        "posts": [{"id": "H", "province": "XJ", "prefecture": "Kashgar",
                   "programme": "health", "capacity": capacity},
                  {"id": "B", "province": "XJ", "prefecture": "Kashgar",
                   "programme": "basic_education"}],
        "rules": {"respect_priority": True, "quotas": [{
            "id": "medicine", "candidates": {"major_category": "medicine"},
            "posts": {"programme": "health"}, "min_share": 1.0, "share_base": "posts",
            "hard": False}]},
        "locks": [] if locked is None else [{"candidate": locked, "post": "H"}],
    })


def _swapped(problem: Problem, before: list[int]) -> list[int] | None:
    compiled = compile_problem(problem)
    assert keeps_every_rule(compiled, np.array(before))
    after = swapped_toward(compiled, compiled.quotas[0], np.array(before))
    return None if after is None else after.tolist()


def test_under_priority_a_holder_leaves_only_for_a_newcomer_scoring_as_high() -> None:
    """L ranks H: out of it, L envies H unless its holder scores at least as high. So N
    scoring 90 (or 80, a tie) takes L's seat, and N scoring 70 does not."""
    assert _swapped(_health_post(90), [0, -1]) == [-1, 0]
    assert _swapped(_health_post(80), [0, -1]) == [-1, 0]
    assert _swapped(_health_post(70), [0, -1]) is None
    # a locked holder scoring less counts toward H being full, not toward envy
    locked_low = _health_post(90, {"id": "Z", "score": 60}, capacity=2, locked="Z")
    assert _swapped(locked_low, [0, -1, 0]) == [-1, 0, 0]


def test_under_priority_a_holder_leaves_only_when_nothing_they_rank_is_open() -> None:
    """L also ranks B, which has a free seat (or a holder scoring less): out of H, L would
    envy B. Once B is full of a holder scoring more, L may leave."""
    def ranking_b(holder: int, *, k_wants_b: bool = True) -> Problem:
        problem = _health_post(90, {"id": "K", "score": holder,
                                    "wishes": [{"post": "B"}]})
        problem.candidates[0].wishes.append(problem.candidates[2].wishes[0])
        if not k_wants_b:
            problem.candidates[2].wishes.clear()
        return problem
    assert _swapped(ranking_b(85, k_wants_b=False), [0, -1, -1]) is None  # B free
    assert _swapped(ranking_b(75), [0, -1, 1]) is None  # B held by a lower score
    assert _swapped(ranking_b(85), [0, -1, 1]) == [-1, 0, 1]


def test_under_priority_a_newcomer_keeps_the_least_holder_score() -> None:
    """J (75) ranks H and stays unplaced, as H is full of L (80, holding it by adjustment
    here). N replacing L must score at least 80: below, J would envy N."""
    def held_by_adjustment(newcomer: int) -> Problem:
        problem = _health_post(newcomer, {"id": "J", "score": 75, "wishes": [{"post": "H"}]})
        problem.candidates[0].wishes.clear()
        problem.candidates[0].accept_adjustment = True
        return problem
    assert _swapped(held_by_adjustment(78), [0, -1, -1]) is None
    assert _swapped(held_by_adjustment(80), [0, -1, -1]) == [-1, 0, -1]


def test_under_priority_a_holder_leaves_only_a_post_no_lower_score_holds() -> None:
    """H has two seats; K (medicine, 70) holds the other. Out of H, L (80) would envy K."""
    shared = _health_post(90, {"id": "K", "major_category": "medicine", "score": 70,
                               "wishes": [{"post": "H"}]}, capacity=2)
    assert _swapped(shared, [0, -1, 0]) is None


def test_a_chain_mends_the_quota_where_no_swap_can() -> None:
    """X (law) holds the health post; U (medicine) may not take it, but M (medicine) may,
    and U may take M's post: X out, M to the health post, U to M's."""
    problem = parse_problem({
        "schema_version": "1", "name": "chain",
        "candidates": [
            {"id": "X", "home_province": "SD", "major_category": "law",
             "wishes": [{"post": "H"}]},
            {"id": "M", "home_province": "SD", "major_category": "medicine",
             "wishes": [{"post": "H"}, {"post": "B"}]},
            {"id": "U", "home_province": "SD", "major_category": "medicine",
             "wishes": [{"post": "B"}]}],
        "posts": [{"id": post, "province": "XJ", "prefecture": "Kashgar",
                   "programme": programme}
                  for post, programme in (("H", "health"), ("B", "basic_education"))],
        "rules": {"quotas": [{"id": "medicine", "candidates": {"major_category": "medicine"},
                              "posts": {"programme": "health"}, "min_share": 1.0,
                              "share_base": "posts", "hard": False}]},
    })
    compiled = compile_problem(problem)
    before = np.array([0, 1, -1], dtype=np.int64)  # X at H, M at B, U unplaced
    after = swapped_toward(compiled, compiled.quotas[0], before)
    assert after is not None and after.tolist() == [-1, 0, 1]


@settings(max_examples=100)
@given(st.one_of(swap_problems(), swap_problems(priority=True)), st.data())
def test_reading_the_unplaced_in_chunks_changes_no_swap(problem: Problem,
                                                        data: st.DataObject) -> None:
    """The unplaced are read a chunk at a time until enough fit: with chunks of one, the
    swaps are those of one whole read."""
    compiled = compile_problem(problem)
    draws = data.draw(st.lists(st.integers(-1, compiled.m - 1), min_size=compiled.n,
                               max_size=compiled.n))
    before = _some_round(compiled, draws)
    if compiled.problem.rules.respect_priority:
        before = serial_dictatorship(compiled)
    for quota in compiled.quotas:
        whole = swapped_toward(compiled, quota, before)
        saved = swaps._SCAN
        swaps._SCAN = 1
        try:
            chunked = swapped_toward(compiled, quota, before)
        finally:
            swaps._SCAN = saved
        assert (whole is None) == (chunked is None)
        if whole is not None and chunked is not None:
            assert whole.tolist() == chunked.tolist()
