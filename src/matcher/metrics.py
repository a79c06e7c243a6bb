"""The figures a programme office reads off a round: seats, ranks, shares, fill by area.

One function computes them from a problem and its solution, so that ``matcher compare`` (a
column per scenario) and ``matcher report`` (a page per round) can never disagree about what
"first-wish share" or "minority share" means.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from matcher.problem import Problem, Quota
from matcher.solution import Solution


class Fill(BaseModel):
    """Seats filled out of seats offered in one area or programme."""

    filled: int
    seats: int


class QuotaUse(BaseModel):
    """A quota as the round met it: N, D, the bounds asked for, the deviation."""

    id: str
    label: str | None
    hard: bool
    count: int
    base: int
    min: int | None
    max: int | None
    min_share: float | None
    max_share: float | None
    deviation: float | None = Field(description="null when the round has no solution")
    satisfied: bool | None = Field(description="null when the round has no solution")
    minority_target: bool = Field(description="a minority-region target (SPEC §4)")


class RoundMetrics(BaseModel):
    """Headline figures of one solved round. Shares are of seats filled (0..1)."""

    name: str
    status: str
    candidates: int
    seats: int
    filled: int
    coverage: int | None = Field(description="Σ weight of filled seats")
    coverage_max: int = Field(description="Σ weight × capacity: every seat filled")
    quota_cost: float | None
    preference_cost: int | None
    mean_rank: float | None = Field(description="mean wish rank of ranked placements")
    first_wish_share: float | None
    adjusted_share: float | None
    locked: int
    minority_filled: int = Field(description="seats filled in minority-region posts")
    minority_share: float | None
    province_fill: dict[str, Fill]
    programme_fill: dict[str, Fill]
    rank_counts: dict[str, int] = Field(description="'1', '2', …, 'adjusted', 'locked'")
    quotas: list[QuotaUse]
    unplaced_by_reason: dict[str, int] = Field(description="first reason code → count")
    solve_seconds: float


def is_minority_target(quota: Quota) -> bool:
    """SPEC §4's convention: label ``minority_target`` or posts ``{"minority_region": true}``."""
    return quota.label == "minority_target" or quota.posts == {"minority_region": True}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _fill(keys: list[str], seats: list[int], taken: Counter[str]) -> dict[str, Fill]:
    total: Counter[str] = Counter()
    for key, count in zip(keys, seats, strict=True):
        total[key] += count
    return {key: Fill(filled=taken[key], seats=total[key]) for key in sorted(total)}


def round_metrics(problem: Problem, solution: Solution, name: str | None = None
                  ) -> RoundMetrics:
    """Every headline figure of ``solution``, a solution of ``problem``."""
    posts = {p.id: p for p in problem.posts}
    placed = solution.assignments
    filled = len(placed)
    ranks = [a.rank for a in placed if a.rank is not None]
    rank_counts: Counter[str] = Counter(
        "locked" if a.locked else "adjusted" if a.adjusted else str(a.rank) for a in placed)
    ordered = sorted((k for k in rank_counts if k.isdigit()), key=int)
    ordered += [k for k in ("adjusted", "locked") if k in rank_counts]
    by_province = Counter(posts[a.post].province for a in placed)
    by_programme = Counter(posts[a.post].programme for a in placed)
    minority = sum(1 for a in placed if posts[a.post].minority_region)
    reported = {q.id: q for q in solution.quotas}
    quotas = []
    for quota in problem.rules.quotas:
        report = reported.get(quota.id)
        quotas.append(QuotaUse(
            id=quota.id, label=quota.label, hard=quota.hard,
            count=report.count if report else 0, base=report.base if report else 0,
            min=quota.min, max=quota.max, min_share=quota.min_share,
            max_share=quota.max_share, deviation=report.deviation if report else None,
            satisfied=report.satisfied if report else None,
            minority_target=is_minority_target(quota),
        ))
    reasons = Counter(u.reasons[0].code if u.reasons else "unknown"
                      for u in solution.unassigned)
    return RoundMetrics(
        name=name or problem.name,
        status=solution.status.value,
        candidates=len(problem.candidates),
        seats=sum(p.capacity for p in problem.posts),
        filled=filled,
        coverage=solution.objective.coverage,
        coverage_max=sum(p.capacity * p.weight for p in problem.posts),
        quota_cost=solution.objective.quotas,
        preference_cost=solution.objective.preferences,
        mean_rank=sum(ranks) / len(ranks) if ranks else None,
        first_wish_share=_share(rank_counts["1"], filled),
        adjusted_share=_share(rank_counts["adjusted"], filled),
        locked=rank_counts["locked"],
        minority_filled=minority,
        minority_share=_share(minority, filled),
        province_fill=_fill([p.province for p in problem.posts],
                            [p.capacity for p in problem.posts], by_province),
        programme_fill=_fill([p.programme for p in problem.posts],
                             [p.capacity for p in problem.posts], by_programme),
        rank_counts={k: rank_counts[k] for k in ordered},
        quotas=quotas,
        unplaced_by_reason=dict(reasons.most_common()),
        solve_seconds=solution.solver.time_s,
    )


class Movement(BaseModel):
    """How candidates present in both rounds moved between them.

    Equally good rounds are common (many candidates share a rank at interchangeable posts),
    so ``same_rank`` moves are usually the solver choosing another of several optima, not an
    effect of the change; the other counts are where a change shows.
    """

    changed: int = Field(description="placed at another post, or placed ↔ unplaced")
    newly_placed: int
    newly_unplaced: int
    better_rank: int = Field(description="moved to a better wish (adjusted counts as worst)")
    worse_rank: int
    same_rank: int = Field(description="moved to another post of the same wish rank")


def movement(base: Solution, other: Solution) -> Movement:
    """Compare two rounds candidate by candidate (candidates in only one are left out)."""
    worst = 1 << 30

    def ranks(solution: Solution) -> dict[str, tuple[str | None, int]]:
        out: dict[str, tuple[str | None, int]] = {u.candidate: (None, worst + 1)
                                                  for u in solution.unassigned}
        out.update((a.candidate, (a.post, a.rank or worst)) for a in solution.assignments)
        return out

    before, after = ranks(base), ranks(other)
    counts = dict.fromkeys(("changed", "newly_placed", "newly_unplaced", "better_rank",
                            "worse_rank", "same_rank"), 0)
    for cand, (post, rank) in after.items():
        if cand not in before or before[cand][0] == post:
            continue
        old_post, old_rank = before[cand]
        counts["changed"] += 1
        if old_post is None:
            counts["newly_placed"] += 1
        elif post is None:
            counts["newly_unplaced"] += 1
        elif rank < old_rank:
            counts["better_rank"] += 1
        elif rank > old_rank:
            counts["worse_rank"] += 1
        else:
            counts["same_rank"] += 1
    return Movement(**counts)


def placements(solution: Solution) -> dict[str, str | None]:
    """Candidate id → post id (``None`` when unplaced)."""
    where: dict[str, str | None] = {u.candidate: None for u in solution.unassigned}
    where.update((a.candidate, a.post) for a in solution.assignments)
    return where


def changed_placements(base: Solution, other: Solution) -> int:
    """Candidates present in both rounds whose post (or unplaced state) differs."""
    before, after = placements(base), placements(other)
    return sum(1 for c, post in after.items() if c in before and before[c] != post)
