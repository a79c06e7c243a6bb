"""A round that keeps the hard quotas the relaxation dropped: the relaxation, narrowed.

Where quota families overlap without nesting, the relaxation drops some of them
(:func:`.hybrid.relaxed_problem`), and its optimum may break those that are hard. At national
scale CP-SAT cannot follow and score order breaks every quota, so the hybrid had no round at
all: at 100k, hard province caps beside the hard minority target, or a hard cap on women
beside the recruiting-province indicators, ended ``unknown``.

A hard bound from above is kept by narrowing the relaxation, then solving it again:

* a quota on posts (every candidate counts): seats are taken off its posts until they hold
  no more than it allows; empty seats first, then those whose holders count least (lowest
  post weight, then highest cost);
* a quota on candidates (every post counts): its members are screened out but for as many
  as it allows, those the round placed best (locked members always stay).

The narrowed relaxation keeps every quota it kept and, by construction, the narrowed one's
count; a share is allowed at the base the round had, so the new round is checked again and
narrowed further, for a few rounds. Lower bounds, and quotas restricting both candidates and
posts, are not mended here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota, Pairs
from matcher.engines import flow
from matcher.engines.trimmed import least_valued
from matcher.objective import holds
from matcher.options import SolveOptions

ROUNDS = 3  # narrowings at most (each one network solve)


def narrowed_round(compiled: Compiled, relaxed: Compiled, assignment: IntArray,
                   options: SolveOptions, deadline: float | None, solve_seconds: float,
                   starting: Callable[[], None] = lambda: None) -> IntArray | None:
    """A round of ``relaxed`` (the network ``compiled`` was relaxed to) keeping every hard
    quota of ``compiled``, narrowed from ``assignment`` (its optimum); None when that
    already keeps them (nothing to narrow), when one it breaks cannot be mended so, or
    when no solve of ``solve_seconds`` fits before ``deadline``. ``starting`` is called
    once narrowing starts (a progress line)."""
    capacity = relaxed.capacity.copy()
    screened = relaxed.compat.candidate_ok.copy()
    for narrowings in range(ROUNDS):
        pairs = compiled.pairs(assignment)
        broken = [q for q in compiled.quotas if q.hard and not holds(q, pairs)]
        if not broken:
            return assignment if narrowings else None
        if deadline is not None and time.monotonic() + solve_seconds > deadline:
            return None
        if not narrowings:
            starting()
        for quota in broken:
            allowed = _allowed(quota, pairs)
            if allowed is None:
                return None
            if quota.cand_mask.all():
                if not _cut_seats(compiled, quota, pairs, allowed, capacity):
                    return None
            elif quota.post_mask.all():
                _screen(compiled, quota, pairs, allowed, screened)
            else:
                return None
        narrowed = replace(relaxed, capacity=capacity,
                           compat=replace(relaxed.compat, candidate_ok=screened))
        result = flow.solve(narrowed, SolveOptions(
            time_limit=None if deadline is None else max(0.0, deadline - time.monotonic()),
            workers=options.workers, seed=options.seed, engine="flow",
            explain_infeasible=False, stop_at=options.stop_at))
        if result.assignment is None:
            return None
        assignment = result.assignment
    return None


def _allowed(quota: CompiledQuota, pairs: Pairs) -> int | None:
    """The most pairs ``quota`` may count at the base ``pairs`` give it; None when it
    breaks a lower bound (narrowing cannot raise a count)."""
    count, base = quota.count_and_base(pairs)
    if ((quota.min is not None and count < quota.min)
            or (quota.min_share is not None and count < quota.min_share * base)):
        return None
    most = [quota.max] if quota.max is not None else []
    if quota.max_share is not None:
        most.append(math.floor(quota.max_share * base))
    return min(most) if most else None


def _cut_seats(compiled: Compiled, quota: CompiledQuota, pairs: Pairs, allowed: int,
               capacity: IntArray) -> bool:
    """Take seats off ``quota``'s posts (in ``capacity``) until they seat at most
    ``allowed``; False when the locks there already seat more."""
    posts = np.flatnonzero(quota.post_mask)
    over = int(capacity[posts].sum()) - allowed
    if over <= 0:
        return True
    fill = np.bincount(pairs.post, minlength=compiled.m)
    empty = np.maximum(capacity[posts] - fill[posts], 0)
    take = np.minimum(empty, np.maximum(over - (np.cumsum(empty) - empty), 0))
    capacity[posts] -= take
    over -= int(take.sum())
    held = least_valued(compiled, pairs, quota.post_mask[pairs.post])[:over]
    np.subtract.at(capacity, pairs.post[held], 1)
    return len(held) == over


def _screen(compiled: Compiled, quota: CompiledQuota, pairs: Pairs, allowed: int,
            screened: BoolArray) -> None:
    """Screen out (in ``screened``) every member of ``quota``'s candidate group but the
    locked and the ``allowed`` (less the locked) the round placed best."""
    member = quota.cand_mask[pairs.cand]
    locked = int((member & pairs.locked).sum())
    placed = least_valued(compiled, pairs, member)[::-1]
    keep = pairs.cand[placed[:max(allowed - locked, 0)]]
    out = quota.cand_mask & (compiled.lock_post < 0)
    out[keep] = False
    screened &= ~out
