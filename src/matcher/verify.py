"""SPEC.md as plain Python: check a solution against its problem, listing every violation.

This module is the readable statement of the contract and knows nothing of solvers. Each
function mirrors one paragraph of SPEC; where a solver would need cleverness this module uses
the most direct loop, because its job is to be obviously right, not fast. Everything that emits
a solution is tested through :func:`verify`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from matcher.problem import (
    WISH_PATTERN_FIELDS,
    Candidate,
    Degree,
    Post,
    Problem,
    Quota,
    Selector,
    SelectorValue,
)
from matcher.solution import Assignment, Solution, Status
from matcher.validation import as_fraction

TIERS = ("coverage", "quotas", "preferences")
MAXIMISED = frozenset({"coverage"})
# Solutions carry the quota tier as a float; anything closer than this to the exact value agrees.
TOLERANCE = Fraction(1, 10**6)


@dataclass(frozen=True)
class Violation:
    """One broken rule: a stable ``code`` to switch on and a message naming the ids involved."""

    code: str
    message: str


@dataclass(frozen=True)
class QuotaValue:
    """A quota measured on a set of assignments (SPEC §4): ``N``, ``D`` and the deviation."""

    count: int
    base: int
    deviation: Fraction
    # Every deviation term is zero exactly when its bound holds, so this is "the bounds hold".
    satisfied: bool


@dataclass(frozen=True)
class Evaluation:
    """The objective tiers of SPEC §5, exact, and every quota's value."""

    coverage: int
    quotas: Fraction
    preferences: int
    per_quota: Mapping[str, QuotaValue]

    def tier(self, name: str) -> Fraction:
        """The value of tier ``name`` as an exact rational, for comparing against reports."""
        if name == "coverage":
            return Fraction(self.coverage)
        return self.quotas if name == "quotas" else Fraction(self.preferences)


# --- §1, §4: reading candidates, posts and selectors ---------------------------------------


def origin(candidate: Candidate, field: str) -> str:
    """The province a pairing rule looks at; ``recruit_province`` defaults to the home one."""
    if field == "recruit_province":
        return candidate.origin_recruit
    return candidate.home_province


def _attribute(entity: Candidate | Post, name: str) -> object:
    if isinstance(entity, Candidate) and name == "recruit_province":
        return entity.origin_recruit
    return getattr(entity, name)


def _same(actual: object, wanted: object) -> bool:
    # JSON true is not the number 1: `{"hardship": true}` must not match hardship 1.
    return actual == wanted and isinstance(actual, bool) == isinstance(wanted, bool)


def matches(selector: Selector, entity: Candidate | Post) -> bool:
    """SPEC §4 selectors: every attribute matches (AND), a list is any-of, ``{}`` matches all;
    ``tags`` matches when any listed tag is present."""
    for name, value in selector.items():
        wanted: list[SelectorValue] = list(value) if isinstance(value, list) else [value]
        if name == "tags":
            if not any(tag in entity.tags for tag in wanted):
                return False
        elif not any(_same(_attribute(entity, name), w) for w in wanted):
            return False
    return True


def rank_of(candidate: Candidate, post: Post) -> int | None:
    """The 1-based index of the first wish matching ``post``; None when no wish matches."""
    for index, wish in enumerate(candidate.wishes, start=1):
        if wish.post is not None:
            if wish.post == post.id:
                return index
        elif all(getattr(wish, name) is None or getattr(wish, name) == getattr(post, name)
                 for name in WISH_PATTERN_FIELDS):
            return index
    return None


# --- §3, §4: who may hold which post -----------------------------------------------------


def pairing_problems(problem: Problem, candidate: Candidate, post: Post) -> list[str]:
    """Why the pairing rules forbid ``candidate`` at ``post`` (empty when they allow it)."""
    rules, why = problem.rules.pairings, []
    exclusive = [r for r in rules if r.mode == "exclusive" and matches(r.destinations, post)]
    if exclusive and not any(origin(candidate, r.origin_field) in r.origins for r in exclusive):
        why.append(f"post {post.id} is reserved by exclusive pairing(s) "
                   f"{', '.join(r.id for r in exclusive)} for other origins")
    bound = [r for r in rules
             if r.mode == "bound" and origin(candidate, r.origin_field) in r.origins]
    if bound and not any(matches(r.destinations, post) for r in bound):
        why.append(f"candidate {candidate.id} is bound by pairing(s) "
                   f"{', '.join(r.id for r in bound)} to other destinations")
    return why


