"""Shared paths candidate → hub → post group → post: the aggregated part of the network.

A *route* is a wish pattern or adjustment (服从调剂). Candidates who take a route with the
same view of its posts share a *hub*; the route's posts are split into *groups* whose posts
every hub entering the group reaches at one cost. Hub → group arcs then number hubs × groups,
not candidates × posts. :func:`layered_adjustment` builds the adjustment route here; the wish
patterns' routes are built in :mod:`matcher.engines.flow`.

Adjustment in layers. An adjuster may hold every post of the eligibility classes its profile
allows, at ``adjustment_cost`` less the home bonus (post in their home province) and the fit
bonus (their major among the post's preferred ones). One hub per distinct view of all posts
(which classes, at which bonus) multiplies the hubs by every home province and major and
connects each to every cost class: 9 million arcs at national scale. Instead each adjuster
enters up to four hubs, one per *layer*, each reaching only the posts where its bonuses apply::

    layer   hub key                         groups                        cost
    plain   allowed classes                 class                         adj
    home    allowed classes, home           class, province               adj − home
    fit     allowed classes, major          class, preferred major        adj − fit
    both    allowed classes, home, major    class, province, major        adj − home − fit

Every route to a post then costs at least the pair's true cost and the cheapest costs exactly
that, so the circulation's optimum is unchanged. This needs both bonuses ≥ 0 (a negative bonus
would let the plain layer undercut); the flow engine keeps the view-based route otherwise.
Hubs of a layer that reach the same groups are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class Routes:
    """Arcs of the aggregated part: entries (candidate → hub, at ``entry_cost``), steps
    (hub → group, at ``step_cost``) and exits (group → post, free)."""

    hubs: int
    groups: int
    entry_cand: IntArray
    entry_hub: IntArray
    entry_cost: IntArray
    step_hub: IntArray
    step_group: IntArray
    step_cost: IntArray
    exit_group: IntArray
    exit_post: IntArray

    @classmethod
    def empty(cls) -> Routes:
        return cls(0, 0, *(_EMPTY for _ in range(8)))

    def __add__(self, other: Routes) -> Routes:
        """Both sets of routes side by side (the other's hubs and groups renumbered)."""
        h, g = self.hubs, self.groups
        return Routes(
            h + other.hubs, g + other.groups,
            np.concatenate([self.entry_cand, other.entry_cand]),
            np.concatenate([self.entry_hub, other.entry_hub + h]),
            np.concatenate([self.entry_cost, other.entry_cost]),
            np.concatenate([self.step_hub, other.step_hub + h]),
            np.concatenate([self.step_group, other.step_group + g]),
            np.concatenate([self.step_cost, other.step_cost]),
            np.concatenate([self.exit_group, other.exit_group + g]),
            np.concatenate([self.exit_post, other.exit_post]),
        )


def layers_apply(compiled: Compiled) -> bool:
    """Whether :func:`layered_adjustment` is exact for this objective (no negative bonus)."""
    objective = compiled.problem.objective
    return objective.home_bonus >= 0 and objective.fit_bonus >= 0


def layered_adjustment(compiled: Compiled, adjusters: IntArray,
                       split: BoolArray | None = None) -> Routes:
    """The adjustment route of ``adjusters`` in layers (module docstring). Continuity and
    forbidden pairs are not seen here: callers route only candidates for whom that is exact.
    ``split`` keeps the posts it marks in groups of their own (a price on them: flow)."""
    objective = compiled.problem.objective
    compat = compiled.compat
    if len(adjusters) == 0 or compiled.m == 0:
        return Routes.empty()
    fits = compat.attributes_ok & compat.pairings_ok
    post_class = compat.post_class
    if split is not None and split.any():  # each class twice: off and on the split
        fits = np.repeat(fits, 2, axis=1)
        post_class = 2 * post_class + split
    used, slot = np.unique(compat.profile[adjusters], return_inverse=True)
    rows, row_of_used = _distinct_rows(fits[used])
    cand_row = row_of_used[slot.reshape(-1)]
    home = compiled.candidates.columns["home_province"][adjusters]
    major = compiled.candidates.columns["major_category"][adjusters]
    province = compiled.posts.columns["province"]
    fit_post, fit_major = _preferred_pairs(compiled)
    all_posts = np.arange(compiled.m, dtype=np.int64)

    routes = Routes.empty()
    for by_home in (False, True):
        for by_fit in (False, True):
            if (by_home and objective.home_bonus <= 0) or (by_fit and objective.fit_bonus <= 0):
                continue
            posts = fit_post if by_fit else all_posts
            cand_keys = [home] * by_home + [major] * by_fit
            post_keys = [province[posts]] * by_home + [fit_major] * by_fit
            cost = (objective.adjustment_cost - objective.home_bonus * by_home
                    - objective.fit_bonus * by_fit)
            routes = routes + _layer(rows, adjusters, cand_row, cand_keys, posts,
                                     post_class[posts], post_keys, cost,
                                     width=len(compiled.candidates.interner.codes) + 1)
    return routes


def _distinct_rows(matrix: BoolArray) -> tuple[BoolArray, IntArray]:
    """The distinct rows of a boolean matrix (in order of first appearance) and the index of
    each row among them. Hashing packed rows: ``np.unique(axis=0)`` sorts whole rows as
    opaque records, seconds for ten thousand rows of a few hundred classes."""
    packed = np.packbits(matrix, axis=1)
    index: dict[bytes, int] = {}
    which = np.fromiter((index.setdefault(row.tobytes(), len(index)) for row in packed),
                        dtype=np.int64, count=len(packed))
    first = np.zeros(len(index), dtype=np.int64)
    first[which[::-1]] = np.arange(len(which))[::-1]
    return matrix[first], which


def _preferred_pairs(compiled: Compiled) -> tuple[IntArray, IntArray]:
    """Every (post, preferred major code), each once."""
    interner = compiled.posts.interner
    pairs = {(p, interner.code(major))
             for p, post in enumerate(compiled.problem.posts)
             for major in post.preferred_major_categories}
    table = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return table[:, 0].copy(), table[:, 1].copy()


def _flat(columns: list[IntArray], size: int, width: int) -> IntArray:
    """One int64 per row for key columns of codes in ``[0, width)``, ordered like the rows."""
    flat = np.zeros(size, dtype=np.int64)
    for column in columns:
        flat = flat * width + column
    return flat


def _layer(rows: BoolArray, adjusters: IntArray, cand_row: IntArray, cand_keys: list[IntArray],
           posts: IntArray, post_class: IntArray, post_keys: list[IntArray], cost: int, *,
           width: int) -> Routes:
    """One layer: groups of posts by (key, class), hubs of adjusters by (row, key), a step
    wherever the keys agree and the row allows the class; hubs reaching alike merged."""
    if len(posts) == 0 or len(adjusters) == 0:
        return Routes.empty()
    n_classes = rows.shape[1]
    group_code = _flat(post_keys, len(posts), width) * n_classes + post_class
    groups, exit_group = np.unique(group_code, return_inverse=True)
    exit_group = exit_group.reshape(-1)
    group_prefix, group_class = groups // n_classes, groups % n_classes

    cand_prefix = _flat(cand_keys, len(adjusters), width)
    keys, hub_of = np.unique(np.stack([cand_row, cand_prefix], axis=1), axis=0,
                             return_inverse=True)
    hub_of = hub_of.reshape(-1)
    lo = np.searchsorted(group_prefix, keys[:, 1], side="left")
    hi = np.searchsorted(group_prefix, keys[:, 1], side="right")
    counts = hi - lo
    owner = np.repeat(np.arange(len(keys)), counts)
    group = np.repeat(lo, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    allowed = rows[keys[owner, 0], group_class[group]]
    owner, group = owner[allowed], group[allowed]

    # Merge hubs that reach the same groups; drop those that reach none.
    starts = np.searchsorted(owner, np.arange(len(keys) + 1))
    merged = np.full(len(keys), -1, dtype=np.int64)
    first: dict[bytes, int] = {}
    representatives: list[int] = []
    for k in range(len(keys)):
        reach = group[starts[k]:starts[k + 1]]
        if len(reach):
            merged[k] = first.setdefault(reach.tobytes(), len(first))
            if merged[k] == len(representatives):
                representatives.append(k)
    rep = np.array(representatives, dtype=np.int64)
    step_counts = starts[rep + 1] - starts[rep]
    step_hub = np.repeat(np.arange(len(rep)), step_counts)
    step_group = group[np.repeat(starts[rep], step_counts) + (
        np.arange(step_counts.sum()) - np.repeat(np.cumsum(step_counts) - step_counts,
                                                 step_counts))]

    # Keep only the groups some hub reaches, renumbered.
    reached = np.zeros(len(groups), dtype=np.bool_)
    reached[step_group] = True
    renumber = np.cumsum(reached) - 1
    exits = reached[exit_group]
    entering = merged[hub_of] >= 0
    return Routes(
        hubs=len(rep), groups=int(reached.sum()),
        entry_cand=adjusters[entering], entry_hub=merged[hub_of][entering],
        entry_cost=np.full(int(entering.sum()), cost, dtype=np.int64),
        step_hub=step_hub, step_group=renumber[step_group],
        step_cost=np.zeros(len(step_hub), dtype=np.int64),
        exit_group=renumber[exit_group[exits]], exit_post=posts[exits],
    )


@dataclass
class Paths:
    """Routes with their one-candidate hubs and one-post groups short-cut.

    A hub entered by one candidate and a group left to one post only add a node the flow
    must pass through (a third of the aggregated nodes at national scale; the solve is about
    30% faster without them): their arcs are joined to the candidate or the post beside them,
    at the summed cost. What is left: ``entry`` candidate → hub, ``step`` hub → group,
    ``hub_post`` hub → post, ``cand_group`` candidate → group, ``cand_post`` candidate →
    post, ``exit`` group → post; hubs and groups renumbered.
    """

    hubs: int
    groups: int
    entry_cand: IntArray
    entry_hub: IntArray
    entry_cost: IntArray
    step_hub: IntArray
    step_group: IntArray
    step_cost: IntArray
    hub_post_hub: IntArray
    hub_post_post: IntArray
    hub_post_cost: IntArray
    cand_group_cand: IntArray
    cand_group_group: IntArray
    cand_group_cost: IntArray
    cand_post_cand: IntArray
    cand_post_post: IntArray
    cand_post_cost: IntArray
    exit_group: IntArray
    exit_post: IntArray

    def hub_sizes(self) -> IntArray:
        """Candidates entering each hub (the most any of its steps can carry)."""
        sizes: IntArray = np.bincount(self.entry_hub, minlength=self.hubs)
        return sizes


def shortcut(routes: Routes) -> Paths:
    """The :class:`Paths` of ``routes``: same options at the same costs, fewer nodes."""
    entries = np.bincount(routes.entry_hub, minlength=routes.hubs)
    exits = np.bincount(routes.exit_group, minlength=routes.groups)
    lone_hub, lone_group = entries == 1, exits == 1
    hub_cand = np.full(routes.hubs, -1, dtype=np.int64)
    hub_cost = np.zeros(routes.hubs, dtype=np.int64)
    alone = lone_hub[routes.entry_hub]
    hub_cand[routes.entry_hub[alone]] = routes.entry_cand[alone]
    hub_cost[routes.entry_hub[alone]] = routes.entry_cost[alone]
    only_post = np.full(routes.groups, -1, dtype=np.int64)
    single = lone_group[routes.exit_group]
    only_post[routes.exit_group[single]] = routes.exit_post[single]
    hub_id = np.cumsum(~lone_hub) - 1
    group_id = np.cumsum(~lone_group) - 1

    h, g, cost = routes.step_hub, routes.step_group, routes.step_cost
    from_hub, to_group = ~lone_hub[h], ~lone_group[g]
    a = from_hub & to_group
    b = from_hub & ~to_group
    c = ~from_hub & to_group
    d = ~from_hub & ~to_group
    return Paths(
        hubs=int((~lone_hub).sum()), groups=int((~lone_group).sum()),
        entry_cand=routes.entry_cand[~alone], entry_hub=hub_id[routes.entry_hub[~alone]],
        entry_cost=routes.entry_cost[~alone],
        step_hub=hub_id[h[a]], step_group=group_id[g[a]], step_cost=cost[a],
        hub_post_hub=hub_id[h[b]], hub_post_post=only_post[g[b]], hub_post_cost=cost[b],
        cand_group_cand=hub_cand[h[c]], cand_group_group=group_id[g[c]],
        cand_group_cost=hub_cost[h[c]] + cost[c],
        cand_post_cand=hub_cand[h[d]], cand_post_post=only_post[g[d]],
        cand_post_cost=hub_cost[h[d]] + cost[d],
        exit_group=group_id[routes.exit_group[~single]], exit_post=routes.exit_post[~single],
    )


def personal_adjustment(compiled: Compiled, adjusters: IntArray, excluded: IntArray,
                        cost_class: IntArray, class_rep: IntArray) -> Routes:
    """Adjustment for 服从调剂 candidates who may not share routes, without a direct arc to
    every post they may hold (7,000 each at national scale).

    Each gets a hub of its own with a step to every cost class (``cost_class``: posts that
    cost every candidate alike, continuity aside) its profile allows, at its cost there
    without the continuity bonus. A class holding one of its ``excluded`` posts (sorted pair
    keys: forbidden pairs, or posts a route would charge wrongly) is reached post by post
    instead, leaving those out. Hubs of one candidate become direct candidate → class arcs
    (:func:`shortcut`), so each candidate costs about one arc per class it may reach.
    """
    m = compiled.m
    if len(adjusters) == 0 or m == 0:
        return Routes.empty()
    compat = compiled.compat
    classes = len(class_rep)
    fits = (compat.attributes_ok & compat.pairings_ok)[compat.profile[adjusters]]
    hub, klass = np.nonzero(fits[:, compat.post_class[class_rep]])
    cand = adjusters[hub]
    rep = class_rep[klass]
    cost = compiled.costs(cand, rep, np.zeros(len(cand), dtype=np.int64))
    bonus = compiled.problem.objective.continuity_bonus
    if bonus:
        cost += bonus * compiled.continues(cand, rep)
    ex_cand, ex_post = excluded // m, excluded % m
    blocked_keys = np.unique(ex_cand * classes + cost_class[ex_post])
    blocked = np.isin(cand * classes + klass, blocked_keys)

    # A blocked class: a step to each of its posts but the excluded, each a group of one.
    by_class = np.argsort(cost_class, kind="stable")
    starts = np.searchsorted(cost_class[by_class], np.arange(classes + 1))
    b_hub, b_class, b_cost = hub[blocked], klass[blocked], cost[blocked]
    sizes = starts[b_class + 1] - starts[b_class]
    owner = np.repeat(np.arange(len(b_hub)), sizes)
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    post = by_class[np.repeat(starts[b_class], sizes) + offsets]
    keep = ~np.isin(adjusters[b_hub[owner]] * m + post, excluded)
    owner, post = owner[keep], post[keep]

    # Groups: the classes (exits to all their posts), then one per post; unused ones dropped.
    step_hub = np.concatenate([hub[~blocked], b_hub[owner]])
    step_group = np.concatenate([klass[~blocked], classes + post])
    step_cost = np.concatenate([cost[~blocked], b_cost[owner]])
    exit_group = np.concatenate([cost_class, classes + np.arange(m)])
    exit_post = np.concatenate([np.arange(m), np.arange(m)]).astype(np.int64)
    used = np.zeros(classes + m, dtype=np.bool_)
    used[step_group] = True
    renumber = np.cumsum(used) - 1
    exits = used[exit_group]
    return Routes(
        hubs=len(adjusters), groups=int(used.sum()),
        entry_cand=adjusters.copy(), entry_hub=np.arange(len(adjusters), dtype=np.int64),
        entry_cost=np.zeros(len(adjusters), dtype=np.int64),
        step_hub=step_hub, step_group=renumber[step_group], step_cost=step_cost,
        exit_group=renumber[exit_group[exits]], exit_post=exit_post[exits],
    )
