"""Mending a relaxation's round by substitution, which proves it optimal when it works.

The network engine's shared routes may offer a few candidates a pair they may not hold (a
forbidden pair) or at less than its cost (a dear wish reached by the adjustment route), so its
optimum solves a relaxation. When that optimum uses such an offer, the usual cure is to take
the candidate off the routes and solve again: 15–20 s a round at national scale, and each
round only moves the tie to another candidate.

Most such placements are ties: the relaxation was indifferent between the misrouted candidate
and one who was left out. So each misrouted candidate ``s`` at post ``p`` is replaced by an
unplaced candidate ``h`` who

* accepts adjustment and may hold ``p`` (eligible, not forbidden),
* is counted by exactly the same quotas' candidate selectors (every count and base stays),
* costs at ``p`` no more than the least the relaxation can have charged ``s`` there.

The mended round keeps every rule, has the same coverage and quota tiers, and preferences no
worse than the relaxation's value, which bounds every round: it is optimal.
"""

from __future__ import annotations

import numpy as np

from matcher.columns import IntArray
from matcher.compile import Compiled

_BATCH = 64  # candidates whose costs are worked out at once, per misrouted candidate
_BATCHES = 16  # at most this many batches are tried per misrouted candidate


def quota_signatures(compiled: Compiled) -> IntArray:
    """Per candidate, a code for the set of quota candidate selectors that match them."""
    masks = [q.cand_mask for q in compiled.quotas if not q.cand_mask.all()]
    if not masks:
        return np.zeros(compiled.n, dtype=np.int64)
    packed = np.packbits(np.stack(masks, axis=1), axis=1)
    codes: IntArray = np.unique(packed, axis=0, return_inverse=True)[1].reshape(-1)
    return codes.astype(np.int64)


def substitutes(compiled: Compiled, assignment: IntArray, misrouted: IntArray,
                charged: IntArray) -> IntArray:
    """For each misrouted candidate, an unplaced candidate to take its post as the module
    docstring says (each used once; the cheapest of the first batch that has one), or -1
    when there is none. ``charged`` is the least the relaxation can have charged each
    misrouted candidate at its post (the most a stand-in may cost)."""
    compat = compiled.compat
    found = np.full(len(misrouted), -1, dtype=np.int64)
    if len(misrouted) == 0:
        return found
    signature = quota_signatures(compiled)
    free = np.flatnonzero((assignment < 0) & compat.candidate_ok & (compiled.lock_post < 0))
    by_signature = {int(code): free[signature[free] == code]
                    for code in np.unique(signature[misrouted]).tolist()}
    fits = compat.attributes_ok & compat.pairings_ok
    taken = np.zeros(compiled.n, dtype=np.bool_)
    for i, (s, limit) in enumerate(zip(misrouted.tolist(), charged.tolist(), strict=True)):
        post = int(assignment[s])
        pool = by_signature[int(signature[s])]
        pool = pool[fits[compat.profile[pool], compat.post_class[post]] & ~taken[pool]
                    & compiled.adjusts[pool]]
        # Adjusted there, each costs adjustment less its bonuses: a cheap first sieve. A
        # wish for the post, which sets the cost instead, is checked on the few left.
        at = np.full(len(pool), post, dtype=np.int64)
        pool = pool[compiled.costs(pool, at, np.zeros(len(pool), dtype=np.int64)) <= limit]
        for start in range(0, min(len(pool), _BATCH * _BATCHES), _BATCH):
            block = pool[start:start + _BATCH]
            at = np.full(len(block), post, dtype=np.int64)
            rank = compiled.rank_of(block, at)
            cost = compiled.costs(block, at, rank)
            ok = compiled.may_hold(block, at) & (cost <= limit)
            if ok.any():
                found[i] = block[np.argmin(np.where(ok, cost, np.iinfo(np.int64).max))]
                taken[found[i]] = True
                break
    return found
