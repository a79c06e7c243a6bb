"""Network engine: the problem as one min-cost circulation (OR-Tools ``SimpleMinCostFlow``).

Layout, source side to sink side::

    T → S → candidate quota tree → candidate → post → post quota tree → T
                                  ↘ hub → post group → post ↗

* Each candidate node takes at most one unit (exactly one when locked: a lower bound).
* Direct arcs candidate → post at the pair's true cost: locks, every wish of candidates
  that cannot share routes, continuity pairs, and the wishes of small patterns (a single post,
  or so few candidates that a route would cost more arcs than it saves).
* Other wish patterns are *routes*: candidates with the same view of the pattern's posts share
  a hub (the rank is paid on the entry arc), the posts are split into groups of one cost class.
* 服从调剂 is a route too, in layers (:mod:`matcher.engines.routes`): each adjuster enters a
  plain hub and, where the bonuses count, a home, a fit and a home-and-fit hub, each reaching
  only the posts where its bonuses apply. That is about 0.6 million arcs at national scale
  where one hub per view of every post took 9 million.
* A hub only one candidate enters and a group with only one post are short-cut
  (:class:`~matcher.engines.routes.Paths`): their arcs join the candidate or post beside them.
* Routes are exact when no route to a post is cheaper than the pair's true cost (a later
  wish or adjustment to a wished post is never cheaper than the first wish) and the cheapest
  is exactly that. Two kinds of candidate break this: one with a forbidden pair, and a 服从调剂
  candidate with a wish dearer than adjustment (the adjustment route reaches it cheaply).
  They are routed anyway; the network is then a relaxation, and those its answer placed
  wrongly are taken off the routes and the network solved again, until none is. Off the
  routes, a candidate's wishes are direct arcs and its adjustment an arc to each cost class
  it may reach, with the classes holding its forbidden or dear posts reached post by post
  (:func:`~matcher.engines.routes.personal_adjustment`): about 600 arcs at national scale
  where a direct arc to every post took 7,000.
* Quotas whose groups nest become arcs of a tree on their side: a hard bound is the arc's lower
  bound and capacity; a soft bound is parallel arcs priced by the deviation they cause.
* Post → tree arcs carry the coverage reward, so the circulation fills seats by itself.

The lexicographic objective becomes one integer cost: each tier is multiplied by one more than
the largest possible swing of all tiers below it (see :func:`tier_multipliers`), which makes
the circulation's optimum the lexicographic optimum.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota
from matcher.engines.base import EngineResult, TierValue
from matcher.engines.network import (
    Group,
    count_bounds,
    network_obstacles,
    quota_trees,
    share_of_total,
    unit_share_excess,
)
from matcher.engines.routes import (
    Paths,
    Routes,
    layered_adjustment,
    layers_apply,
    personal_adjustment,
    shortcut,
)
from matcher.engines.stoppable import Network, OutOfTime, min_cost_flow_solve, side_by_side
from matcher.engines.substitution import substitutes
from matcher.engines.total_search import STOPPED, Interval, Stopped, TotalSearch
from matcher.engines.trimmed import trimmed_round
from matcher.errors import EngineCapabilityError, SolverError
from matcher.gc_pause import paused_gc
from matcher.objective import holds, tier_values
from matcher.options import Progress, SolveOptions
from matcher.solution import Status

NAME = "flow"
_INT64_MAX = 2**63 - 1


# Network solves the search over the total makes side by side (one forked process each):
# each holds its own solver (measured: 0.18 GB at 100k, 2.15M arcs) and the parent a copy of
# the capacities and costs it changes, so more would cost memory for little beyond two.
SIDE_BY_SIDE_MOST = 2


@dataclass
class ShareSlot:
    """Arcs reserved for one share-of-total bound; their capacities (and, for a soft bound,
    costs) are set once the total is fixed (:mod:`matcher.engines.total_search`)."""

    quota: CompiledQuota
    bound: str  # "min_share" or "max_share"
    first_arc: int  # three parallel arcs tail → head
    tail: int
    head: int
    scale: int  # quota unit × tier multiplier: the cost of one unit of deviation × penalty
    # The plain arc at the end of the quota's chain nearer the source (candidate side) or
    # the sink (post side), through which an interval solve may pass its extra total
    # (:meth:`_Circulation._gated`).
    gate_arc: int


@dataclass
class _Arcs:
    """Arcs collected as numpy blocks, with lower bounds turned into node supplies."""

    tails: list[IntArray] = field(default_factory=list)
    heads: list[IntArray] = field(default_factory=list)
    caps: list[IntArray] = field(default_factory=list)
    costs: list[IntArray] = field(default_factory=list)
    count: int = 0
    supply: dict[int, int] = field(default_factory=dict)
    nodes: int = 0
    shares: list[ShareSlot] = field(default_factory=list)
    contradictory: bool = False  # some arc's lower bound exceeds its capacity

    def new_nodes(self, k: int) -> IntArray:
        first = self.nodes
        self.nodes += k
        return np.arange(first, first + k, dtype=np.int64)

    def add(self, tail: IntArray | int, head: IntArray | int, cap: IntArray | int,
            cost: IntArray | int = 0, lower: IntArray | int = 0) -> slice:
        tail_a, head_a, cap_a, cost_a, lower_a = np.broadcast_arrays(
            *(np.asarray(x, dtype=np.int64) for x in (tail, head, cap, cost, lower)))
        tail_a, head_a = np.atleast_1d(tail_a), np.atleast_1d(head_a)
        lower_a = np.atleast_1d(lower_a)
        if lower_a.any():
            for node, amount in zip(tail_a[lower_a > 0].tolist(),
                                    lower_a[lower_a > 0].tolist(), strict=True):
                self.supply[node] = self.supply.get(node, 0) - amount
            for node, amount in zip(head_a[lower_a > 0].tolist(),
                                    lower_a[lower_a > 0].tolist(), strict=True):
                self.supply[node] = self.supply.get(node, 0) + amount
        self.tails.append(tail_a.copy())
        self.heads.append(head_a.copy())
        room = np.atleast_1d(cap_a - lower_a)
        if (room < 0).any():
            self.contradictory = True  # e.g. a hard min above a hard max: no flow exists
            room = np.maximum(room, 0)
        self.caps.append(room.copy())
        self.costs.append(np.atleast_1d(cost_a).copy())
        start = self.count
        self.count += len(tail_a)
        return slice(start, self.count)


def tier_multipliers(compiled: Compiled, quota_unit: int,
                     extra_swing: dict[str, int] | None = None, *, pref_unit: int = 1
                     ) -> dict[str, int]:
    """Integer weight per tier so that one step in a tier outweighs every swing below it
    (``extra_swing``: prices added to a tier, in its units; ``pref_unit``: preference costs
    are counted in 1/``pref_unit`` steps, the finest price on that tier)."""
    extra = extra_swing or {}
    problem = compiled.problem
    objective = problem.objective
    n = compiled.n
    steps = max((len(c.wishes) for c in problem.candidates), default=1)
    worst_rank = (steps - 1) ** 2 if objective.rank_cost == "quadratic" else steps - 1
    bonuses = objective.home_bonus + objective.fit_bonus + objective.continuity_bonus
    high = max(0, worst_rank, objective.adjustment_cost)
    low = min(0, objective.adjustment_cost) - max(0, bonuses)
    placed = min(n, int(compiled.capacity.sum()))  # no solution assigns more
    swing = {
        "preferences": placed * (high - low) * pref_unit + extra.get("preferences", 0),
        "quotas": extra.get("quotas", 0) + sum(int(q.penalty * quota_unit)
                                               * _most_deviation(q, placed)
                                               for q in compiled.quotas if not q.hard),
        "coverage": int((compiled.weight * compiled.capacity).sum()),
    }
    multipliers = {"coverage": 0, "quotas": 0, "preferences": 0}
    scale = 1
    for tier in reversed(objective.order):
        multipliers[tier] = scale
        scale *= swing[tier] + 1
    multipliers["preferences"] *= pref_unit  # a whole cost is pref_unit fine steps
    return multipliers


def _most_deviation(quota: CompiledQuota, placed: int) -> int:
    """An upper bound on a quota's deviation when at most ``placed`` are assigned: a minimum
    falls short by at most itself; a maximum or a share bound (N and D are counts of
    assignments) is off by at most ``placed``."""
    others = sum(bound is not None for bound in (quota.max, quota.min_share, quota.max_share))
    return (quota.min or 0) + others * placed


def _quota_unit(compiled: Compiled) -> int:
    """Smallest integer K making K × penalty × (per-unit deviation) integral everywhere."""
    denominators = [1]
    for quota in compiled.quotas:
        if not quota.hard:
            denominators.append(quota.penalty.denominator)
            denominators.append((quota.penalty * unit_share_excess(quota)).denominator)
            if share_of_total(quota):
                denominators.extend((quota.penalty * share).denominator
                                    for share in (quota.min_share, quota.max_share)
                                    if share is not None)
    return lcm(*denominators)


def _quota_arcs(arcs: _Arcs, tail: int, head: int, quota: CompiledQuota, n: int,
                unit: int, scale: int, *, toward_root: bool) -> None:
    """One quota on a tree arc: bounds for a hard one, priced parallel arcs for a soft one.

    Share-of-total bounds get their own arcs in series after these (``ShareSlot``), and a
    plain *gate* arc at the chain's root end (``ShareSlot.gate_arc``).
    """
    if not share_of_total(quota):
        _count_arcs(arcs, tail, head, quota, n, unit, scale)
        return
    gate = -1
    if not toward_root:  # source side: the gate leads into the chain
        gate_node = int(arcs.new_nodes(1)[0])
        gate = arcs.add(tail, gate_node, n).start
        tail = gate_node
    middle = int(arcs.new_nodes(1)[0])
    _count_arcs(arcs, tail, middle, quota, n, unit, scale)
    reserved: list[tuple[str, int, int, int]] = []
    for bound in ("min_share", "max_share"):
        if getattr(quota, bound) is None:
            continue
        node = int(arcs.new_nodes(1)[0])
        reserved.append((bound, arcs.add(np.full(3, middle), node, 0).start, middle, node))
        middle = node
    last = arcs.add(middle, head, n).start
    if toward_root:  # sink side: the gate leads out of the chain
        gate = last
    for bound, first_arc, slot_tail, slot_head in reserved:
        arcs.shares.append(ShareSlot(quota, bound, first_arc, slot_tail, slot_head,
                                     unit * scale, gate))


def _count_arcs(arcs: _Arcs, tail: int, head: int, quota: CompiledQuota, n: int,
                unit: int, scale: int) -> None:
    low, high = count_bounds(quota)
    if quota.hard:
        arcs.add(tail, head, n if high is None else high, 0, low)
        return
    penalty = quota.penalty
    excess = penalty * unit_share_excess(quota)
    top = n if quota.max is None else min(quota.max, n)
    below = min(quota.min or 0, top)
    pieces = [(below, -penalty + excess), (top - below, excess), (n - top, penalty + excess)]
    for size, price in pieces:
        if size > 0:
            arcs.add(tail, head, size, int(price * unit) * scale)


def _tree(arcs: _Arcs, groups: list[Group], root: int, *, toward_root: bool, n: int,
          unit: int, scale: int) -> IntArray:
    """Nodes for a quota tree; returns each group's attachment node.

    Source side (``toward_root`` false): flow runs root → group; sink side: group → root.
    """
    attach = np.zeros(len(groups), dtype=np.int64)
    for g, group in enumerate(groups):  # parents come before children (largest first)
        parent = root if group.parent < 0 else int(attach[group.parent])
        current = parent
        for quota in group.quotas:
            node = int(arcs.new_nodes(1)[0])
            if toward_root:
                _quota_arcs(arcs, node, current, quota, n, unit, scale, toward_root=True)
            else:
                _quota_arcs(arcs, current, node, quota, n, unit, scale, toward_root=False)
            current = node
        attach[g] = current
    return attach


def _attachment(groups: list[Group], attach: IntArray, size: int, root: int) -> IntArray:
    """The node each candidate (or post) hangs from: its smallest group's, else the root."""
    deepest = _deepest(groups, size)
    nodes = np.full(size, root, dtype=np.int64)
    nodes[deepest >= 0] = attach[deepest[deepest >= 0]]
    return nodes


