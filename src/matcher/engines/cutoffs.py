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

from dataclasses import replace

import numpy as np

from matcher.columns import FloatArray, IntArray
from matcher.compile import Compiled
from matcher.eligibility import Compatibility
from matcher.engines.serial import ranked_options


def score_cutoffs(compiled: Compiled) -> FloatArray:
    """Per post, the score below which no unlocked candidate holds it in an envy-free round
    (``-inf`` where nothing is known)."""
    m = compiled.m
    cutoff = np.full(m, -np.inf)
    cand, post, rank = ranked_options(compiled)  # by candidate, then rank, then post
    if len(cand) == 0:
        return cutoff
    locked = np.flatnonzero(compiled.lock_post >= 0)
    seats = compiled.capacity - np.bincount(compiled.lock_post[locked], minlength=m)
    pinned = np.zeros(m, dtype=np.int64)
    sharing: dict[tuple[int, ...], int] = {}
    score = compiled.score[cand]
    by_level = np.argsort(-score, kind="stable")  # keeps candidate and rank order
    levels, starts = np.unique(-score[by_level], return_index=True)
    ends = np.append(starts[1:], len(by_level))
    for level, start, end in zip((-levels).tolist(), starts.tolist(), ends.tolist(), strict=True):
        rows = by_level[start:end]
        rows = rows[pinned[post[rows]] < seats[post[rows]]]  # posts still open to the level
        if len(rows) == 0:
            continue
        c, r = cand[rows], rank[rows]
        first_row = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        first_rank = np.repeat(r[first_row], np.diff(np.append(first_row, len(c))))
        at_first = rows[r == first_rank]
        per_candidate = np.bincount(cand[at_first], minlength=compiled.n)
        alone = per_candidate[cand[at_first]] == 1
        np.add.at(pinned, post[at_first[alone]], 1)
        closing = pinned >= seats
        for posts in _shared_sets(cand[at_first[~alone]], post[at_first[~alone]], sharing,
                                  seats):
            closing[posts] = True
        cutoff[closing & np.isneginf(cutoff)] = level
    return cutoff


def cut_by_priority(compiled: Compiled) -> Compiled:
    """``compiled`` with its score cutoffs when it asks for score-first priority (the pairs
    a model of the whole problem needs; its envy clauses still come from ``compiled``)."""
    if not compiled.problem.rules.respect_priority:
        return compiled
    return with_cutoffs(compiled, score_cutoffs(compiled))


def with_cutoffs(compiled: Compiled, cutoff: FloatArray) -> Compiled:
    """``compiled`` in which no unlocked candidate may hold a post scoring below its cutoff:
    the eligibility profiles are split by score band and the post classes by cutoff, so every
    engine that reads eligibility (the network's shared adjustment routes included) drops
    those pairs without listing them."""
    finite = np.unique(cutoff[np.isfinite(cutoff)])
    if len(finite) == 0:
        return compiled
    compat = compiled.compat
    band = np.searchsorted(finite, compiled.score, side="right")  # cutoffs at or below
    band[compiled.lock_post >= 0] = len(finite)  # cutoffs bind unlocked holders only
    level = np.where(np.isfinite(cutoff), np.searchsorted(finite, cutoff) + 1, 0)
    profile_of, profile = _regroup(compat.profile, band)
    class_of, post_class = _regroup(compat.post_class, level)
    band_of_profile = profile_of[:, 1]
    level_of_class = class_of[:, 1]
    admits = band_of_profile[:, None] >= level_of_class[None, :]
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
    return replace(compiled, compat=split)


def _regroup(group: IntArray, extra: IntArray) -> tuple[IntArray, IntArray]:
    """Groups refined by ``extra``: each new group's (old group, extra), and each item's new
    group."""
    keys = np.stack([group, extra], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1).astype(np.int64)


def _shared_sets(cand: IntArray, post: IntArray, sharing: dict[tuple[int, ...], int],
                 seats: IntArray) -> list[list[int]]:
    """Count the candidates whose first open rank offers the same several posts (``cand``
    and ``post`` their rows, by candidate) into ``sharing``; return each such set that now
    has at least as many candidates as seats.

    Each of them holds a post of the set or is worse off than all of it, which is then full
    of holders scoring at least theirs: so once the set has as many of them as seats, it is
    full of them or of higher scorers, and closes for lower levels. (Counting candidates
    whose set is only *inside* another would not do: a higher scorer may take the seat a
    lower one was counted on.)
    """
    full: list[list[int]] = []
    if len(cand) == 0:
        return full
    bounds = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1], True])
    posts = post.tolist()
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        key = tuple(posts[start:end])
        count = sharing.get(key, 0) + 1
        sharing[key] = count
        if count == int(seats[list(key)].sum()):
            full.append(list(key))
    return full
