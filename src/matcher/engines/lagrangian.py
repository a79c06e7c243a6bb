"""One soft quota the network cannot hold, priced into the network (Lagrangian relaxation).

A soft quota with a single bound costs ``penalty × max(0, g)`` on the quotas tier, where
``g`` is linear in the assignments: ``min − N``, ``N − max``, ``s·D − N`` or ``N − s·D``
(``N`` the pairs it counts, ``D`` its base). Its candidate and post groups may cross those
of the other quotas, so no network holds it; but a price ``μ·g`` on the quotas tier is a
price per assignment (per counted pair, per post or per candidate of the base), which a
network does hold (:class:`~matcher.engines.flow.Prices`).

For ``0 ≤ μ ≤ penalty``, ``μ·g ≤ penalty·max(0, g)`` on every round, so the priced optimum
is a lexicographic lower bound on the true one, and a round keeps every rule whatever its
``g`` (the quota is soft). Hence:

* at ``μ = penalty``, a round with ``g ≥ 0`` pays exactly its price: it is optimal;
* at ``μ = 0`` (the plain relaxation), a round with ``g ≤ 0`` keeps the quota: optimal;
* otherwise ``g`` falls as ``μ`` rises, and a search on ``μ`` between them looks for a
  round whose true value meets the best bound; each priced round is also a candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled, CompiledQuota
from matcher.engines import flow
from matcher.engines.base import TierValue
from matcher.engines.substitution import quota_signatures
from matcher.errors import EngineCapabilityError
from matcher.objective import lexicographic_key, round_key, tier_values
from matcher.options import SolveOptions
from matcher.solution import Status

STEPS = 8  # most halvings of the price interval


@dataclass(frozen=True)
class LinearForm:
    """``g = constant + pair·N + base·D`` (deviation ``max(0, g)``); ``base`` is a price
    per post of the quota (share base ``posts``) or per candidate (``candidates``)."""

    constant: Fraction
    pair: Fraction
    base: Fraction
    base_is_posts: bool

    def value(self, quota: CompiledQuota, compiled: Compiled, assignment: IntArray) -> Fraction:
        count, base = quota.count_and_base(compiled.pairs(assignment))
        return self.constant + self.pair * count + self.base * base


def linear_form(quota: CompiledQuota) -> LinearForm | None:
    """The quota's ``g`` when it is soft with exactly one bound, else None."""
    given = [(name, getattr(quota, name)) for name in ("min", "max", "min_share", "max_share")
             if getattr(quota, name) is not None]
    if quota.hard or len(given) != 1:
        return None
    name, value = given[0]
    posts = quota.share_base == "posts"
    zero = Fraction(0)
    return {
        "min": LinearForm(Fraction(value), Fraction(-1), zero, posts),
        "max": LinearForm(Fraction(-value), Fraction(1), zero, posts),
        "min_share": LinearForm(zero, Fraction(-1), Fraction(value), posts),
        "max_share": LinearForm(zero, Fraction(1), -Fraction(value), posts),
    }[name]


@dataclass
class Priced:
    """The best round found (it keeps every rule), the best lexicographic bound, whether
    they meet, and how many priced networks were solved."""

    status: Status
    assignment: IntArray
    bound: dict[str, TierValue]
    solves: int


