"""The ways a round is allocated without matcher, as baselines for the benchmark.

* :func:`serial_dictatorship` — 分数优先、遵循志愿 as a project office does it by hand or in a
  spreadsheet: candidates in descending score take their best-ranked post that still has a
  free seat; then those who accept adjustment (服从调剂), again by score, take the cheapest
  free post they may hold. Offices check the personal requirements of a post (degree, major,
  languages, gender, level, service period) and forbidden pairs, but in practice not the
  pairing rules (对口支援) nor the indicators and targets, which are reconciled afterwards.
  So this peer checks SPEC §3 except pairings, ignores quotas and couples, and the benchmark
  counts how often that breaks a rule.
* :func:`deferred_acceptance` — the resident-proposing deferred acceptance of the ``matching``
  package (PyPI), the library a developer would reach for: residents are candidates with
  their ranked eligible posts (SPEC §3 in full, pairings included) as preferences, those who
  accept adjustment followed by every other eligible post, cheapest first; hospitals are
  posts with their capacity, preferring higher scores. It knows nothing of quotas or couples.

Both return an *assignment* (post index per candidate, -1 unplaced) over a
:class:`~matcher.compile.Compiled` problem; :func:`to_solution` turns one into a SPEC §7
solution that :func:`matcher.verify.verify` can judge. Ties (equal scores, equally good
posts) are broken by file order, so every peer is deterministic.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled
from matcher.objective import tier_values
from matcher.solution import (
    Reason,
    Solution,
    SolverInfo,
    Status,
    TierValues,
    Unassigned,
)
from matcher.solve import assignment_records, quota_reports


class PeerSkipped(Exception):
    """The peer would not finish (or not fit) at this size; the message says why."""


@dataclass
class Options:
    """Ranked options of every unlocked candidate, flat and sorted by candidate, then rank,
    then cost, then post; ``start[c]:start[c + 1]`` are candidate ``c``'s."""

    cand: IntArray
    post: IntArray
    rank: IntArray
    cost: IntArray
    start: IntArray


def ranked_options(compiled: Compiled, *, with_pairings: bool) -> Options:
    """Every wish-ranked pair the candidate may hold (SPEC §3, pairings optional), best first."""
    rc, rp, rr = compiled.ranked
    keep = compiled.compat.allowed(rc, rp, with_pairings=with_pairings)
    keep &= compiled.lock_post[rc] < 0
    if len(compiled.forbidden_keys):
        keep &= ~np.isin(compiled.pair_keys(rc, rp), compiled.forbidden_keys)
    cand, post, rank = rc[keep], rp[keep], rr[keep]
    cost = compiled.costs(cand, post, rank)
    order = np.lexsort((post, cost, rank, cand))
    cand, post, rank, cost = cand[order], post[order], rank[order], cost[order]
    start = np.searchsorted(cand, np.arange(compiled.n + 1)).astype(np.int64)
    return Options(cand, post, rank, cost, start)


def score_order(compiled: Compiled) -> IntArray:
    """Candidates by descending score, file order among equal scores."""
    order: IntArray = np.lexsort((np.arange(compiled.n), -compiled.score)).astype(np.int64)
    return order