def _deepest(groups: list[Group], size: int) -> IntArray:
    """Index of the smallest group containing each member, -1 when none does."""
    deepest = np.full(size, -1, dtype=np.int64)
    for g, group in enumerate(groups):  # later groups are nested in earlier ones
        deepest[group.mask] = g
    return deepest


@dataclass
class _Network:
    arcs: _Arcs
    direct: slice  # candidate → post
    direct_cand: IntArray
    direct_post: IntArray
    paths: Paths  # the aggregated part, whose arcs follow
    hub_entry: slice  # candidate → hub
    hub_class: slice  # hub → group
    hub_post: slice  # hub → post
    cand_class: slice  # candidate → group
    class_post: slice  # group → post
    source: int
    sink: int
    total_arc: int
    candidates: int


@dataclass(frozen=True)
class Prices:
    """A price per assignment in units of ``tier``, for a quota the network cannot hold (a
    Lagrangian term, :mod:`matcher.engines.lagrangian`): ``pair`` for a candidate in
    ``cand`` at a post in ``posts``, ``post`` for anyone at a post in ``posts``,
    ``candidate`` for a candidate in ``cand`` anywhere. ``swing`` bounds how much they can
    add up to either way, for the tier scale. With ``pair`` set, candidates in ``cand``
    share routes only among themselves (:func:`_routes`)."""

    cand: BoolArray
    posts: BoolArray
    pair: Fraction
    post: Fraction
    candidate: Fraction
    swing: Fraction
    tier: str = "quotas"  # or "preferences"

    def unit(self, base: int) -> int:
        """``base`` times what makes every price whole."""
        return lcm(base, *(p.denominator for p in (self.pair, self.post, self.candidate,
                                                   self.swing)))


def build_network(compiled: Compiled, derouted: BoolArray | None = None,
                  prices: Prices | None = None) -> _Network:
    n, m = compiled.n, compiled.m
    unit = _quota_unit(compiled)
    extra_swing: dict[str, int] = {}
    price_unit = 1  # what one unit of the priced tier is in the network's units of it
    if prices is not None:
        if prices.tier == "quotas":
            unit = price_unit = prices.unit(unit)
        else:
            price_unit = prices.unit(1)
        extra_swing[prices.tier] = math.ceil(prices.swing * price_unit)
    scale = tier_multipliers(compiled, unit, extra_swing, pref_unit=(
        price_unit if prices is not None and prices.tier == "preferences" else 1))
    trees = quota_trees(compiled)
    arcs = _Arcs()
    source, sink = (int(x) for x in arcs.new_nodes(2))
    total_arc = arcs.add(sink, source, n).start
    cand_attach = _tree(arcs, trees.candidate_side, source, toward_root=False, n=n,
                        unit=unit, scale=scale["quotas"])
    post_attach = _tree(arcs, trees.post_side, sink, toward_root=True, n=n,
                        unit=unit, scale=scale["quotas"])
    cand_node = arcs.new_nodes(n)
    post_node = arcs.new_nodes(m)

    def priced(price: Fraction, where: BoolArray) -> IntArray:
        """A price in the network's units where ``where`` holds, else 0."""
        tier = "quotas" if prices is None else prices.tier
        whole = price * scale[tier] * (unit if tier == "quotas" else 1)
        assert whole.denominator == 1
        return where.astype(np.int64) * int(whole)

    zero = Fraction(0)
    no_price = Prices(np.zeros(n, np.bool_), np.zeros(m, np.bool_), zero, zero, zero, zero)
    price = no_price if prices is None else prices
    entry = _attachment(trees.candidate_side, cand_attach, n, source)
    locked = compiled.lock_post >= 0
    arcs.add(entry, cand_node, 1, priced(price.candidate, price.cand), locked.astype(np.int64))
    exit_node = _attachment(trees.post_side, post_attach, m, sink)
    arcs.add(post_node, exit_node, compiled.capacity,
             -compiled.weight * scale["coverage"] + priced(price.post, price.posts))

    routed = _routed_candidates(compiled, derouted)
    direct_rows = _direct_rows(compiled, routed)
    d_cand, d_post, d_rank = _direct_pairs(compiled, routed, direct_rows)
    paths = shortcut(_routes(compiled, routed, direct_rows, price))
    # Routes of one candidate to one post are direct arcs too, at the route's cost (never
    # below the pair's true cost, which another arc then offers).
    d_cost = np.concatenate([compiled.costs(d_cand, d_post, d_rank), paths.cand_post_cost])
    d_cand = np.concatenate([d_cand, paths.cand_post_cand])
    d_post = np.concatenate([d_post, paths.cand_post_post])
    direct = arcs.add(cand_node[d_cand], post_node[d_post], 1, d_cost * scale["preferences"]
                      + priced(price.pair, price.cand[d_cand] & price.posts[d_post]))

    pref = scale["preferences"]
    hub_node = arcs.new_nodes(paths.hubs)
    group_node = arcs.new_nodes(paths.groups)
    sizes = paths.hub_sizes()
    # Routes keep priced candidates in hubs of their own and priced posts in groups of their
    # own (:func:`_routes`), so a pair's price is paid on the arc into the group.
    hub_priced = np.zeros(paths.hubs, dtype=np.bool_)
    hub_priced[paths.entry_hub] = price.cand[paths.entry_cand]
    group_priced = np.zeros(paths.groups, dtype=np.bool_)
    group_priced[paths.exit_group] = price.posts[paths.exit_post]
    step_price = priced(price.pair, hub_priced[paths.step_hub]
                        & group_priced[paths.step_group])
    hub_post_price = priced(price.pair, hub_priced[paths.hub_post_hub]
                            & price.posts[paths.hub_post_post])
    class_price = priced(price.pair, price.cand[paths.cand_group_cand]
                         & group_priced[paths.cand_group_group])
    return _Network(
        arcs, direct, d_cand, d_post, paths,
        hub_entry=arcs.add(cand_node[paths.entry_cand], hub_node[paths.entry_hub], 1,
                           paths.entry_cost * pref),
        hub_class=arcs.add(hub_node[paths.step_hub], group_node[paths.step_group],
                           sizes[paths.step_hub], paths.step_cost * pref + step_price),
        hub_post=arcs.add(hub_node[paths.hub_post_hub], post_node[paths.hub_post_post],
                          sizes[paths.hub_post_hub], paths.hub_post_cost * pref + hub_post_price),
        cand_class=arcs.add(cand_node[paths.cand_group_cand],
                            group_node[paths.cand_group_group], 1,
                            paths.cand_group_cost * pref + class_price),
        class_post=arcs.add(group_node[paths.exit_group], post_node[paths.exit_post],
                            compiled.capacity[paths.exit_post]),
        source=source, sink=sink, total_arc=total_arc, candidates=n,
    )


