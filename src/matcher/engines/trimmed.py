"""A round that keeps hard quotas by taking placements away: no solve at all.

The hybrid's rounds come from network solves of a relaxation that drops some hard quotas
(or, at national scale, from a search over the total that ran out of time). When a quota
such a round breaks is an upper bound, or a minimum share, unplacing some pairs keeps it
(:func:`removal` says which and how many). This is the round of last resort: it fills
fewer seats than narrowing the relaxation and solving again (:mod:`.narrowed`), but it takes
milliseconds where a national solve takes tens of seconds, so a hybrid solve short of time
still has an answer. The network engine uses its total as the first total it tries for
shares of the total (:mod:`.total_search`): a total known to be feasible, near the optimum.

Taking a placement away can break other rules: a partner left on their own (so the partner
goes too), a minimum, a share whose base shrinks. A broken minimum count ends the attempt;
shares are checked again on the next pass. Under score-first priority a freed seat can be
envied, so rounds there are never trimmed."""

from __future__ import annotations

import math

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota, Pairs
from matcher.objective import holds

PASSES_PER_QUOTA = 4  # passes over the broken quotas before giving up (shares interact)


def trimmed_round(compiled: Compiled, assignment: IntArray) -> IntArray | None:
    """``assignment`` less the placements that break hard quotas, so that it keeps every
    one; the same round when it breaks none; None when unplacing cannot do it (a minimum
    count broken, a lock in the way, a rule under priority)."""
    if compiled.problem.rules.respect_priority:
        return None
    hard = [q for q in compiled.quotas if q.hard]
    trimmed = assignment.copy()
    for _ in range(PASSES_PER_QUOTA * max(len(hard), 1)):
        pairs = compiled.pairs(trimmed)
        broken = [q for q in hard if not holds(q, pairs)]
        if not broken:
            return trimmed
        taken = removal(broken[0], pairs)
        if taken is None or not taken[1]:
            return None
        removable, excess = taken
        rows = least_valued(compiled, pairs, removable)[:excess]
        if len(rows) < excess:  # the locks alone are too many
            return None
        leaving = pairs.cand[rows]
        partners = compiled.partner[leaving]
        partners = partners[(partners >= 0) & (trimmed[np.maximum(partners, 0)] >= 0)]
        if (compiled.lock_post[partners] >= 0).any():
            return None
        trimmed[leaving] = -1
        trimmed[partners] = -1
    return None


def removal(quota: CompiledQuota, pairs: Pairs) -> tuple[BoolArray, int] | None:
    """Which of ``pairs`` to take away, and how many, for ``quota`` to hold; None when that
    cannot do it (a count below its minimum, or bounds broken both ways).

    * Above an upper bound, pairs it counts go: each takes one off its count and at most
      one off its base (counted pairs are based), so ``N − r ≤ s·(D − r)`` needs
      ``r ≥ (N − s·D) / (1 − s)``.
    * Below a minimum share, pairs it bases but does not count go: ``N ≥ s·(D − r)`` needs
      ``r ≥ D − N / s``.
    """
    count, base = quota.count_and_base(pairs)
    if quota.min is not None and count < quota.min:
        return None
    excess = 0
    if quota.max is not None:
        excess = max(excess, count - quota.max)
    share = quota.max_share
    if share is not None and count > share * base:  # s = 1 never breaks
        excess = max(excess, math.ceil((count - share * base) / (1 - share)))
    share = quota.min_share
    if share is not None and count < share * base:  # s = 0 never breaks
        if excess:
            return None
        return quota.based(pairs) & ~quota.counted(pairs), math.ceil(base - count / share)
    return quota.counted(pairs), excess


def least_valued(compiled: Compiled, pairs: Pairs, chosen: BoolArray) -> IntArray:
    """Indices into ``pairs`` of the ``chosen`` unlocked ones, those counting least first:
    the lowest post weight, then the highest cost."""
    rows = np.flatnonzero(chosen & ~pairs.locked)
    order = np.lexsort((-pairs.cost[rows], compiled.weight[pairs.post[rows]]))
    ranked: IntArray = rows[order]
    return ranked