@dataclass
class AdjustedCosts:
    """Per-post columns for the cost of an *adjusted* (unranked) assignment to one candidate,
    so that a candidate's cheapest free post is a few vector operations."""

    compiled: Compiled
    province: IntArray
    continuity: IntArray
    fits: dict[int, BoolArray]  # major code → posts that prefer that major

    @classmethod
    def build(cls, compiled: Compiled) -> AdjustedCosts:
        interner = compiled.candidates.interner
        fits: dict[int, BoolArray] = {}
        for p, post in enumerate(compiled.problem.posts):
            for major in post.preferred_major_categories:
                row = fits.setdefault(interner.code(major), np.zeros(compiled.m, np.bool_))
                row[p] = True
        continuity = np.array([interner.lookup(p.continuity_university)
                               if p.continuity_university is not None else -2
                               for p in compiled.problem.posts], dtype=np.int64)
        return cls(compiled, compiled.posts.columns["province"], continuity, fits)

    def of(self, c: int, posts: IntArray) -> IntArray:
        """SPEC §5 cost of candidate ``c`` at each of ``posts``, none of which it ranks."""
        objective = self.compiled.problem.objective
        cols = self.compiled.candidates.columns
        cost = np.full(len(posts), objective.adjustment_cost, dtype=np.int64)
        if objective.home_bonus:
            cost -= objective.home_bonus * (self.province[posts] == cols["home_province"][c])
        fit = self.fits.get(int(cols["major_category"][c]))
        if objective.fit_bonus and fit is not None:
            cost -= objective.fit_bonus * fit[posts]
        if objective.continuity_bonus:
            cost -= objective.continuity_bonus * (self.continuity[posts] == cols["university"][c])
        return cost


def _free_seats(compiled: Compiled) -> IntArray:
    """Seats left once the locks are placed."""
    locked = compiled.lock_post[compiled.lock_post >= 0]
    seats: IntArray = compiled.capacity - np.bincount(locked, minlength=compiled.m)
    return seats


def serial_dictatorship(compiled: Compiled) -> IntArray:
    """分数优先、遵循志愿 by hand: see the module docstring for what it checks and ignores."""
    assignment = compiled.lock_post.copy()
    seats = _free_seats(compiled)
    options = ranked_options(compiled, with_pairings=False)
    order = score_order(compiled)
    start, opt_post = options.start.tolist(), options.post.tolist()
    seats_list = seats.tolist()
    for c in order.tolist():
        for i in range(start[c], start[c + 1]):
            p = opt_post[i]
            if seats_list[p] > 0:
                seats_list[p] -= 1
                assignment[c] = p
                break
    seats = np.array(seats_list, dtype=np.int64)
    # Adjustment round. Every post a waiting candidate ranks was full when their turn came,
    # and seats only fill, so every free post they may hold is an adjusted one for them.
    compat = compiled.compat
    waiting = (assignment < 0) & compiled.adjusts & compat.candidate_ok
    costs = AdjustedCosts.build(compiled)
    free = np.flatnonzero(seats > 0)
    forbidden = compiled.forbidden_keys
    for c in order[waiting[order]].tolist():
        if len(free) == 0:
            break
        ok = compat.attributes_ok[compat.profile[c]][compat.post_class[free]]
        if len(forbidden):
            ok &= ~np.isin(compiled.pair_keys(np.full(len(free), c), free), forbidden)
        mine = free[ok]
        if len(mine) == 0:
            continue
        p = int(mine[np.argmin(costs.of(c, mine))])
        assignment[c] = p
        seats[p] -= 1
        if seats[p] == 0:
            free = free[free != p]
    return assignment


def adjusted_entries(compiled: Compiled) -> int:
    """How many adjusted candidate-post pairs (SPEC §3, pairings included) the adjusters have,
    counted on the profile × class matrix without materialising them."""
    compat = compiled.compat
    ok = compat.attributes_ok & compat.pairings_ok
    class_size = np.bincount(compat.post_class, minlength=ok.shape[1])
    per_profile = ok.astype(np.int64) @ class_size
    adjusters = compiled.adjusts & compat.candidate_ok & (compiled.lock_post < 0)
    return int(per_profile[compat.profile[adjusters]].sum())


