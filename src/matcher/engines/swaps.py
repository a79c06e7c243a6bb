"""Swaps that lower one soft quota's ``g`` and leave every other count as it is.

A swap is made at one seat: a holder out, an unplaced candidate in. The newcomer is on the
other side of the quota's candidate group, and every other quota counts them alike (the same
*signature*), so every other quota's count and base stay, every post keeps its fill, and
coverage is unchanged. Only single, unlocked candidates move: a partner's post would no
longer match, and a lock must stay. A *chain* does the same through a placed candidate of
the other side, whose seat an unplaced one takes, where no single swap is left.

Under score-first priority (SPEC §4) a swap must leave no envy (:class:`_Priority`): the
holder, now unplaced, must find every post they rank and may hold closed to them (full,
every unlocked holder scoring at least theirs; their own post too, once the newcomer is
in), and the newcomer must not lower the least score among the post's unlocked holders,
which others ranking it may rely on. The newcomer was unplaced without envy, so every post
they rank was already closed to them. No swap changes a post's fill or lowers its least
holder score, so what was checked on the round before the swaps holds as they are made.
Chains are not made under priority.
"""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota
from matcher.engines.cpsat_priority import score_levels
from matcher.engines.keeps import fill_and_least_level
from matcher.engines.quota_form import LinearForm, linear_form
from matcher.engines.serial import ranked_options
from matcher.engines.substitution import quota_signatures

_POOL = 256  # newcomers whose cost is worked out per holder
_NEWCOMERS = 16  # ... and the cheapest kept, in case another holder takes the cheapest
# The unplaced are read this many at a time until _POOL fit: a cap on women over every post
# has 13,000 holders to swap and 37,000 men unplaced of each signature (100k: 190 s whole).
_SCAN = 1024

Swap = tuple[int, int, IntArray, Fraction]  # (extra cost, holder, newcomers, change of g)


def swapped_to_hold(compiled: Compiled, relaxed: Compiled, quota: CompiledQuota,
                    form: LinearForm, assignment: IntArray) -> IntArray | None:
    """``assignment`` (with ``g > 0``) mended into a round that keeps the quota by the
    cheapest swaps, with signatures over ``relaxed``'s quotas (the problem without this
    one). None when the swaps run out first."""
    swaps = _swaps(compiled, quota_signatures(relaxed), quota, form, assignment,
                   compiled.lock_post < 0)
    mended, g = _applied(assignment, swaps, form.value(quota, compiled, assignment))
    return mended if g <= 0 else None


def swapped_toward(compiled: Compiled, quota: CompiledQuota, assignment: IntArray,
                   deadline: float | None = None) -> IntArray | None:
    """``assignment`` with the cheapest swaps (then chains, without priority) that lower the
    deviation of ``quota`` (soft, one bound), as far as they go. None when nothing lowers it.
    Under priority, ``assignment`` must be envy-free; the result then is too.

    For rounds CP-SAT cannot finish: at 100k with every rule but priority, the round left
    282 of its 283 quota points on one such quota, with 30 s of the limit unused."""
    form = linear_form(quota)
    if form is None or quota.cand_mask.all() or not quota.cand_mask.any():
        return None  # (no one on the other side of the group to swap in)
    g = form.value(quota, compiled, assignment)
    if g <= 0:
        return None
    others = replace(compiled, quotas=[q for q in compiled.quotas if q is not quota])
    movable = (compiled.lock_post < 0) & (compiled.partner < 0)
    signature = quota_signatures(others)
    priority = (_Priority(compiled, assignment) if compiled.problem.rules.respect_priority
                else None)
    swaps = _swaps(compiled, signature, quota, form, assignment, movable, deadline, priority)
    mended, lowered = _applied(assignment, swaps, g)
    if lowered > 0 and priority is None:
        mended, lowered = _chained(compiled, signature, quota, form, mended, movable,
                                   lowered, deadline)
    return mended if lowered < g else None