_NO_ARC = np.iinfo(np.int64).min
# Most candidates taken off the routes before the first solve for the forbidden posts their
# routes offer (:func:`_route_offers_forbidden`): each costs about 450 arcs of its own at
# national scale, and 4,700 took a 100k round's peak from 1.47 GB to 1.79 GB (beyond this
# many, they leave as solves misplace them).
DEROUTED_AT_ONCE_MOST = 5_000
_ADJUSTED = 0  # the rank of the route every 服从调剂 candidate may take to any post


def _rank_cost(compiled: Compiled, rank: IntArray) -> IntArray:
    objective = compiled.problem.objective
    steps = rank - 1
    ranked = steps * steps if objective.rank_cost == "quadratic" else steps
    cost: IntArray = np.where(rank > 0, ranked, objective.adjustment_cost).astype(np.int64)
    return cost


# Measured at 100k: 4 solves about 10% faster than 2 and 8 (fewer nodes against more arcs).
_DIRECT_FACTOR = 4  # 0 routes every pattern with posts (tests exercise routes that way)


def _direct_rows(compiled: Compiled, routed: BoolArray) -> BoolArray:
    """Wish rows of routed candidates that are cheaper as direct arcs than as a route: those
    of a pattern whose k rows and s posts make k·s ≤ 4(k + s) (a route costs k entries, s
    exits, hubs × groups steps and a node per hub and group). Every single-post wish is one."""
    wishes = compiled.wishes
    rows = routed[wishes.cand]
    n_patterns = len(wishes.starts) - 1
    k = np.bincount(wishes.pattern[rows], minlength=n_patterns)
    s = np.diff(wishes.starts)
    small = k * s <= _DIRECT_FACTOR * (k + s)
    direct: BoolArray = rows & small[wishes.pattern]
    return direct


def _routes(compiled: Compiled, routed: BoolArray, direct_rows: BoolArray,
            price: Prices) -> Routes:
    """Routes of the routed candidates: their wish patterns, and adjustment in layers
    (:mod:`matcher.engines.routes`) or, when a negative bonus makes layers inexact, as one
    more pattern matching every post.

    With a price per pair (``price.pair``), a hub cannot mix candidates it charges with
    others, nor a group posts it charges with others: the priced candidates get routes of
    their own, whose groups keep the priced posts apart, and pay the price on the step into
    a priced group. (Giving them arcs of their own instead took 2.2 GB at national scale.)"""
    loners = np.flatnonzero(compiled.compat.candidate_ok & (compiled.lock_post < 0) & ~routed
                            & compiled.adjusts)
    routes = personal_adjustment(compiled, loners, _excluded_from_adjustment(compiled, loners),
                                 *_cost_classes(compiled, price.posts))
    sides = ([(routed & ~price.cand, None), (routed & price.cand, price.posts)] if price.pair
             else [(routed, None)])
    for side, split in sides:
        adjusters = np.flatnonzero(side & compiled.adjusts)
        rows = side[compiled.wishes.cand] & ~direct_rows
        if layers_apply(compiled):
            routes = (routes + _pattern_routes(compiled, rows, _EMPTY, split)
                      + layered_adjustment(compiled, adjusters, split))
        else:
            routes = routes + _pattern_routes(compiled, rows, adjusters, split)
    return routes