def ineligibility(problem: Problem, candidate: Candidate, post: Post,
                  forbidden: frozenset[tuple[str, str]] | None = None) -> list[Violation]:
    """Every condition of SPEC §3 that ``candidate`` at ``post`` breaks (empty: eligible).

    ``forbidden`` is the problem's forbidden pairs as a set, for callers checking many pairs
    (scanning the list for each of 25,000 assignments took minutes at national scale)."""
    c, p = candidate, post
    if forbidden is None:
        forbidden = _forbidden_pairs(problem)
    pair = f"{c.id} → {p.id}"
    failed: list[Violation] = []

    def need(ok: bool, why: str, code: str = "not_eligible") -> None:
        if not ok:
            failed.append(Violation(code, f"{pair}: {why}"))

    need(c.eligible, f"candidate {c.id} is marked not eligible")
    need(bool(set(c.service_years) & set(p.service_years)),
         f"no common service period ({c.service_years} vs {p.service_years})")
    need(Degree[c.degree] >= Degree[p.min_degree], f"degree {c.degree} below {p.min_degree}")
    need(not p.major_categories or c.major_category in p.major_categories,
         f"major category {c.major_category} not in {p.major_categories}")
    need(set(p.languages) <= set(c.languages), f"languages {c.languages} lack {p.languages}")
    need(p.gender is None or p.gender == c.gender, f"post requires gender {p.gender}")
    need(c.level >= p.min_level, f"level {c.level} below {p.min_level}")
    for reason in pairing_problems(problem, c, p):
        need(False, reason, code="pairing")
    need((c.id, p.id) not in forbidden, "the pair is forbidden", code="forbidden")
    need(rank_of(c, p) is not None or c.accept_adjustment,
         "post is not among the wishes and the candidate does not accept adjustment")
    return failed


def is_eligible(problem: Problem, candidate: Candidate, post: Post,
                forbidden: frozenset[tuple[str, str]] | None = None) -> bool:
    return not ineligibility(problem, candidate, post, forbidden)


# --- §4 quotas and §5 objective -----------------------------------------------------------


def quota_value(quota: Quota, pairs: Sequence[tuple[Candidate, Post]]) -> QuotaValue:
    """``N``, ``D`` and the deviation of SPEC §4, in exact rationals."""
    n = sum(1 for c, p in pairs if matches(quota.candidates, c) and matches(quota.posts, p))
    if quota.share_base == "candidates":
        d = sum(1 for c, _ in pairs if matches(quota.candidates, c))
    else:
        d = sum(1 for _, p in pairs if matches(quota.posts, p))
    deviation = Fraction(0)
    if quota.min is not None:
        deviation += max(0, quota.min - n)
    if quota.max is not None:
        deviation += max(0, n - quota.max)
    if quota.min_share is not None:
        deviation += max(Fraction(0), as_fraction(quota.min_share) * d - n)
    if quota.max_share is not None:
        deviation += max(Fraction(0), n - as_fraction(quota.max_share) * d)
    return QuotaValue(n, d, deviation, deviation == 0)


def cost(problem: Problem, candidate: Candidate, post: Post) -> int:
    """The preference cost of one assignment (SPEC §5); locks are costed the same way."""
    goal = problem.objective
    rank = rank_of(candidate, post)
    if rank is None:
        value = goal.adjustment_cost
    else:
        value = (rank - 1) ** 2 if goal.rank_cost == "quadratic" else rank - 1
    if post.province == candidate.home_province:
        value -= goal.home_bonus
    if candidate.major_category in post.preferred_major_categories:
        value -= goal.fit_bonus
    if candidate.university is not None and candidate.university == post.continuity_university:
        value -= goal.continuity_bonus
    return value


