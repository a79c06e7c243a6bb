"""The search over the number of assignments (engines/total_search.py)."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from matcher import SolveOptions, parse_problem
from matcher.compile import compile_problem
from matcher.engines import flow
from matcher.engines.total_search import STOPPED, Interval, Stopped, TotalSearch
from matcher.objective import holds
from matcher.problem import Problem
from tests.agreement import assert_matches_cpsat
from tests.strategies import wide_share_problems


@given(st.integers(1, 5), st.integers(0, 60), st.integers(0, 60), st.integers(1, 4))
def test_finds_the_minimum_of_a_convex_function(lattice: int, low_end: int, minimum: int,
                                                slope: int) -> None:
    """On a convex function every point is on the lattice's convex envelope: the search
    must find its minimum, feasible or not at the ends."""
    high = 60

    def evaluate(k: int) -> int | None:
        return None if k < low_end else slope * (k - minimum) ** 2

    search = TotalSearch(evaluate, lattice, 0, high)
    search.run(start=high // 2)
    feasible = [(evaluate(k), k) for k in range(high + 1) if evaluate(k) is not None]
    best = search.best()
    if not feasible:
        assert best is None
    else:
        assert best is not None and best[1] == min(feasible)[0]


def test_starts_no_evaluation_that_cannot_end_before_the_deadline() -> None:
    """With an hour left and evaluations known to take longer, nothing is evaluated and the
    search says it ran out of time; with no such estimate it evaluates."""
    calls: list[int] = []

    def evaluate(k: int) -> int:
        calls.append(k)
        return k

    slow = TotalSearch(evaluate, 10, 0, 1000, deadline=time.monotonic() + 3600,
                       longest=7200.0)
    slow.run(start=500)
    assert calls == [] and slow.timed_out and slow.best() is None
    quick = TotalSearch(evaluate, 10, 0, 1000, deadline=time.monotonic() + 3600)
    quick.run(start=500)
    assert calls and not quick.timed_out and quick.best() == (0, 0)


@settings(max_examples=300)
@given(st.integers(2, 12), st.integers(0, 120), st.integers(0, 40), st.integers(1, 4),
       st.lists(st.integers(0, 30), min_size=121, max_size=121), st.integers(0, 120),
       st.randoms(use_true_random=False), st.sampled_from((1, 2, 3)))
def test_intervals_find_the_minimum_off_the_lattice(
        lattice: int, minimum: int, low_end: int, slope: int, noise: list[int],
        start: int, rng: random.Random, width: int) -> None:
    """Off the lattice a value may lie anywhere above the convex function through the
    lattice values (rounding does that), and totals may be infeasible there. Interval
    bounds (here: anything from the true minimum of the interval down to the convex
    function's) must still lead the search to the exact minimum, from any start."""
    high = 120

    def lower(k: int) -> int:
        return slope * (k - minimum) ** 2

    def evaluate(k: int) -> int | None:
        if k < low_end or (k % lattice and noise[k] > 25):
            return None
        return lower(k) + (noise[k] if k % lattice else 0)

    def relax(lo: int, hi: int) -> Interval | None:
        feasible = [(value, k) for k in range(lo, hi + 1)
                    if (value := evaluate(k)) is not None]
        if not feasible:
            return None
        value, k = min(feasible)
        if rng.random() < 0.5:
            return Interval(value, k, True)
        loosest = min(lower(j) for j in range(lo, hi + 1))
        cut_from = rng.randint(lo - 2, hi + 2)
        cuts = (cut_from, rng.randint(cut_from - 2, hi + 2)) if rng.random() < 0.5 else None
        return Interval(rng.randint(loosest - 3, value), rng.randint(lo, hi), False, cuts)

    search = TotalSearch(evaluate, lattice, 0, high, relax=relax, width=width,
                         evaluate_many=lambda ks: [evaluate(k) for k in ks],
                         relax_many=lambda spans: [relax(lo, hi) for lo, hi in spans])
    search.run(start=start)
    feasible = [(v, k) for k in range(high + 1) if (v := evaluate(k)) is not None]
    best = search.best()
    if not feasible:
        assert best is None
    else:
        assert best is not None and best[1] == min(feasible)[0]
        assert evaluate(best[0]) == best[1]  # the value reported is that total's


def test_a_start_near_the_minimum_needs_few_evaluations() -> None:
    """From a start one lattice point off the minimum of a long convex range, the search
    brackets it in a handful of evaluations (ternary search over the range took about
    twice the range's logarithm, each a national solve)."""
    calls: list[int] = []

    def evaluate(k: int) -> int:
        calls.append(k)
        return (k - 9_000) ** 2

    search = TotalSearch(evaluate, 100, 0, 25_000,
                         relax=lambda lo, hi: Interval(0, (lo + hi) // 2, False))
    search.run(start=9_100)
    assert search.best() == (9_000, 0)
    assert len([k for k in calls if k % 100 == 0]) <= 5


def test_side_by_side_the_search_takes_fewer_rounds_of_solves() -> None:
    """Two solves at a time (bracket steps, both probes, two intervals) make fewer rounds
    of solves than one at a time: rounds are what the wall clock sees at national scale."""
    def rounds(width: int) -> int:
        count = [0]

        def evaluate(k: int) -> int:
            count[0] += 1
            return (k - 9_037) ** 2 + (k % 100) * 3

        def evaluate_many(ks: list[int]) -> list[int | Stopped | None]:
            count[0] += 1 - len(ks)  # one round for the batch, not one per total
            return [evaluate(k) for k in ks]

        def relax(lo: int, hi: int) -> Interval:
            count[0] += 1
            k = min(range(lo, hi + 1), key=lambda j: (j - 9_037) ** 2 + (j % 100) * 3)
            return Interval((k - 9_037) ** 2, k, False)

        def relax_many(spans: list[tuple[int, int]]) -> list[Interval | Stopped | None]:
            count[0] += 1 - len(spans)
            return [relax(lo, hi) for lo, hi in spans]

        search = TotalSearch(evaluate, 100, 0, 25_000, relax=relax, width=width,
                             evaluate_many=evaluate_many, relax_many=relax_many)
        search.run(start=5_000)
        value, k = min(((j - 9_037) ** 2 + (j % 100) * 3, j) for j in range(25_001))
        assert search.best() == (k, value)
        return count[0]

    assert rounds(2) < rounds(1)


def test_a_stopped_side_by_side_solve_ends_the_search() -> None:
    def evaluate(k: int) -> int:
        return (k - 500) ** 2

    def evaluate_many(ks: list[int]) -> list[int | Stopped | None]:
        return [evaluate(ks[0]), *[STOPPED] * (len(ks) - 1)]

    search = TotalSearch(evaluate, 10, 0, 1000, width=2, evaluate_many=evaluate_many)
    search.run(start=205)
    assert search.timed_out and search.best() is not None


@settings(max_examples=150)
@given(wide_share_problems())
def test_flow_searching_the_total_matches_cpsat(problem: Problem) -> None:
    """The bracketing and the interval bounds, on real networks: the same optimum as
    CP-SAT's model of the whole problem, in every tier."""
    assert_matches_cpsat(problem, SolveOptions(engine="flow"))


@settings(max_examples=80)
@given(wide_share_problems(), st.data())
def test_an_interval_solve_bounds_every_total_in_it(problem: Problem,
                                                    data: st.DataObject) -> None:
    """The network's interval solve: its cost is at most the optimum at every total in the
    interval, and when it calls its flows feasible they are an optimum at their own total,
    keeping every share there. (Loosened, the shares may admit flows where no single total
    is feasible: the bound then says nothing, rightly.)"""
    compiled = compile_problem(problem)
    network = flow.build_network(compiled, np.zeros(compiled.n, dtype=np.bool_))
    assume(network.arcs.shares)
    circulation = flow._Circulation.of(network)
    most = min(compiled.n, int(compiled.capacity.sum()))
    low = data.draw(st.integers(0, most))
    high = data.draw(st.integers(low, min(low + 8, most)))
    outcome = circulation.interval(low, high)
    exact = {k: circulation.solve(k) for k in range(low, high + 1)}
    values = [found[0] for found in exact.values() if found is not None]
    if outcome is None:
        assert not values
        return
    found, flows = outcome  # a bound even where no total is feasible (shares loosened)
    assert low <= found.total <= high
    assert not values or found.bound <= min(values)
    if found.feasible:
        at_total = exact[found.total]
        assert at_total is not None and at_total[0] == found.bound
        assignment = flow._assignment(compiled, network, flows)
        assert int((assignment >= 0).sum()) == found.total
        pairs = compiled.pairs(assignment)
        assert all(holds(slot.quota, pairs) for slot in network.arcs.shares)


def _one_post(women: int, men: int, share: dict[str, Any]) -> Problem:
    """One post of eight seats that everyone wishes for, and a hard share of the total on
    the women."""
    return parse_problem({
        "schema_version": "1", "name": "share",
        "candidates": [{"id": f"C{i}", "home_province": "SD", "major_category": "law",
                        "gender": "F" if i < women else "M", "wishes": [{"post": "P"}]}
                       for i in range(women + men)],
        "posts": [{"id": "P", "province": "XJ", "prefecture": "Kashgar", "capacity": 8,
                   "programme": "basic_education"}],
        "rules": {"quotas": [{"id": "women", "candidates": {"gender": "F"}, "posts": {},
                              "share_base": "posts", "hard": True, **share}]}})


def _two_posts(minority_seats: int, other_seats: int, share: dict[str, Any]) -> Problem:
    """A minority-region post and another, everyone wishing for both, as many candidates
    as seats, and a hard share of the total on the minority region (a post-side quota)."""
    seats = minority_seats + other_seats
    return parse_problem({
        "schema_version": "1", "name": "share",
        "candidates": [{"id": f"C{i}", "home_province": "SD", "major_category": "law",
                        "wishes": [{"post": "P"}, {"post": "Q"}]} for i in range(seats)],
        "posts": [{"id": "P", "province": "XJ", "prefecture": "Kashgar",
                   "capacity": minority_seats, "programme": "basic_education",
                   "minority_region": True},
                  {"id": "Q", "province": "SC", "prefecture": "Chengdu",
                   "capacity": other_seats, "programme": "basic_education"}],
        "rules": {"quotas": [{"id": "minority", "candidates": {}, "posts":
                              {"minority_region": True}, "share_base": "candidates",
                              "hard": True, **share}]}})


def test_an_interval_passes_its_extra_total_through_a_minimum_shares_gate() -> None:
    """Three of eight may count toward a share of at least half: totals 6 to 8 hold 6 at
    most. The loosest minimum (3 at 6) alone lets all 8 be placed; through the gate,
    ``N ≥ ⌈½·8⌉ − (T − 6)`` and ``N ≥ 3`` leave 7, the total a share rising by at most one
    per placement allows, on either side of the network."""
    for problem in (_one_post(3, 5, {"min_share": 0.5}), _two_posts(3, 5, {"min_share": 0.5})):
        found = _interval(problem, 6, 8)
        assert found is not None and (found.total, found.feasible) == (7, False)
        found = _interval(problem, 5, 6)
        assert found is not None and (found.total, found.feasible) == (6, True)
        assert _interval(problem, 7, 8) is None


@settings(max_examples=40, suppress_health_check=[HealthCheck.filter_too_much])
@given(wide_share_problems(), st.data())
def test_a_gated_interval_solve_bounds_every_total_in_it(problem: Problem,
                                                         data: st.DataObject) -> None:
    """As above, for the intervals whose extra total passes through a gate (short ones
    near the top, where the gate's constant is not negative)."""
    compiled = compile_problem(problem)
    network = flow.build_network(compiled, np.zeros(compiled.n, dtype=np.bool_))
    circulation = flow._Circulation.of(network)
    most = min(compiled.n, int(compiled.capacity.sum()))
    assume(most >= 2)
    high = data.draw(st.integers(most // 2 + 1, most))
    low = high - data.draw(st.integers(1, min(3, high)))
    caps, supply = circulation.caps.copy(), circulation.supply.copy()
    tails, _ = circulation._gated(low, high, caps, supply)
    assume(tails is not circulation.tails)
    outcome = circulation.interval(low, high)
    values = [found[0] for k in range(low, high + 1)
              if (found := circulation.solve(k)) is not None]
    if outcome is None:
        assert not values
        return
    found, _ = outcome
    assert not values or found.bound <= min(values)
    if found.feasible:
        assert found.bound == circulation.solve(found.total)[0]  # type: ignore[index]


def _interval(problem: Problem, low: int, high: int) -> Interval | None:
    compiled = compile_problem(problem)
    network = flow.build_network(compiled, np.zeros(compiled.n, dtype=np.bool_))
    outcome = flow._Circulation.of(network).interval(low, high)
    return None if outcome is None else outcome[0]


def test_an_interval_solution_is_feasible_only_at_a_total_that_keeps_its_shares() -> None:
    """Six women, two men, women at most half of all placed: between 3 and 8 placed, the
    loosest cap (4 women at 8) lets 6 be placed, which no total keeps (6 needs at most 3
    women, and there are 2 men); at most 4 is possible. Women at least 3/4 with one
    woman and seven men: from 1 to 8 the loosest minimum (1 at 1) lets 8 be placed, which
    needs 6 women."""
    found = _interval(_one_post(6, 2, {"max_share": 0.5}), 3, 8)
    assert found is not None and (found.total, found.feasible) == (6, False)
    assert found.cuts == (6, 7)  # 4 women: [3, 7] holds at most 3; [8, 8] is above 6
    found = _interval(_one_post(6, 2, {"max_share": 0.5}), 3, 4)
    assert found is not None and (found.total, found.feasible) == (4, True)
    found = _interval(_one_post(1, 7, {"min_share": 0.75}), 1, 8)
    assert found is not None and not found.feasible
    assert found.cuts == (1, 7)  # 1 woman: [c + 1, 8] needs 2 or more; [1, c] is below 8
    found = _interval(_one_post(1, 7, {"min_share": 0.75}), 1, 1)
    assert found is not None and (found.total, found.feasible) == (1, True)
