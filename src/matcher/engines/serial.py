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

from matcher.columns import BoolArray, FloatArray, IntArray
from matcher.compile import Compiled, CompiledQuota


def ranked_options(compiled: Compiled) -> tuple[IntArray, IntArray, IntArray]:
    """Every ranked pair a candidate may hold (eligible, not forbidden, not locked), sorted
    by candidate, then rank, then post (read-only; worked out once per compiled problem)."""
    return compiled.ranked_options


def serial_dictatorship(compiled: Compiled, reserved: dict[int, int] | None = None
                        ) -> IntArray:
    """The assignment described in the module docstring (post index per candidate, -1 = none).

    ``reserved`` maps 服从调剂 candidates to a post each that they take by adjustment at
    their own turn, when no ranked post of theirs is left (rather than waiting for the
    fill): still no envy, as every post they rank was full when their turn came, and the
    seat they take is one that lower scorers find full. The hybrid reserves seats this way
    to keep quotas that plain score order breaks (:mod:`matcher.engines.blocking`)."""
    reserved = reserved or {}
    n = compiled.n
    assignment = np.full(n, -1, dtype=np.int64)
    locked = np.flatnonzero(compiled.lock_post >= 0)
    assignment[locked] = compiled.lock_post[locked]
    free = compiled.unlocked_seats.copy()
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
            if d >= 0:  # the partner is locked: stay in their couple-scope area
                options = options[compiled.scope[options] == compiled.scope[compiled.lock_post[d]]]
            open_ = options[free[options] > 0]
            if len(open_):
                assignment[c] = open_[0]
                free[open_[0]] -= 1
            elif c in reserved and free[reserved[c]] > 0 and d < 0:
                assignment[c] = reserved[c]
                free[reserved[c]] -= 1
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
    early = np.zeros(n, dtype=np.bool_)  # a reserved seat may have turned fans away
    early[[c for c, p in reserved.items() if assignment[c] == p]] = True
    _reroute_for_empty_seats(compiled, assignment, free, ~early)
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


HARD_WEIGHT = 1e9  # a hard quota's deviation outweighs any soft one in the fill


def _deviation(quota: CompiledQuota, count: FloatArray, base: FloatArray) -> FloatArray:
    """SPEC §4 deviation, vectorised in floats (the fill only ranks options with it)."""
    dev = np.zeros_like(count)
    if quota.min is not None:
        dev += np.maximum(0, quota.min - count)
    if quota.max is not None:
        dev += np.maximum(0, count - quota.max)
    if quota.min_share is not None:
        dev += np.maximum(0, float(quota.min_share) * base - count)
    if quota.max_share is not None:
        dev += np.maximum(0, count - float(quota.max_share) * base)
    return dev


class _QuotaTally:
    """Each quota's N and D on the current assignment, and what one more pair would cost."""

    def __init__(self, compiled: Compiled, assignment: IntArray) -> None:
        self.quotas = compiled.quotas
        pairs = compiled.pairs(assignment)
        counts = [q.count_and_base(pairs) for q in self.quotas]
        self.count = np.array([c for c, _ in counts], dtype=np.float64)
        self.base = np.array([b for _, b in counts], dtype=np.float64)
        self.weight = np.array([HARD_WEIGHT if q.hard else float(q.penalty)
                                for q in self.quotas])

    def _effects(self, c: int, posts: IntArray) -> tuple[FloatArray, FloatArray]:
        counted = np.array([q.cand_mask[c] & q.post_mask[posts] for q in self.quotas],
                           dtype=np.float64).reshape(len(self.quotas), len(posts))
        based = np.array([np.broadcast_to(q.cand_mask[c] if q.share_base == "candidates"
                                          else q.post_mask[posts], posts.shape)
                          for q in self.quotas], dtype=np.float64).reshape(counted.shape)
        return counted, based

    def added_cost(self, c: int, posts: IntArray) -> FloatArray:
        """Weighted change of the quota deviations if ``c`` took each of ``posts``."""
        if not self.quotas:
            return np.zeros(len(posts))
        counted, based = self._effects(c, posts)
        total = np.zeros(len(posts))
        for k, quota in enumerate(self.quotas):
            count, base = self.count[k], self.base[k]
            before = _deviation(quota, np.array([count]), np.array([base]))[0]
            after = _deviation(quota, count + counted[k], base + based[k])
            total += self.weight[k] * (after - before)
        return total

    def add(self, c: int, post: int) -> None:
        if self.quotas:
            counted, based = self._effects(c, np.array([post]))
            self.count += counted[:, 0]
            self.base += based[:, 0]


