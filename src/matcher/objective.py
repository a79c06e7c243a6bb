"""The objective of SPEC §5 evaluated exactly on assigned pairs (shared by engines and the
solution writer)."""

from __future__ import annotations

from fractions import Fraction

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


def holds(quota: CompiledQuota, pairs: Pairs) -> bool:
    """True when the quota's bounds all hold (deviation zero)."""
    return quota.deviation(*quota.count_and_base(pairs)) == 0
