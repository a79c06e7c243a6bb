"""Problem → arrays every engine shares: edges (who may hold what, at which rank and cost),
quota memberships, couples, capacities.

An *edge* is a candidate-post pair the solution may contain. Edges are numpy arrays sorted by
candidate then post, so engines index them without Python loops over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from matcher.columns import (
    BoolArray,
    FloatArray,
    IntArray,
    Interner,
    Table,
    candidate_table,
    post_table,
)
from matcher.eligibility import Compatibility, WishTable, compatibility, wish_table
from matcher.gc_pause import paused_gc
from matcher.problem import Problem, Quota
from matcher.sorting import sorted_rows
from matcher.validation import as_fraction


@dataclass
class EdgeSet:
    """Candidate-post pairs with their rank (0 = no wish matches), cost and flags."""

    cand: IntArray
    post: IntArray
    rank: IntArray
    cost: IntArray
    locked: BoolArray
    eligible: BoolArray  # SPEC §3 holds (false only for locks, and in conflict analysis)
    attributes_ok: BoolArray  # §3 holds but for pairings

    def select(self, mask: BoolArray) -> EdgeSet:
        return EdgeSet(*(getattr(self, f)[mask] for f in _EDGE_FIELDS))

    def __len__(self) -> int:
        return len(self.cand)


_EDGE_FIELDS = ("cand", "post", "rank", "cost", "locked", "eligible", "attributes_ok")


@dataclass
class Pairs:
    """Assigned candidate-post pairs (what a solution holds), with their rank and cost."""

    cand: IntArray
    post: IntArray
    rank: IntArray
    cost: IntArray
    locked: BoolArray


@dataclass
class CompiledQuota:
    """A quota with its selectors evaluated to membership masks and shares as fractions."""

    id: str
    hard: bool
    cand_mask: BoolArray
    post_mask: BoolArray
    share_base: str
    min: int | None
    max: int | None
    min_share: Fraction | None
    max_share: Fraction | None
    penalty: Fraction

    def counted(self, pairs: EdgeSet | Pairs) -> BoolArray:
        """Pairs that count toward N."""
        mask: BoolArray = self.cand_mask[pairs.cand] & self.post_mask[pairs.post]
        return mask

    def based(self, pairs: EdgeSet | Pairs) -> BoolArray:
        """Pairs that count toward D."""
        if self.share_base == "posts":
            mask: BoolArray = self.post_mask[pairs.post]
        else:
            mask = self.cand_mask[pairs.cand]
        return mask

    def count_and_base(self, pairs: EdgeSet | Pairs) -> tuple[int, int]:
        """N and D over a set of assigned pairs."""
        return int(self.counted(pairs).sum()), int(self.based(pairs).sum())

    def deviation(self, count: int, base: int) -> Fraction:
        """SPEC §4: Σ over the bounds given of each bound's shortfall or excess."""
        dev = Fraction(0)
        if self.min is not None:
            dev += max(0, self.min - count)
        if self.max is not None:
            dev += max(0, count - self.max)
        if self.min_share is not None:
            dev += max(Fraction(0), self.min_share * base - count)
        if self.max_share is not None:
            dev += max(Fraction(0), count - self.max_share * base)
        return dev


