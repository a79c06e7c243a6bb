"""Rounds without envy that keep quotas score order alone breaks: seats reserved for blockers.

Under score-first priority a candidate whose wished post is open at their turn must get it,
so plain serial dictatorship may seat too many of one recruiting province (a soft ``max``
indicator) or too few of a group. The rule leaves one way around it: a higher-scoring
服从调剂 candidate outside the group may take that seat first by adjustment
(:func:`~matcher.engines.serial.serial_dictatorship` with ``reserved``), and then the
displaced candidate finds the post full of a higher scorer, which is no envy.

Each pass takes the quotas the round breaks; for each, holders on the wrong side of it (as
many as its deviation): first those whom a blocked seat leaves without a ranked post (every
post they rank lower is full at their turn), since a holder with a free wish below just
moves down and the group keeps its seat; the lowest-scoring first within each kind (on the
100k priority round, quotas after six passes 151 → 133). For each, a candidate before them
in score order who stands on the other side of the quota, may hold the post by adjustment,
accepts adjustment and is not in a group another quota has too many of (the nearest such
in score order). Blockers are first sought among the candidates the round left unplaced,
then among those it placed by adjustment only (the fill at the end of score order), as long
as someone still unplaced may take the seat such a blocker leaves: that keeps the round's
seats filled (on the 20k hard round, quotas 59.5 → 35.5 before CP-SAT). The next round
reserves those seats. These are heuristic rounds: the hybrid keeps one only if it keeps
every rule and beats the others.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota, Pairs
from matcher.engines.serial import movable_alone, ranked_options, serial_dictatorship

PASSES = 12  # rounds of reservations, each from the round before


def blocked_rounds(compiled: Compiled, first: IntArray, deadline: float | None = None,
                   reserved: dict[int, int] | None = None) -> list[IntArray]:
    """Up to :data:`PASSES` rounds from ``first`` (a serial dictatorship with ``reserved``
    seats), each reserving seats for blockers of the quotas the round before breaks; empty
    when it breaks none. No pass starts after ``deadline`` (or when the last one would not
    fit before it)."""
    rounds: list[IntArray] = []
    reserved = dict(reserved or {})
    current = first
    position = np.empty(compiled.n, dtype=np.int64)
    position[np.lexsort((np.arange(compiled.n), -compiled.score))] = np.arange(compiled.n)
    longest = 0.0
    for _ in range(PASSES):
        began = time.monotonic()
        if deadline is not None and began + longest >= deadline:
            break
        added = _reservations(compiled, current, position, set(reserved))
        if not added:
            break
        reserved.update(added)
        current = serial_dictatorship(compiled, reserved)
        rounds.append(current)
        longest = max(longest, time.monotonic() - began)
    return rounds


def _reservations(compiled: Compiled, assignment: IntArray, position: IntArray,
                  taken: set[int]) -> dict[int, int]:
    """Blocker → post for the holders each broken quota has one too many of (or whose
    seat one of its group should have)."""
    pairs = compiled.pairs(assignment)
    movable = movable_alone(compiled)
    sides = [_excess_side(q, *q.count_and_base(pairs)) for q in compiled.quotas]
    crowded = np.zeros(compiled.n, dtype=np.bool_)  # blockers must not crowd another quota
    for quota, side in zip(compiled.quotas, sides, strict=True):
        if side is not None and side[0]:
            crowded |= quota.cand_mask
    unplaced = assignment < 0
    adjusted = np.zeros(compiled.n, dtype=np.bool_)  # placed by the fill, at no rank
    adjusted[pairs.cand[(pairs.rank == 0) & ~pairs.locked]] = True
    spare = np.flatnonzero(movable & compiled.adjusts & unplaced)

    @functools.cache
    def refillable(seat: int) -> bool:
        """Someone still unplaced may take ``seat`` by adjustment (asked once per seat)."""
        return bool(_may_adjust(compiled, spare, np.full(len(spare), seat)).any())

    def leaves_a_refillable_seat(blocker: int) -> bool:
        return refillable(int(assignment[blocker]))

    turns = _Turns(compiled, pairs, position, taken)
    added: dict[int, int] = {}
    for quota, side in zip(compiled.quotas, sides, strict=True):
        if side is None:
            continue
        wrong, how_many = side
        rows = np.flatnonzero((quota.cand_mask[pairs.cand] == wrong)
                              & quota.post_mask[pairs.post] & movable[pairs.cand])
        holders = pairs.cand[rows]
        # Those a blocked seat leaves out first, then the rest; the lowest first in each.
        stuck = turns.stuck(holders, pairs.rank[rows])
        holders = holders[np.lexsort((-position[holders], ~stuck))][:how_many]
        pools = []
        for free in (unplaced, adjusted):
            pool = np.flatnonzero(movable & compiled.adjusts & free
                                  & (quota.cand_mask != wrong) & ~crowded)
            pools.append(pool[np.argsort(position[pool])])
        for victim in holders.tolist():
            post = int(assignment[victim])
            for pool, may_leave in zip(pools, (None, leaves_a_refillable_seat), strict=True):
                end = int(np.searchsorted(position[pool], position[victim]))
                blocker = _last_blocker(compiled, pool[:end], post, taken | set(added),
                                        may_leave)
                if blocker is not None:
                    added[blocker] = post
                    break
    return added


class _Turns:
    """When each seat of a round is taken, in score-order positions: at once when locked, at
    the holder's turn when taken at a rank or by reservation, last when the fill gave it."""

    def __init__(self, compiled: Compiled, pairs: Pairs, position: IntArray,
                 taken: set[int]) -> None:
        turn = position[pairs.cand].astype(np.float64)
        turn[(pairs.rank == 0) & ~np.isin(pairs.cand, list(taken))] = np.inf
        turn[pairs.locked] = -np.inf
        order = np.lexsort((turn, pairs.post))
        self.post, self.turn = pairs.post[order], turn[order]
        self.compiled, self.position = compiled, position

    def stuck(self, holders: IntArray, ranks: IntArray) -> BoolArray:
        """Which ``holders`` (at ``ranks``) find every post they rank lower full at their
        turn: a blocker in their seat leaves them out rather than one wish down."""
        compiled = self.compiled
        rc, rp, rr = ranked_options(compiled)
        starts = np.searchsorted(rc, holders)
        ends = np.searchsorted(rc, holders, side="right")
        stuck = np.ones(len(holders), dtype=np.bool_)
        for k, h in enumerate(holders.tolist()):
            lower = [int(q) for q, r in zip(rp[starts[k]:ends[k]], rr[starts[k]:ends[k]],
                                            strict=True) if r > ranks[k]]
            stuck[k] = all(self._taken_before(q, int(self.position[h])) >= compiled.capacity[q]
                           for q in lower)
        return stuck

    def _taken_before(self, post: int, turn: int) -> int:
        lo, hi = np.searchsorted(self.post, [post, post + 1])
        return int(np.searchsorted(self.turn[lo:hi], turn))


