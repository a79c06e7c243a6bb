"""Re-seat the adjusted holders of an envy-free round: the round's freedom under priority.

Under score-first priority (SPEC §4) most of a round is forced: in score order each
candidate takes the best ranked post that is not yet full of higher scorers. What is free is
who holds the seats given by adjustment (服从调剂), and these are where quotas are won or lost:
which province's graduates are placed, who sits on the health posts. A CP-SAT model of the
whole round at scale keeps only some adjusted pairs, and searches them slowly among millions
of envy clauses; this neighbourhood holds every adjusted pair that matters and no envy clause.

The neighbourhood. Every candidate keeps their post except the *pool*: unlocked candidates
applying alone who accept adjustment and are unplaced or placed by adjustment. They are
worse off than every post they rank, whatever the pool does. So is every other candidate as
before, since their post is kept. Each post therefore has a fixed *threshold*: the highest
score of a candidate who ranks it, may hold it and is worse off than it. A pool member may
take a seat of the post at threshold or above (ties are not envy). A post with a threshold
keeps every seat filled; a post without one (no one envies it) may gain or lose holders.

Why every round of the neighbourhood is envy-free: a candidate outside the pool holds what
they held, and each post they rank better is as full as before, with the same holders but
the pool's, who score at least the threshold, hence at least theirs. A pool member who is
unplaced or adjusted envies nothing for the same reason (they count in the thresholds); one
who takes a post they rank is better off than before, and the posts they rank better were
full of holders scoring at least theirs, and still are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matcher.columns import BoolArray, FloatArray, IntArray
from matcher.compile import Compiled, EdgeSet
from matcher.engines.cpsat import MAXIMISED, TierCut, scaled_tier, solve_tiers
from matcher.engines.cpsat_model import SatModel, build_model
from matcher.engines.cpsat_priority import Fans, score_levels
from matcher.engines.keeps import keeps_every_rule
from matcher.engines.serial import ranked_options
from matcher.objective import round_key
from matcher.options import SolveOptions

RESEAT_PAIRS = 150_000  # pool pairs beyond this are left out (highest scorers kept)
_CHUNK_PAIRS = 2_000_000  # member × post pairs screened at a time (bounds the temporaries)
_EMPTY = np.zeros(0, dtype=np.int64)


def reseat_pool(compiled: Compiled, assignment: IntArray) -> BoolArray:
    """The candidates whose seats the neighbourhood moves (see the module docstring)."""
    pool: BoolArray = (compiled.adjusts & compiled.compat.candidate_ok
                       & (compiled.lock_post < 0) & (compiled.partner < 0)
                       & (compiled.held_ranks(assignment) == 0))
    return pool


def thresholds(compiled: Compiled, assignment: IntArray) -> FloatArray:
    """Per post, the highest score level of a candidate who ranks it, may hold it and is
    worse off than it (``-inf`` where there is none)."""
    cand, post, rank = ranked_options(compiled)  # millions of pairs at national scale
    held_rank = compiled.held_ranks(assignment)[cand]
    worse = (held_rank == 0) | (held_rank > rank)
    worse &= assignment[cand] != post
    level = score_levels(compiled).astype(np.float64)
    threshold = np.full(compiled.m, -np.inf)
    np.maximum.at(threshold, post[worse], level[cand[worse]])
    return threshold


def reseat_edges(compiled: Compiled, assignment: IntArray, threshold: FloatArray
                 ) -> tuple[EdgeSet, BoolArray]:
    """The neighbourhood's pairs and which of them are fixed (kept by a candidate outside
    the pool), given the posts' :func:`thresholds`; the round itself is among them."""
    pool = reseat_pool(compiled, assignment)
    kept = np.flatnonzero((assignment >= 0) & ~pool)
    filled = np.bincount(assignment[kept], minlength=compiled.m)
    open_posts = np.flatnonzero(filled < compiled.capacity)
    members = np.flatnonzero(pool)
    level = score_levels(compiled)
    cand, post = _pool_pairs(compiled, members, open_posts, level, threshold)
    seated = members[assignment[members] >= 0]  # the pool's own seats, beyond any budget
    cand = np.concatenate([kept, seated, cand])
    post = np.concatenate([assignment[kept], assignment[seated], post])
    _, first = np.unique(compiled.pair_keys(cand, post), return_index=True)
    cand, post = cand[first], post[first]  # sorted by candidate, then post
    rank = compiled.rank_of(cand, post)
    locked = compiled.lock_post[cand] == post
    ok = np.ones(len(cand), dtype=np.bool_)
    edges = EdgeSet(cand, post, rank, compiled.costs(cand, post, rank), locked, ok, ok)
    fixed: BoolArray = ~pool[cand]
    return edges, fixed


