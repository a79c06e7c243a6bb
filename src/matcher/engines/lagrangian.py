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
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from matcher.columns import IntArray
from matcher.compile import Compiled, CompiledQuota
from matcher.engines import flow
from matcher.engines.base import TierValue
from matcher.engines.quota_form import linear_form
from matcher.engines.swaps import swapped_to_hold
from matcher.errors import EngineCapabilityError
from matcher.objective import lexicographic_key, round_key, tier_values
from matcher.options import SolveOptions
from matcher.solution import Status

STEPS = 8  # most halvings of the price interval


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
                explain_infeasible=False, stop_at=options.stop_at), prices)
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
        mended = swapped_to_hold(compiled, relaxed, quota, form, near)
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
    took = 0.0  # the last solve's seconds: a solve cannot be stopped, so one must fit
    for _ in range(2 * STEPS):
        if deadline is not None and time.monotonic() + took >= deadline:
            break
        started = time.monotonic()
        assignment = solve_priced(price, "preferences")
        took = time.monotonic() - started
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