class _Priority:
    """Which holders may leave their seat under priority, and for whom (see the module
    docstring): read from the round before any swap, which stays true as swaps are made,
    since no swap changes a post's fill or lowers its least unlocked holder score."""

    def __init__(self, compiled: Compiled, assignment: IntArray) -> None:
        self.level = score_levels(compiled)
        cand, self.options, _ = ranked_options(compiled)
        self.starts = np.searchsorted(cand, np.arange(compiled.n + 1))
        self.full, self.lowest = fill_and_least_level(compiled, assignment, self.level)

    def least_newcomer(self, h: int, p: int) -> int | None:
        """The least score level a newcomer in ``h``'s seat at ``p`` may have; None when
        ``h`` may not leave it: a post they rank (``p`` too) would be open to them."""
        ranked = self.options[self.starts[h]:self.starts[h + 1]]
        if not (self.full[ranked] & (self.lowest[ranked] >= self.level[h])).all():
            return None
        return int(self.lowest[p]) if self.full[p] else 0


def _chained(compiled: Compiled, signature: IntArray, quota: CompiledQuota,
             form: LinearForm, assignment: IntArray, movable: BoolArray, g: Fraction,
             deadline: float | None) -> tuple[IntArray, Fraction]:
    """``assignment`` with chains where no single swap is left: a holder out, a placed
    candidate of the other side in from their post, and an unplaced one of that side into
    theirs. The mover and the newcomer have the holder's signature and the other side, so
    every other quota and ``g`` change as by a swap; both posts stay filled. And ``g`` then."""
    key = signature * 2 + quota.cand_mask
    ok_cand = compiled.compat.candidate_ok & movable

    def group(placed: bool) -> tuple[IntArray, IntArray]:
        chosen = np.flatnonzero(ok_cand & ((assignment >= 0) if placed else (assignment < 0)))
        order = np.argsort(key[chosen], kind="stable")
        return chosen[order], key[chosen][order]

    placed, placed_key = group(True)
    free, free_key = group(False)
    mended = assignment.copy()
    used = np.zeros(compiled.n, dtype=np.bool_)
    for k, h in enumerate(placed.tolist()):
        if g <= 0 or (deadline is not None and k % 64 == 0 and time.monotonic() > deadline):
            break
        p = int(mended[h])
        if used[h] or p < 0:
            continue
        dg, want = _replacing(quota, form, signature, h, p)
        if dg >= 0:
            continue
        lo, hi = np.searchsorted(placed_key, [want, want + 1])
        movers = placed[lo:hi]
        movers = movers[~used[movers] & (mended[movers] >= 0) & (mended[movers] != p)]
        lo, hi = np.searchsorted(free_key, [want, want + 1])
        newcomers = free[lo:hi]
        newcomers = newcomers[~used[newcomers] & (mended[newcomers] < 0)]
        if len(newcomers) == 0:
            continue
        for m in _may_take(compiled, movers[:_POOL], p)[0][:_NEWCOMERS].tolist():
            refill, _ = _may_take(compiled, newcomers[:_POOL], int(mended[m]))
            if len(refill):
                u = int(refill[0])
                mended[u], mended[m], mended[h] = mended[m], p, -1
                used[[h, m, u]] = True
                g += dg
                break
    return mended, g


def _replacing(quota: CompiledQuota, form: LinearForm, signature: IntArray, h: int,
               p: int) -> tuple[Fraction, int]:
    """How ``g`` changes when holder ``h`` at post ``p`` gives their seat to someone on the
    other side of the quota's candidate group with the same ``signature``; and that
    someone's key (signature × 2 + side), by which the candidates are sorted."""
    member = bool(quota.cand_mask[h])
    dg = (-1 if member else 1) * (form.pair * int(quota.post_mask[p])
                                  + (0 if form.base_is_posts else form.base))
    return Fraction(dg), int(signature[h]) * 2 + (0 if member else 1)