def price_quota(compiled: Compiled, relaxed: Compiled, quota: CompiledQuota,
                relaxation: IntArray, options: SolveOptions, deadline: float | None,
                *, preferences: bool = True) -> Priced | None:
    """Search the price of ``quota`` (dropped from ``relaxed``, whose optimum is
    ``relaxation``) as the module docstring says. None when the quota is not of that kind,
    its tier is not in the objective, or the first priced network cannot be solved.
    ``preferences=False`` stops at the quotas tier (when ``relaxed`` also lacks rules the
    priced rounds break, the preferences tier's bound rarely decides anything)."""
    form = linear_form(quota)
    order = list(compiled.problem.objective.order)
    if form is None or "quotas" not in order:
        return None
    placed = min(compiled.n, int(compiled.capacity.sum()))
    most_g = abs(form.constant) + placed * (abs(form.pair) + abs(form.base))

    def priced(assignment: IntArray, mu: Fraction, tier: str
               ) -> tuple[dict[str, TierValue], Fraction]:
        """The priced value of a round (a bound when it is a priced optimum) and its g."""
        g = form.value(quota, compiled, assignment)
        values = tier_values(relaxed, relaxed.pairs(assignment))
        return {**values, tier: values[tier] + mu * g}, g

    def solve_priced(mu: Fraction, tier: str) -> IntArray | None:
        prices = flow.Prices(
            quota.cand_mask, quota.post_mask, mu * form.pair,
            mu * form.base if form.base_is_posts else Fraction(0),
            Fraction(0) if form.base_is_posts else mu * form.base, mu * most_g, tier)
        limit = None if deadline is None else max(0.5, deadline - time.monotonic())
        try:
            result = flow.solve(relaxed, SolveOptions(
                time_limit=limit, workers=options.workers, seed=options.seed, engine="flow",
                explain_infeasible=False), prices)
        except EngineCapabilityError:  # prices too fine to scale into one cost
            return None
        if result.status is not Status.optimal or result.assignment is None:
            return None
        return result.assignment

    rounds: list[IntArray] = [relaxation]
    bounds = [priced(relaxation, Fraction(0), "quotas")[0]]
    solves = 0
    if form.value(quota, compiled, relaxation) > 0:
        full = solve_priced(quota.penalty, "quotas")
        solves += 1
        if full is None:
            return None
        bound, g = priced(full, quota.penalty, "quotas")
        rounds.append(full)
        bounds.append(bound)
        settled = tier_values(relaxed, relaxed.pairs(full))["quotas"] == bounds[0]["quotas"]
        if g < 0 and settled and preferences:
            # The quotas tier is settled at the relaxation's (a round with g < 0 and the
            # other quotas at their least): price g on the preferences tier instead.
            solves += _search_preferences(solve_priced, priced, rounds, bounds, deadline)
    closest = [r for r in rounds[1:] if form.value(quota, compiled, r) > 0][-1:]
    for near in closest:  # the round just short of keeping the quota, mended by swaps
        mended = _swapped(compiled, relaxed, quota, form, near)
        if mended is not None:
            rounds.append(mended)
    best_round = min(rounds, key=lambda r: round_key(compiled, r))
    best_bound = max(bounds, key=lambda values: lexicographic_key(compiled, values))
    found = tier_values(compiled, compiled.pairs(best_round))
    status = (Status.optimal if lexicographic_key(compiled, found)
              == lexicographic_key(compiled, best_bound) else Status.feasible)
    return Priced(status, np.asarray(best_round), best_bound, solves)


def _search_preferences(
    solve_priced: Callable[[Fraction, str], IntArray | None],
    priced: Callable[[IntArray, Fraction, str], tuple[dict[str, TierValue], Fraction]],
    rounds: list[IntArray], bounds: list[dict[str, TierValue]], deadline: float | None,
) -> int:
    """Search the price of ``g`` on the preferences tier; returns the solves.

    The priced optimum's value is concave and piecewise linear in the price, its slope the
    optimum's ``g``; every value bounds the rounds whose quotas tier is the least (they have
    ``g ≤ 0``). The price doubles until a round keeps the quota, then goes to where the
    lines of the two rounds either side meet, until that is a breakpoint (the maximum) or a
    round has ``g = 0`` (optimal)."""
    def line(assignment: IntArray) -> tuple[Fraction, Fraction]:
        values, g = priced(assignment, Fraction(0), "preferences")
        return Fraction(values["preferences"]), g

    low = line(rounds[0])  # (preferences, g) of a round with g > 0
    high: tuple[Fraction, Fraction] | None = None
    price = Fraction(1)
    solves = 0
    for _ in range(2 * STEPS):
        if deadline is not None and time.monotonic() >= deadline:
            break
        assignment = solve_priced(price, "preferences")
        solves += 1
        if assignment is None:
            break
        bound, g = priced(assignment, price, "preferences")
        bounds.append(bound)
        rounds.append(assignment)  # a round either way (the quota is soft)
        point = line(assignment)
        if g == 0 or (high is not None and bound["preferences"] == low[0] + price * low[1]):
            break  # a round keeping the quota at the bound, or the breakpoint itself
        if g > 0:
            low = point
        else:
            high = point
        if high is None:
            price *= 2
        else:  # where the two rounds' lines meet
            price = (high[0] - low[0]) / (low[1] - high[1])
    return solves


