"""Score cutoffs that every round without justified envy obeys (SPEC §4 Priority).

Score-first priority is what makes the network relaxation a poor bound: without it the
relaxation seats cheap low scorers where the rule seats high scorers at worse ranks. Part of
the rule can be said before solving, as a *cutoff* per post: a score below which no unlocked
candidate holds the post in any envy-free round. Those pairs simply leave the relaxation.

The cutoffs come from score levels, highest first. A candidate's *first open rank* is its
best rank with a post not yet closed to its level; the candidate is *pinned* to a post when
that rank has exactly one such post. A post closes, for every lower level, once as many
candidates are pinned to it as it has unlocked seats; its cutoff is the level where that
happens.

Why no envy-free round breaks a cutoff (by induction from the highest score): say unlocked
``k`` holds ``p`` scoring below its cutoff. Then ``p``'s unlocked seats are fewer than the
candidates pinned to it, all scoring above ``k``, so one of them, ``h``, is not at ``p``.
Every post ``h`` ranks at least as well as ``p`` (but ``p``) closed before ``h``'s level, so
by induction ``h`` does not hold it: ``h`` holds a worse rank or none. ``h`` ranks ``p`` and
may hold it, so no envy means ``p`` is full of unlocked holders scoring at least ``h``'s; but
``k`` holds it and scores less. Ties are not envy, so cutoffs compare strictly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from matcher.columns import BoolArray, FloatArray, IntArray
from matcher.compile import Compiled, EdgeSet
from matcher.eligibility import Compatibility
from matcher.engines.cpsat_priority import Fans
from matcher.engines.serial import ranked_options


def score_cutoffs(compiled: Compiled) -> FloatArray:
    """Per post, the score below which no unlocked candidate holds it in an envy-free round
    (``-inf`` where nothing is known)."""
    m = compiled.m
    cutoff = np.full(m, -np.inf)
    cand, post, rank = ranked_options(compiled)  # by candidate, then rank, then post
    if len(cand) == 0:
        return cutoff
    tally = _Tally(compiled.unlocked_seats.copy())
    score = compiled.score[cand]
    by_level = np.argsort(-score, kind="stable")  # keeps candidate and rank order
    levels, starts = np.unique(-score[by_level], return_index=True)
    ends = np.append(starts[1:], len(by_level))
    for level, start, end in zip((-levels).tolist(), starts.tolist(), ends.tolist(), strict=True):
        rows = by_level[start:end]
        rows = rows[np.isneginf(cutoff[post[rows]])]  # posts still open to the level
        if len(rows) == 0:
            continue
        c, r = cand[rows], rank[rows]
        first_row = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        first_rank = np.repeat(r[first_row], np.diff(np.append(first_row, len(c))))
        at_first = rows[r == first_rank]
        closing = tally.count(cand[at_first], post[at_first])
        cutoff[closing & np.isneginf(cutoff)] = level
    return cutoff


class _Tally:
    """The candidates counted so far, each by the posts of its first open rank (its *open
    set*), and the posts that are full of them (or of higher scorers) whatever they do.

    Each counted candidate holds a post of its open set or is worse off than every post in
    it (its better ranks are closed to it), and then, as it ranks them and may hold them, no
    envy means each of them is full of holders scoring at least its own. Three ways a post
    ``p`` is then full of counted candidates or higher scorers:

    * *pinned*: as many candidates as seats have ``p`` alone as their open set;
    * *shared*: as many candidates as seats of a set of posts have exactly that open set;
    * *reach*: if ``p`` had a seat free or held by a lower scorer, every counted candidate
      whose open set holds ``p`` would hold a post of its open set; so once they are at
      least as many as the seats of the union of their open sets, ``p`` is full.

    (Counting candidates whose open set is only *inside* a set would not do: a higher
    scorer may take the seat a lower one was counted on.) The reach is kept for open sets
    of at most ``REACH_SET`` posts: wide ones (a whole province) reach too many seats to
    close anything.
    """

    REACH_SET = 8

    def __init__(self, seats: IntArray) -> None:
        self.seats = seats
        self.pinned = np.zeros(len(seats), dtype=np.int64)
        self.sharing: dict[tuple[int, ...], int] = {}
        self.fans = np.zeros(len(seats), dtype=np.int64)
        self.reach: dict[int, set[int]] = {}
        self.reach_seats = np.zeros(len(seats), dtype=np.int64)

    def count(self, cand: IntArray, post: IntArray) -> BoolArray:
        """Count one level's candidates (their open sets' rows, by candidate); return which
        posts are now full of counted candidates."""
        closing = np.zeros(len(self.seats), dtype=np.bool_)
        bounds = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1], True])
        posts = post.tolist()
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if end - start == 1:
                self.pinned[posts[start]] += 1
            else:
                key = tuple(posts[start:end])
                self.sharing[key] = self.sharing.get(key, 0) + 1
                if self.sharing[key] == int(self.seats[list(key)].sum()):
                    closing[list(key)] = True
            if end - start <= self.REACH_SET:
                self._reach(posts[start:end])
        closing |= self.pinned >= self.seats
        closing |= (self.fans > 0) & (self.fans >= self.reach_seats)
        return closing

    def _reach(self, open_set: list[int]) -> None:
        for p in open_set:
            self.fans[p] += 1
            reach = self.reach.setdefault(p, set())
            new = [q for q in open_set if q not in reach]
            reach.update(new)
            self.reach_seats[p] += int(self.seats[new].sum())


@dataclass(frozen=True)
class PriorityCut:
    """What a CP-SAT model of a problem under priority takes from the cutoffs.

    ``compiled`` is the problem with its cutoffs (its pairs are the model's); ``full`` are
    the posts with a cutoff, which every envy-free round fills (the proof above: a free
    seat is a contradiction like a lower holder); ``fans`` are the ranked pairs whose envy
    clause these do not already imply. A candidate scoring below a post's cutoff finds it
    full of holders scoring at least the cutoff, so their clause there always holds.
    """

    compiled: Compiled
    cutoff: FloatArray
    full: IntArray
    fans: Fans

    def admitted(self, edges: EdgeSet) -> EdgeSet:
        """``edges`` without the pairs below a cutoff (``compiled`` may round cutoffs down
        to fit its tables; a model's listed pairs take them exactly)."""
        score = self.compiled.score[edges.cand]
        return edges.select(edges.locked | (score >= self.cutoff[edges.post]))


def cut_by_priority(compiled: Compiled) -> PriorityCut | None:
    """The :class:`PriorityCut` of ``compiled``, when it asks for score-first priority."""
    if not compiled.problem.rules.respect_priority:
        return None
    cutoff = score_cutoffs(compiled)
    cand, post, rank = ranked_options(compiled)
    implied = compiled.score[cand] < cutoff[post]
    return PriorityCut(with_cutoffs(compiled, cutoff), cutoff,
                       np.flatnonzero(np.isfinite(cutoff)), Fans.of(cand, post, rank, ~implied))


SPLIT_CELLS = 30_000_000  # most profile × class cells of the split eligibility tables


def with_cutoffs(compiled: Compiled, cutoff: FloatArray) -> Compiled:
    """``compiled`` in which no unlocked candidate may hold a post scoring below its cutoff
    (as :func:`fitted`): the eligibility profiles are split by score band and the post
    classes by cutoff, so every engine that reads eligibility (the network's shared
    adjustment routes included) drops those pairs without listing them."""
    cutoff = fitted(compiled, cutoff)
    values = np.unique(cutoff[np.isfinite(cutoff)])
    if len(values) == 0:
        return compiled
    compat = compiled.compat
    profile_of, profile, class_of, post_class = _split(compiled, cutoff, values)
    admits = profile_of[:, 1][:, None] >= class_of[:, 1][None, :]
    u, v = profile_of[:, 0], class_of[:, 0]
    split = Compatibility(
        profile=profile,
        post_class=post_class,
        attributes_ok=compat.attributes_ok[u][:, v] & admits,
        pairings_ok=compat.pairings_ok[u][:, v],
        candidate_ok=compat.candidate_ok,
        rule_matches_class=compat.rule_matches_class[v],
        rule_admits_profile=compat.rule_admits_profile[u],
        exclusive=compat.exclusive,
    )
    cut = replace(compiled, compat=split)
    if "ranked" in compiled.__dict__:  # the wish expansion does not depend on eligibility
        cut.__dict__["ranked"] = compiled.ranked
    return cut


def fitted(compiled: Compiled, cutoff: FloatArray) -> FloatArray:
    """``cutoff`` as :func:`with_cutoffs` can split by it: the split tables grow with bands ×
    profiles × classes, so beyond :data:`SPLIT_CELLS` cells (a national round has tens of
    thousands of profiles) fewer cutoff values are kept, each post's cutoff rounded down
    to one of them (weaker, still true), down to none at all."""
    values = np.unique(cutoff[np.isfinite(cutoff)])
    while len(values):
        rounded = _rounded(cutoff, values)
        profile_of, _, class_of, _ = _split(compiled, rounded, values)
        if len(profile_of) * len(class_of) <= SPLIT_CELLS:
            return rounded
        values = values[len(values) % 2::2]  # every other value, the highest kept
    return np.full(len(cutoff), -np.inf)


def _rounded(cutoff: FloatArray, values: FloatArray) -> FloatArray:
    """Each cutoff rounded down to the nearest of ``values`` (``-inf`` below them all)."""
    below = np.searchsorted(values, cutoff, side="right")
    return np.where(below > 0, values[np.maximum(below - 1, 0)], -np.inf)


def _split(compiled: Compiled, cutoff: FloatArray, values: FloatArray
           ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Profiles refined by score band (how many ``values`` a candidate reaches) and classes
    by cutoff band: each new profile's (old, band) and each candidate's new profile; the
    same for classes and posts."""
    band = np.searchsorted(values, compiled.score, side="right")
    band[compiled.lock_post >= 0] = len(values)  # cutoffs bind unlocked holders only
    level = np.searchsorted(values, cutoff, side="right")
    profile_of, profile = _regroup(compiled.compat.profile, band)
    class_of, post_class = _regroup(compiled.compat.post_class, level)
    return profile_of, profile, class_of, post_class


def _regroup(group: IntArray, extra: IntArray) -> tuple[IntArray, IntArray]:
    """Groups refined by ``extra``: each new group's (old group, extra), and each item's new
    group."""
    keys = np.stack([group, extra], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1).astype(np.int64)

