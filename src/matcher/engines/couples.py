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
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Literal

import numpy as np

from matcher.columns import IntArray
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


def node_problem(relaxed: Compiled, couples: list[tuple[int, int]], fixes: Fixes) -> Compiled:
    """The relaxation (couples dropped) with the decisions ``fixes`` applied."""
    screened = relaxed.compat.candidate_ok.copy()
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
        posts = np.flatnonzero(closed)
        for c in members:
            forbidden.append(relaxed.pair_keys(np.full(len(posts), c, dtype=np.int64), posts))
            if fix.area is not None:
                alone = np.zeros(relaxed.n, dtype=np.bool_)
                alone[c] = True
                quotas.append(CompiledQuota(f"(couple {k}: {c} placed)", True, alone,
                                            everywhere, "candidates", 1, None, None, None,
                                            Fraction(1)))
    compat = replace(relaxed.compat, candidate_ok=screened)
    return replace(relaxed, compat=compat, quotas=quotas,
                   forbidden_keys=np.unique(np.concatenate(forbidden)))


def branch_and_bound(compiled: Compiled, relaxed: Compiled, options: SolveOptions,
                     deadline: float | None, root: IntArray | None = None) -> Search | None:
    """Search as the module docstring says, from the relaxation's optimum ``root`` when the
    caller has it. None when a node's network solve is not proven optimal (shares of a total
    searched past the deadline): the caller falls back."""
    order = list(compiled.problem.objective.order)

    def key(values: dict[str, TierValue]) -> tuple[TierValue, ...]:
        return tuple(-values[t] if t == "coverage" else values[t] for t in order)

    def solve_node(fixes: Fixes) -> EngineResult:
        node_options = SolveOptions(time_limit=None if deadline is None
                                    else max(1.0, deadline - time.monotonic()),
                                    workers=options.workers, seed=options.seed, engine="flow",
                                    explain_infeasible=False)
        return flow.solve(node_problem(relaxed, compiled.couples, fixes), node_options)

    serial = itertools.count()
    heap: list[_Node] = []
    best: tuple[tuple[TierValue, ...], IntArray] | None = None
    solved = 0

    def evaluate(fixes: Fixes, known: IntArray | None = None) -> _Node | Literal[False] | None:
        """The node of ``fixes`` (None when infeasible or pruned; False when its network
        solve is not proven optimal). A round it repairs into may become the best."""
        nonlocal best, solved
        if known is None:
            result = solve_node(fixes)
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
        if deadline is not None and time.monotonic() >= deadline:
            heapq.heappush(heap, current)
            timed_out = True
            break
        node = current
        current = None
        broken = split_couples(compiled, node.assignment)
        if not broken or (best is not None and node.bound >= best[0]):
            continue  # a round that keeps every couple was taken as the best when solved
        children: list[_Node] = []
        for fix in _branches(compiled, node, broken[0]):
            child = evaluate({**node.fixes, broken[0]: fix})
            if child is False:
                return None
            if isinstance(child, _Node):
                children.append(child)
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
