"""Does a round keep every hard rule? Array checks for the rounds an engine has in hand.

The hybrid engine holds several rounds before CP-SAT starts (the serial start, the couples
search's best round, the relaxation's optimum) and wants the best one that is a solution of
the whole problem as its hint. These checks are the array form of :mod:`matcher.verify`'s
(which reads the problem's objects and is the reference); they assume the round already
keeps what every engine keeps by construction: eligibility, capacities, locks, forbidden
pairs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled
from matcher.engines.couples import split_couples
from matcher.engines.cpsat_priority import score_levels
from matcher.engines.serial import ranked_options
from matcher.objective import holds


def envious(compiled: Compiled, assignment: IntArray) -> BoolArray:
    """Per ranked pair of :func:`ranked_options`, whether its candidate has justified envy
    for its post (SPEC §4 Priority): the candidate holds a worse rank or none, and the post
    has a free seat or a lower-scoring unlocked holder."""
    cand, post, rank = ranked_options(compiled)
    held_rank = compiled.held_ranks(assignment)[cand]
    wants = (held_rank == 0) | (held_rank > rank)
    level = score_levels(compiled)
    full, lowest = fill_and_least_level(compiled, assignment, level)
    open_to = ~full[post] | (lowest[post] < level[cand])
    result: BoolArray = wants & open_to
    return result


def fill_and_least_level(compiled: Compiled, assignment: IntArray, level: IntArray
                         ) -> tuple[BoolArray, IntArray]:
    """Per post, whether it is full and the least score ``level`` (:func:`score_levels`)
    among its unlocked holders (the int64 maximum when none): a post is closed to a candidate
    when full and that level is at least theirs (SPEC §4 Priority)."""
    placed = assignment >= 0
    full: BoolArray = (np.bincount(assignment[placed], minlength=compiled.m)
                       >= compiled.capacity)
    unlocked = np.flatnonzero(placed & (assignment != compiled.lock_post))
    lowest = np.full(compiled.m, np.iinfo(np.int64).max)
    np.minimum.at(lowest, assignment[unlocked], level[unlocked])
    return full, lowest


def keeps_every_rule(compiled: Compiled, assignment: IntArray) -> bool:
    """Whether the round keeps the couples, score-first priority and every hard quota (the
    checks stop at the first rule broken: the envy check is the costly one)."""
    return next(broken_rules(compiled, assignment), None) is None


def broken_rules(compiled: Compiled, assignment: IntArray) -> Iterator[str]:
    """The rules of those the round breaks, checked one at a time: ``couples``, each hard
    quota's id, ``respect_priority``."""
    if split_couples(compiled, assignment):
        yield "couples"
    pairs = compiled.pairs(assignment)
    yield from (q.id for q in compiled.quotas if q.hard and not holds(q, pairs))
    if compiled.problem.rules.respect_priority and envious(compiled, assignment).any():
        yield "respect_priority"