CHUNK = 256  # candidates checked at a time, nearest the victim first


def _last_blocker(compiled: Compiled, before: IntArray, post: int, used: set[int],
                  may_leave: Callable[[int], bool] | None = None) -> int | None:
    """The last of ``before`` (in score order) who may hold ``post`` by adjustment and has
    no reservation yet: the nearest the victim in score order, so the seat is taken as late
    as it can be and disturbs the fewest turns. With ``may_leave``, a blocker who holds a
    seat must pass it (someone else can fill the seat they leave)."""
    for end in range(len(before), 0, -CHUNK):
        chunk = before[max(0, end - CHUNK):end][::-1]
        ok = _may_adjust(compiled, chunk, np.full(len(chunk), post))
        for b in chunk[ok].tolist():
            if b in used or (may_leave is not None and not may_leave(b)):
                continue
            return int(b)
    return None


def _may_adjust(compiled: Compiled, cand: IntArray, post: IntArray) -> BoolArray:
    """Which pairs a candidate may hold by adjustment: allowed, not forbidden, unranked."""
    ok: BoolArray = compiled.may_hold(cand, post) & (compiled.rank_of(cand, post) == 0)
    return ok


def _excess_side(quota: CompiledQuota, count: int, base: int) -> tuple[bool, int] | None:
    """Which side of the quota's candidate group holds seats it should not (True: the
    group, over an upper bound; False: the others, the group under a lower bound) and
    about how many; None when the quota holds."""
    if quota.deviation(count, base) == 0:
        return None
    over = max(0 if quota.max is None else count - quota.max,
               0 if quota.max_share is None else math.ceil(count - quota.max_share * base))
    if over > 0:
        return True, int(over)
    under = max(0 if quota.min is None else quota.min - count,
                0 if quota.min_share is None else math.ceil(quota.min_share * base - count))
    return False, int(under)
