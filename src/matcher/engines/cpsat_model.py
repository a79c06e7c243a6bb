"""The CP-SAT model of SPEC, assembled from one small builder per rule.

Variables: ``x[c,p]`` is true when candidate ``c`` holds post ``p``; there is one per edge of
the compiled problem. Every hard rule is a builder below. In *conflict mode* each rule is
guarded by an enabling literal named after its rule id (``quota id``, ``pairing id``,
``couple:<id>``, ``lock:<candidate>``, ``respect_priority``) so that CP-SAT can name a set
of rules that cannot hold together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

import numpy as np
from ortools.sat.python import cp_model

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota, EdgeSet
from matcher.engines.cpsat_priority import PRIORITY_RULE, Fans, add_priority_ladders


@dataclass
class SatModel:
    compiled: Compiled
    edges: EdgeSet
    conflict_mode: bool
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: list[cp_model.IntVar] = field(default_factory=list)
    rule_literals: dict[str, cp_model.IntVar] = field(default_factory=dict)
    tiers: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    quota_scale: int = 1
    by_candidate: list[IntArray] = field(default_factory=list)
    by_post: list[IntArray] = field(default_factory=list)

    def literal(self, rule_id: str) -> cp_model.IntVar | None:
        """The enabling literal of a rule in conflict mode, ``None`` otherwise."""
        return self.switch(rule_id) if self.conflict_mode else None

    def switch(self, rule_id: str) -> cp_model.IntVar:
        """The enabling literal of a rule (created on first use)."""
        if rule_id not in self.rule_literals:
            self.rule_literals[rule_id] = self.model.new_bool_var(f"enable[{rule_id}]")
        return self.rule_literals[rule_id]

    def total(self, mask: BoolArray) -> cp_model.LinearExpr:
        """Σ x over the edges in ``mask``."""
        return cp_model.LinearExpr.sum([self.x[i] for i in np.flatnonzero(mask).tolist()])


def _groups(keys: IntArray, size: int) -> list[IntArray]:
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(size + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(size)]


def build_model(compiled: Compiled, *, conflict_mode: bool = False,
                edges: EdgeSet | None = None, fans: Fans | None = None,
                full_posts: IntArray | None = None) -> SatModel:
    """The whole model: variables, every hard rule, and the three tier expressions.

    ``edges`` restricts the pairs (a reduced model; default: every pair a solution may
    contain). ``fans`` are the pairs that carry a priority constraint; by default the ranked
    eligible pairs among ``edges``, which is all of them unless ``edges`` was restricted.
    ``full_posts`` must be filled (posts every envy-free round fills: their cutoffs imply
    the envy clauses left out of ``fans``).
    """
    if edges is None:
        edges = compiled.edge_set(for_conflicts=True) if conflict_mode else compiled.edges
    sat = SatModel(compiled, edges, conflict_mode)
    sat.x = [sat.model.new_bool_var(f"x[{compiled.problem.candidates[c].id},"
                                  f"{compiled.problem.posts[p].id}]")
             for c, p in zip(edges.cand.tolist(), edges.post.tolist(), strict=True)]
    sat.by_candidate = _groups(edges.cand, compiled.n)
    sat.by_post = _groups(edges.post, compiled.m)
    add_one_post_each(sat)
    add_capacities(sat)
    add_locks(sat)
    if conflict_mode:
        add_pairing_switches(sat)
    for quota in compiled.quotas:
        if quota.hard:
            add_hard_quota(sat, quota)
    add_couples(sat)
    if compiled.problem.rules.respect_priority:
        add_priority(sat, fans)
        if full_posts is not None:
            add_full_posts(sat, full_posts)
    add_tiers(sat)
    return sat


def add_full_posts(sat: SatModel, posts: IntArray) -> None:
    """Every seat of ``posts`` is held (under the priority rule, so a conflict names it)."""
    rule = sat.literal(PRIORITY_RULE)
    for p in posts.tolist():
        seats = cp_model.LinearExpr.sum([sat.x[i] for i in sat.by_post[p]])
        constraint = sat.model.add(seats == int(sat.compiled.capacity[p]))
        if rule is not None:
            constraint.only_enforce_if(rule)


def add_one_post_each(sat: SatModel) -> None:
    for group in sat.by_candidate:
        if len(group) > 1:
            sat.model.add_at_most_one(sat.x[i] for i in group)


def add_capacities(sat: SatModel) -> None:
    capacity = sat.compiled.capacity
    for p, group in enumerate(sat.by_post):
        if len(group) > capacity[p]:
            sat.model.add(sum(sat.x[i] for i in group) <= int(capacity[p]))


def add_locks(sat: SatModel) -> None:
    """A lock must appear; in conflict mode, switched off it leaves an ordinary candidate
    whose locked pair is available only if it is eligible."""
    problem = sat.compiled.problem
    edges = sat.edges
    for i in np.flatnonzero(edges.locked):
        rule = f"lock:{problem.candidates[edges.cand[i]].id}"
        lit = sat.literal(rule)
        if lit is None:
            sat.model.add(sat.x[i] == 1)
            continue
        sat.model.add(sat.x[i] == 1).only_enforce_if(lit)
        if not edges.attributes_ok[i]:
            sat.model.add_implication(sat.x[i], lit)


def add_pairing_switches(sat: SatModel) -> None:
    """Conflict mode only: a pair that a pairing forbids becomes available when every rule
    forbidding it is switched off (SPEC §4, with only the enabled rules in force).

    For each enabled rule that forbids the pair, some enabled rule of the same mode must
    rescue it: an exclusive rule over the post that admits the candidate's origin, or a bound
    rule binding the candidate whose destinations include the post.
    """
    compiled, edges = sat.compiled, sat.edges
    compat = compiled.compat
    rules = compiled.problem.rules.pairings
    switches = [sat.switch(rule.id) for rule in rules]
    for i in np.flatnonzero(edges.attributes_ok & ~edges.eligible).tolist():
        matches = compat.rule_matches_class[compat.post_class[edges.post[i]]]
        admits = compat.rule_admits_profile[compat.profile[edges.cand[i]]]
        # exclusive: restricts when it matches the post; rescues when it also admits.
        # bound: restricts when it binds the candidate; rescues when it also matches the post.
        restricts = np.where(compat.exclusive, matches, admits)
        rescues = matches & admits
        allowed = sat.model.new_bool_var(f"pairings_allow[{i}]")
        for r in np.flatnonzero(restricts & ~rescues).tolist():
            same_mode = compat.exclusive == compat.exclusive[r]
            rescuers = [switches[k] for k in np.flatnonzero(rescues & same_mode).tolist()]
            sat.model.add_bool_or([~allowed, ~switches[r], *rescuers])
        if edges.locked[i]:
            lock = sat.switch(f"lock:{compiled.problem.candidates[edges.cand[i]].id}")
            sat.model.add_bool_or([~sat.x[i], allowed, lock])
        else:
            sat.model.add_implication(sat.x[i], allowed)


def add_hard_quota(sat: SatModel, quota: CompiledQuota) -> None:
    count = sat.total(quota.counted(sat.edges))
    base = sat.total(quota.based(sat.edges))
    lit = sat.literal(quota.id)
    constraints = []
    if quota.min is not None:
        constraints.append(sat.model.add(count >= quota.min))
    if quota.max is not None:
        constraints.append(sat.model.add(count <= quota.max))
    if quota.min_share is not None:
        share = quota.min_share
        constraints.append(sat.model.add(share.denominator * count >= share.numerator * base))
    if quota.max_share is not None:
        share = quota.max_share
        constraints.append(sat.model.add(share.denominator * count <= share.numerator * base))
    if lit is not None:
        for constraint in constraints:
            constraint.only_enforce_if(lit)


def add_couples(sat: SatModel) -> None:
    """Partners are both unplaced or both placed in the same couple-scope area."""
    compiled = sat.compiled
    for a, b in compiled.couples:
        lit = sat.literal(f"couple:{compiled.problem.candidates[a].id}")
        ga, gb = sat.by_candidate[a], sat.by_candidate[b]
        areas = defaultdict(lambda: ([], []))  # type: ignore[var-annotated]
        for side, group in ((0, ga), (1, gb)):
            for i in group:
                areas[int(compiled.scope[sat.edges.post[i]])][side].append(sat.x[i])
        constraints = [sat.model.add(sum(sat.x[i] for i in ga) == sum(sat.x[i] for i in gb))]
        for xs_a, xs_b in areas.values():
            constraints.append(sat.model.add(sum(xs_a) == sum(xs_b)))
        if lit is not None:
            for constraint in constraints:
                constraint.only_enforce_if(lit)


def add_priority(sat: SatModel, fans: Fans | None = None) -> None:
    """No justified envy (SPEC §4 Priority), as score ladders per post (see
    :mod:`matcher.engines.cpsat_priority`).

    A locked holder counts toward fullness only. In conflict mode a lock can be switched
    off, so a locked candidate's pairs hold "unlocked" through ``x ∧ ¬lock`` and its envy
    clauses are enforced only when its lock is off.
    """
    compiled, edges, model = sat.compiled, sat.edges, sat.model
    rule = sat.literal(PRIORITY_RULE)
    locked = compiled.lock_post >= 0
    holder: list[cp_model.LiteralT | None] = []
    guards_of: dict[int, list[cp_model.LiteralT]] = {}
    for i, c in enumerate(edges.cand.tolist()):
        if not locked[c]:
            holder.append(sat.x[i])
            continue
        lock = sat.literal(f"lock:{compiled.problem.candidates[c].id}")
        if lock is None:
            holder.append(None)
            continue
        z = model.new_bool_var(f"unlocked_holder[{i}]")  # x ∧ ¬lock
        model.add_implication(z, sat.x[i])
        model.add_implication(z, lock.negated())
        model.add_bool_or([sat.x[i].negated(), lock, z])
        holder.append(z)
        guards_of[c] = [lock.negated()]
    if rule is not None:
        for c in range(compiled.n):
            guards_of[c] = [rule, *guards_of.get(c, [])]
    if fans is None:
        envious = (edges.rank > 0) & edges.eligible
        if not sat.conflict_mode:
            envious &= ~locked[edges.cand]
        fans = Fans.of(edges.cand, edges.post, edges.rank, envious)
    add_priority_ladders(model, compiled, x=sat.x, cand=edges.cand, post=edges.post,
                         rank=edges.rank, holder=holder, fans=fans, guards_of=guards_of)


def add_tiers(sat: SatModel) -> None:
    """The objective tiers as integer expressions (quotas scaled to integers exactly)."""
    compiled, edges = sat.compiled, sat.edges
    weights = compiled.weight[edges.post]
    sat.tiers["coverage"] = cp_model.LinearExpr.weighted_sum(sat.x, weights.tolist())
    sat.tiers["preferences"] = cp_model.LinearExpr.weighted_sum(sat.x, edges.cost.tolist())
    soft = [q for q in compiled.quotas if not q.hard and q.penalty > 0]
    denominators = [q.penalty.denominator * s.denominator for q in soft
                    for s in (q.min_share, q.max_share) if s is not None]
    denominators += [q.penalty.denominator for q in soft]
    sat.quota_scale = lcm(1, *denominators)
    terms: list[cp_model.LinearExpr] = []
    for quota in soft:
        terms.extend(_soft_quota_terms(sat, quota))
    sat.tiers["quotas"] = sum(terms, start=0)


def _soft_quota_terms(sat: SatModel, quota: CompiledQuota) -> list[cp_model.LinearExpr]:
    """Deviation variables of one soft quota, weighted so the tier is penalty × deviation
    times ``quota_scale``. Each variable is only bounded from below; minimising the tier
    makes it equal to the shortfall or excess."""
    model = sat.model
    count = sat.total(quota.counted(sat.edges))
    base = sat.total(quota.based(sat.edges))
    n_edges = len(sat.edges)
    terms: list[cp_model.LinearExpr] = []

    def slack(name: str, scale: int, lower: cp_model.LinearExprT, denominator: int) -> None:
        upper = n_edges * scale + (quota.min or 0)
        var = model.new_int_var(0, upper, f"{name}[{quota.id}]")
        model.add(var >= lower)
        weight = Fraction(sat.quota_scale) * quota.penalty / denominator
        assert weight.denominator == 1
        terms.append(int(weight) * var)

    if quota.min is not None:
        slack("below_min", 1, quota.min - count, 1)
    if quota.max is not None:
        slack("above_max", 1, count - quota.max, 1)
    if quota.min_share is not None:
        a, b = quota.min_share.numerator, quota.min_share.denominator
        slack("below_min_share", b, a * base - b * count, b)
    if quota.max_share is not None:
        a, b = quota.max_share.numerator, quota.max_share.denominator
        slack("above_max_share", b, b * count - a * base, b)
    return terms