def evaluate(problem: Problem, assignments: Sequence[tuple[str, str]]) -> Evaluation:
    """Every objective tier and quota value of ``(candidate id, post id)`` pairs, which must
    name existing candidates and posts."""
    candidates = {c.id: c for c in problem.candidates}
    posts = {p.id: p for p in problem.posts}
    pairs = [(candidates[c], posts[p]) for c, p in assignments]
    per_quota = {q.id: quota_value(q, pairs) for q in problem.rules.quotas}
    return Evaluation(
        coverage=sum(p.weight for _, p in pairs),
        quotas=sum((as_fraction(q.penalty) * per_quota[q.id].deviation
                    for q in problem.rules.quotas if not q.hard), Fraction(0)),
        preferences=sum(cost(problem, c, p) for c, p in pairs),
        per_quota=per_quota,
    )


# --- §7: the solution --------------------------------------------------------------------

Placed = tuple[Candidate, Post, Assignment]


def verify(problem: Problem, solution: Solution) -> list[Violation]:
    """Every way ``solution`` breaks SPEC for ``problem``; an empty list means it is valid."""
    found = list(_identity(problem, solution))
    if solution.problem != problem.name:
        found.append(Violation("problem_name", f"solution is for problem {solution.problem!r}, "
                                               f"not {problem.name!r}"))
    if solution.status == Status.infeasible:
        if solution.assignments or not solution.conflict:
            found.append(Violation("infeasible_report", "an infeasible solution must have no "
                                   "assignments and a non-empty conflict list"))
        return found
    if solution.status == Status.unknown and not solution.assignments:
        return found
    candidates = {c.id: c for c in problem.candidates}
    posts = {p.id: p for p in problem.posts}
    placed = [(candidates[a.candidate], posts[a.post], a) for a in solution.assignments
              if a.candidate in candidates and a.post in posts]
    ev = evaluate(problem, [(c.id, p.id) for c, p, _ in placed])
    for check in (_flags(problem, placed), _placement(problem, placed),
                  _couples(problem, placed), _priority(problem, placed),
                  _quotas(problem, solution, ev), _objective(problem, solution, ev)):
        found.extend(check)
    return found


def _identity(problem: Problem, solution: Solution) -> Iterator[Violation]:
    """Every candidate exactly once, in assignments or unassigned; every id known."""
    post_ids = {p.id for p in problem.posts}
    seen = Counter(a.candidate for a in solution.assignments)
    seen.update(u.candidate for u in solution.unassigned)
    known = {c.id for c in problem.candidates}
    for cid, times in seen.items():
        if cid not in known:
            yield Violation("unknown_id", f"candidate {cid} is not in the problem")
        elif times > 1:
            yield Violation("duplicate_candidate", f"candidate {cid} appears {times} times")
    for c in problem.candidates:
        if seen[c.id] == 0:
            yield Violation("missing_candidate", f"candidate {c.id} is neither assigned nor "
                                                 "listed as unassigned")
    for a in solution.assignments:
        if a.post not in post_ids:
            yield Violation("unknown_id", f"{a.candidate} is assigned to unknown post {a.post}")


def _flags(problem: Problem, placed: list[Placed]) -> Iterator[Violation]:
    """``rank``, ``adjusted`` and ``locked`` say what the problem says about each pair."""
    locks = {(lock.candidate, lock.post) for lock in problem.locks}
    for c, p, a in placed:
        rank, locked = rank_of(c, p), (c.id, p.id) in locks
        if a.rank != rank:
            yield Violation("wrong_rank", f"{c.id} → {p.id}: rank is {rank}, reported {a.rank}")
        if a.adjusted != (rank is None and not locked):
            yield Violation("wrong_adjusted", f"{c.id} → {p.id}: adjusted should be "
                                              f"{not a.adjusted}")
        if a.locked != locked:
            yield Violation("wrong_locked", f"{c.id} → {p.id}: locked should be {locked}")


def _forbidden_pairs(problem: Problem) -> frozenset[tuple[str, str]]:
    return frozenset((f.candidate, f.post) for f in problem.forbidden)