def _fill_by_adjustment(compiled: Compiled, assignment: IntArray, free: IntArray,
                        order: IntArray, batch: int = 64) -> None:
    """Seats left go to unplaced 服从调剂 candidates in score order (couples excepted: a
    partner alone would break the couple rule).

    Any adjuster may take a seat that is left: every fan of the post was served. So the
    fill looks after the quotas: a first pass places only candidates who make no quota worse,
    each where the quotas gain most and then at its cheapest post; a second pass fills what
    is left at the least quota harm. Preference costs are computed for a batch of candidates
    at a time, over the posts still open (usually few)."""
    fillable = _fillable(compiled)
    tally = _QuotaTally(compiled, assignment)
    for strict in (True, False):
        waiting = (assignment < 0) & fillable
        queue = order[waiting[order]]
        for start in range(0, len(queue), batch):
            posts = np.flatnonzero(free > 0)
            if not len(posts):
                return
            block = queue[start:start + batch]
            table = _adjustment_costs(compiled, block, posts)
            for row, c in enumerate(block.tolist()):
                open_ = (free[posts] > 0) & (table[row] < _NONE)
                if not open_.any():
                    continue
                harm = tally.added_cost(c, posts)
                if strict:
                    open_ &= harm <= 0
                    if not open_.any():
                        continue
                key = np.where(open_, harm * (compiled.problem.objective.adjustment_cost + 1e6)
                               + table[row], np.inf)
                pick = int(posts[np.argmin(key)])
                assignment[c] = pick
                free[pick] -= 1
                tally.add(c, pick)


_NONE = np.iinfo(np.int64).max


def _reroute_for_empty_seats(compiled: Compiled, assignment: IntArray, free: IntArray,
                             movable: BoolArray) -> None:
    """Fill a seat the greedy fill left empty by moving an adjusted candidate there and an
    unplaced one into the seat it frees (one augmenting step per seat). Both posts were open
    when adjustment began, so every fan of theirs was served and nobody comes to envy; a
    candidate who took a reserved seat at their turn is not ``movable`` (a lower scorer in
    that seat could be envied by the fans it turned away)."""
    movable_base = _fillable(compiled) & movable
    for p in np.flatnonzero(free > 0).tolist():
        for _ in range(int(free[p])):
            waiting = np.flatnonzero(movable_base & (assignment < 0))
            placed = np.flatnonzero(movable_base & (assignment >= 0))
            if not len(waiting) or not len(placed):
                return
            placed = placed[compiled.rank_of(placed, assignment[placed]) == 0]
            movers = placed[compiled.may_hold(placed, np.full(len(placed), p))]
            moved = False
            for a in movers.tolist():
                q = int(assignment[a])
                fits = waiting[compiled.may_hold(waiting, np.full(len(waiting), q))]
                if len(fits):
                    assignment[a], assignment[int(fits[0])] = p, q
                    free[p] -= 1
                    moved = True
                    break
            if not moved:
                break


def _fillable(compiled: Compiled) -> BoolArray:
    """Candidates adjustment may place or move: 服从调剂, eligible somewhere, not locked, not
    in a couple (a partner moved alone would break the couple rule)."""
    fillable: BoolArray = compiled.adjusts & movable_alone(compiled)
    return fillable


def movable_alone(compiled: Compiled) -> BoolArray:
    """Candidates a round may place, move or unplace on their own: eligible, not locked,
    not in a couple."""
    in_couple: BoolArray = np.zeros(compiled.n, dtype=np.bool_)
    for a, b in compiled.couples:
        in_couple[a] = in_couple[b] = True
    movable: BoolArray = (compiled.compat.candidate_ok & ~in_couple
                          & (compiled.lock_post < 0))
    return movable


def _adjustment_costs(compiled: Compiled, block: IntArray, posts: IntArray) -> IntArray:
    """Preference cost of each candidate of ``block`` at each of ``posts`` (``_NONE`` where
    the pair is not allowed), as a ``len(block) × len(posts)`` table."""
    cc, pp = np.repeat(block, len(posts)), np.tile(posts, len(block))
    ok = compiled.may_hold(cc, pp)
    cost = np.full(len(cc), _NONE, dtype=np.int64)
    cost[ok] = compiled.costs(cc[ok], pp[ok], compiled.rank_of(cc[ok], pp[ok]))
    table: IntArray = cost.reshape(len(block), len(posts))
    return table
