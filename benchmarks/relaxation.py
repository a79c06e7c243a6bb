"""The bare min-cost-flow relaxation: the physical limit the benchmark measures matcher against.

Why it is built here and not taken from ``matcher.engines.flow``: the headline of issue 5 is
"matcher end to end ≤ 2 × the solve call of a flat network", so the denominator must not
depend on the engine it judges. This module builds that network independently, from the
eligibility arrays of :func:`matcher.compile.compile_problem` (time not counted), with none of
the side rules (quotas, couples, priority) and with pairings, forbidden pairs and locks only
where they shape the arcs:

    S → candidate → post → T                                 every ranked eligible pair
    S → adjuster → hub → group → post → T                    服从调剂, aggregated

* A *hub* is shared by the adjusters with the same eligibility row (the classes of
  :class:`~matcher.eligibility.Compatibility` they may hold), and for the bonus variants the
  same home province and/or major; a *group* is the posts of one class (and province and/or
  preferred major). Hub → group arcs carry the adjusted cost: ``adjustment_cost`` less the
  home and fit bonuses that the variant guarantees. An adjuster is joined to the plain hub and
  to each bonus hub of its key, so its cheapest route to every post is its exact SPEC §5 cost;
  the continuity bonus (a few pairs per post) gets direct arcs. Routes through a hub to a post
  the adjuster also ranks are dearer than its direct arc (linear rank costs never exceed the
  adjustment cost), so the optimum is the exact optimum of the relaxed problem.
* Coverage before preferences: the post → T arc costs ``-K × weight`` with ``K`` one more than
  the largest possible swing of the preference tier, so one more weighted seat always wins.

:func:`solve_relaxation` times only ``SimpleMinCostFlow.solve()``; building and decoding are
reported separately. The decoded assignment is a real assignment (every adjuster of a hub can
take any post its routes reach), so seats, ranks and rule breaks are measured on it like on
any method's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from benchmarks.peers import ranked_options
from matcher.columns import IntArray
from matcher.compile import Compiled


@dataclass
class Network:
    """Arcs as parallel arrays; ``kind`` says what each arc is for decoding (see ``_KIND``)."""

    nodes: int = 0
    tail: list[IntArray] = field(default_factory=list)
    head: list[IntArray] = field(default_factory=list)
    cap: list[IntArray] = field(default_factory=list)
    cost: list[IntArray] = field(default_factory=list)
    kind: list[IntArray] = field(default_factory=list)

    def add_nodes(self, count: int) -> int:
        first = self.nodes
        self.nodes += count
        return first

    def add(self, tail: IntArray, head: IntArray, cap: IntArray | int, cost: IntArray | int,
            kind: int) -> None:
        tail = np.asarray(tail, dtype=np.int64)
        self.tail.append(tail)
        self.head.append(np.asarray(head, dtype=np.int64))
        self.cap.append(np.broadcast_to(np.asarray(cap, dtype=np.int64), tail.shape).copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.int64), tail.shape).copy())
        self.kind.append(np.full(len(tail), kind, dtype=np.int8))

    def arrays(self) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
        return (np.concatenate(self.tail), np.concatenate(self.head), np.concatenate(self.cap),
                np.concatenate(self.cost), np.concatenate(self.kind))


# Arc kinds.
_SOURCE, _DIRECT, _TO_HUB, _HUB_GROUP, _GROUP_POST, _TO_SINK, _BYPASS = range(7)


@dataclass
class Relaxation:
    """What one relaxation solve measured and found."""

    assignment: IntArray
    coverage: int
    preferences: int
    nodes: int
    arcs: int
    hubs: int
    build_s: float
    solve_s: float
    decode_s: float
    status: str


def _keys(*columns: IntArray) -> tuple[IntArray, IntArray]:
    """Dense ids of the rows of ``columns`` (unique tuples) and the inverse per row."""
    stacked = np.stack([np.asarray(c, dtype=np.int64) for c in columns], axis=1)
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


@dataclass
class Layout:
    """Where the node blocks start, the cost scale and the supplies, for solving and decoding."""

    cand0: int
    post0: int
    scale: int
    supplies: dict[int, int]
    hubs: int


def build_network(compiled: Compiled) -> tuple[Network, Layout]:
    """The flat network of the module docstring, and what decoding needs to know."""
    n, m = compiled.n, compiled.m
    objective = compiled.problem.objective
    compat = compiled.compat
    net = Network()
    source, sink = net.add_nodes(1), net.add_nodes(1)
    cand0 = net.add_nodes(n)
    post0 = net.add_nodes(m)

    # Ranked eligible pairs, materialised.
    options = ranked_options(compiled, with_pairings=True)
    has_arc = np.zeros(n, dtype=np.bool_)
    has_arc[options.cand] = True
    net.add(cand0 + options.cand, post0 + options.post, 1, options.cost, _DIRECT)
    costs = [options.cost]

    # Locks: the candidate's only arc is its lock; supply 1 on its node makes it exact.
    locked = np.flatnonzero(compiled.lock_post >= 0)
    lock_post = compiled.lock_post[locked]
    lock_cost = compiled.costs(locked, lock_post, compiled.rank_of(locked, lock_post))
    net.add(cand0 + locked, post0 + lock_post, 1, lock_cost, _DIRECT)
    costs.append(lock_cost)

    # Adjusters through hubs.
    adjusters = np.flatnonzero(compiled.adjusts & compat.candidate_ok & (compiled.lock_post < 0))
    ok = compat.attributes_ok & compat.pairings_ok  # profiles × classes
    rows, row_of_profile = np.unique(ok, axis=0, return_inverse=True)
    row_of_profile = row_of_profile.reshape(-1)
    cols_c, cols_p = compiled.candidates.columns, compiled.posts.columns
    a_row = row_of_profile[compat.profile[adjusters]]
    a_home = cols_c["home_province"][adjusters]
    a_major = cols_c["major_category"][adjusters]
    p_class, p_prov = compat.post_class, cols_p["province"]
    interner = compiled.candidates.interner
    fit_post, fit_major = [], []
    for p, post in enumerate(compiled.problem.posts):
        for major in post.preferred_major_categories:
            fit_post.append(p)
            fit_major.append(interner.code(major))
    fit_p = np.array(fit_post, dtype=np.int64)
    fit_m = np.array(fit_major, dtype=np.int64)
    all_posts = np.arange(m, dtype=np.int64)
    variants: list[tuple[bool, bool]] = [(False, False)]
    if objective.home_bonus:
        variants.append((True, False))
    if objective.fit_bonus:
        variants.append((False, True))
    if objective.home_bonus and objective.fit_bonus:
        variants.append((True, True))
    hubs = 0
    for home, fit in variants:
        # Groups: posts by class (+ province) (+ preferred major).
        g_post = fit_p if fit else all_posts
        g_cols = [p_class[g_post]]
        if home:
            g_cols.append(p_prov[g_post])
        if fit:
            g_cols.append(fit_m)
        if len(g_post) == 0:
            continue
        groups, group_of = _keys(*g_cols)
        group0 = net.add_nodes(len(groups))
        net.add(group0 + group_of, post0 + g_post, compiled.capacity[g_post], 0, _GROUP_POST)
        # Hubs: adjusters by row (+ home) (+ major).
        h_cols = [a_row] + ([a_home] if home else []) + ([a_major] if fit else [])
        if len(adjusters) == 0:
            continue
        hub_keys, hub_of = _keys(*h_cols)
        hub0 = net.add_nodes(len(hub_keys))
        hubs += len(hub_keys)
        net.add(cand0 + adjusters, hub0 + hub_of, 1, 0, _TO_HUB)
        # Hub → group where the hub's row allows the group's class and the keys agree.
        h_idx, h_class = np.nonzero(rows[hub_keys[:, 0]])
        wanted = [h_class] + [hub_keys[h_idx, i] for i in range(1, hub_keys.shape[1])]
        found = _lookup(groups, np.stack(wanted, axis=1))
        hit = found >= 0
        cost = objective.adjustment_cost - objective.home_bonus * home - objective.fit_bonus * fit
        net.add(hub0 + h_idx[hit], group0 + found[hit], n, cost, _HUB_GROUP)
        costs.append(np.array([cost], dtype=np.int64))
    # Continuity: direct arcs for adjusters from the previous holder's university.
    if objective.continuity_bonus:
        cont_univ = np.array([interner.lookup(p.continuity_university)
                              if p.continuity_university is not None else -2
                              for p in compiled.problem.posts], dtype=np.int64)
        a_univ = cols_c["university"][adjusters]
        order = np.argsort(cont_univ, kind="stable")
        lo = np.searchsorted(cont_univ[order], a_univ, side="left")
        hi = np.searchsorted(cont_univ[order], a_univ, side="right")
        counts = hi - lo
        rep = np.repeat(np.arange(len(adjusters)), counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        c_cand, c_post = adjusters[rep], order[np.repeat(lo, counts) + offs]
        keep = compat.allowed(c_cand, c_post) & (compiled.rank_of(c_cand, c_post) == 0)
        if len(compiled.forbidden_keys):
            keep &= ~np.isin(compiled.pair_keys(c_cand, c_post), compiled.forbidden_keys)
        c_cand, c_post = c_cand[keep], c_post[keep]
        c_cost = compiled.costs(c_cand, c_post, np.zeros(len(c_cand), dtype=np.int64))
        net.add(cand0 + c_cand, post0 + c_post, 1, c_cost, _DIRECT)
        costs.append(c_cost)
    has_arc[adjusters] = True

    # Source, sink, coverage reward.
    free = np.flatnonzero(has_arc & (compiled.lock_post < 0))
    net.add(np.full(len(free), source), cand0 + free, 1, 0, _SOURCE)
    every = np.concatenate([c for c in costs if len(c)] or [np.zeros(1, dtype=np.int64)])
    swing = max(int(every.max()), 0) - min(int(every.min()), 0)
    scale = n * swing + 1
    net.add(post0 + all_posts, np.full(m, sink), compiled.capacity, -scale * compiled.weight,
            _TO_SINK)
    net.add(np.array([source]), np.array([sink]), len(free), 0, _BYPASS)
    supplies = {source: len(free), sink: -(len(free) + len(locked))}
    supplies.update((cand0 + c, 1) for c in locked.tolist())
    return net, Layout(cand0, post0, scale, supplies, hubs)


def _lookup(table: IntArray, rows: IntArray) -> IntArray:
    """Index of each of ``rows`` in the lexicographically sorted unique ``table``; -1 absent."""
    if len(table) == 0 or len(rows) == 0:
        return np.full(len(rows), -1, dtype=np.int64)
    width = int(max(table.max(), rows.max())) + 2
    def flat(a: IntArray) -> IntArray:
        out = np.zeros(len(a), dtype=np.int64)
        for i in range(a.shape[1]):
            out = out * width + (a[:, i] + 1)
        return out
    keys, wanted = flat(table), flat(rows)  # sorted: table rows are lexicographic
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found: IntArray = np.where(keys[pos] == wanted, pos, -1)
    return found


def solve_relaxation(compiled: Compiled) -> Relaxation:
    """Build, solve (timed alone) and decode the relaxation of ``compiled``."""
    started = time.perf_counter()
    net, layout = build_network(compiled)
    tail, head, cap, cost, kind = net.arrays()
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tail.astype(np.int32), head.astype(np.int32),
                                              cap, cost)
    smcf.set_nodes_supplies(np.array(list(layout.supplies), dtype=np.int32),
                            np.array(list(layout.supplies.values()), dtype=np.int64))
    built = time.perf_counter()
    status = smcf.solve()
    solved = time.perf_counter()
    if status != smcf.OPTIMAL:  # never read flows after a non-optimal status
        return Relaxation(np.full(compiled.n, -1, dtype=np.int64), 0, 0, net.nodes, len(tail),
                          layout.hubs, built - started, solved - built, 0.0, str(status))
    flow = np.asarray(smcf.flows(np.arange(len(tail), dtype=np.int32)), dtype=np.int64)
    assignment = _decode(compiled, tail, head, kind, flow, layout.cand0, layout.post0)
    pairs = compiled.pairs(assignment)
    coverage = int(compiled.weight[pairs.post].sum())
    preferences = int(pairs.cost.sum())
    decoded, total = preferences - layout.scale * coverage, int(smcf.optimal_cost())
    # Every route is priced at most at the pair's exact cost, so the decoded assignment can
    # only cost more than the flow if a route undercuts it (quadratic rank costs above the
    # adjustment cost), and less only if the flow were not optimal.
    if decoded < total:
        raise AssertionError(f"decoded assignment costs {decoded}, the optimal flow {total}")
    return Relaxation(assignment, coverage, preferences, net.nodes, len(tail), layout.hubs,
                      built - started, solved - built, time.perf_counter() - solved, "optimal")


def _decode(compiled: Compiled, tail: IntArray, head: IntArray, kind: IntArray,
            flow: IntArray, cand0: int, post0: int) -> IntArray:
    """Candidate → post from arc flows. Units entering a group may leave by any of its arcs,
    and units entering a hub may be matched to any unit leaving it: every route out of a hub
    or group is open to every unit that entered it, so pairing them in order is valid."""
    assignment = np.full(compiled.n, -1, dtype=np.int64)
    used = flow > 0
    direct = used & (kind == _DIRECT)
    assignment[tail[direct] - cand0] = head[direct] - post0
    # Group → post units, then hub → group units, matched per group.
    gp = used & (kind == _GROUP_POST)
    hg = used & (kind == _HUB_GROUP)
    ch = used & (kind == _TO_HUB)
    if not ch.any():
        return assignment
    out_group = np.repeat(tail[gp], flow[gp])
    out_post = np.repeat(head[gp], flow[gp])
    in_group = np.repeat(head[hg], flow[hg])
    in_hub = np.repeat(tail[hg], flow[hg])
    o1, o2 = np.argsort(out_group, kind="stable"), np.argsort(in_group, kind="stable")
    if not np.array_equal(out_group[o1], in_group[o2]):
        raise AssertionError("flow is not conserved at the groups")
    hub_unit, post_unit = in_hub[o2], out_post[o1]
    # Hub units → candidates entering the hub.
    o3 = np.argsort(hub_unit, kind="stable")
    cand_hub, cand = head[ch], tail[ch] - cand0
    o4 = np.argsort(cand_hub, kind="stable")
    if not np.array_equal(hub_unit[o3], cand_hub[o4]):
        raise AssertionError("flow is not conserved at the hubs")
    assignment[cand[o4]] = post_unit[o3] - post0
    return assignment
