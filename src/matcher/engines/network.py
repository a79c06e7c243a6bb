"""Which problems a flow network expresses exactly, and the quota trees it needs.

A quota becomes an arc when the pairs it counts are all the pairs of one group of candidates
(its post selector matches every post) or of one group of posts (its candidate selector
matches every candidate), and the groups on each side nest (a laminar family: any two are
nested or disjoint). Share bounds only survive when their base is the counted group itself;
a share of a variable total, couples and justified envy do not fit a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from matcher.columns import BoolArray
from matcher.compile import Compiled, CompiledQuota


@dataclass
class Group:
    """One node of a quota tree: a set of candidates or posts and the quotas on it."""

    mask: BoolArray
    quotas: list[CompiledQuota] = field(default_factory=list)
    parent: int = -1  # index of the smallest group strictly containing this one; -1 = root


@dataclass
class QuotaTrees:
    candidate_side: list[Group]
    post_side: list[Group]


def _side(quota: CompiledQuota) -> str | None:
    if quota.post_mask.all():
        return "candidates"
    if quota.cand_mask.all():
        return "posts"
    return None


def _share_is_of_group(quota: CompiledQuota, side: str) -> bool:
    """True when D counts exactly the pairs N counts, so a share bound is a count bound."""
    if quota.min_share is None and quota.max_share is None:
        return True
    if quota.share_base == side:
        return True
    # D is over the other side's selector, which matches everything: the total, unless N is
    # the total too.
    return bool(quota.cand_mask.all() and quota.post_mask.all())


def share_of_total(quota: CompiledQuota) -> bool:
    """A one-sided quota whose share bounds are taken of all assignments (D = total).

    The network holds these exactly only with the total fixed: see
    :mod:`matcher.engines.total_search`.
    """
    side = _side(quota)
    return side is not None and not _share_is_of_group(quota, side)


def network_obstacles(compiled: Compiled) -> list[str]:
    """Why a flow network cannot express this problem exactly (empty list: it can)."""
    rules = compiled.problem.rules
    obstacles = []
    if compiled.couples:
        obstacles.append("couples")
    if rules.respect_priority:
        obstacles.append("respect_priority")
    for quota in compiled.quotas:
        if _side(quota) is None:
            obstacles.append(f"quota {quota.id} restricts both candidates and posts")
    if not obstacles:
        trees_or_error = _build_trees(compiled)
        if isinstance(trees_or_error, str):
            obstacles.append(trees_or_error)
    return obstacles


def quota_trees(compiled: Compiled) -> QuotaTrees:
    """The laminar quota trees; call only when :func:`network_obstacles` is empty."""
    trees = _build_trees(compiled)
    if isinstance(trees, str):
        raise ValueError(trees)
    return trees


def _build_trees(compiled: Compiled) -> QuotaTrees | str:
    assert all(_side(quota) is not None for quota in compiled.quotas)
    sides = _groups_by_side(compiled)
    for side, groups in sides.items():
        problem = _nest(groups)
        if problem is not None:
            return f"{side}-side quotas {problem} overlap without nesting"
    return QuotaTrees(sides["candidates"], sides["posts"])


def _groups_by_side(compiled: Compiled) -> dict[str, list[Group]]:
    """The one-sided quotas as groups of candidates and of posts, quotas on the same set
    sharing a group (quotas restricting both sides form none)."""
    sides: dict[str, list[Group]] = {"candidates": [], "posts": []}
    for quota in compiled.quotas:
        side = _side(quota)
        if side is None:
            continue
        mask = quota.cand_mask if side == "candidates" else quota.post_mask
        groups = sides[side]
        same = next((g for g in groups if np.array_equal(g.mask, mask)), None)
        if same is None:
            groups.append(Group(mask.copy(), [quota]))
        else:
            same.quotas.append(quota)
    return sides


def quota_clashes(compiled: Compiled) -> list[tuple[list[str], list[str]]]:
    """Every pair of one-sided quota groups that overlap without nesting, as the ids of
    each group's quotas (the larger group first): what keeps the quota trees from
    forming. Quotas restricting both sides are left out (they never form a group)."""
    clashes = []
    for groups in _groups_by_side(compiled).values():
        groups.sort(key=lambda g: -int(g.mask.sum()))
        sizes = [int(g.mask.sum()) for g in groups]
        for i, larger in enumerate(groups):
            for j in range(i + 1, len(groups)):
                shared = int((larger.mask & groups[j].mask).sum())
                if 0 < shared < min(sizes[i], sizes[j]):
                    clashes.append(([q.id for q in larger.quotas],
                                    [q.id for q in groups[j].quotas]))
    return clashes


def _nest(groups: list[Group]) -> str | None:
    """Order groups largest first and link each to its smallest strict superset."""
    groups.sort(key=lambda g: -int(g.mask.sum()))
    for i, group in enumerate(groups):
        for j in range(i - 1, -1, -1):
            other = groups[j]
            inter = group.mask & other.mask
            if not inter.any():
                continue
            if np.array_equal(inter, group.mask):
                if group.parent < 0 or groups[group.parent].mask.sum() > other.mask.sum():
                    group.parent = j
                continue
            return f"{other.quotas[0].id} and {group.quotas[0].id}"
    # Smallest superset: among all supersets, the one of fewest members (largest index).
    for i, group in enumerate(groups):
        supersets = [j for j in range(i) if np.array_equal(group.mask & groups[j].mask,
                                                           group.mask)]
        group.parent = max(supersets) if supersets else -1
    return None


def count_bounds(quota: CompiledQuota) -> tuple[int, int | None]:
    """Hard bounds on N from the count bounds, and from the share bounds when their base is
    the quota's own group (D = N): ``min_share·N ≤ N`` always holds; ``N ≤ max_share·N``
    forces N = 0 when the share is below one. Shares of the total are handled apart."""
    low = quota.min or 0
    high = quota.max
    if not share_of_total(quota) and quota.max_share is not None and quota.max_share < 1:
        high = 0
    return low, high


def unit_share_excess(quota: CompiledQuota) -> Fraction:
    """Soft deviation per counted pair from ``max_share`` when D = N: (1 − share)."""
    if quota.max_share is None or share_of_total(quota):
        return Fraction(0)
    return 1 - quota.max_share
