"""Re-seat the adjusted holders of an envy-free round: the round's freedom under priority.

Under score-first priority (SPEC §4) most of a round is forced: in score order each
candidate takes the best ranked post that is not yet full of higher scorers. What is free is
who holds the seats given by adjustment (服从调剂), and these are where quotas are won or lost:
which province's graduates are placed, who sits on the health posts. A CP-SAT model of the
whole round at scale keeps only some adjusted pairs, and searches them slowly among millions
of envy clauses; this neighbourhood holds every adjusted pair that matters and no envy clause.

The neighbourhood. Every candidate keeps their post except the *pool*: unlocked candidates
applying alone who accept adjustment and are unplaced or placed by adjustment; and the
*tie movers*: unlocked candidates applying alone who hold a post by a wish rank that other
posts share (a county or province wish ranks all its posts alike), and who may move to any of
those. Pool members are worse off than every post they rank, whatever anyone does; tie
movers stay at their rank, so they are worse off than the same posts as before. So is every
other candidate, since their post is kept. Each post therefore has a fixed *threshold*: the
highest score of a candidate who ranks it, may hold it and is worse off than it. A pool
member or a tie mover may take a seat of the post at threshold or above (ties are not envy).
A post with a threshold keeps every seat filled; a post without one (no one envies it) may
gain or lose holders.

Why every round of the neighbourhood is envy-free: a candidate who did not move holds what
they held, and each post they rank better is as full as before, with the same holders but
the movers, who score at least the threshold, hence at least theirs. A tie mover envies
nothing for the same reason: the posts it ranks better are those it ranked better before,
and it counts in their thresholds. So does a pool member who is unplaced or adjusted; one
who takes a post they rank is better off than before, and the posts they rank better were
full of holders scoring at least theirs, and still are.

Tie movers are what fill a seat of more weight with the same candidate, or free a health
post for a medicine graduate of the pool by moving its holder to a post of the same rank.
"""

from __future__ import annotations

import time
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
# The pool alone first (a small model, most of the gain), then with tie movers. With at
# least SPLIT_SECONDS the pool gets POOL_SHARE of them; with less it gets what it needs
# (its gain at a 15 s limit, 5k round: 32.5 → 7.5 on quotas; half the time was not enough)
# and tie movers what is left, if at least TIES_LEAST_SECONDS and TIES_LEAST_SHARE of it.
SPLIT_SECONDS = 10.0
POOL_SHARE = 0.5
TIES_LEAST_SECONDS = 1.0
TIES_LEAST_SHARE = 0.2
VACATED_PAIRS = 10_000  # ... and pool pairs into seats only a tie mover's leaving frees
_CHUNK_PAIRS = 2_000_000  # member × post pairs screened at a time (bounds the temporaries)
_EMPTY = np.zeros(0, dtype=np.int64)


def reseat_pool(compiled: Compiled, assignment: IntArray) -> BoolArray:
    """The candidates whose seats the neighbourhood moves (see the module docstring)."""
    pool: BoolArray = (compiled.adjusts & compiled.compat.candidate_ok
                       & (compiled.lock_post < 0) & (compiled.partner < 0)
                       & (compiled.held_ranks(assignment) == 0))
    return pool


def tie_movers(compiled: Compiled, assignment: IntArray) -> tuple[IntArray, IntArray]:
    """Pairs (candidate, post) to which a tie mover may move (module docstring): the
    other posts it may hold at the rank it holds, sorted by candidate."""
    cand, post, rank = ranked_options(compiled)  # by candidate, then rank, then post
    held_rank = compiled.held_ranks(assignment)
    single = ((compiled.lock_post < 0) & (compiled.partner < 0)
              & compiled.compat.candidate_ok)
    keep = single[cand] & (rank == held_rank[cand]) & (assignment[cand] != post)
    cand, post = cand[keep], post[keep]
    keep = _changes_a_tier(compiled, assignment, cand, post)
    return cand[keep], post[keep]


def _changes_a_tier(compiled: Compiled, assignment: IntArray, cand: IntArray,
                    post: IntArray) -> BoolArray:
    """Which moves (candidate to post, from its post in ``assignment``) change the coverage
    or the count of a quota the round breaks: the moves worth a larger model (a move
    within a quota's posts, between posts of one weight, only changes bonuses)."""
    here = assignment[cand]
    changes: BoolArray = compiled.weight[here] != compiled.weight[post]
    pairs = compiled.pairs(assignment)
    for quota in compiled.quotas:
        if quota.hard or quota.deviation(*quota.count_and_base(pairs)) == 0:
            continue
        member = quota.cand_mask[cand]
        changes |= member & (quota.post_mask[here] != quota.post_mask[post])
        if quota.share_base == "posts":
            changes |= quota.post_mask[here] != quota.post_mask[post]
    return changes


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


