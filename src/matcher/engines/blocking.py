"""Rounds without envy that keep quotas score order alone breaks: seats reserved for blockers.

Under score-first priority a candidate whose wished post is open at their turn must get it,
so plain serial dictatorship may seat too many of one recruiting province (a soft ``max``
indicator) or too few of a group. The rule leaves one way around it: a higher-scoring
服从调剂 candidate outside the group may take that seat first by adjustment
(:func:`~matcher.engines.serial.serial_dictatorship` with ``reserved``), and then the
displaced candidate finds the post full of a higher scorer, which is no envy.

Each pass takes the quotas the round breaks; for each, the lowest-scoring holders on the
wrong side of it (as many as its deviation); and for each of them, a candidate before them
in score order who was left unplaced, stands on the other side of the quota, may
hold the post, accepts adjustment and is not in a group another quota has too many of
(the nearest such in score order). The next round
reserves those seats. These are
heuristic rounds: the hybrid keeps one only if it keeps every rule and beats the others.
"""

from __future__ import annotations

import math
import time

import numpy as np

from matcher.columns import IntArray
from matcher.compile import Compiled, CompiledQuota
from matcher.engines.serial import movable_alone, serial_dictatorship

PASSES = 6  # rounds of reservations, each from the round before


def blocked_rounds(compiled: Compiled, first: IntArray, deadline: float | None = None
                   ) -> list[IntArray]:
    """Up to :data:`PASSES` rounds from ``first`` (a serial dictatorship), each reserving
    seats for blockers of the quotas the round before breaks; empty when it breaks none.
    No pass starts after ``deadline`` (or when the last one would not fit before it)."""
    rounds: list[IntArray] = []
    reserved: dict[int, int] = {}
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
    added: dict[int, int] = {}
    for quota, side in zip(compiled.quotas, sides, strict=True):
        if side is None:
            continue
        wrong, how_many = side
        holders = pairs.cand[(quota.cand_mask[pairs.cand] == wrong)
                             & quota.post_mask[pairs.post] & movable[pairs.cand]]
        holders = holders[np.argsort(-position[holders])][:how_many]  # lowest first
        pool = np.flatnonzero(movable & compiled.adjusts & (assignment < 0)
                              & (quota.cand_mask != wrong) & ~crowded)
        pool = pool[np.argsort(position[pool])]
        for victim in holders.tolist():
            post = int(assignment[victim])
            end = int(np.searchsorted(position[pool], position[victim]))
            blocker = _last_blocker(compiled, pool[:end], post, taken | set(added))
            if blocker is not None:
                added[blocker] = post
    return added


CHUNK = 256  # candidates checked at a time, nearest the victim first


def _last_blocker(compiled: Compiled, before: IntArray, post: int, used: set[int]
                  ) -> int | None:
    """The last of ``before`` (in score order) who may hold ``post`` by adjustment and has
    no reservation yet: the nearest the victim in score order, so the seat is taken as late
    as it can be and disturbs the fewest turns."""
    for end in range(len(before), 0, -CHUNK):
        chunk = before[max(0, end - CHUNK):end][::-1]
        at = np.full(len(chunk), post)
        ok = compiled.compat.allowed(chunk, at) & (compiled.rank_of(chunk, at) == 0)
        ok &= ~np.isin(compiled.pair_keys(chunk, at), compiled.forbidden_keys)
        for b in chunk[ok].tolist():
            if b not in used:
                return int(b)
    return None


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
