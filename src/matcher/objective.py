"""The objective of SPEC §5 evaluated exactly on assigned pairs (shared by engines and the
solution writer)."""

from __future__ import annotations

from fractions import Fraction

from matcher.columns import IntArray
from matcher.compile import Compiled, CompiledQuota, Pairs

TierValue = int | Fraction


def tier_values(compiled: Compiled, pairs: Pairs,
                skip: frozenset[str] = frozenset()) -> dict[str, TierValue]:
    """Coverage, quota deviation cost and preference cost of the pairs, exactly.

    ``skip`` leaves the named quotas out of the quotas tier (for relaxation bounds).
    """
    quotas = Fraction(0)
    for quota in compiled.quotas:
        if not quota.hard and quota.id not in skip:
            quotas += quota.penalty * quota.deviation(*quota.count_and_base(pairs))
    return {
        "coverage": int(compiled.weight[pairs.post].sum()),
        "quotas": quotas,
        "preferences": int(pairs.cost.sum()),
    }


def lexicographic_key(compiled: Compiled, values: dict[str, TierValue]
                      ) -> tuple[TierValue, ...]:
    """Tier values in the objective's order, each smaller-is-better (coverage negated)."""
    order = compiled.problem.objective.order
    return tuple(-values[t] if t == "coverage" else values[t] for t in order)


def round_key(compiled: Compiled, assignment: IntArray) -> tuple[TierValue, ...]:
    """:func:`lexicographic_key` of a round (post index per candidate, -1 = unplaced)."""
    return lexicographic_key(compiled, tier_values(compiled, compiled.pairs(assignment)))


def holds(quota: CompiledQuota, pairs: Pairs) -> bool:
    """True when the quota's bounds all hold (deviation zero)."""
    return quota.deviation(*quota.count_and_base(pairs)) == 0
