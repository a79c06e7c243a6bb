"""Exact search over the number of assignments, for shares of a variable total.

A bound like "at least 45% of all placements in minority regions" (``N ≥ s·T``) is not a
network constraint, but with the total fixed (``T = k``) it is one: ``N ≥ ⌈s·k⌉``. The
optimum is the best over k of ``F(k)``, the network optimum with ``T = k``.

``F`` is not convex in general (the rounding), but on the lattice of k where every ``s·k`` is
an integer it equals the LP value function of the network, which is convex in k. So:

1. find a feasible lattice point, then the lattice minimum by ternary search (convex);
2. between lattice points, ``F(k) ≥ LP(k)``, and by convexity ``LP(k)`` lies above the
   secants of neighbouring lattice points extended; only the k whose bound beats the best
   value so far need an evaluation. Only the two gaps next to the lattice minimum can
   (beyond them the secants rise above it).

The result is proven optimal; a deadline stops the search with the best value found.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction


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

    def value(self, k: int) -> float:
        if k not in self.values:
            # An evaluation is a whole network solve (20 s at national scale): one is not
            # started unless one as long as the longest so far still ends in time.
            if (self.deadline is not None
                    and time.monotonic() + self.longest > self.deadline):
                self.timed_out = True
                return math.inf
            started = time.monotonic()
            self.values[k] = self.evaluate(k)
            self.longest = max(self.longest, time.monotonic() - started)
        result = self.values[k]
        return math.inf if result is None else float(result)

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
        on_lattice = self._lattice_minimum(j_low, j_high, round(start / self.lattice))
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
        feasible = self._find_feasible(j_low, j_high, min(max(j_start, j_low), j_high))
        if feasible is None:
            return None
        lo, hi = j_low, j_high
        while hi - lo > 2 and not self.timed_out:
            m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
            f1, f2 = self._f(m1), self._f(m2)
            if f1 == math.inf and f2 == math.inf:
                if feasible < m1:
                    hi = m1 - 1
                elif feasible > m2:
                    lo = m2 + 1
                else:
                    lo, hi = m1 + 1, m2 - 1
            elif f1 < f2:
                hi = m2 - 1
            elif f1 > f2:
                lo = m1 + 1
            else:
                lo, hi = m1, m2
                if m2 - m1 <= 2:
                    break
        candidates = [j for j in range(lo, hi + 1)] + [feasible]
        return min(candidates, key=lambda j: (self._f(j), j))

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