def _swaps(compiled: Compiled, signature: IntArray, quota: CompiledQuota, form: LinearForm,
           assignment: IntArray, movable: BoolArray, deadline: float | None = None,
           priority: _Priority | None = None) -> list[Swap]:
    """Per holder whose replacement lowers ``g``: (extra cost of the cheapest newcomer,
    holder, the cheapest few newcomers, change of ``g``); holder and newcomer ``movable``,
    the newcomer unplaced, with the holder's ``signature``, on the other side of the
    quota's candidate group and, under ``priority``, scoring high enough. Holders not
    reached by ``deadline`` are left out."""
    compat = compiled.compat
    member = quota.cand_mask
    holders = np.flatnonzero((assignment >= 0) & movable)
    free = np.flatnonzero((assignment < 0) & compat.candidate_ok & movable)
    # The unplaced by (signature, side of the group): one binary search per holder rather
    # than a scan of every unplaced candidate (75,000 at national scale).
    keyed = signature[free] * 2 + member[free]
    order = np.argsort(keyed, kind="stable")
    free, keyed = free[order], keyed[order]
    fits = compat.attributes_ok & compat.pairings_ok
    swaps: list[Swap] = []
    for k, h in enumerate(holders.tolist()):
        if deadline is not None and k % 256 == 0 and time.monotonic() > deadline:
            break
        p = int(assignment[h])
        dg, want = _replacing(quota, form, signature, h, p)
        if dg >= 0:
            continue
        least = 0
        if priority is not None:
            found = priority.least_newcomer(h, p)
            if found is None:
                continue
            least = found
        lo, hi = np.searchsorted(keyed, [want, want + 1])
        chunks = []
        for start in range(int(lo), int(hi), _SCAN):  # the first _POOL who fit, in order
            chunk = free[start:min(int(hi), start + _SCAN)]
            chunk = chunk[fits[compat.profile[chunk], compat.post_class[p]]]
            chunks.append(chunk if priority is None else chunk[priority.level[chunk] >= least])
            if sum(map(len, chunks)) >= _POOL:
                break
        pool = np.concatenate(chunks) if chunks else free[:0]
        pool, rank = _may_take(compiled, pool[:_POOL], p)
        if not len(pool):
            continue
        cost = compiled.costs(pool, np.full(len(pool), p, dtype=np.int64), rank)
        cheapest = np.argsort(cost, kind="stable")[:_NEWCOMERS]
        held = compiled.costs(np.array([h]), np.array([p]),
                              compiled.rank_of(np.array([h]), np.array([p])))[0]
        swaps.append((int(cost[cheapest[0]] - held), h, pool[cheapest], dg))
    return swaps


def _may_take(compiled: Compiled, pool: IntArray, post: int) -> tuple[IntArray, IntArray]:
    """Those of ``pool`` who may hold ``post`` (ranked, or adjusted if they accept), and
    their ranks there."""
    at = np.full(len(pool), post, dtype=np.int64)
    rank = compiled.rank_of(pool, at)
    ok = ((rank > 0) | compiled.adjusts[pool]) & compiled.may_hold(pool, at)
    return pool[ok], rank[ok]


def _applied(assignment: IntArray, swaps: list[Swap], g: Fraction
             ) -> tuple[IntArray, Fraction]:
    """``assignment`` with the cheapest swaps per unit of ``g`` made, each newcomer placed
    once (a holder whose cheapest is taken gets their next), until ``g`` is down to 0 or
    they run out; and ``g`` then."""
    mended = assignment.copy()
    used: set[int] = set()
    for _, h, newcomers, dg in sorted(swaps, key=lambda s: (s[0] / -s[3], s[1])):
        if g <= 0:
            break
        c = next((c for c in newcomers.tolist() if c not in used), None)
        if c is None:
            continue
        used.add(c)
        mended[c], mended[h] = mended[h], -1
        g += dg
    return mended, g
