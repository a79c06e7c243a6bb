"""Couples, exactly, by branch and bound over the network engine.

When couples are the only rule a network cannot express, the network relaxation (couples
dropped) is exact for every candidate except the partners it happens to split, and it splits
few of them (2 of 25 couples in a generated 5k round, 22 of 100 at 20k). So the search
branches on split couples only, and each node is again a network problem solved exactly:

* **both unplaced** — the two candidates are screened out (``candidate_ok`` false);
* **both placed in area A** (A = the couple-scope area where one of them sits now) — posts
  outside A become forbidden pairs for both, and a hard ``min 1`` quota on each alone
  forces them placed (singletons nest with every candidate-side quota family);
* **neither in those areas** — the areas just tried become forbidden pairs for both, and the
  couple stays free (it may split again elsewhere and is branched on again).

The three children cover every way the couple can keep the rule, so the best node whose
round keeps every couple together is the optimum. Nodes are taken best bound first; a node
whose bound is not better than the best round found is pruned, and every node's round is
repaired into a candidate round (a split couple's placed partner is unplaced) when that
keeps every hard quota. Each node re-solves the network from scratch: fine at the scales
where few couples split, and the time limit returns the best round with the best open bound.

Before the first branch, a dive (:func:`_dive`) decides every couple at once and re-solves:
at national scale, where a node is a solve of 10 s or more and dozens of couples split, its
round is the one the search returns (a 100k round: one solve, every seat filled).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Literal

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota
from matcher.engines import flow
from matcher.engines.base import EngineResult, TierValue
from matcher.objective import holds, tier_values
from matcher.options import SolveOptions
from matcher.solution import Status


@dataclass(frozen=True)
class CoupleFix:
    """What a node decides about one couple."""

    unplaced: bool = False
    area: int | None = None  # both placed in this couple-scope area
    excluded: frozenset[int] = frozenset()  # areas neither partner may be placed in


Fixes = dict[int, CoupleFix]  # couple index → decision


@dataclass(order=True)
class _Node:
    bound: tuple[TierValue, ...]
    serial: int
    fixes: Fixes = field(compare=False)
    assignment: IntArray = field(compare=False)


@dataclass
class Search:
    """The outcome: the best round (None if none), its status, the best open bound (as tier
    values) and how many nodes were solved."""

    status: Status
    assignment: IntArray | None
    bound: dict[str, TierValue]
    nodes: int


def split_couples(compiled: Compiled, assignment: IntArray) -> list[int]:
    """Indices of the couples the assignment breaks (one placed alone, or in two areas)."""
    broken = []
    for k, (a, b) in enumerate(compiled.couples):
        pa, pb = int(assignment[a]), int(assignment[b])
        if (pa < 0) != (pb < 0) or (pa >= 0 and compiled.scope[pa] != compiled.scope[pb]):
            broken.append(k)
    return broken


def node_problem(relaxed: Compiled, couples: list[tuple[int, int]], fixes: Fixes, *,
                 narrow: bool = False) -> Compiled:
    """The relaxation (couples dropped) with the decisions ``fixes`` applied.

    A partner placed in an area may hold no post outside it: every such post becomes a
    forbidden pair, thousands per partner at national scale, which slows a solve several
    times over. ``narrow`` (for the dive, which needs a good round, not an exact node) keeps
    partners placed in an area to their ranked posts there instead (a few forbidden pairs,
    no adjustment) when neither is locked and those posts seat both; otherwise the node is
    exact."""
    screened = relaxed.compat.candidate_ok.copy()
    adjusts = relaxed.adjusts.copy()
    forbidden = [relaxed.forbidden_keys]
    quotas = list(relaxed.quotas)
    m = relaxed.m
    everywhere = np.ones(m, dtype=np.bool_)
    for k, fix in fixes.items():
        members = couples[k]
        if fix.unplaced:
            screened[list(members)] = False
            continue
        closed = np.isin(relaxed.scope, list(fix.excluded))
        if fix.area is not None:
            closed |= relaxed.scope != fix.area
        wished = [relaxed.wishes.posts_of(c) for c in members]
        narrowed = (narrow and fix.area is not None and (relaxed.lock_post[list(members)] < 0).all()
                    and _seatable(relaxed, members,
                                  [w[~closed[w] & _may_hold(relaxed, c, w, ranked=True)]
                                   for c, w in zip(members, wished, strict=True)]))
        for c, ranked in zip(members, wished, strict=True):
            posts = np.flatnonzero(closed)
            if narrowed:
                adjusts[c] = False
                posts = ranked[closed[ranked]]
            forbidden.append(relaxed.pair_keys(np.full(len(posts), c, dtype=np.int64), posts))
            if fix.area is not None:
                alone = np.zeros(relaxed.n, dtype=np.bool_)
                alone[c] = True
                quotas.append(CompiledQuota(f"(couple {k}: {c} placed)", True, alone,
                                            everywhere, "candidates", 1, None, None, None,
                                            Fraction(1)))
    compat = replace(relaxed.compat, candidate_ok=screened)
    return replace(relaxed, compat=compat, quotas=quotas, adjusts=adjusts,
                   forbidden_keys=np.unique(np.concatenate(forbidden)))


def branch_and_bound(compiled: Compiled, relaxed: Compiled, options: SolveOptions,
                     deadline: float | None, root: IntArray | None = None, *,
                     dive_deadline: float | None = None,
                     solve_seconds: float = 0.0) -> Search | None:
    """Search as the module docstring says, from the relaxation's optimum ``root`` when the
    caller has it. The first round that keeps every couple comes from a dive (:func:`_dive`),
    which may run on to ``dive_deadline`` when that is later. A node solve cannot be cut
    short, so none starts that would end past its deadline, each expected to take
    ``solve_seconds`` (the relaxation's). None when a node's network solve is not proven
    optimal (shares of a total searched past the deadline): the caller falls back."""
    dive_deadline = (deadline if deadline is None or dive_deadline is None
                     else max(deadline, dive_deadline))
    order = list(compiled.problem.objective.order)

    def key(values: dict[str, TierValue]) -> tuple[TierValue, ...]:
        return tuple(-values[t] if t == "coverage" else values[t] for t in order)

    serial = itertools.count()
    heap: list[_Node] = []
    best: tuple[tuple[TierValue, ...], IntArray] | None = None
    solved = 0

    def evaluate(fixes: Fixes, known: IntArray | None = None) -> _Node | Literal[False] | None:
        """The node of ``fixes`` (None when infeasible or pruned; False when its network
        solve is not proven optimal). A round it repairs into may become the best."""
        nonlocal best, solved
        if known is None:
            result = _solve_node(compiled, relaxed, fixes, options, deadline)
            solved += 1
            if result.status is Status.infeasible:
                return None
            if result.status is not Status.optimal or result.assignment is None:
                return False
            known = result.assignment
        bound = key(tier_values(compiled, compiled.pairs(known)))
        repaired = _repaired(compiled, known)
        if repaired is not None:
            value = key(tier_values(compiled, compiled.pairs(repaired)))
            if best is None or value < best[0]:
                best = (value, repaired)
        if best is not None and bound >= best[0]:
            return None
        return _Node(bound, next(serial), fixes, known)

    first = evaluate({}, root)
    if first is False:
        return None
    if first is not None:  # the root splits couples (the repaired root may be the best)
        dive = dive_round(compiled, relaxed, first.assignment, options, dive_deadline,
                          solve_seconds)
        solved += dive.solves
        if dive.assignment is not None:
            value = key(tier_values(compiled, compiled.pairs(dive.assignment)))
            if best is None or value < best[0]:
                best = (value, dive.assignment)
    current: _Node | None = first
    timed_out = False
    while True:
        if current is None:
            # Until a round keeps every couple, dive (best child first); then best bound.
            if best is not None and heap and heap[0].bound >= best[0]:
                heap.clear()  # every open node is pruned
            if not heap:
                break
            current = heapq.heappop(heap)
        node = current
        current = None
        broken = split_couples(compiled, node.assignment)
        if not broken or (best is not None and node.bound >= best[0]):
            continue  # a round that keeps every couple was taken as the best when solved
        children: list[_Node] = []
        for fix in _branches(compiled, node, broken[0]):
            # A solve takes seconds at scale and cannot be cut short: stop between children,
            # the node open again (its bound covers the children not solved).
            child = (False if deadline is not None
                     and time.monotonic() + solve_seconds >= deadline
                     else evaluate({**node.fixes, broken[0]: fix}))
            if child is False:  # out of time, or a solve not proven (past the deadline)
                if best is None and deadline is not None and time.monotonic() < deadline:
                    return None
                heapq.heappush(heap, node)
                timed_out = True
                break
            if isinstance(child, _Node):
                children.append(child)
        if timed_out:
            break
        children.sort()
        if best is None and children:
            current = children.pop(0)
        for child in children:
            heapq.heappush(heap, child)
    bound: dict[str, TierValue] = {}
    if timed_out and heap:
        open_bound = heap[0].bound
        bound = {t: (-v if t == "coverage" else v) for t, v in zip(order, open_bound,
                                                                  strict=True)}
    if best is None:
        status = Status.unknown if timed_out else Status.infeasible
        return Search(status, None, bound, solved)
    status = Status.feasible if timed_out and heap else Status.optimal
    return Search(status, best[1], bound, solved)


@dataclass
class Dive:
    """A round keeping every couple found by :func:`_dive` (None if none) and how many
    network solves it took."""

    assignment: IntArray | None
    solves: int


def _dive(compiled: Compiled, assignment: IntArray,
          solve_node: Callable[[Fixes], EngineResult], deadline: float | None,
          solve_seconds: float = 0.0) -> Dive:
    """A round that keeps every couple, found fast.

    Branch and bound fixes one couple per node, so at national scale (dozens of couples
    split, each node a solve of 10 s or more) its first round keeping every couple would
    come only by unplacing the split partners, leaving their seats empty. The dive instead
    re-solves the whole round around decisions on many couples at once:

    1. every couple is held where it is (together in its area, or unplaced) and every split
       couple is placed where one partner sits (or unplaced when neither area has room for
       both): no couple can split, so one solve ends the dive unless it is infeasible;
    2. if it is, only the split couples are decided, again for the couples the next solve
       splits, until none is (a solve that is infeasible again unplaces that step's).

    No solve starts that would end past ``deadline``, each expected to take
    ``solve_seconds``."""
    held = {k: fix for k in range(len(compiled.couples))
            if (fix := _held(compiled, assignment, k)) != CoupleFix()}
    fixes: Fixes = {}
    solves = 0
    while True:
        broken = split_couples(compiled, assignment)
        if not broken:
            return Dive(assignment, solves)
        if any(k in fixes for k in broken):
            return Dive(None, solves)  # (a fixed couple split: two locks in two areas)
        together = {k: _together(compiled, assignment, k) for k in broken}
        attempts = [{**held, **together}] if held else []
        attempts += [together, {k: CoupleFix(unplaced=True) for k in broken}]
        held = {}
        for attempt in attempts:
            if deadline is not None and time.monotonic() + solve_seconds >= deadline:
                # Out of time: the round in hand with its split couples unplaced.
                return Dive(_repaired(compiled, assignment) if solves else None, solves)
            result = solve_node({**fixes, **attempt})
            solves += 1
            if result.status is not Status.infeasible:
                break
        if result.status is not Status.optimal or result.assignment is None:
            return Dive(None, solves)  # (out of time, or no room even unplaced)
        fixes.update(attempt)
        assignment = result.assignment


def _held(compiled: Compiled, assignment: IntArray, k: int) -> CoupleFix:
    """Couple ``k`` kept as it is: unplaced, or in its area when both hold wishes (or locks)
    there, so that a narrowed node (:func:`node_problem`) still has their seats; otherwise
    no decision."""
    members = list(compiled.couples[k])
    posts = assignment[members]
    if (posts < 0).all():
        return CoupleFix(unplaced=True)
    if (posts < 0).any() or compiled.scope[posts[0]] != compiled.scope[posts[1]]:
        return CoupleFix()
    wished = (compiled.rank_of(np.array(members), posts) > 0) | (compiled.lock_post[members]
                                                                 == posts)
    return CoupleFix(area=int(compiled.scope[posts[0]])) if wished.all() else CoupleFix()


def _together(compiled: Compiled, assignment: IntArray, k: int) -> CoupleFix:
    """Couple ``k`` placed in the area where a partner sits now (or is locked, eligible or
    not) if both can be seated there, else unplaced."""
    members = compiled.couples[k]
    locks = compiled.lock_post[list(members)]
    areas = [int(compiled.scope[p]) for p in (locks[locks >= 0] if (locks >= 0).any()
                                              else assignment[list(members)]) if p >= 0]
    for area in dict.fromkeys(areas):
        posts = np.flatnonzero(compiled.scope == area)
        holdable = [np.array([lock]) if lock >= 0 else posts[_may_hold(compiled, c, posts)]
                    for c, lock in zip(members, locks.tolist(), strict=True)]
        if _seatable(compiled, members, holdable):
            return CoupleFix(area=area)
    return CoupleFix(unplaced=True)


def _seatable(compiled: Compiled, members: tuple[int, int], holdable: list[IntArray]) -> bool:
    """Whether two partners, each on one of their ``holdable`` posts, fit: each has one, and
    the posts have two seats between them that no one else's lock takes."""
    if not all(len(h) for h in holdable):
        return False
    posts = np.union1d(*holdable)
    seats = compiled.unlocked_seats[posts].copy()
    own = compiled.lock_post[list(members)]
    np.add.at(seats, np.searchsorted(posts, own[np.isin(own, posts)]), 1)  # theirs back
    return int(np.maximum(seats, 0).sum()) >= 2


def _may_hold(compiled: Compiled, cand: int, posts: IntArray, *,
              ranked: bool = False) -> BoolArray:
    """Which of ``posts`` ``cand`` may hold: ranked, or any when 服从调剂 (and not
    ``ranked``)."""
    who = np.full(len(posts), cand, dtype=np.int64)
    ok = compiled.may_hold(who, posts)
    if ranked or not compiled.adjusts[cand]:
        ok &= compiled.rank_of(who, posts) > 0
    return ok


def _solve_node(compiled: Compiled, relaxed: Compiled, fixes: Fixes, options: SolveOptions,
                until: float | None, *, narrow: bool = False) -> EngineResult:
    """The network solve of the node ``fixes`` (see :func:`node_problem`)."""
    node_options = SolveOptions(time_limit=None if until is None
                                else max(1.0, until - time.monotonic()),
                                workers=options.workers, seed=options.seed, engine="flow",
                                explain_infeasible=False, stop_at=options.stop_at)
    # Partners kept in or out of areas are forbidden at many posts: off shared routes from
    # the first solve, not found misrouted one solve later.
    fixed = [c for k, fix in fixes.items() if not fix.unplaced for c in compiled.couples[k]]
    derouted = np.zeros(compiled.n, dtype=np.bool_)
    derouted[fixed] = True
    return flow.solve(node_problem(relaxed, compiled.couples, fixes, narrow=narrow),
                      node_options, derouted=derouted)


def dive_round(compiled: Compiled, relaxed: Compiled, start: IntArray, options: SolveOptions,
               deadline: float | None, solve_seconds: float = 0.0) -> Dive:
    """A round of ``relaxed`` (couples dropped, perhaps more) that keeps every couple,
    dived to from its round ``start`` (:func:`_dive`; no round if it finds none in time).

    For the hybrid's starting point when couples are not the only rule the relaxation
    dropped: with soft quotas dropped beside them, the round keeps every rule."""
    return _dive(compiled, start,
                 lambda fixes: _solve_node(compiled, relaxed, fixes, options, deadline,
                                           narrow=True),
                 deadline, solve_seconds)


def _branches(compiled: Compiled, node: _Node, k: int) -> list[CoupleFix]:
    """The children's decisions on split couple ``k``: both unplaced; both in the area where
    either sits now; or neither in those areas."""
    fix = node.fixes.get(k, CoupleFix())
    members = compiled.couples[k]
    locked = [int(compiled.lock_post[c]) for c in members if compiled.lock_post[c] >= 0]
    if locked:  # a locked partner is placed: the other goes to the lock's area
        areas = {int(compiled.scope[p]) for p in locked}
        branches = [CoupleFix(area=area) for area in areas if len(areas) == 1]
    else:
        areas = {int(compiled.scope[p]) for p in node.assignment[list(members)] if p >= 0}
        areas -= fix.excluded
        branches = [CoupleFix(unplaced=True)]
        branches += [CoupleFix(area=area, excluded=fix.excluded) for area in sorted(areas)
                     if fix.area in (None, area)]
        if fix.area is None:
            branches.append(CoupleFix(excluded=fix.excluded | frozenset(areas)))
    # A decision the node already holds would only solve the node again; with none left,
    # the node has no round that keeps the couple.
    return [branch for branch in branches if branch != fix]


def _repaired(compiled: Compiled, assignment: IntArray) -> IntArray | None:
    """The assignment with every split couple unplaced, if that keeps the hard quotas."""
    broken = split_couples(compiled, assignment)
    if not broken:
        return assignment
    repaired = assignment.copy()
    for k in broken:
        repaired[list(compiled.couples[k])] = -1
    locked = compiled.lock_post >= 0
    if (repaired[locked] != compiled.lock_post[locked]).any():
        return None
    pairs = compiled.pairs(repaired)
    if all(holds(q, pairs) for q in compiled.quotas if q.hard):
        return repaired
    return None