def _pool_pairs(compiled: Compiled, members: IntArray, posts: IntArray, level: IntArray,
                threshold: FloatArray) -> tuple[IntArray, IntArray]:
    """Pool pairs a member may hold at or above the post's threshold, highest scorers first
    when there are more than :data:`RESEAT_PAIRS` (the threshold filter favours them)."""
    if len(members) == 0 or len(posts) == 0:
        return _EMPTY, _EMPTY
    members = members[np.argsort(-level[members], kind="stable")]
    found_c: list[IntArray] = []
    found_p: list[IntArray] = []
    total = 0
    step = max(1, _CHUNK_PAIRS // len(posts))
    for start in range(0, len(members), step):
        chunk = members[start:start + step]
        c = np.repeat(chunk, len(posts))
        p = np.tile(posts, len(chunk))
        keep = level[c] >= threshold[p]
        c, p = c[keep], p[keep]
        keep = compiled.may_hold(c, p)
        c, p = c[keep], p[keep]
        found_c.append(c)
        found_p.append(p)
        total += len(c)
        if total >= RESEAT_PAIRS:
            break
    return np.concatenate(found_c)[:RESEAT_PAIRS], np.concatenate(found_p)[:RESEAT_PAIRS]


def reseated(compiled: Compiled, assignment: IntArray, options: SolveOptions, started: float,
             deadline: float | None,
             cuts: Callable[[SatModel], TierCut | None] | None = None) -> IntArray:
    """The best round of the neighbourhood of ``assignment`` that CP-SAT finds by
    ``deadline`` (``cuts`` gives the model bounds proven elsewhere): ``assignment`` itself
    when it does not keep every rule or nothing better is found."""
    if not keeps_every_rule(compiled, assignment):
        return assignment
    found = best_in_neighbourhood(compiled, assignment, options, started, deadline, cuts)
    if found is None or not keeps_every_rule(compiled, found):  # by construction it does
        return assignment
    if round_key(compiled, found) >= round_key(compiled, assignment):
        return assignment  # a tier ran out of time on a round no better than the start
    return found


def best_in_neighbourhood(compiled: Compiled, assignment: IntArray, options: SolveOptions,
                          started: float, deadline: float | None,
                          cuts: Callable[[SatModel], TierCut | None] | None = None
                          ) -> IntArray | None:
    """CP-SAT's best round of the neighbourhood of ``assignment`` (an envy-free round keeping
    every rule), tier by tier; ``None`` when it found none by ``deadline``."""
    threshold = thresholds(compiled, assignment)
    edges, fixed = reseat_edges(compiled, assignment, threshold)
    if fixed.all():
        return assignment
    sat = build_model(compiled, edges=edges, fans=Fans(_EMPTY, _EMPTY, _EMPTY),
                      full_posts=np.flatnonzero(np.isfinite(threshold)))
    for i in np.flatnonzero(fixed).tolist():
        sat.model.add(sat.x[i] == 1)
    order = compiled.problem.objective.order
    if order:  # the round is in the neighbourhood: its first tier is a bound
        first, value = order[0], scaled_tier(sat, order[0], assignment)
        sat.model.add(sat.tiers[first] >= value if first in MAXIMISED
                      else sat.tiers[first] <= value)
    # No hint: on this model CP-SAT given the round as a hint spent the whole limit in
    # presolve, and went 40% over it (20k round: 22 s to the optimum without).
    tiers = solve_tiers(sat, options, started, deadline, hint=assignment, hints=False,
                        known_bound=None if cuts is None else cuts(sat))
    return tiers.assignment