def deferred_acceptance(compiled: Compiled, *, max_entries: int | None = None,
                        timings: dict[str, float] | None = None) -> IntArray:
    """Resident-proposing deferred acceptance of ``matching.games.HospitalResident``.

    ``max_entries`` caps the preference entries (resident lists plus hospital lists) handed to
    the library, which keeps every list as Python objects and rebuilds lists on each rejection:
    above the cap :class:`PeerSkipped` is raised before anything is built. ``timings``
    receives the seconds spent building the game (the library's input checks included) and
    solving it.
    """
    from matching.games import HospitalResident  # type: ignore[import-untyped]

    options = ranked_options(compiled, with_pairings=True)
    extra = adjusted_entries(compiled)
    entries = 2 * (len(options.cand) + extra)
    if max_entries is not None and entries > max_entries:
        raise PeerSkipped(f"skipped: would materialise {entries:,} preference entries "
                          f"({len(options.cand):,} ranked + {extra:,} adjusted pairs, both sides)")
    started = time.perf_counter()
    compat = compiled.compat
    costs = AdjustedCosts.build(compiled)
    ok_class = compat.attributes_ok & compat.pairings_ok
    forbidden = compiled.forbidden_keys
    assignment = compiled.lock_post.copy()
    seats = _free_seats(compiled)
    open_posts = np.flatnonzero(seats > 0)
    resident_prefs: dict[int, list[int]] = {}
    for c in range(compiled.n):
        if not compat.candidate_ok[c] or compiled.lock_post[c] >= 0:
            continue
        ranked = options.post[options.start[c]:options.start[c + 1]]
        ranked = ranked[seats[ranked] > 0]
        prefs = ranked.tolist()
        if compiled.adjusts[c]:
            rest = open_posts[ok_class[compat.profile[c]][compat.post_class[open_posts]]]
            rest = rest[~np.isin(rest, ranked)]
            if len(forbidden):
                rest = rest[~np.isin(compiled.pair_keys(np.full(len(rest), c), rest),
                                     forbidden)]
            rest = rest[np.lexsort((rest, costs.of(c, rest)))]
            prefs += rest.tolist()
        if prefs:
            resident_prefs[c] = prefs
    applicants: dict[int, list[int]] = {}
    for c in score_order(compiled).tolist():
        for p in resident_prefs.get(c, ()):
            applicants.setdefault(p, []).append(c)
    capacities = {p: int(seats[p]) for p in applicants}
    stamps: list[float] = []

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(resident_prefs, applicants,
                                                             capacities)
            stamps.append(time.perf_counter())
            return game.solve(optimal="resident")

    matching = _deep_stack(run)
    built, solved = stamps[0], time.perf_counter()
    for hospital, residents in matching.items():
        for resident in residents:
            assignment[resident.name] = hospital.name
    if timings is not None:
        timings.update(build_s=built - started, solve_s=solved - built)
    return assignment


def _deep_stack(work: Callable[[], Any]) -> Any:
    """Run ``work`` in a thread with a large stack and recursion limit.

    ``HospitalResident`` deep-copies its players, whose preference lists point at each other,
    with :func:`copy.deepcopy`, which recurses once per object reached: a thousand candidates
    already exceed Python's default limit of 1,000 frames.
    """
    result: list[Any] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    old_limit, old_size = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(10_000_000)
    threading.stack_size(1 << 30)  # virtual; only touched pages become resident
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if failure:
        raise failure[0]
    return result[0]


def to_solution(compiled: Compiled, assignment: IntArray, engine: str,
                time_s: float) -> Solution:
    """A SPEC §7 solution of ``assignment``, with exact objective values and quota reports.

    The status is ``unknown``: a peer proves nothing, so it reports no bound and
    :func:`matcher.verify.verify` judges its assignments on the rules alone.
    """
    problem = compiled.problem
    pairs = compiled.pairs(assignment)
    values = tier_values(compiled, pairs)
    reason = [Reason(code="peer", detail=f"not placed by {engine}")]
    unassigned = [Unassigned(candidate=problem.candidates[c].id, reasons=reason)
                  for c in np.flatnonzero(assignment < 0).tolist()]
    return Solution(
        problem=problem.name, status=Status.unknown,
        objective=TierValues(coverage=int(values["coverage"]),
                             quotas=float(values["quotas"]),
                             preferences=int(values["preferences"])),
        assignments=assignment_records(compiled, pairs), unassigned=unassigned,
        quotas=quota_reports(compiled, pairs),
        solver=SolverInfo(engine=engine, time_s=round(time_s, 4)),
    )