_POOL = 256  # newcomers whose cost is worked out per holder
_NEWCOMERS = 16  # ... and the cheapest kept, in case another holder takes the cheapest


def _swapped(compiled: Compiled, relaxed: Compiled, quota: CompiledQuota, form: LinearForm,
             assignment: IntArray) -> IntArray | None:
    """``assignment`` (with ``g > 0``) mended into a round that keeps the quota by the
    cheapest swaps at one post: a holder out, an unplaced candidate in who is counted alike
    by every other quota (so they all stay) and is on the other side of the quota's
    candidate group, lowering ``g``. None when the swaps run out first."""
    swaps = _swaps(compiled, quota_signatures(relaxed), quota, form, assignment,
                   compiled.lock_post < 0)
    mended, g = _applied(assignment, swaps, form.value(quota, compiled, assignment))
    return mended if g <= 0 else None


def swapped_toward(compiled: Compiled, quota: CompiledQuota, assignment: IntArray,
                   deadline: float | None = None) -> IntArray | None:
    """``assignment`` with the cheapest swaps of :func:`_swapped` that lower the deviation
    of ``quota`` (soft, one bound), as far as they go: every other quota's counts, every
    post's fill and so the coverage stay as they are. Only single, unlocked candidates
    move (a partner's post would no longer match). None when no swap lowers it.

    For rounds too large for CP-SAT: at 100k with every rule but priority, the round left
    282 of its 283 quota points on one such quota, with 30 s of the limit unused."""
    form = linear_form(quota)
    if form is None or quota.cand_mask.all() or not quota.cand_mask.any():
        return None  # (no one on the other side of the group to swap in)
    g = form.value(quota, compiled, assignment)
    if g <= 0:
        return None
    others = replace(compiled, quotas=[q for q in compiled.quotas if q is not quota])
    movable = (compiled.lock_post < 0) & (compiled.partner < 0)
    signature = quota_signatures(others)
    swaps = _swaps(compiled, signature, quota, form, assignment, movable, deadline)
    mended, lowered = _applied(assignment, swaps, g)
    if lowered > 0:
        mended, lowered = _chained(compiled, signature, quota, form, mended, movable,
                                   lowered, deadline)
    return mended if lowered < g else None


def _chained(compiled: Compiled, signature: IntArray, quota: CompiledQuota,
             form: LinearForm, assignment: IntArray, movable: BoolArray, g: Fraction,
             deadline: float | None) -> tuple[IntArray, Fraction]:
    """``assignment`` with chains where no single swap is left: a holder out, a placed
    candidate of the other side in from their post, and an unplaced one of that side into
    theirs. The mover and the newcomer have the holder's signature and the other side, so
    every other quota and ``g`` change as by a swap; both posts stay filled. And ``g`` then."""
    key = signature * 2 + quota.cand_mask
    ok_cand = compiled.compat.candidate_ok & movable

    def group(placed: bool) -> tuple[IntArray, IntArray]:
        chosen = np.flatnonzero(ok_cand & ((assignment >= 0) if placed else (assignment < 0)))
        order = np.argsort(key[chosen], kind="stable")
        return chosen[order], key[chosen][order]

    placed, placed_key = group(True)
    free, free_key = group(False)
    mended = assignment.copy()
    used = np.zeros(compiled.n, dtype=np.bool_)
    for k, h in enumerate(placed.tolist()):
        if g <= 0 or (deadline is not None and k % 64 == 0 and time.monotonic() > deadline):
            break
        p = int(mended[h])
        if used[h] or p < 0:
            continue
        dg, want = _replacing(quota, form, signature, h, p)
        if dg >= 0:
            continue
        lo, hi = np.searchsorted(placed_key, [want, want + 1])
        movers = placed[lo:hi]
        movers = movers[~used[movers] & (mended[movers] >= 0) & (mended[movers] != p)]
        lo, hi = np.searchsorted(free_key, [want, want + 1])
        newcomers = free[lo:hi]
        newcomers = newcomers[~used[newcomers] & (mended[newcomers] < 0)]
        if len(newcomers) == 0:
            continue
        for m in _may_take(compiled, movers[:_POOL], p)[0][:_NEWCOMERS].tolist():
            refill, _ = _may_take(compiled, newcomers[:_POOL], int(mended[m]))
            if len(refill):
                u = int(refill[0])
                mended[u], mended[m], mended[h] = mended[m], p, -1
                used[[h, m, u]] = True
                g += dg
                break
    return mended, g