def _excluded_from_adjustment(compiled: Compiled, cands: IntArray) -> IntArray:
    """Sorted pair keys the adjustment of ``cands`` must not reach: their forbidden pairs,
    their wished posts dearer than adjustment (a wish's own arc charges them right) and,
    when continuity is a surcharge, the posts they continue (their own arcs charge it)."""
    m = max(compiled.m, 1)
    keys = compiled.forbidden_keys
    parts = [keys[np.isin(keys // m, cands)]]
    wishes = compiled.wishes
    cand, post, rank = _wished_posts(compiled, wishes.rows_of(cands)[1])
    wished = compiled.pair_keys(cand, post)
    order = np.lexsort((rank, wished))  # a post's rank is its best-ranked matching wish
    wished, rank = wished[order], rank[order]
    first = np.flatnonzero(np.diff(wished, prepend=-1) != 0)
    parts.append(wished[first][_dearer_than_adjustment(compiled, rank[first])])
    if compiled.problem.objective.continuity_bonus < 0:
        c, p = _continuity_pairs(compiled, np.isin(np.arange(compiled.n), cands))
        parts.append(compiled.pair_keys(c, p))
    return np.unique(np.concatenate(parts))


def _pattern_routes(compiled: Compiled, rows: BoolArray, adjusters: IntArray,
                    split: BoolArray | None = None) -> Routes:
    """A hub per (pattern, view of its posts), whatever the rank (paid on the entry arc); the
    pattern's posts in groups of one cost class (and one side of ``split``). Routes the wish
    ``rows`` given (a mask); ``adjusters`` take adjustment as one more pattern matching every
    post."""
    wishes, compat = compiled.wishes, compiled.compat
    cost_class, class_rep = _cost_classes(compiled, split)
    n_patterns = len(wishes.starts) - 1
    # Route rows: the wishes given, then adjustment as pattern n_patterns.
    keep = rows
    row_cand = np.concatenate([wishes.cand[keep], adjusters])
    if len(row_cand) == 0:
        return Routes.empty()
    row_rank = np.concatenate([wishes.rank[keep], np.full(len(adjusters), _ADJUSTED)])
    row_pattern = np.concatenate([wishes.pattern[keep],
                                  np.full(len(adjusters), n_patterns)])
    starts = np.concatenate([wishes.starts, [wishes.starts[-1] + compiled.m]])
    members = np.concatenate([wishes.members, np.arange(compiled.m, dtype=np.int64)])
    owner = np.repeat(np.arange(n_patterns + 1), np.diff(starts))

    # Post groups: (pattern, cost class) pairs, for patterns that routed rows use.
    used = np.zeros(n_patterns + 1, dtype=np.bool_)
    used[row_pattern] = True
    live = used[owner]
    n_classes = max(len(class_rep), 1)
    group_keys, exit_group = np.unique(owner[live] * n_classes + cost_class[members[live]],
                                       return_inverse=True)
    group_pattern, group_class = group_keys // n_classes, group_keys % n_classes
    group_starts = np.searchsorted(group_pattern, np.arange(n_patterns + 2))

    # What each (pattern, profile) sees: per group of the pattern, a bonus cost or no arc.
    profile = compat.profile[row_cand]
    views, row_view = np.unique(row_pattern * (compat.attributes_ok.shape[0] or 1) + profile,
                                return_inverse=True)
    view_pattern = views // (compat.attributes_ok.shape[0] or 1)
    view_profile = views % (compat.attributes_ok.shape[0] or 1)
    sig_of_view, step_view_group, step_view_cost = _view_signatures(
        compiled, view_pattern, view_profile, group_starts, group_class, class_rep)

    # The rank is paid on the entry arc, so candidates of any rank share a hub.
    hub_keys, entry_hub = np.unique(
        np.column_stack([row_pattern, sig_of_view[row_view.reshape(-1)]]), axis=0,
        return_inverse=True)
    entry_hub = entry_hub.reshape(-1)
    # A hub's steps are those of the view its signature names (the first that sees alike).
    first_view = hub_keys[:, 1]
    counts = np.diff(step_view_group.starts)[first_view]
    step_hub = np.repeat(np.arange(len(hub_keys)), counts)
    take = np.repeat(step_view_group.starts[first_view], counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    return Routes(
        hubs=len(hub_keys), groups=len(group_keys),
        entry_cand=row_cand, entry_hub=entry_hub, entry_cost=_rank_cost(compiled, row_rank),
        step_hub=step_hub, step_group=step_view_group.values[take],
        step_cost=step_view_cost[take],
        exit_group=exit_group.reshape(-1), exit_post=members[live],
    )


_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class _Ragged:
    starts: IntArray
    values: IntArray


_CHUNK_ENTRIES = 4_000_000  # bounds the temporary (view × group) arrays: memory, not speed


def _view_signatures(compiled: Compiled, view_pattern: IntArray, view_profile: IntArray,
                     group_starts: IntArray, group_class: IntArray,
                     class_rep: IntArray) -> tuple[IntArray, _Ragged, IntArray]:
    """For each view (pattern, profile): a signature, the index of the first view of the same
    pattern that sees the same (which post groups it may enter, at what bonus); and, for
    those first views only, the groups they enter and the bonus cost of each.

    Views come sorted by pattern and are processed in chunks of bounded size, so the
    temporaries stay small at national scale (the adjustment route alone sees every post).
    """
    compat = compiled.compat
    fits = compat.attributes_ok & compat.pairings_ok
    bonus_of, bonus_row = _bonus_table(compiled, class_rep)
    lo_all = group_starts[view_pattern]
    sizes_all = group_starts[view_pattern + 1] - lo_all
    signature = np.arange(len(view_pattern), dtype=np.int64)
    kept: list[tuple[IntArray, IntArray, IntArray]] = []
    for a, b in _chunks(sizes_all, _CHUNK_ENTRIES):
        lo, sizes = lo_all[a:b], sizes_all[a:b]
        owner = np.repeat(np.arange(b - a), sizes)
        group = np.repeat(lo, sizes) + (
            np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
        profile = view_profile[a:b][owner]
        klass = group_class[group]
        ok = fits[profile, compat.post_class[class_rep[klass]]]
        value = np.where(ok, bonus_of[bonus_row[profile], klass], _NO_ARC)
        signature[a:b] = a + _equal_rows(view_pattern[a:b], sizes, value)
        first = (signature[a:b] == np.arange(a, b))[owner] & ok
        kept.append((owner[first] + a, group[first], value[first]))
    views = np.concatenate([k[0] for k in kept]) if kept else _EMPTY
    starts = np.searchsorted(views, np.arange(len(view_pattern) + 1))
    groups = np.concatenate([k[1] for k in kept]) if kept else _EMPTY
    values = np.concatenate([k[2] for k in kept]) if kept else _EMPTY
    return signature, _Ragged(starts, groups), values


def _chunks(sizes: IntArray, budget: int) -> list[tuple[int, int]]:
    """Consecutive ranges of rows holding about ``budget`` entries each (at least one row).

    A pattern cut across two chunks only loses some sharing (alike views in different chunks
    get different hubs), never exactness.
    """
    ends = np.cumsum(sizes)
    ranges = []
    start = 0
    while start < len(sizes):
        before = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, before + budget, side="right"))
        stop = max(stop, start + 1)
        ranges.append((start, stop))
        start = stop
    return ranges


def _equal_rows(block: IntArray, sizes: IntArray, values: IntArray) -> IntArray:
    """An id per row (rows laid end to end in ``values``, ``sizes`` long) that is equal
    exactly when two rows of the same ``block`` hold equal values.

    Rows are grouped by a 64-bit hash, then every row is compared entry by entry with its
    group's first row; a block where any hash grouping was wrong is regrouped by sorting.
    """
    n_rows = len(sizes)
    owner = np.repeat(np.arange(n_rows), sizes)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    position = np.arange(len(values)) - offsets[owner]
    # Odd weights make each term a bijection of its value; the extreme sentinel is mapped
    # to an ordinary-looking number first so that its top bit alone does not carry it.
    weights = np.random.default_rng(0).integers(1, 2**63, size=int(sizes.max(initial=0)) + 1,
                                                dtype=np.uint64) | np.uint64(1)
    spread = np.where(values == _NO_ARC, np.int64(0x1E3779B97F4A7C15), values)
    mixed = spread.astype(np.uint64) * weights[position]
    row_hash = np.zeros(n_rows, dtype=np.uint64)
    np.add.at(row_hash, owner, mixed)
    _, first, group = np.unique(np.column_stack([block, sizes, row_hash.view(np.int64)]),
                                axis=0, return_index=True, return_inverse=True)
    ids = first[group.reshape(-1)]
    wrong = values != values[offsets[ids[owner]] + position]
    for bad in np.unique(block[owner[wrong]]).tolist():
        rows = np.flatnonzero(block == bad)
        width = int(sizes[rows[0]])
        table = values[offsets[rows[0]]:offsets[rows[0]] + width * len(rows)].reshape(-1, width)
        _, first_in, regroup = np.unique(table, axis=0, return_index=True,
                                         return_inverse=True)
        ids[rows] = rows[first_in[regroup.reshape(-1)]]
    return ids


def _bonus_table(compiled: Compiled, class_rep: IntArray) -> tuple[IntArray, IntArray]:
    """Bonus part of the cost (−home −fit) for every (home, major) × cost class, and the row
    of that table each eligibility profile uses. Continuity is left out: routed candidates
    get it on direct arcs."""
    compat = compiled.compat
    columns = compiled.candidates.columns
    rep_cand = np.zeros(compat.attributes_ok.shape[0], dtype=np.int64)
    rep_cand[compat.profile[::-1]] = np.arange(compiled.n)[::-1]
    key = columns["home_province"][rep_cand] * (len(compiled.candidates.interner.codes) + 1) \
        + columns["major_category"][rep_cand]
    _, first, row = np.unique(key, return_index=True, return_inverse=True)
    cand = np.repeat(rep_cand[first], len(class_rep))
    post = np.tile(class_rep, len(first))
    table = compiled.costs(cand, post, np.ones(len(cand), dtype=np.int64))
    if compiled.problem.objective.continuity_bonus:
        table += compiled.problem.objective.continuity_bonus * compiled.continues(cand, post)
    return table.reshape(len(first), len(class_rep)), row.reshape(-1)


def _routed_candidates(compiled: Compiled, derouted: BoolArray | None = None) -> BoolArray:
    """Candidates who share routes: eligible, unlocked, not ``derouted`` and, when the
    continuity bonus is negative (a surcharge routes would not charge), not from a university
    some post continues.

    Routes may offer a few candidates more than they are allowed (:func:`_overoffered`): a
    forbidden pair, or a wished post at the adjustment cost where the wish costs more. They
    are routed all the same, and the solve takes off the routes (``derouted``) those whose
    answer used such an offer (:func:`_misrouted`); giving them all direct arcs up front took
    gigabytes at national scale (quadratic rank cost makes every adjuster with five wishes
    one of them)."""
    objective = compiled.problem.objective
    routed: BoolArray = compiled.compat.candidate_ok & (compiled.lock_post < 0)
    if derouted is not None:
        routed &= ~derouted
    if objective.continuity_bonus < 0:
        interner = compiled.candidates.interner
        continued = [interner.lookup(p.continuity_university) for p in compiled.problem.posts
                     if p.continuity_university is not None]
        routed &= ~np.isin(compiled.candidates.columns["university"], continued)
    return routed


def _overoffered(compiled: Compiled) -> BoolArray:
    """Candidates whose routes may offer a pair they may not hold (a forbidden pair) or at
    less than its cost (a 服从调剂 candidate's wish costing more than adjustment: the
    adjustment route reaches that post too)."""
    wishes = compiled.wishes
    too_dear = np.zeros(compiled.n, dtype=np.bool_)
    too_dear[wishes.cand[_dearer_than_adjustment(compiled, wishes.rank)]] = True
    has_forbidden = np.zeros(compiled.n, dtype=np.bool_)
    has_forbidden[compiled.forbidden_keys // max(compiled.m, 1)] = True
    over: BoolArray = has_forbidden | (too_dear & compiled.adjusts)
    return over


def _dearer_than_adjustment(compiled: Compiled, rank: IntArray) -> BoolArray:
    """Wish ranks (0 = none) whose cost is above ``adjustment_cost``: the adjustment route
    reaches such a wished post for less than the pair costs."""
    dear: BoolArray = (rank > 0) & (_rank_cost(compiled, rank)
                                    > compiled.problem.objective.adjustment_cost)
    return dear


def _misrouted(compiled: Compiled, assignment: IntArray, suspects: BoolArray
               ) -> tuple[IntArray, BoolArray]:
    """Suspects (:func:`_overoffered`, still routed) whose post in ``assignment`` is forbidden
    to them or a wish dearer than adjustment (which a route may have undercharged); and
    which of them are on a forbidden pair."""
    cand = np.flatnonzero(suspects & (assignment >= 0) & (compiled.lock_post < 0))
    post = assignment[cand]
    forbidden = compiled.forbids(cand, post)
    wrong = forbidden | _dearer_than_adjustment(compiled, compiled.rank_of(cand, post))
    return cand[wrong], forbidden[wrong]


def _direct_pairs(compiled: Compiled, routed: BoolArray,
                  direct_rows: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Pairs that get their own arc: locks, every wish of candidates not routed (their
    adjustment is :func:`~matcher.engines.routes.personal_adjustment`), the posts of routed
    candidates' ``direct_rows`` and everyone's continuity pairs (routes do not pay that
    bonus). Every arc costs its pair's true cost; returns candidates, posts and ranks."""
    unlocked = compiled.lock_post < 0
    lock_c = np.flatnonzero(~unlocked)
    cands = [lock_c]
    posts = [compiled.lock_post[lock_c]]
    loners = np.flatnonzero(compiled.compat.candidate_ok & unlocked & ~routed)
    wishes = compiled.wishes
    rows = np.concatenate([wishes.rows_of(loners)[1], np.flatnonzero(direct_rows)])
    wished_cand, wished_post, _ = _wished_posts(compiled, rows)
    cands.append(wished_cand)
    posts.append(wished_post)
    if compiled.problem.objective.continuity_bonus:
        c, p = _continuity_pairs(compiled, routed | np.isin(np.arange(compiled.n), loners))
        cands.append(c)
        posts.append(p)
    cand, post = np.concatenate(cands), np.concatenate(posts)
    _, first = np.unique(compiled.pair_keys(cand, post), return_index=True)
    cand, post = cand[first], post[first]
    locked = compiled.lock_post[cand] == post
    fine = compiled.compat.allowed(cand, post) & ~np.isin(compiled.pair_keys(cand, post),
                                                          compiled.forbidden_keys)
    rank = compiled.rank_of(cand, post)
    fine &= (rank > 0) | compiled.adjusts[cand]
    keep = fine | locked
    return cand[keep], post[keep], rank[keep]


def _wished_posts(compiled: Compiled, rows: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """The (candidate, post, rank) of every post each given wish row matches."""
    wishes = compiled.wishes
    pattern = wishes.pattern[rows]
    sizes = np.diff(wishes.starts)[pattern]
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return (np.repeat(wishes.cand[rows], sizes),
            wishes.members[np.repeat(wishes.starts[pattern], sizes) + offsets],
            np.repeat(wishes.rank[rows], sizes))


def _continuity_pairs(compiled: Compiled, routed: BoolArray) -> tuple[IntArray, IntArray]:
    members = np.flatnonzero(routed)
    by_univ: dict[str, list[int]] = {}
    for p, post in enumerate(compiled.problem.posts):
        if post.continuity_university is not None:
            by_univ.setdefault(post.continuity_university, []).append(p)
    cands: list[int] = []
    posts: list[int] = []
    for c in members.tolist():
        univ = compiled.problem.candidates[c].university
        for p in by_univ.get(univ, []) if univ is not None else []:
            cands.append(c)
            posts.append(p)
    c_arr, p_arr = np.array(cands, dtype=np.int64), np.array(posts, dtype=np.int64)
    ok = compiled.compat.allowed(c_arr, p_arr)
    return c_arr[ok], p_arr[ok]


def _cost_classes(compiled: Compiled, split: BoolArray | None = None
                  ) -> tuple[IntArray, IntArray]:
    """Posts grouped so that every hub pays one adjustment cost to all posts of a group:
    same eligibility class, and (when those bonuses count) same province and preferred
    majors; and the same side of ``split`` when given. Returns the group of each post and
    one representative post per group."""
    objective = compiled.problem.objective
    columns = [compiled.compat.post_class]
    if split is not None and split.any():
        columns.append(split.astype(np.int64))
    if objective.home_bonus:
        columns.append(compiled.posts.columns["province"])
    if objective.fit_bonus:
        sets: dict[frozenset[str], int] = {}
        columns.append(np.array(
            [sets.setdefault(frozenset(p.preferred_major_categories), len(sets))
             for p in compiled.problem.posts], dtype=np.int64))
    keys = np.stack(columns, axis=1) if compiled.m else np.zeros((0, len(columns)), np.int64)
    _, rep, cost_class = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return cost_class.reshape(-1).astype(np.int64), rep.astype(np.int64)


@dataclass
class _Circulation:
    """The network as flat arrays, re-solvable with the total fixed at any value."""

    network: _Network
    tails: IntArray
    heads: IntArray
    caps: IntArray
    costs: IntArray
    supply: IntArray

    @classmethod
    def of(cls, network: _Network) -> _Circulation:
        arcs = network.arcs
        supply = np.zeros(arcs.nodes, dtype=np.int64)
        for node, amount in arcs.supply.items():
            supply[node] += amount
        return cls(network, np.concatenate(arcs.tails), np.concatenate(arcs.heads),
                   np.concatenate(arcs.caps), np.concatenate(arcs.costs), supply)

    def solve(self, total: int | None, upto: int | None = None, deadline: float | None = None
              ) -> tuple[int, IntArray] | None:
        """Optimal (cost, flows) with ``total`` assignments (None: free), None if infeasible.

        The cost includes the constant part of soft share-of-total deviations, so that costs
        for different totals compare. With ``upto``, any total from ``total`` to ``upto``
        is allowed and each share is set at its loosest there (a minimum at ``total``, a
        maximum at ``upto``): the cost is then a lower bound for every total in between.
        A large network's solve stops at ``deadline`` (:class:`~.stoppable.OutOfTime`).
        """
        network, constant = self._fixed(total, upto)
        outcome = min_cost_flow_solve(*network, deadline)
        return None if outcome is None else (outcome[0] + constant, outcome[1])

    def solve_side_by_side(self, ranges: Sequence[tuple[int, int | None]],
                           deadline: float | None = None
                           ) -> list[tuple[int, IntArray] | OutOfTime | None]:
        """:meth:`solve` for each ``(total, upto)`` at once (large networks: one forked
        process each), with an :class:`OutOfTime` for each the deadline stopped."""
        fixed = [self._fixed(total, upto) for total, upto in ranges]
        outcomes = side_by_side([network for network, _ in fixed], deadline)
        return [outcome if outcome is None or isinstance(outcome, OutOfTime)
                else (outcome[0] + constant, outcome[1])
                for outcome, (_, constant) in zip(outcomes, fixed, strict=True)]

    def _fixed(self, total: int | None, upto: int | None) -> tuple[Network, int]:
        """The arrays with the total fixed (see :meth:`solve`), and the constant cost."""
        caps, costs, supply = self.caps.copy(), self.costs.copy(), self.supply.copy()
        n = self.network.candidates
        constant = 0
        for slot in self.network.arcs.shares:
            at = upto if upto is not None and slot.bound == "max_share" else total
            constant += _fix_share(slot, at, n, caps, costs, supply)
        tails, heads = self.tails, self.heads
        if total is not None:
            caps[self.network.total_arc] = 0 if upto is None else upto - total
            supply[self.network.sink] -= total
            supply[self.network.source] += total
            if upto is not None and upto > total:
                tails, heads = self._gated(total, upto, caps, supply)
        return (tails, heads, caps, costs, supply), constant

    def _gated(self, total: int, upto: int, caps: IntArray, supply: IntArray
               ) -> tuple[IntArray, IntArray]:
        """Tails and heads for an interval solve with its extra total passed through the
        gate of a hard minimum share (when one hangs from the root), which tightens the
        interval's bound.

        With ``T`` from ``total`` to ``upto`` placed and the share ``s``, every round has
        ``N ≥ ⌈s·T⌉`` (N: placements the quota counts), and as ``⌈s·T⌉`` rises by at most 1
        per placement, ``N − (T − total) ≥ ⌈s·upto⌉ − (upto − total)``, exact at ``upto``.
        The solve's loosest share, ``N ≥ ⌈s·total⌉``, alone lets the top of the interval
        take the bottom's share: a national gap of nine totals took four rounds of solves
        to close. Routing the extra ``T − total`` units through the gate (out of the chain
        to the source on the sink side, into it from the sink on the source side) with a
        lower bound of that constant on the gate says the second inequality; it also says
        ``N ≥ T − total``, implied when the constant is not negative, and only then is
        it used. A maximum share ``c`` on the same quota caps the gate as well, since
        ``⌊c·T⌋ ≤ ⌊c·total⌋ + (T − total)``. A chain must hang from the root itself:
        otherwise the quotas above it would count the rerouted units too.
        """
        network = self.network
        source, sink, extra = network.source, network.sink, network.total_arc
        for slot in network.arcs.shares:
            share = slot.quota.min_share
            if not slot.quota.hard or slot.bound != "min_share" or share is None:
                continue
            gate = slot.gate_arc
            gate_tail, gate_head = int(self.tails[gate]), int(self.heads[gate])
            floor = math.ceil(share * upto) - (upto - total)
            if floor < 0 or not (gate_head == sink or gate_tail == source):
                continue
            tails, heads = self.tails.copy(), self.heads.copy()
            if gate_head == sink:  # out of the chain, then around to the source
                tails[extra] = gate_tail
            else:  # around from the sink, then into the chain
                heads[extra] = gate_head
            ceiling = caps[gate]
            cap = slot.quota.max_share
            if cap is not None:  # a band: N ≤ ⌊c·T⌋ ≤ ⌊c·total⌋ + (T − total) too
                ceiling = min(ceiling, math.floor(cap * total))
            caps[gate] = max(0, ceiling - floor)
            supply[gate_tail] -= floor
            supply[gate_head] += floor
            return tails, heads
        return self.tails, self.heads

    def interval(self, low: int, high: int, deadline: float | None = None
                 ) -> tuple[Interval, IntArray] | None:
        """One solve over every total in [low, high] (see :meth:`solve`): its bound, its
        total, and whether its flows keep every share at that total. Only hard shares can
        be read off the flows so; with a soft one the search evaluates the total again."""
        return self.read_interval(low, high, self.solve(low, high, deadline))

    def read_interval(self, low: int, high: int, outcome: tuple[int, IntArray] | None
                      ) -> tuple[Interval, IntArray] | None:
        """What the solve of [low, high] (``outcome``) says of it: see :meth:`interval`."""
        if outcome is None:
            return None
        cost, flows = outcome
        total = low + int(flows[self.network.total_arc])
        feasible = True
        cuts: list[tuple[int, int]] = []
        for slot in self.network.arcs.shares:
            quota = slot.quota
            counted = int(flows[slot.first_arc:slot.first_arc + 3].sum())
            share = getattr(quota, slot.bound)
            if not quota.hard:
                feasible = False
                continue
            if slot.bound == "min_share":  # its lower bound is a supply, off the arcs
                counted += math.ceil(share * low)
                if counted < share * total:
                    # Short at its total: below it by range, and from any cut c with
                    # s·(c + 1) > N on, the upper part's minimum share excludes it.
                    feasible = False
                    cuts.append((math.floor(counted / share), total - 1))
            elif counted > share * total:
                # Over at its total: above it by range, and up to any cut c with s·c < N,
                # the lower part's maximum share excludes it.
                feasible = False
                cuts.append((total, math.ceil(counted / share) - 1 if share else high))
        # Any one share it breaks excludes it from both parts: the widest range of cuts.
        widest = max(cuts, key=lambda cut: cut[1] - cut[0], default=None)
        return Interval(cost, total, feasible, None if feasible else widest), flows


def _fix_share(slot: ShareSlot, total: int | None, n: int, caps: IntArray, costs: IntArray,
               supply: IntArray) -> int:
    """Set a share-of-total slot's three arcs for ``total`` (free when None); returns the
    constant cost it adds (a soft minimum's deviation at N = 0)."""
    a0, a1, a2 = slot.first_arc, slot.first_arc + 1, slot.first_arc + 2
    caps[[a0, a1, a2]] = 0
    costs[[a0, a1, a2]] = 0
    if total is None:
        caps[a0] = n
        return 0
    share = getattr(slot.quota, slot.bound)
    target = share * total
    whole, frac = math.floor(target), target - math.floor(target)
    quota = slot.quota
    if quota.hard:
        if slot.bound == "min_share":
            lower = math.ceil(target)
            caps[a0] = n - lower
            supply[slot.tail] -= lower
            supply[slot.head] += lower
        else:
            caps[a0] = whole
        return 0
    price = quota.penalty * slot.scale
    caps[a0], caps[a1], caps[a2] = whole, 1 if frac else 0, n
    if slot.bound == "min_share":  # deviation s·T − N while N < s·T
        costs[a0], costs[a1] = int(-price), int(-price * frac)
        return int(price * target)
    costs[a1], costs[a2] = int(price * (1 - frac)), int(price)  # deviation N − s·T beyond
    return 0


def solve(compiled: Compiled, options: SolveOptions, prices: Prices | None = None, *,
          derouted: BoolArray | None = None) -> EngineResult:
    """The optimum (of the network with ``prices`` added to its objective, when given).

    ``derouted`` marks candidates known to need arcs of their own from the start (forbidden
    at most posts, say): found by the solve itself otherwise, one more solve each time."""
    with paused_gc():  # the build makes small objects beside the problem's: matcher.gc_pause
        return _solve(compiled, options, prices, derouted)


def _solve(compiled: Compiled, options: SolveOptions, prices: Prices | None,
           derouted: BoolArray | None) -> EngineResult:
    """Solve with every candidate routed (but the ``derouted`` given), then again with the
    misrouted ones taken off the routes, until no answer uses an offer it may not
    (:func:`_routed_candidates`). Each round
    solves a relaxation of the next, so the first answer that uses none is optimal.

    Before that, each misplaced candidate is offered a stand-in (:mod:`.substitution`):
    when every one has one, the mended round is optimal at once. When the time limit leaves
    no room for another round, the round is mended as far as it goes (:func:`_out_of_time`)
    and returned ``feasible``, bounded by the relaxation it solved."""
    obstacles = network_obstacles(compiled)
    if obstacles:
        raise EngineCapabilityError(NAME, obstacles)
    started = time.monotonic()
    deadline = None if options.time_limit is None else started + options.time_limit
    suspects = _overoffered(compiled)
    derouted = (np.zeros(compiled.n, dtype=np.bool_) if derouted is None
                else derouted.copy())
    offered = _route_offers_forbidden(compiled, _routed_candidates(compiled, derouted))
    if len(offered) <= DEROUTED_AT_ONCE_MOST:
        derouted[offered] = True
    while True:
        attempt_started = time.monotonic()
        result = _solve_network(compiled, options, started, derouted, prices)
        if result.assignment is None:
            return result
        misrouted, forbidden = _misrouted(compiled, result.assignment, suspects & ~derouted)
        if not len(misrouted):
            return result
        stand_ins = np.full(len(misrouted), -1, dtype=np.int64)
        if result.status is Status.optimal and prices is None:  # (a stand-in is unpriced)
            stand_ins = substitutes(compiled, result.assignment, misrouted,
                                    _least_charge(compiled, result.assignment, misrouted))
            if (stand_ins >= 0).all():
                return _substituted(result, misrouted, stand_ins)
        took = time.monotonic() - attempt_started
        if deadline is not None and time.monotonic() + took > deadline:
            return _out_of_time(compiled, result, misrouted, forbidden, stand_ins)
        # Those with a stand-in will have one again: only the others leave the routes.
        misrouted, forbidden = misrouted[stand_ins < 0], forbidden[stand_ins < 0]
        # Others may take their place on the routes: the candidates forbidden at the same
        # posts go too (few and cheap); wishers of those posts are many, so not them.
        derouted[misrouted] = True
        posts = np.unique(result.assignment[misrouted[forbidden]])
        keys = compiled.forbidden_keys
        m = max(compiled.m, 1)
        derouted[keys[np.isin(keys % m, posts)] // m] = True
        _progress(options, f"flow: {int(derouted.sum())} candidate(s) taken off shared "
                  "routes", started)


def _route_offers_forbidden(compiled: Compiled, routed: BoolArray) -> IntArray:
    """Routed candidates whose routes offer them a post forbidden to them: by 服从调剂 (the
    adjustment route reaches every post a candidate may hold) or by a wish of theirs that
    a route carries (a single-post wish is a direct arc, which leaves forbidden pairs out).

    Up to :data:`DEROUTED_AT_ONCE_MOST` of them leave the routes before the first solve.
    Taken off only as solves misplaced them, a fifth of a 100k round's best pairs forbidden
    (4,700 such candidates) took more than eight solves of 11 s, each misplacing another
    50 to 250, and ended out of time; taken off after the first solve, two solves and the
    optimum in 37 s; before it, one solve."""
    keys = compiled.forbidden_keys
    m = max(compiled.m, 1)
    cand, post = keys // m, keys % m
    keep = routed[cand] & compiled.compat.allowed(cand, post)
    cand, post = cand[keep], post[keep]
    offered = compiled.adjusts[cand].copy()
    others = np.flatnonzero(~offered)
    if len(others):  # any wish of theirs on a route that matches the post
        wishes = compiled.wishes
        owner, rows = wishes.rows_of(cand[others])
        carried = ~_direct_rows(compiled, routed)[rows]
        owner, rows = owner[carried], rows[carried]
        hit = wishes.matches(wishes.pattern[rows], post[others][owner])
        offered[others[owner[hit]]] = True
    return np.unique(cand[offered])


def _least_charge(compiled: Compiled, assignment: IntArray, cand: IntArray) -> IntArray:
    """The least any arc of the network can charge each candidate at its post: the pair's
    cost, or for a 服从调剂 candidate the adjustment route's (which pays no continuity)."""
    post = assignment[cand]
    rank = compiled.rank_of(cand, post)
    true = compiled.costs(cand, post, rank)
    adjusted = compiled.costs(cand, post, np.zeros(len(cand), dtype=np.int64))
    bonus = compiled.problem.objective.continuity_bonus
    if bonus:
        adjusted += bonus * compiled.continues(cand, post)
    least: IntArray = np.where(compiled.adjusts[cand], np.minimum(true, adjusted), true)
    return least


def _substituted(result: EngineResult, misrouted: IntArray, stand_ins: IntArray
                 ) -> EngineResult:
    """The relaxation's round with each misrouted candidate's post given to its stand-in
    (:mod:`matcher.engines.substitution`): optimal."""
    assert result.assignment is not None
    mended = _mended(result.assignment, misrouted, stand_ins, misrouted)
    return EngineResult(Status.optimal, mended, engine=NAME, note=(
        f"{result.note}; {len(misrouted)} candidate(s) the shared routes placed wrongly "
        "replaced by others left out, at no more cost"), solve_seconds=result.solve_seconds)


def _mended(placed: IntArray, moved: IntArray, stand_ins: IntArray, unplaced: IntArray
            ) -> IntArray:
    """``placed`` with each stand-in on its moved candidate's post, and ``unplaced`` (the
    moved among them) off their posts."""
    mended = placed.copy()
    mended[stand_ins] = placed[moved]
    mended[unplaced] = -1
    return mended


def _out_of_time(compiled: Compiled, result: EngineResult, misrouted: IntArray,
                 forbidden: BoolArray, stand_ins: IntArray) -> EngineResult:
    """No time for another round: the relaxation's round, mended. Stand-ins take their posts,
    the other candidates on forbidden pairs give theirs to a stand-in at any cost (coverage
    and quotas stay: at 100k with 5,000 forbidden pairs, 98 seats were left empty before)
    or are unplaced, the rest keep their dear wishes (pairs they may hold, at a higher
    cost). The bound is the relaxation's value, its preferences less the most it can have
    undercharged; a round reaching it is optimal."""
    assert result.assignment is not None
    placed = result.assignment
    left = np.flatnonzero((stand_ins < 0) & forbidden)
    if len(left):
        stand_ins = stand_ins.copy()
        held = _mended(placed, misrouted[stand_ins >= 0], stand_ins[stand_ins >= 0],
                       misrouted[:0])  # the stand-ins placed, so not offered twice
        stand_ins[left] = substitutes(compiled, held, misrouted[left],
                                      np.full(len(left), np.iinfo(np.int64).max))
    has = stand_ins >= 0
    mended = _mended(placed, misrouted[has], stand_ins[has], misrouted[has | forbidden])
    order = compiled.problem.objective.order
    bound = dict(result.bound)
    if result.status is Status.optimal:
        relaxed = tier_values(compiled, compiled.pairs(placed))
        posts = placed[misrouted]
        charged = _least_charge(compiled, placed, misrouted)
        cost = compiled.costs(misrouted, posts, compiled.rank_of(misrouted, posts))
        relaxed["preferences"] = int(relaxed["preferences"]) - int((cost - charged).sum())
        values = tier_values(compiled, compiled.pairs(mended))
        bound = {}
        for tier in order:  # a tier bounds as long as those before it are the answer's own
            bound[tier] = relaxed[tier]
            if relaxed[tier] != values[tier]:
                break
    note = (f"{result.note}; out of time with {len(misrouted)} candidate(s) the shared "
            f"routes placed wrongly ({int(has.sum())} replaced, "
            f"{int((forbidden & ~has).sum())} unplaced)")
    pairs = compiled.pairs(mended)
    if not all(holds(q, pairs) for q in compiled.quotas if q.hard):
        return EngineResult(Status.unknown, None, {t: bound[t] for t in order[:1] if t in bound},
                            engine=NAME, note=note + "; unplacing them breaks a hard quota",
                            solve_seconds=result.solve_seconds)
    proven = result.status is Status.optimal and len(bound) == len(order) and all(
        bound[t] == tier_values(compiled, pairs)[t] for t in order)
    return EngineResult(Status.optimal if proven else Status.feasible, mended, bound,
                        engine=NAME, note=note, solve_seconds=result.solve_seconds)


def _solve_network(compiled: Compiled, options: SolveOptions, started: float,
                   derouted: BoolArray, prices: Prices | None = None) -> EngineResult:
    network = build_network(compiled, derouted, prices)
    arcs = network.arcs
    circulation = _Circulation.of(network)
    largest = int(np.abs(circulation.costs).max()) if arcs.count else 0
    largest *= 2 if arcs.shares else 1  # share slots add costs of up to the same size
    if largest and largest > _INT64_MAX // (2 * (arcs.nodes + 1)):
        raise EngineCapabilityError(NAME, ["objective tiers too wide to scale into one cost"])
    note = f"{arcs.nodes} nodes, {arcs.count} arcs"
    if derouted.any():
        note += f", {int(derouted.sum())} candidate(s) off shared routes"
    _progress(options, f"flow: {note}", started)
    solve_started = time.monotonic()
    try:
        relaxed = (None if arcs.contradictory
                   else circulation.solve(None, deadline=_stop_at(options, started)))
    except OutOfTime:
        return EngineResult(Status.unknown, None, engine=NAME,
                            note=f"{note}; out of time in the network solve (stopped)",
                            solve_seconds=time.monotonic() - solve_started)
    took = time.monotonic() - solve_started
    if relaxed is None:
        return _infeasible(compiled, options, started, note)
    assignment = _assignment(compiled, network, relaxed[1])
    if not arcs.shares or _shares_hold(compiled, network, assignment):
        return EngineResult(Status.optimal, assignment, engine=NAME, note=note,
                            solve_seconds=took)
    return _search_total(compiled, circulation, assignment, options, started, note, took)


def side_by_side_width(options: SolveOptions) -> int:
    """How many network solves the search over the total makes at once: the workers asked
    for, else one per core, but at most :data:`SIDE_BY_SIDE_MOST`."""
    workers = options.workers if options.workers > 0 else os.cpu_count() or 1
    return max(1, min(workers, SIDE_BY_SIDE_MOST))


def _stop_at(options: SolveOptions, started: float) -> float | None:
    """When a solve still running is stopped: the caller's ``stop_at``, which lets a solve
    begun in time use what the engine's limit kept back for finishing (its answer is worth
    more than the margin), else the engine's own deadline."""
    if options.stop_at is not None:
        return options.stop_at
    return None if options.time_limit is None else started + options.time_limit


def _progress(options: SolveOptions, phase: str, started: float,
              objective: float | None = None) -> None:
    if options.progress is not None:
        options.progress(Progress(phase, time.monotonic() - started, objective))


def _infeasible(compiled: Compiled, options: SolveOptions, started: float,
                note: str) -> EngineResult:
    from matcher.engines.conflicts import find_conflict

    if not options.explain_infeasible:
        return EngineResult(Status.infeasible, None, engine=NAME, note=note)
    deadline = None if options.time_limit is None else started + options.time_limit
    return EngineResult(Status.infeasible, None, engine=NAME, note=note,
                        conflict=find_conflict(compiled, options, deadline))


def _shares_hold(compiled: Compiled, network: _Network, assignment: IntArray) -> bool:
    pairs = compiled.pairs(assignment)
    return all(holds(slot.quota, pairs) for slot in network.arcs.shares)


def _search_total(compiled: Compiled, circulation: _Circulation, relaxed: IntArray,
                  options: SolveOptions, started: float, note: str,
                  solve_seconds: float) -> EngineResult:
    """Shares of the total broke in the relaxation: search the total (TotalSearch), each
    evaluation a solve about as long as the relaxation's (``solve_seconds``)."""
    network = circulation.network
    shares = [getattr(slot.quota, slot.bound) for slot in network.arcs.shares]
    flows_of: dict[int, IntArray] = {}

    deadline = None if options.time_limit is None else started + options.time_limit
    stop = _stop_at(options, started)

    def value_of(total: int, outcome: tuple[int, IntArray] | None) -> int | None:
        """Record and report the solve of ``total``; its value."""
        _progress(options, f"flow: total {total}", started,
                  None if outcome is None else float(outcome[0]))
        if outcome is None:
            return None
        flows_of[total] = outcome[1]
        return outcome[0]

    def interval_of(low: int, high: int, outcome: tuple[int, IntArray] | None
                    ) -> Interval | None:
        """Record and report the solve of the totals [low, high]; what it says of them."""
        read = circulation.read_interval(low, high, outcome)
        _progress(options, f"flow: totals {low}-{high}", started,
                  None if read is None else float(read[0].bound))
        if read is None:
            return None
        found, flows = read
        if found.feasible:
            flows_of[found.total] = flows
        return found

    def evaluate(total: int) -> int | None:
        return value_of(total, circulation.solve(total, deadline=stop))

    def relax(low: int, high: int) -> Interval | None:
        return interval_of(low, high, circulation.solve(low, high, stop))

    def evaluate_many(totals: list[int]) -> list[int | Stopped | None]:
        outcomes = circulation.solve_side_by_side([(total, None) for total in totals], stop)
        return [STOPPED if isinstance(outcome, OutOfTime) else value_of(total, outcome)
                for total, outcome in zip(totals, outcomes, strict=True)]

    def relax_many(spans: list[tuple[int, int]]) -> list[Interval | Stopped | None]:
        outcomes = circulation.solve_side_by_side(spans, stop)
        return [STOPPED if isinstance(outcome, OutOfTime) else interval_of(low, high, outcome)
                for (low, high), outcome in zip(spans, outcomes, strict=True)]

    most = int(min(compiled.n, int(compiled.capacity.sum())))
    search = TotalSearch(evaluate, lcm(*(s.denominator for s in shares)), 0, most, deadline,
                         longest=solve_seconds, relax=relax, evaluate_many=evaluate_many,
                         relax_many=relax_many, width=side_by_side_width(options))
    # The total once the placements that break shares are taken away (:mod:`.trimmed`), or
    # the relaxation's when that cannot be done: a round with that total keeps every rule,
    # so the search starts from a feasible point near the optimum.
    trimmed = trimmed_round(compiled, relaxed)
    try:
        search.run(start=int(((relaxed if trimmed is None else trimmed) >= 0).sum()))
    except OutOfTime:  # a solve was stopped at the deadline: the best so far stands
        search.timed_out = True
    best = search.best()
    skip = frozenset(slot.quota.id for slot in network.arcs.shares)
    bound = tier_values(compiled, compiled.pairs(relaxed), skip)
    order = compiled.problem.objective.order
    relaxation_bound: dict[str, TierValue] = {tier: bound[tier] for tier in order[:1]}
    note = (f"{note}; total searched at {len(search.values)} values"
            + (f" and {search.intervals} intervals" if search.intervals else ""))
    if best is None:
        if search.timed_out:
            return EngineResult(Status.unknown, None, relaxation_bound, engine=NAME, note=note,
                                solve_seconds=search.longest)
        return _infeasible(compiled, options, started, note)
    assignment = _assignment(compiled, network, flows_of[best[0]])
    status = Status.feasible if search.timed_out else Status.optimal
    return EngineResult(status, assignment, relaxation_bound if search.timed_out else {},
                        engine=NAME, note=note, solve_seconds=search.longest)


def _assignment(compiled: Compiled, net: _Network, flows: IntArray) -> IntArray:
    """Read the candidates' posts off the flows. Every unit entering a group may leave by any
    of its exits, and every candidate entering a hub may take any unit leaving it (all reach
    the same posts at the same cost), so units are paired in order at each."""
    paths = net.paths
    assignment = np.full(compiled.n, -1, dtype=np.int64)
    used = flows[net.direct] > 0
    assignment[net.direct_cand[used]] = net.direct_post[used]
    # Units into groups, from hubs (source h ≥ 0) and from candidates (source −1 − c).
    hc, cc = flows[net.hub_class], flows[net.cand_class]
    in_group = np.concatenate([np.repeat(paths.step_group, hc),
                               np.repeat(paths.cand_group_group, cc)])
    in_source = np.concatenate([np.repeat(paths.step_hub, hc),
                                np.repeat(-1 - paths.cand_group_cand, cc)])
    cp = flows[net.class_post]
    out_group = np.repeat(paths.exit_group, cp)
    out_post = np.repeat(paths.exit_post, cp)
    order_in = np.argsort(in_group, kind="stable")
    order_out = np.argsort(out_group, kind="stable")
    if not np.array_equal(in_group[order_in], out_group[order_out]):
        raise SolverError("flow not conserved at group nodes")
    source, post = in_source[order_in], out_post[order_out]
    alone = source < 0
    assignment[-1 - source[alone]] = post[alone]
    # Units out of hubs: through groups, or straight to a post.
    hp = flows[net.hub_post]
    unit_hub = np.concatenate([source[~alone], np.repeat(paths.hub_post_hub, hp)])
    unit_post = np.concatenate([post[~alone], np.repeat(paths.hub_post_post, hp)])
    by_hub = np.argsort(unit_hub, kind="stable")
    entered = flows[net.hub_entry] > 0
    riders = paths.entry_cand[entered]
    rider_hub = paths.entry_hub[entered]
    rider_order = np.argsort(rider_hub, kind="stable")
    if not np.array_equal(rider_hub[rider_order], unit_hub[by_hub]):
        raise SolverError("flow not conserved at hub nodes")
    assignment[riders[rider_order]] = unit_post[by_hub]
    return assignment
