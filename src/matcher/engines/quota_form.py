"""A soft quota with one bound as a linear function of the round.

Such a quota costs ``penalty × max(0, g)`` on the quotas tier, where ``g`` is linear in the
assignments: ``min − N``, ``N − max``, ``s·D − N`` or ``N − s·D`` (``N`` the pairs it
counts, ``D`` its base). The Lagrangian phase prices ``g`` into the network
(:mod:`.lagrangian`); swaps lower it one seat at a time (:mod:`.swaps`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from matcher.columns import IntArray
from matcher.compile import Compiled, CompiledQuota


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
