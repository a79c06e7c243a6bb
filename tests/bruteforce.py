"""A reference optimiser written from SPEC.md alone, for checking engines on tiny problems.

It enumerates every assignment (each candidate unassigned or on one post it may hold; locks
fixed), keeps those that satisfy every hard rule, and returns the lexicographic optimum of the
tiers in ``objective.order``. It shares nothing with the engine or the verifier: only the
pydantic models and :func:`~matcher.validation.as_fraction` are imported, and every rule is a
few lines that can be read side by side with SPEC.

Readings of SPEC where the text leaves room (keep in step with the report of the test suite):

* Couples in the same ``county``/``prefecture``/``province`` compare the location path
  ``(province, prefecture, county)`` cut at the scope, with ``null`` compared as a value: two
  posts in the same prefecture that both have no county are in "the same county".
* ``bound`` pairings: a rule applies to a candidate when the candidate's origin, read through the
  rule's own ``origin_field``, is in its ``origins``; a candidate to whom bound rules apply may
  hold only posts matched by the destinations of one of those rules.
* ``continuity_bonus`` needs a non-null ``continuity_university`` equal to ``c.university``;
  ``fit_bonus`` needs a non-null ``major_category``.
* Selector values compare by JSON equality (``true`` is not ``1``).

Speed comes from pruning that never changes the answer: option lists pre-filtered by
eligibility, capacity and hard ``max`` bounds checked while descending, partners visited next
to each other, and an optimistic bound on the first tier of the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TypedDict

from matcher.problem import (
    WISH_PATTERN_FIELDS,
    Candidate,
    Degree,
    Post,
    Problem,
    Selector,
    SelectorValue,
)
from matcher.validation import as_fraction


class Optimum(TypedDict):
    coverage: int
    quotas: Fraction
    preferences: int


# ---------------------------------------------------------------------------------------------
# SPEC §1-4, one function per rule


def wish_rank(cand: Candidate, post: Post) -> int | None:
    """SPEC §1: the 1-based index of the first wish that matches ``post``."""
    for index, wish in enumerate(cand.wishes, start=1):
        if wish.post is not None:
            if wish.post == post.id:
                return index
        elif all(
            getattr(wish, field) is None or getattr(wish, field) == getattr(post, field)
            for field in WISH_PATTERN_FIELDS
        ):
            return index
    return None


def _same(actual: object, wanted: object) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return type(actual) is type(wanted) and actual == wanted
    return actual == wanted


def _value_matches(actual: object, wanted: SelectorValue) -> bool:
    options = wanted if isinstance(wanted, list) else [wanted]
    if isinstance(actual, list):  # tags: any listed tag present
        return any(_same(tag, option) for tag in actual for option in options)
    return any(_same(actual, option) for option in options)


def candidate_matches(selector: Selector, cand: Candidate) -> bool:
    for attribute, wanted in selector.items():
        actual: object = (
            cand.origin_recruit if attribute == "recruit_province" else getattr(cand, attribute)
        )
        if not _value_matches(actual, wanted):
            return False
    return True


def post_matches(selector: Selector, post: Post) -> bool:
    return all(_value_matches(getattr(post, attr), wanted) for attr, wanted in selector.items())


def _origin(cand: Candidate, origin_field: str) -> str:
    return cand.origin_recruit if origin_field == "recruit_province" else cand.home_province


def pairings_allow(problem: Problem, cand: Candidate, post: Post) -> bool:
    """SPEC §4 Pairings, both modes."""
    exclusive = [
        rule
        for rule in problem.rules.pairings
        if rule.mode == "exclusive" and post_matches(rule.destinations, post)
    ]
    if exclusive and not any(_origin(cand, r.origin_field) in r.origins for r in exclusive):
        return False
    binding = [
        rule
        for rule in problem.rules.pairings
        if rule.mode == "bound" and _origin(cand, rule.origin_field) in rule.origins
    ]
    return not binding or any(post_matches(r.destinations, post) for r in binding)


def may_hold(problem: Problem, cand: Candidate, post: Post) -> bool:
    """SPEC §3 Eligibility, every clause in the order SPEC lists them."""
    return (
        cand.eligible
        and bool(set(cand.service_years) & set(post.service_years))
        and Degree[cand.degree] >= Degree[post.min_degree]
        and (not post.major_categories or cand.major_category in post.major_categories)
        and set(post.languages) <= set(cand.languages)
        and (post.gender is None or post.gender == cand.gender)
        and cand.level >= post.min_level
        and pairings_allow(problem, cand, post)
        and not any(f.candidate == cand.id and f.post == post.id for f in problem.forbidden)
        and (wish_rank(cand, post) is not None or cand.accept_adjustment)
    )


def preference_cost(problem: Problem, cand: Candidate, post: Post) -> int:
    """SPEC §5 tier 3 for one assignment (locked or not)."""
    objective = problem.objective
    rank = wish_rank(cand, post)
    if rank is None:
        cost = objective.adjustment_cost
    else:
        cost = rank - 1 if objective.rank_cost == "linear" else (rank - 1) ** 2
    if post.province == cand.home_province:
        cost -= objective.home_bonus
    if cand.major_category is not None and cand.major_category in post.preferred_major_categories:
        cost -= objective.fit_bonus
    if post.continuity_university is not None and cand.university == post.continuity_university:
        cost -= objective.continuity_bonus
    return cost


def scope_key(post: Post, scope: str) -> tuple[str | None, ...]:
    path = (post.province, post.prefecture, post.county)
    return path[: {"province": 1, "prefecture": 2, "county": 3}[scope]]


# ---------------------------------------------------------------------------------------------
# The search


@dataclass(frozen=True, slots=True)
class _Option:
    post: int | None
    weight: int
    cost: int
    rank: float  # inf when unassigned or unranked
    n_quotas: tuple[int, ...]  # quotas whose N this assignment increments
    d_quotas: tuple[int, ...]  # quotas whose D this assignment increments


@dataclass(frozen=True, slots=True)
class _QuotaBounds:
    lo: int | None
    hi: int | None
    lo_share: Fraction | None
    hi_share: Fraction | None
    hard: bool
    penalty: Fraction

    def deviation(self, n: int, d: int) -> Fraction:
        dev = Fraction(0)
        if self.lo is not None:
            dev += max(0, self.lo - n)
        if self.hi is not None:
            dev += max(0, n - self.hi)
        if self.lo_share is not None:
            dev += max(Fraction(0), self.lo_share * d - n)
        if self.hi_share is not None:
            dev += max(Fraction(0), n - self.hi_share * d)
        return dev


_INF = float("inf")


def brute_force_optimum(problem: Problem) -> Optimum | None:
    """The lexicographic optimum of every tier, or ``None`` when no assignment is feasible.

    Tiers left out of ``objective.order`` are not optimised; their value is that of one of the
    optimal assignments.
    """
    cands = problem.candidates
    posts = problem.posts
    post_index = {p.id: k for k, p in enumerate(posts)}
    cand_index = {c.id: i for i, c in enumerate(cands)}
    locked = {cand_index[lock.candidate]: post_index[lock.post] for lock in problem.locks}
    quotas = problem.rules.quotas
    bounds = [
        _QuotaBounds(
            q.min,
            q.max,
            None if q.min_share is None else as_fraction(q.min_share),
            None if q.max_share is None else as_fraction(q.max_share),
            q.hard,
            as_fraction(q.penalty),
        )
        for q in quotas
    ]
    hard_max = [b.hi if b.hard and b.hi is not None else _INF for b in bounds]
    cand_in = [[candidate_matches(q.candidates, c) for c in cands] for q in quotas]
    post_in = [[post_matches(q.posts, p) for p in posts] for q in quotas]

    def option(i: int, k: int | None) -> _Option:
        if k is None:
            return _Option(None, 0, 0, _INF, (), ())
        cand, post = cands[i], posts[k]
        rank = wish_rank(cand, post)
        n_quotas = tuple(q for q in range(len(quotas)) if cand_in[q][i] and post_in[q][k])
        d_quotas = tuple(
            q
            for q in range(len(quotas))
            if (cand_in[q][i] if quotas[q].share_base == "candidates" else post_in[q][k])
        )
        return _Option(
            k, post.weight, preference_cost(problem, cand, post),
            _INF if rank is None else rank, n_quotas, d_quotas,
        )

    options: list[list[_Option]] = []
    for i, cand in enumerate(cands):
        if i in locked:
            options.append([option(i, locked[i])])
        else:
            options.append(
                [option(i, None)]
                + [option(i, k) for k, post in enumerate(posts) if may_hold(problem, cand, post)]
            )

    # Visit partners one after the other so a couple is checked as soon as both are placed.
    # Locked candidates go first so their seats are never taken before they are placed.
    partner_of = {
        i: cand_index[c.partner] for i, c in enumerate(cands) if c.partner is not None
    }
    order: list[int] = []
    for i in sorted(range(len(cands)), key=lambda i: i not in locked):
        for j in (i, partner_of.get(i)):
            if j is not None and j not in order:
                order.append(j)
    position = {i: pos for pos, i in enumerate(order)}
    scope = problem.rules.couple_scope

    # For respect_priority: for each unlocked candidate, the posts it ranks and may hold.
    envy_checks: list[tuple[int, float, list[tuple[int, int]]]] = []
    if problem.rules.respect_priority:
        for i, cand in enumerate(cands):
            if i in locked:
                continue
            ranked = sorted(
                (int(opt.rank), opt.post)
                for opt in options[i]
                if opt.post is not None and opt.rank != _INF
            )
            if ranked:
                envy_checks.append((i, cand.score, ranked))

    tiers = problem.objective.order
    capacity = [p.capacity for p in posts]
    count = [0] * len(posts)
    n_count = [0] * len(quotas)
    d_count = [0] * len(quotas)
    chosen: list[_Option | None] = [None] * len(cands)
    best: list[tuple[tuple[Fraction, ...], Optimum] | None] = [None]

    # Optimistic remaining contribution per position of the visiting order (first tier only).
    first = tiers[0] if tiers else None
    rest_best_weight = [0] * (len(order) + 1)
    rest_best_cost = [0] * (len(order) + 1)
    for pos in range(len(order) - 1, -1, -1):
        opts = options[order[pos]]
        rest_best_weight[pos] = rest_best_weight[pos + 1] + max(o.weight for o in opts)
        rest_best_cost[pos] = rest_best_cost[pos + 1] + min(o.cost for o in opts)

    def envy_free() -> bool:
        low_score: list[float] = [_INF] * len(posts)
        for i, opt in enumerate(chosen):
            if opt is not None and opt.post is not None and i not in locked:
                low_score[opt.post] = min(low_score[opt.post], cands[i].score)
        for i, score, ranked in envy_checks:
            held = chosen[i]
            held_rank = _INF if held is None else held.rank
            for rank, k in ranked:
                if rank >= held_rank:
                    break
                if count[k] < capacity[k] or low_score[k] < score:
                    return False
        return True

    def leaf(coverage: int, cost: int) -> None:
        deviation = Fraction(0)
        for q, bound in enumerate(bounds):
            dev = bound.deviation(n_count[q], d_count[q])
            if bound.hard:
                if dev:
                    return
            else:
                deviation += bound.penalty * dev
        if envy_checks and not envy_free():
            return
        value: Optimum = {"coverage": coverage, "quotas": deviation, "preferences": cost}
        minimised = {"coverage": Fraction(-coverage), "quotas": deviation,
                     "preferences": Fraction(cost)}
        key = tuple(minimised[t] for t in tiers)
        if best[0] is None or key < best[0][0]:
            best[0] = (key, value)

    def hopeless(pos: int, coverage: int, cost: int) -> bool:
        if best[0] is None or first is None:
            return False
        if first == "coverage":
            return -(coverage + rest_best_weight[pos]) > best[0][0][0]
        if first == "preferences":
            return cost + rest_best_cost[pos] > best[0][0][0]
        return False

    def descend(pos: int, coverage: int, cost: int) -> None:
        if pos == len(order):
            leaf(coverage, cost)
            return
        if hopeless(pos, coverage, cost):
            return
        i = order[pos]
        partner = partner_of.get(i)
        partner_opt = chosen[partner] if partner is not None else None
        partner_placed = partner is not None and position[partner] < pos
        for opt in options[i]:
            k = opt.post
            if partner_placed:
                other = partner_opt.post if partner_opt is not None else None
                if (k is None) != (other is None):
                    continue
                if k is not None and other is not None and (
                    scope_key(posts[k], scope) != scope_key(posts[other], scope)
                ):
                    continue
            if k is not None and count[k] >= capacity[k]:
                continue
            if any(n_count[q] >= hard_max[q] for q in opt.n_quotas):
                continue
            if k is not None:
                count[k] += 1
            for q in opt.n_quotas:
                n_count[q] += 1
            for q in opt.d_quotas:
                d_count[q] += 1
            chosen[i] = opt
            descend(pos + 1, coverage + opt.weight, cost + opt.cost)
            chosen[i] = None
            for q in opt.d_quotas:
                d_count[q] -= 1
            for q in opt.n_quotas:
                n_count[q] -= 1
            if k is not None:
                count[k] -= 1

    descend(0, 0, 0)
    return None if best[0] is None else best[0][1]
