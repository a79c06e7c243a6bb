"""Score-first serial dictatorship (分数优先、遵循志愿): a starting point under priority.

In score order each candidate takes the best-ranked post it may hold that still has a seat;
partners choose together (the best pair of ranked posts in one couple-scope area); then the
seats left are filled by adjustment, best-scoring adjusters first, each at its cheapest post.
Nobody envies anyone: a post a candidate ranked above what they got was full when their turn
came, with holders who came earlier, and adjustment only fills posts whose every fan was
already served. Quotas and couples without a joint option are not looked after, so the result
is a hint for the exact model, never an answer by itself.
"""

from __future__ import annotations

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled


def ranked_options(compiled: Compiled) -> tuple[IntArray, IntArray, IntArray]:
    """Every ranked pair a candidate may hold (eligible, not forbidden, not locked), sorted
    by candidate, then rank, then post."""
    rc, rp, rr = compiled.ranked
    keep = compiled.compat.allowed(rc, rp)
    keep &= ~np.isin(compiled.pair_keys(rc, rp), compiled.forbidden_keys)
    keep &= compiled.lock_post[rc] < 0
    rc, rp, rr = rc[keep], rp[keep], rr[keep]
    order = np.lexsort((rp, rr, rc))
    return rc[order], rp[order], rr[order]


def serial_dictatorship(compiled: Compiled) -> IntArray:
    """The assignment described in the module docstring (post index per candidate, -1 = none)."""
    n = compiled.n
    assignment = np.full(n, -1, dtype=np.int64)
    locked = np.flatnonzero(compiled.lock_post >= 0)
    assignment[locked] = compiled.lock_post[locked]
    free = compiled.capacity - np.bincount(compiled.lock_post[locked], minlength=compiled.m)
    rc, rp, _ = ranked_options(compiled)
    starts = np.searchsorted(rc, np.arange(n + 1))
    partner = np.full(n, -1, dtype=np.int64)
    for a, b in compiled.couples:
        partner[a], partner[b] = b, a
    order = np.lexsort((np.arange(n), -compiled.score))
    done = compiled.lock_post >= 0
    for c in order.tolist():
        if done[c]:
            continue
        d = int(partner[c])
        if d < 0 or done[d]:
            options = rp[starts[c]:starts[c + 1]]
            open_ = options[free[options] > 0]
            if len(open_):
                assignment[c] = open_[0]
                free[open_[0]] -= 1
            done[c] = True
            continue
        pa, pb = _couple_choice(compiled, rp[starts[c]:starts[c + 1]],
                                rp[starts[d]:starts[d + 1]], free)
        if pa >= 0:
            assignment[c], assignment[d] = pa, pb
            free[pa] -= 1
            free[pb] -= 1
        done[c] = done[d] = True
    _fill_by_adjustment(compiled, assignment, free, order)
    return assignment


def _couple_choice(compiled: Compiled, options_a: IntArray, options_b: IntArray,
                   free: IntArray) -> tuple[int, int]:
    """The pair of ranked options (best summed position) in one couple-scope area."""
    best, choice = None, (-1, -1)
    for i, pa in enumerate(options_a.tolist()):
        if free[pa] <= 0:
            continue
        for k, pb in enumerate(options_b.tolist()):
            if free[pb] <= (1 if pb == pa else 0) or compiled.scope[pa] != compiled.scope[pb]:
                continue
            if best is None or i + k < best:
                best, choice = i + k, (pa, pb)
            break
    return choice


def _fill_by_adjustment(compiled: Compiled, assignment: IntArray, free: IntArray,
                        order: IntArray, batch: int = 64) -> None:
    """Seats left go to unplaced 服从调剂 candidates in score order, each at its cheapest
    allowed post (couples excepted: a partner alone would break the couple rule).

    Costs are computed for a batch of candidates at a time: usually only a few hundred seats
    are left, so most candidates are never looked at."""
    compat = compiled.compat
    in_couple: BoolArray = np.zeros(compiled.n, dtype=np.bool_)
    for a, b in compiled.couples:
        in_couple[a] = in_couple[b] = True
    waiting = (assignment < 0) & compiled.adjusts & compat.candidate_ok & ~in_couple
    queue = order[waiting[order]]
    m = compiled.m
    posts = np.arange(m)
    for start in range(0, len(queue), batch):
        if not (free > 0).any():
            return
        block = queue[start:start + batch]
        cc, pp = np.repeat(block, m), np.tile(posts, len(block))
        ok = compat.allowed(cc, pp)
        if compiled.forbidden_keys.size:
            ok &= ~np.isin(compiled.pair_keys(cc, pp), compiled.forbidden_keys)
        cost = np.full(len(cc), np.iinfo(np.int64).max)
        cost[ok] = compiled.costs(cc[ok], pp[ok], compiled.rank_of(cc[ok], pp[ok]))
        table = cost.reshape(len(block), m)
        for row, c in enumerate(block.tolist()):
            open_cost = np.where(free > 0, table[row], np.iinfo(np.int64).max)
            pick = int(np.argmin(open_cost))
            if open_cost[pick] == np.iinfo(np.int64).max:
                continue
            assignment[c] = pick
            free[pick] -= 1
