"""The search over the number of assignments (engines/total_search.py)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from matcher.engines.total_search import TotalSearch


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