def _placement(problem: Problem, placed: list[Placed]) -> Iterator[Violation]:
    """Locks present, capacity respected, every non-lock eligible, nothing forbidden."""
    locks = {(lock.candidate, lock.post) for lock in problem.locks}
    pairs = {(c.id, p.id) for c, p, _ in placed}
    for cid, pid in sorted(locks - pairs):
        yield Violation("lock_missing", f"locked pair {cid} → {pid} is not in the assignments")
    load = Counter(p.id for _, p, _ in placed)
    for p in problem.posts:
        if load[p.id] > p.capacity:
            yield Violation("capacity", f"post {p.id} holds {load[p.id]} > capacity {p.capacity}")
    forbidden = _forbidden_pairs(problem)
    for c, p, _ in placed:
        for v in ineligibility(problem, c, p, forbidden):
            if (c.id, p.id) not in locks or v.code == "forbidden":
                yield v


def area(post: Post, scope: str) -> tuple[str | None, ...]:
    """The couple-scope area of a post: its location path cut at the scope.

    Counties belong to prefectures and prefectures to provinces, so "the same county" means
    the same (province, prefecture, county); a missing county compares as a value, and county
    scope is never looser than prefecture or province scope.
    """
    path = (post.province, post.prefecture, post.county)
    return path[: {"province": 1, "prefecture": 2, "county": 3}[scope]]


def _couples(problem: Problem, placed: list[Placed]) -> Iterator[Violation]:
    """Partners are both unassigned or both placed in the same ``couple_scope`` area."""
    scope = problem.rules.couple_scope
    post_of = {c.id: p for c, p, _ in placed}
    for c in problem.candidates:
        if c.partner is None or c.id > c.partner:  # each couple once
            continue
        mine, theirs = post_of.get(c.id), post_of.get(c.partner)
        if mine is None and theirs is None:
            continue
        if mine is None or theirs is None or area(mine, scope) != area(theirs, scope):
            where = [f"{cid} at {p.id} ({scope} {getattr(p, scope)})" if p else f"{cid} unassigned"
                     for cid, p in ((c.id, mine), (c.partner, theirs))]
            yield Violation("couple_split", f"couple split: {' and '.join(where)}")


class _WishIndex:
    """The posts some wish of a candidate matches, found through an index of the posts by
    id and by each wish field, so that a national round is not read candidate × post (the
    rank of each is still :func:`rank_of`'s, from the wishes themselves)."""

    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts
        self.by_id = {p.id: i for i, p in enumerate(posts)}
        self.by_field: dict[str, dict[object, set[int]]] = {name: {} for name in
                                                              WISH_PATTERN_FIELDS}
        for i, post in enumerate(posts):
            for name in WISH_PATTERN_FIELDS:
                self.by_field[name].setdefault(getattr(post, name), set()).add(i)

    def posts_of(self, candidate: Candidate) -> list[Post]:
        found: set[int] = set()
        for wish in candidate.wishes:
            if wish.post is not None:
                if wish.post in self.by_id:
                    found.add(self.by_id[wish.post])
                continue
            given = [(name, getattr(wish, name)) for name in WISH_PATTERN_FIELDS
                     if getattr(wish, name) is not None]
            if not given:
                return self.posts
            sets = [self.by_field[name].get(value, set()) for name, value in given]
            found |= set.intersection(*sets)
        return [self.posts[i] for i in sorted(found)]


def _priority(problem: Problem, placed: list[Placed]) -> Iterator[Violation]:
    """No justified envy (SPEC §4 Priority), when ``rules.respect_priority`` asks for it."""
    if not problem.rules.respect_priority:
        return
    locks = {(lock.candidate, lock.post) for lock in problem.locks}
    locked_candidates = {cid for cid, _ in locks}
    holders: dict[str, list[Candidate]] = {p.id: [] for p in problem.posts}
    post_of: dict[str, Post] = {}
    for c, p, _ in placed:
        holders[p.id].append(c)
        post_of.setdefault(c.id, p)
    # A post gives cause for envy only to scores above this: its lowest unlocked holder's
    # (-inf with a free seat, +inf when full of locked holders). Checked first, it spares
    # reading the ranks of the millions of wished pairs a national round's low scorers have.
    open_above = {
        p.id: -math.inf if len(holders[p.id]) < p.capacity else min(
            (h.score for h in holders[p.id] if (h.id, p.id) not in locks), default=math.inf)
        for p in problem.posts}
    wished = _WishIndex(problem.posts)
    forbidden = _forbidden_pairs(problem)
    for j in problem.candidates:
        if j.id in locked_candidates:
            continue
        held = post_of.get(j.id)
        held_rank = rank_of(j, held) if held is not None else None
        for p in wished.posts_of(j):
            if not j.score > open_above[p.id]:
                continue
            rank = rank_of(j, p)
            # An unranked (adjusted) post, or none, is worse than any ranked post.
            if rank is None or (held_rank is not None and held_rank <= rank):
                continue
            why = [f"it has a free seat ({len(holders[p.id])}/{p.capacity})"] if (
                len(holders[p.id]) < p.capacity) else []
            why += [f"lower-scored {h.id} (score {h.score}) holds it" for h in holders[p.id]
                    if (h.id, p.id) not in locks and h.score < j.score]
            # Eligibility is read last: it is the slow check, and most posts give no cause.
            if why and is_eligible(problem, j, p, forbidden):
                now = f"holding {held.id}" if held is not None else "unassigned"
                yield Violation("priority_envy", f"{j.id} (score {j.score}, {now}) wishes "
                                f"{p.id} at rank {rank}, but {'; '.join(why)}")