def _replacing(quota: CompiledQuota, form: LinearForm, signature: IntArray, h: int,
               p: int) -> tuple[Fraction, int]:
    """How ``g`` changes when holder ``h`` at post ``p`` gives their seat to someone on the
    other side of the quota's candidate group with the same ``signature``; and that
    someone's key (signature × 2 + side), by which the candidates are sorted."""
    member = bool(quota.cand_mask[h])
    dg = (-1 if member else 1) * (form.pair * int(quota.post_mask[p])
                                  + (0 if form.base_is_posts else form.base))
    return Fraction(dg), int(signature[h]) * 2 + (0 if member else 1)


def _swaps(compiled: Compiled, signature: IntArray, quota: CompiledQuota, form: LinearForm,
           assignment: IntArray, movable: BoolArray, deadline: float | None = None
           ) -> list[tuple[int, int, IntArray, Fraction]]:
    """Per holder whose replacement lowers ``g``: (extra cost of the cheapest newcomer,
    holder, the cheapest few newcomers, change of ``g``); holder and newcomer ``movable``,
    the newcomer unplaced, with the holder's ``signature`` and on the other side of the
    quota's candidate group. Holders not reached by ``deadline`` are left out."""
    compat = compiled.compat
    member = quota.cand_mask
    holders = np.flatnonzero((assignment >= 0) & movable)
    free = np.flatnonzero((assignment < 0) & compat.candidate_ok & movable)
    # The unplaced by (signature, side of the group): one binary search per holder rather
    # than a scan of every unplaced candidate (75,000 at national scale).
    keyed = signature[free] * 2 + member[free]
    order = np.argsort(keyed, kind="stable")
    free, keyed = free[order], keyed[order]
    fits = compat.attributes_ok & compat.pairings_ok
    swaps: list[tuple[int, int, IntArray, Fraction]] = []
    for k, h in enumerate(holders.tolist()):
        if deadline is not None and k % 256 == 0 and time.monotonic() > deadline:
            break
        p = int(assignment[h])
        dg, want = _replacing(quota, form, signature, h, p)
        if dg >= 0:
            continue
        lo, hi = np.searchsorted(keyed, [want, want + 1])
        pool = free[lo:hi]
        pool, rank = _may_take(
            compiled, pool[fits[compat.profile[pool], compat.post_class[p]]][:_POOL], p)
        if not len(pool):
            continue
        cost = compiled.costs(pool, np.full(len(pool), p, dtype=np.int64), rank)
        cheapest = np.argsort(cost, kind="stable")[:_NEWCOMERS]
        held = compiled.costs(np.array([h]), np.array([p]),
                              compiled.rank_of(np.array([h]), np.array([p])))[0]
        swaps.append((int(cost[cheapest[0]] - held), h, pool[cheapest], dg))
    return swaps


def _may_take(compiled: Compiled, pool: IntArray, post: int) -> tuple[IntArray, IntArray]:
    """Those of ``pool`` who may hold ``post`` (ranked, or adjusted if they accept), and
    their ranks there."""
    at = np.full(len(pool), post, dtype=np.int64)
    rank = compiled.rank_of(pool, at)
    ok = ((rank > 0) | compiled.adjusts[pool]) & compiled.may_hold(pool, at)
    return pool[ok], rank[ok]


def _applied(assignment: IntArray, swaps: list[tuple[int, int, IntArray, Fraction]],
             g: Fraction) -> tuple[IntArray, Fraction]:
    """``assignment`` with the cheapest swaps per unit of ``g`` made, each newcomer placed
    once (a holder whose cheapest is taken gets their next), until ``g`` is down to 0 or
    they run out; and ``g`` then."""
    mended = assignment.copy()
    used: set[int] = set()
    for _, h, newcomers, dg in sorted(swaps, key=lambda s: (s[0] / -s[3], s[1])):
        if g <= 0:
            break
        c = next((c for c in newcomers.tolist() if c not in used), None)
        if c is None:
            continue
        used.add(c)
        mended[c], mended[h] = mended[h], -1
        g += dg
    return mended, g
