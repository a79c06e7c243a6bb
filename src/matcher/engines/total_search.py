"""Exact search over the number of assignments, for shares of a variable total.

A bound like "at least 45% of all placements in minority regions" (``N ≥ s·T``) is not a
network constraint, but with the total fixed (``T = k``) it is one: ``N ≥ ⌈s·k⌉``. The
optimum is the best over k of ``F(k)``, the network optimum with ``T = k``.

``F`` is not convex in general (the rounding), but on the lattice of k where every ``s·k`` is
an integer it equals the LP value function of the network, which is convex in k. So:

1. find a feasible lattice point, starting from the caller's guess (a total known to be
   feasible and near the optimum, see :mod:`.trimmed`), then the lattice minimum: steps
   doubling away from it while the value falls bracket it, then one probe at a time,
   halfway into the wider side of the best point so far, closes the bracket;
2. between lattice points, ``F(k) ≥ LP(k)``, and by convexity ``LP(k)`` lies above the
   secants of neighbouring lattice points extended; only the two gaps next to the lattice
   minimum can beat it (beyond them the secants rise above it). With ``relax`` (one
   network solve bounding a whole interval of totals, each share at its loosest there)
   the gaps are searched by branch and bound over intervals; otherwise each k whose
   secant bound beats the best value so far is evaluated.

At national scale an evaluation is a network solve of about ten seconds, so their number
is what counts: ternary search over the whole range and a solve per total in the gaps took
26–57 solves on 5k rounds with shares; this takes 5–15, interval solves included.

The result is proven optimal; a deadline stops the search with the best value found.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal


class Stopped:
    """In place of a result: the deadline stopped that solve."""


STOPPED = Stopped()


@dataclass(frozen=True)
class Interval:
    """What one solve says of every total in an interval (:attr:`TotalSearch.relax`)."""

    bound: int  # no total in the interval has a lower value
    total: int  # the total of the solution found
    feasible: bool  # that solution keeps every bound at its own total: value = bound
    # Where the interval may be cut in two so that neither half admits that solution again
    # (a cut c makes [lo, c] and [c + 1, hi]); None: cut around its total instead.
    cuts: tuple[int, int] | None = None


@dataclass
class TotalSearch:
    """Minimise ``evaluate(k)`` (None = infeasible) over integer k in ``[low, high]``."""

    evaluate: Callable[[int], int | None]
    lattice: int
    low: int
    high: int
    deadline: float | None = None
    values: dict[int, int | None] = field(default_factory=dict)
    timed_out: bool = False
    longest: float = 0.0  # seconds of the longest evaluation so far
    intervals: int = 0  # interval solves made (``relax``)
    # ``relax(lo, hi)``: a lower bound on every value in [lo, hi] from one solve, the total
    # its solution has, and whether that solution is feasible (then the bound is the value
    # there); None when no total in [lo, hi] is feasible.
    relax: Callable[[int, int], Interval | None] | None = None
    # Several evaluations, or interval solves, side by side (one per core, where a solve is
    # long): results in order, STOPPED for each the deadline stopped. Without them, or with
    # ``width`` 1, the search makes one at a time.
    evaluate_many: Callable[[list[int]], list[int | Stopped | None]] | None = None
    relax_many: Callable[[list[tuple[int, int]]], list[Interval | Stopped | None]] | None = None
    width: int = 1

    def value(self, k: int) -> float:
        if k not in self.values:
            if not self._in_time():
                return math.inf
            started = time.monotonic()
            self.values[k] = self.evaluate(k)
            self.longest = max(self.longest, time.monotonic() - started)
        result = self.values[k]
        return math.inf if result is None else float(result)

    def _prefetch(self, ks: list[int]) -> None:
        """Evaluate side by side those of ``ks`` (in range) not yet known, when the search
        makes several at once; otherwise nothing (each is evaluated when first needed)."""
        todo = [k for k in dict.fromkeys(ks) if self.low <= k <= self.high
                and k not in self.values]
        if len(todo) < 2 or self.width < 2 or self.evaluate_many is None or not self._in_time():
            return
        started = time.monotonic()
        for k, result in zip(todo, self.evaluate_many(todo), strict=True):
            if isinstance(result, Stopped):
                self.timed_out = True
            else:
                self.values[k] = result
        self.longest = max(self.longest, time.monotonic() - started)

    def _in_time(self) -> bool:
        """An evaluation is a whole network solve (20 s at national scale): one is not
        started unless one as long as the longest so far still ends in time."""
        if self.deadline is not None and time.monotonic() + self.longest > self.deadline:
            self.timed_out = True
        return not self.timed_out

    def _relaxed(self, lo: int, hi: int) -> Interval | Literal["late"] | None:
        if not self._in_time():
            return "late"
        assert self.relax is not None
        started = time.monotonic()
        self.intervals += 1
        found = self.relax(lo, hi)
        self.longest = max(self.longest, time.monotonic() - started)
        return self._kept(found)

    def _kept(self, found: Interval | Stopped | None) -> Interval | Literal["late"] | None:
        """An interval solve's result, its feasible value recorded; ``"late"`` when the
        deadline stopped it."""
        if isinstance(found, Stopped):
            self.timed_out = True
            return "late"
        if found is not None and found.feasible:
            self.values.setdefault(found.total, found.bound)
        return found

    def best(self) -> tuple[int, int] | None:
        """The best evaluated (k, value), lowest k among ties."""
        feasible = [(v, k) for k, v in self.values.items() if v is not None]
        if not feasible:
            return None
        value, k = min(feasible)
        return k, value

    def run(self, start: int) -> None:
        if self.high - self.low <= 3 * self.lattice:
            for k in range(self.low, self.high + 1):
                self.value(k)
            return
        j_low = -(-self.low // self.lattice)
        j_high = self.high // self.lattice
        j_start = min(max(start // self.lattice, j_low), j_high)
        if start % self.lattice and self.low <= start <= self.high:
            # a known good total (a trimmed round's) off the lattice, and the first lattice
            # point the search needs beside it
            self._prefetch([start, j_start * self.lattice])
            self.value(start)
        on_lattice = self._lattice_minimum(j_low, j_high, j_start)
        if on_lattice is None:
            # No feasible lattice point: any feasible k lies strictly between two lattice
            # points; the probing above visited every lattice point, so scan the gaps.
            for k in range(self.low, self.high + 1):
                if k % self.lattice:
                    self.value(k)
            return
        self._gaps_around(on_lattice, j_low, j_high)

    def _f(self, j: int) -> float:
        return self.value(j * self.lattice)

    def _lattice_minimum(self, j_low: int, j_high: int, j_start: int) -> int | None:
        """The lattice minimum, searched outward from a feasible point: steps that double
        while the value falls bracket it, then probes halfway into the wider side of the
        best point so far close the bracket.
        Each step is one evaluation, and a start near the minimum (the usual case: the
        relaxation's own total, or that total trimmed to keep the shares) needs few;
        ternary search over the whole range took 12 national solves and did not finish."""
        feasible = self._find_feasible(j_low, j_high, min(max(j_start, j_low), j_high))
        if feasible is None:
            return None
        bracket = self._bracket(feasible, j_low, j_high)
        if bracket is None:
            return feasible
        lo, mid, hi = bracket  # f(mid) ≤ f(lo), f(hi); a convex f has its minimum in [lo, hi]
        if self.width > 1:
            lo, hi = self._closed_in_pairs(lo, mid, hi)
        while hi - lo > 2 and not self.timed_out:
            probe = (mid + hi + 1) // 2 if hi - mid >= mid - lo else (lo + mid) // 2
            if probe == mid:
                break
            if self._f(probe) < self._f(mid):
                lo, mid, hi = (mid, probe, hi) if probe > mid else (lo, probe, mid)
            elif probe > mid:
                hi = probe
            else:
                lo = probe
        return min(range(lo, hi + 1), key=lambda j: (self._f(j), j))

    def _closed_in_pairs(self, lo: int, mid: int, hi: int) -> tuple[int, int]:
        """The bracket closed by probing both sides of its best point at once: the best of
        the points known is the new middle, its neighbours the new ends."""
        while hi - lo > 2 and not self.timed_out:
            probes = sorted({(lo + mid) // 2, (mid + hi + 1) // 2} - {lo, mid, hi})
            if not probes:
                break
            self._prefetch([j * self.lattice for j in probes])
            points = sorted({lo, mid, hi, *probes})
            best = min(points[1:-1], key=lambda j: (self._f(j), j))
            at = points.index(best)
            lo, mid, hi = points[at - 1], best, points[at + 1]
        return lo, hi

    def _bracket(self, j: int, j_low: int, j_high: int) -> tuple[int, int, int] | None:
        """(lo, mid, hi) around the minimum, from feasible ``j``; None when ``j`` is it (no
        neighbour is lower: a convex function's local minimum is its minimum)."""
        self._prefetch([(j + 1) * self.lattice, (j - 1) * self.lattice])  # both, at once
        up = j + 1 <= j_high and self._f(j + 1) < self._f(j)
        if not up and not (j - 1 >= j_low and self._f(j - 1) < self._f(j)):
            return None
        sign, limit = (1, j_high) if up else (-1, j_low)
        behind, best, step = j, j + sign, 2
        while not self.timed_out:
            ahead = best + sign * step
            if sign * (ahead - limit) >= 0:
                ahead = limit
            beyond = ahead + sign * 2 * step  # the step after, should this one fall too
            if sign * (beyond - limit) > 0:
                beyond = limit
            self._prefetch([ahead * self.lattice, beyond * self.lattice])
            if ahead == best or self._f(ahead) >= self._f(best):
                break
            behind, best, step = best, ahead, 2 * step
        else:
            ahead = best
        lo, hi = sorted((behind, ahead))
        return lo, best, max(hi, best)

    def _find_feasible(self, j_low: int, j_high: int, j_start: int) -> int | None:
        """A feasible lattice index: the start, then ever finer grids over the range."""
        if self._f(j_start) < math.inf:
            return j_start
        stride = max(1, (j_high - j_low) // 2)
        seen = {j_start}
        while not self.timed_out:
            for j in range(j_low, j_high + 1, stride):
                if j not in seen:
                    seen.add(j)
                    if self._f(j) < math.inf:
                        return j
            if stride == 1:
                return None
            stride = max(1, stride // 2)
        return None

    def _gaps_around(self, j_best: int, j_low: int, j_high: int) -> None:
        """Evaluate the non-lattice k next to the lattice minimum that convexity cannot rule
        out."""
        if self.relax is not None:
            self._gaps_by_intervals(j_best)
            return
        step = self.lattice
        for j in range(max(j_low, j_best - 2), min(j_high, j_best + 2) + 1):
            self._f(j)

        def secant(j1: int, j2: int, k: int) -> Fraction | None:
            """The chord through lattice points j1, j2 extended to k (None: no chord)."""
            f1, f2 = self.values.get(j1 * step), self.values.get(j2 * step)
            if f1 is None or f2 is None:
                return None
            return f1 + Fraction((f2 - f1) * (k - j1 * step), step)

        for gap in (j_best - 1, j_best):  # the gaps (gap·L, (gap+1)·L)
            for k in range(gap * step + 1, (gap + 1) * step):
                if not self.low <= k <= self.high or self.timed_out:
                    continue
                bounds = [b for b in (secant(gap - 1, gap, k), secant(gap + 1, gap + 2, k))
                          if b is not None]
                best = self.best()
                if best is None or not bounds or math.ceil(max(bounds)) < best[1]:
                    self.value(k)

    def _gaps_by_intervals(self, j_best: int) -> None:
        """The two gaps next to the lattice minimum by branch and bound over intervals of
        totals: one solve bounds a whole interval (each share at its loosest there); an
        interval is done when that solution keeps its shares at its own total, and split
        otherwise (:func:`_halves`). At national scale a gap of 99 totals is then a few
        solves, where one solve per total could not finish."""
        step = self.lattice
        nodes: list[tuple[float, int, int]] = []
        for gap in (j_best - 1, j_best):
            lo, hi = max(gap * step + 1, self.low), min((gap + 1) * step - 1, self.high)
            if lo <= hi:
                heapq.heappush(nodes, (-math.inf, lo, hi))
        while nodes:
            batch: list[tuple[int, int]] = []  # intervals to solve, side by side
            while nodes and len(batch) < self.width:
                bound, lo, hi = heapq.heappop(nodes)
                best = self.best()
                if best is not None and bound >= best[1]:
                    nodes.clear()  # and every node left, as the heap is in bound order
                    break
                while lo <= hi and lo in self.values:  # ends already known need no solve:
                    lo += 1  # [k, k + 1] with k known is one evaluation, not two solves
                while hi >= lo and hi in self.values:
                    hi -= 1
                if lo == hi:
                    self.value(lo)
                elif lo < hi:
                    batch.append((lo, hi))
            for (lo, hi), found in zip(batch, self._relaxed_all(batch), strict=True):
                if found == "late":
                    return
                best = self.best()
                if found is not None and not found.feasible and (
                        best is None or found.bound < best[1]):
                    for a, b in _halves(lo, hi, found):
                        heapq.heappush(nodes, (float(found.bound), a, b))
            if self.timed_out:
                return

    def _relaxed_all(self, spans: list[tuple[int, int]]
                     ) -> list[Interval | Literal["late"] | None]:
        """:meth:`_relaxed` of each span, side by side when the search makes several at
        once."""
        if len(spans) < 2 or self.relax_many is None:
            return [self._relaxed(lo, hi) for lo, hi in spans]
        if not self._in_time():
            return ["late"] * len(spans)
        started = time.monotonic()
        self.intervals += len(spans)
        results = [self._kept(found) for found in self.relax_many(spans)]
        self.longest = max(self.longest, time.monotonic() - started)
        return results


def _halves(lo: int, hi: int, found: Interval) -> list[tuple[int, int]]:
    """[lo, hi] split so that no part admits ``found``'s solution again: in two near the
    middle when its cuts allow (a solution short of a minimum share at the top of the
    interval would otherwise come back one total lower each time), else around its total."""
    middle = (lo + hi) // 2
    if found.cuts is not None:
        low_cut, high_cut = max(found.cuts[0], lo), min(found.cuts[1], hi - 1)
        if low_cut <= high_cut:
            cut = min(max(middle, low_cut), high_cut)
            return [(lo, cut), (cut + 1, hi)]
    parts = [(lo, found.total - 1), (found.total, found.total), (found.total + 1, hi)]
    return [(a, b) for a, b in parts if a <= b]