@dataclass
class Compiled:
    problem: Problem
    candidates: Table
    posts: Table
    compat: Compatibility
    capacity: IntArray
    weight: IntArray
    score: FloatArray
    lock_post: IntArray  # post index per candidate, -1 when not locked
    forbidden_keys: IntArray  # sorted c * m + p
    wishes: WishTable
    quotas: list[CompiledQuota]
    couples: list[tuple[int, int]]
    scope: IntArray  # couple-scope code per post
    adjusts: BoolArray  # accept_adjustment per candidate

    @cached_property
    def ranked(self) -> tuple[IntArray, IntArray, IntArray]:
        """Every wish-ranked (candidate, post, rank), sorted by candidate then post:
        materialised on first use (small problems, CP-SAT, explanations)."""
        return self.wishes.expand()

    @cached_property
    def ranked_options(self) -> tuple[IntArray, IntArray, IntArray]:
        """The ranked pairs a candidate may hold (eligible, not forbidden, not locked),
        sorted by candidate, then rank, then post: what score-first priority reads, several
        times per solve, so kept (read-only). Every wish's pairs are worked out for it but
        not kept unless something asked for them already (:attr:`ranked`): at 100k they are
        265 MB that nothing under priority reads again."""
        rc, rp, rr = self.__dict__["ranked"] if "ranked" in self.__dict__ else self.wishes.expand()
        keep = self.may_hold(rc, rp)
        keep &= self.lock_post[rc] < 0
        rc, rp, rr = rc[keep], rp[keep], rr[keep]
        rc, rr, rp = sorted_rows(rc, rr, rp)
        result = rc, rp, rr
        for array in result:
            array.flags.writeable = False
        return result

    @cached_property
    def partner(self) -> IntArray:
        """Each candidate's partner's index (-1 for a candidate applying alone)."""
        partner = np.full(self.n, -1, dtype=np.int64)
        for a, b in self.couples:
            partner[a], partner[b] = b, a
        partner.flags.writeable = False
        return partner

    @cached_property
    def unlocked_seats(self) -> IntArray:
        """Each post's seats less those its locks take (what unlocked candidates share)."""
        locked = self.lock_post[self.lock_post >= 0]
        seats = self.capacity - np.bincount(locked, minlength=self.m)
        seats.flags.writeable = False
        return seats

    @cached_property
    def edges(self) -> EdgeSet:
        """Every pair a solution may contain, materialised (CP-SAT and small problems only:
        with 服从调剂 at national scale this is the trap DESIGN.md warns about)."""
        return self.edge_set()

    def pairs(self, assignment: IntArray) -> Pairs:
        """The assigned pairs of an assignment (post index per candidate, -1 = unplaced)."""
        cand = np.flatnonzero(assignment >= 0)
        post = assignment[cand]
        rank = self.rank_of(cand, post)
        return Pairs(cand, post, rank, self.costs(cand, post, rank),
                     self.lock_post[cand] == post)

    def held_ranks(self, assignment: IntArray) -> IntArray:
        """Each candidate's wish rank at the post they hold (0 when unplaced or adjusted):
        looked up once per candidate, not per ranked pair (millions at national scale)."""
        placed = np.flatnonzero(assignment >= 0)
        ranks = np.zeros(self.n, dtype=np.int64)
        ranks[placed] = self.rank_of(placed, assignment[placed])
        return ranks

    @property
    def n(self) -> int:
        return self.candidates.size

    @property
    def m(self) -> int:
        return self.posts.size

    def pair_keys(self, cand: IntArray, post: IntArray) -> IntArray:
        keys: IntArray = cand * max(self.m, 1) + post
        return keys

    def may_hold(self, cand: IntArray, post: IntArray) -> BoolArray:
        """Which pairs an unlocked candidate may hold: eligible (SPEC §3) and not forbidden."""
        ok = self.compat.allowed(cand, post)
        if self.forbidden_keys.size:
            ok &= ~self.forbids(cand, post)
        return ok

    def forbids(self, cand: IntArray, post: IntArray) -> BoolArray:
        """Which pairs are forbidden: a binary search in the sorted keys (``np.isin`` sorts
        every forbidden key again on each call, which explaining thousands of candidates one
        by one cannot afford)."""
        keys, known = self.pair_keys(cand, post), self.forbidden_keys
        if not known.size:
            return np.zeros(len(keys), dtype=np.bool_)
        found: BoolArray = known[np.minimum(np.searchsorted(known, keys), len(known) - 1)] == keys
        return found

    def rank_of(self, cand: IntArray, post: IntArray) -> IntArray:
        """Wish rank of each pair (0 when no wish matches)."""
        return self.wishes.rank_of(cand, post)

    def costs(self, cand: IntArray, post: IntArray, rank: IntArray) -> IntArray:
        """SPEC §5 preference cost of each pair."""
        obj = self.problem.objective
        steps = rank - 1
        ranked_cost = steps * steps if obj.rank_cost == "quadratic" else steps
        cost = np.where(rank > 0, ranked_cost, obj.adjustment_cost).astype(np.int64)
        cols_c, cols_p = self.candidates.columns, self.posts.columns
        if obj.home_bonus:
            cost -= obj.home_bonus * (cols_c["home_province"][cand] == cols_p["province"][post])
        if obj.fit_bonus:
            cost -= obj.fit_bonus * self._fits(cand, post)
        if obj.continuity_bonus:
            cost -= obj.continuity_bonus * self.continues(cand, post)
        return cost

    @cached_property
    def _fit_keys(self) -> tuple[int, IntArray]:
        """``width`` and the sorted ``post * width + major code`` of every post's preferred
        majors (``width`` exceeds every code, the preferred majors' included)."""
        interner = self.candidates.interner
        pairs = [(p, interner.code(major)) for p, item in enumerate(self.problem.posts)
                 for major in item.preferred_major_categories]
        width = len(interner.codes) + 1
        return width, np.unique(np.array([p * width + code for p, code in pairs],
                                         dtype=np.int64))

    def _fits(self, cand: IntArray, post: IntArray) -> BoolArray:
        width, keys = self._fit_keys
        majors = self.candidates.columns["major_category"][cand]
        has_major = majors != self.candidates.interner.lookup(None)
        fits: BoolArray = has_major & (majors < width) & np.isin(post * width + majors, keys)
        return fits

    @cached_property
    def _previous_university(self) -> IntArray:
        interner = self.candidates.interner
        return np.array([interner.code(p.continuity_university) for p in self.problem.posts],
                        dtype=np.int64)

    def continues(self, cand: IntArray, post: IntArray) -> BoolArray:
        """Whether each candidate comes from the university of the post's previous holder
        (SPEC §5 ``continuity_bonus``, 接力)."""
        interner = self.candidates.interner
        previous = self._previous_university
        univ = self.candidates.columns["university"][cand]
        result: BoolArray = (univ != interner.lookup(None)) & (univ == previous[post])
        return result

    def edge_set(self, *, for_conflicts: bool = False) -> EdgeSet:
        """The pairs a solution may contain.

        ``for_conflicts`` also keeps pairs that only a pairing forbids (``eligible`` false,
        ``attributes_ok`` true) and the ordinary options of locked candidates, so that
        switching a pairing or a lock off in infeasibility analysis gives back exactly the
        pairs it took away.
        """
        rc, rp, _ = self.ranked
        compat = self.compat
        adjusters = np.flatnonzero(self.adjusts & compat.candidate_ok)
        profiles = compat.profile[adjusters]
        adj_ok = compat.attributes_ok[profiles][:, compat.post_class]  # adjusters × posts
        if not for_conflicts:
            adj_ok &= compat.pairings_ok[profiles][:, compat.post_class]
        ai, ap = np.nonzero(adj_ok)
        cand = np.concatenate([rc, adjusters[ai]])
        post = np.concatenate([rp, ap.astype(np.int64)])
        keys, first = np.unique(self.pair_keys(cand, post), return_index=True)
        cand, post = cand[first], post[first]
        keep = compat.allowed(cand, post, with_pairings=not for_conflicts)
        keep &= ~np.isin(keys, self.forbidden_keys)
        locked_cand = self.lock_post >= 0
        if not for_conflicts:
            keep &= ~locked_cand[cand]
        lock_c = np.flatnonzero(locked_cand)
        cand = np.concatenate([cand[keep], lock_c])
        post = np.concatenate([post[keep], self.lock_post[lock_c]])
        _, first = np.unique(self.pair_keys(cand, post), return_index=True)
        cand, post = cand[first], post[first]
        rank = self.rank_of(cand, post)
        not_forbidden = ~self.forbids(cand, post)
        attributes_ok = compat.allowed(cand, post, with_pairings=False) & not_forbidden
        attributes_ok &= (rank > 0) | self.adjusts[cand]
        eligible = attributes_ok & compat.allowed(cand, post)
        return EdgeSet(cand, post, rank, self.costs(cand, post, rank),
                       self.lock_post[cand] == post, eligible, attributes_ok)