def _quotas(problem: Problem, solution: Solution, ev: Evaluation) -> Iterator[Violation]:
    """Hard quotas hold, and ``solution.quotas`` reports each quota's true values once."""
    reported = Counter(r.id for r in solution.quotas)
    for q in problem.rules.quotas:
        value = ev.per_quota[q.id]
        if q.hard and not value.satisfied:
            bounds = {"min": q.min, "max": q.max, "min_share": q.min_share,
                      "max_share": q.max_share}
            given = ", ".join(f"{k} {v}" for k, v in bounds.items() if v is not None)
            yield Violation("quota_hard", f"hard quota {q.id}: N={value.count}, D={value.base} "
                                          f"breaks {given}")
        if reported[q.id] != 1:
            yield Violation("quota_report", f"quota {q.id} is reported {reported[q.id]} times")
    for r in solution.quotas:
        want = ev.per_quota.get(r.id)
        if want is None:
            yield Violation("quota_report", f"report for unknown quota {r.id}")
        elif (r.count, r.base, r.satisfied) != (want.count, want.base, want.satisfied) or not (
            _close(r.deviation, want.deviation)
        ):
            yield Violation("quota_report", f"quota {r.id}: reported count {r.count}, base "
                            f"{r.base}, deviation {r.deviation}, satisfied {r.satisfied}; actual "
                            f"{want.count}, {want.base}, {want.deviation}, {want.satisfied}")


def _close(reported: float, exact: Fraction) -> bool:
    """Equal up to the float the file can hold: absolute for small values, relative above 1."""
    return abs(Fraction(reported) - exact) <= TOLERANCE * max(Fraction(1), abs(exact))


def _objective(problem: Problem, solution: Solution, ev: Evaluation) -> Iterator[Violation]:
    """The reported objective is the true one, and it is consistent with the bound."""
    order = problem.objective.order
    for tier in TIERS:
        claimed = getattr(solution.objective, tier)
        if claimed is None and tier in order:
            yield Violation("objective_mismatch", f"objective tier {tier} is not reported")
        elif claimed is not None and not _close(claimed, ev.tier(tier)):
            yield Violation("objective_mismatch", f"objective {tier} is reported as {claimed}, "
                                                  f"actual {float(ev.tier(tier))}")
    if solution.status == Status.optimal:
        for tier in order:
            bound = getattr(solution.bound, tier)
            if bound is not None and not _close(bound, ev.tier(tier)):
                yield Violation("bound", f"status optimal but {tier} bound {bound} differs from "
                                         f"objective {float(ev.tier(tier))}")
    # Lexicographic: a later tier's bound only constrains solutions tied on every earlier tier.
    for tier in order:
        bound = getattr(solution.bound, tier)
        if bound is None:
            break
        value, proven = ev.tier(tier), Fraction(bound)
        slack = TOLERANCE * max(Fraction(1), abs(proven))
        better = value > proven + slack if tier in MAXIMISED else value < proven - slack
        if better:
            yield Violation("bound", f"objective {tier} {float(value)} is better than the proven "
                                     f"bound {bound}")
        if not _close(bound, value):
            break