def reseat_edges(compiled: Compiled, assignment: IntArray, threshold: FloatArray, *,
                 ties: bool = True) -> tuple[EdgeSet, BoolArray]:
    """The neighbourhood's pairs and which of them are fixed (kept by a candidate who does
    not move), given the posts' :func:`thresholds`; the round itself is among them. Without
    ``ties``, only the pool moves."""
    level = score_levels(compiled)
    pool = reseat_pool(compiled, assignment)
    tie_cand, tie_post = tie_movers(compiled, assignment) if ties else (_EMPTY, _EMPTY)
    tie_ok = level[tie_cand] >= threshold[tie_post]
    tie_cand, tie_post = tie_cand[tie_ok][:RESEAT_PAIRS], tie_post[tie_ok][:RESEAT_PAIRS]
    moving = pool.copy()
    moving[tie_cand] = True
    kept = np.flatnonzero((assignment >= 0) & ~moving)
    staying = np.flatnonzero((assignment >= 0) & ~pool)
    filled = np.bincount(assignment[staying], minlength=compiled.m)
    open_posts = filled < compiled.capacity  # a seat free or held by the pool
    vacated = np.zeros(compiled.m, dtype=np.bool_)  # and seats tie movers may leave
    vacated[assignment[tie_cand]] = True
    vacated &= ~open_posts
    members = np.flatnonzero(pool)
    cand, post = _pool_pairs(compiled, members, np.flatnonzero(open_posts), level, threshold,
                             RESEAT_PAIRS)
    # Every tie mover's post is a seat the pool might take: far more pairs than the seats
    # that are free, so a budget of their own (highest scorers first again).
    more_cand, more_post = _pool_pairs(compiled, members, np.flatnonzero(vacated), level,
                                       threshold, VACATED_PAIRS)
    movers = np.flatnonzero(moving)
    seated = movers[assignment[movers] >= 0]  # the movers' own seats, beyond any budget
    cand = np.concatenate([kept, seated, cand, more_cand, tie_cand])
    post = np.concatenate([assignment[kept], assignment[seated], post, more_post, tie_post])
    _, first = np.unique(compiled.pair_keys(cand, post), return_index=True)
    cand, post = cand[first], post[first]  # sorted by candidate, then post
    rank = compiled.rank_of(cand, post)
    locked = compiled.lock_post[cand] == post
    ok = np.ones(len(cand), dtype=np.bool_)
    edges = EdgeSet(cand, post, rank, compiled.costs(cand, post, rank), locked, ok, ok)
    fixed: BoolArray = ~moving[cand]
    return edges, fixed


def _pool_pairs(compiled: Compiled, members: IntArray, posts: IntArray, level: IntArray,
                threshold: FloatArray, budget: int) -> tuple[IntArray, IntArray]:
    """Pool pairs a member may hold at or above the post's threshold, highest scorers first
    when there are more than ``budget`` (the threshold filter favours them)."""
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
        if total >= budget:
            break
    return np.concatenate(found_c)[:budget], np.concatenate(found_p)[:budget]


def reseated(compiled: Compiled, assignment: IntArray, options: SolveOptions, started: float,
             deadline: float | None,
             cuts: Callable[[SatModel], TierCut | None] | None = None) -> IntArray:
    """The best round of the neighbourhood of ``assignment`` that CP-SAT finds by
    ``deadline`` (``cuts`` gives the model bounds proven elsewhere): ``assignment`` itself
    when it does not keep every rule or nothing better is found."""
    if not keeps_every_rule(compiled, assignment):
        return assignment
    best = assignment
    budget = None if deadline is None else deadline - time.monotonic()
    for ties in (False, True):
        step_deadline = deadline
        if budget is not None and deadline is not None:
            left = deadline - time.monotonic()
            if ties and left < max(TIES_LEAST_SECONDS, TIES_LEAST_SHARE * budget):
                break  # (building the larger model alone takes seconds at scale)
            if not ties and budget >= SPLIT_SECONDS:
                step_deadline = time.monotonic() + POOL_SHARE * left
        found = best_in_neighbourhood(compiled, best, options, started, step_deadline, cuts,
                                      ties=ties)
        if found is None or not keeps_every_rule(compiled, found):  # by construction it does
            continue
        if round_key(compiled, found) < round_key(compiled, best):
            best = found  # (a tier may run out of time on a round no better than the start)
    return best


def best_in_neighbourhood(compiled: Compiled, assignment: IntArray, options: SolveOptions,
                          started: float, deadline: float | None,
                          cuts: Callable[[SatModel], TierCut | None] | None = None, *,
                          ties: bool = True) -> IntArray | None:
    """CP-SAT's best round of the neighbourhood of ``assignment`` (an envy-free round keeping
    every rule), tier by tier; ``None`` when it found none by ``deadline``. With ``ties``
    (tie movers too), a tier not proven in its share of the time keeps what it found while
    the next ones are searched (the larger model rarely proves its first tier in seconds)."""
    threshold = thresholds(compiled, assignment)
    edges, fixed = reseat_edges(compiled, assignment, threshold, ties=ties)
    if fixed.all():
        return assignment
    sat = build_model(compiled, edges=edges, fans=Fans(_EMPTY, _EMPTY, _EMPTY),
                      full_posts=np.flatnonzero(np.isfinite(threshold)))
    for i in np.flatnonzero(fixed).tolist():
        sat.model.add(sat.x[i] == 1)
    # Tie movers keep a seat of their rank: one of their pairs (the pool's may all be off).
    pool = reseat_pool(compiled, assignment)
    moving = np.flatnonzero(~fixed & ~pool[edges.cand])
    starts = np.flatnonzero(np.r_[True, edges.cand[moving][1:] != edges.cand[moving][:-1]])
    for group in np.split(moving, starts[1:]) if len(moving) else []:
        sat.model.add_exactly_one(sat.x[i] for i in group.tolist())
    order = compiled.problem.objective.order
    if order:  # the round is in the neighbourhood: its first tier is a bound
        first, value = order[0], scaled_tier(sat, order[0], assignment)
        sat.model.add(sat.tiers[first] >= value if first in MAXIMISED
                      else sat.tiers[first] <= value)
    # The pool's model gets no hint: given the round, CP-SAT spent the whole limit in
    # presolve and went 40% over it (20k round: 22 s to the optimum without). The model
    # with tie movers needs one (without, no round at 20k in 60 s); its presolve is light.
    tiers = solve_tiers(sat, options, started, deadline, hint=assignment, hints=ties,
                        known_bound=None if cuts is None else cuts(sat), settle=ties,
                        in_hand=True)
    return tiers.assignment