def compile_problem(problem: Problem) -> Compiled:
    """Evaluate every selector and eligibility rule of ``problem`` into arrays."""
    with paused_gc():  # many short-lived tuples over long-lived models: see matcher.gc_pause
        return _compile(problem)


def _compile(problem: Problem) -> Compiled:
    interner = Interner()
    candidates = candidate_table(problem.candidates, interner)
    posts = post_table(problem.posts, interner)
    compat = compatibility(problem, posts)
    cand_index = {c.id: i for i, c in enumerate(problem.candidates)}
    post_index = {p.id: i for i, p in enumerate(problem.posts)}
    m = max(len(problem.posts), 1)

    lock_post = np.full(len(problem.candidates), -1, dtype=np.int64)
    for lock in problem.locks:
        lock_post[cand_index[lock.candidate]] = post_index[lock.post]
    forbidden = np.unique(np.array(
        [cand_index[f.candidate] * m + post_index[f.post] for f in problem.forbidden],
        dtype=np.int64,
    ))
    couples = sorted(
        {tuple(sorted((i, cand_index[c.partner]))) for i, c in enumerate(problem.candidates)
         if c.partner is not None}
    )
    scope_field = problem.rules.couple_scope
    compiled = Compiled(
        problem=problem,
        candidates=candidates,
        posts=posts,
        compat=compat,
        capacity=np.array([p.capacity for p in problem.posts], dtype=np.int64),
        weight=np.array([p.weight for p in problem.posts], dtype=np.int64),
        score=np.array([c.score for c in problem.candidates], dtype=np.float64),
        lock_post=lock_post,
        forbidden_keys=forbidden,
        wishes=wish_table(problem, posts),
        quotas=[_compile_quota(q, candidates, posts) for q in problem.rules.quotas],
        couples=[(a, b) for a, b in couples],
        scope=_areas(problem, scope_field),
        adjusts=np.fromiter((c.accept_adjustment for c in problem.candidates), np.bool_,
                             len(problem.candidates)),
    )
    return compiled


def _areas(problem: Problem, scope: str) -> IntArray:
    """Couple-scope area code per post: the location path (province, prefecture, county) cut
    at the scope, so that "the same county" also means the same prefecture and province."""
    depth = {"province": 1, "prefecture": 2, "county": 3}[scope]
    codes: dict[tuple[str | None, ...], int] = {}
    return np.fromiter(
        (codes.setdefault((p.province, p.prefecture, p.county)[:depth], len(codes))
         for p in problem.posts),
        dtype=np.int64, count=len(problem.posts),
    )


def _compile_quota(quota: Quota, candidates: Table, posts: Table) -> CompiledQuota:
    def share(value: float | None) -> Fraction | None:
        return None if value is None else as_fraction(value)

    return CompiledQuota(
        id=quota.id,
        hard=quota.hard,
        cand_mask=candidates.match(quota.candidates),
        post_mask=posts.match(quota.posts),
        share_base=quota.share_base,
        min=quota.min,
        max=quota.max,
        min_share=share(quota.min_share),
        max_share=share(quota.max_share),
        penalty=as_fraction(quota.penalty),
    )
