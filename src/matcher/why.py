"""Why a candidate got the post they got, and what it would take to do better.

An office must answer this for any candidate before publication (公示). For each post the
candidate ranked above the one they got, the answer names what stood in the way: an
eligibility rule, the holders of a full post (with their scores under score-first priority),
a hard quota at its bound, the couple rule. Each such claim is then checked by solving again
with the candidate forced onto that post: the objective must get worse or the problem
infeasible; if it does not, the post was lost to a tie and the answer says so. For an
unplaced candidate, one-step changes are tried (accept adjustment, one more seat, a quota
relaxed by one) and those that place them are reported; and every hard quota is priced by
relaxing each bound by one seat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from matcher.columns import IntArray
from matcher.compile import Compiled, compile_problem
from matcher.explain import blocking_rules, candidate_options
from matcher.options import SolveOptions
from matcher.probes import (
    FORCE_ID,
    Outcome,
    Prober,
    accepting_adjustment,
    compare_outcome,
    force_onto,
    force_placed,
    lock_onto,
    one_more_seat,
    relaxations,
)
from matcher.problem import Problem
from matcher.solution import Reason, Solution

RemedyKind = Literal["accept_adjustment", "seat", "quota"]
BlockKind = Literal["ineligible", "full", "quota", "couple", "tradeoff", "tie", "better"]


class Holder(BaseModel):
    candidate: str
    score: float
    rank: int | None = Field(description="the holder's rank for the post (null: adjusted)")
    locked: bool


class BetterPost(BaseModel):
    """A post the candidate ranked above their placement, and what kept them from it."""

    post: str
    rank: int
    reason: BlockKind = Field(description="ineligible | full | quota | couple | tradeoff "
                              "(no single rule: the objective) | tie (an equally good "
                              "solution gives it) | better (the given solution was not "
                              "optimal)")
    rules: list[str] = Field(default_factory=list, description="the rules or quotas named")
    holders: list[Holder] = Field(default_factory=list)
    detail: str
    forced: Outcome | None = Field(None, description="re-solve with the candidate forced here")


class Remedy(BaseModel):
    """A one-step change and whether it gets an unplaced candidate a post."""

    change: str
    kind: RemedyKind
    places: bool
    post: str | None = None
    rank: int | None = None
    outcome: Outcome | None = Field(None, description="the changed round against this one")


class QuotaPrice(BaseModel):
    """What one bound of a hard quota costs: the round re-solved with it relaxed by one."""

    quota: str
    bound: str
    relaxed: str
    binding: bool = Field(description="relaxing it improves the objective")
    outcome: Outcome


class Explanation(BaseModel):
    candidate: str
    score: float
    post: str | None
    rank: int | None
    adjusted: bool
    locked: bool
    reasons: list[Reason] = Field(default_factory=list, description="the solution's reasons, "
                                  "when unplaced")
    better_posts: list[BetterPost] = Field(default_factory=list)
    placeable: Outcome | None = Field(None, description="unplaced: the round re-solved with "
                                      "the candidate forced to be placed somewhere")
    remedies: list[Remedy] = Field(default_factory=list)
    quota_prices: list[QuotaPrice] = Field(default_factory=list)
    solves: int = Field(0, description="re-solves used to check the claims")
    notes: list[str] = Field(default_factory=list)


def _assignment(compiled: Compiled, solution: Solution) -> IntArray:
    post_index = {p.id: k for k, p in enumerate(compiled.problem.posts)}
    cand_index = {c.id: k for k, c in enumerate(compiled.problem.candidates)}
    out = np.full(compiled.n, -1, dtype=np.int64)
    for a in solution.assignments:
        out[cand_index[a.candidate]] = post_index[a.post]
    return out


def explain_candidate(problem: Problem, solution: Solution, candidate: str, *,
                      options: SolveOptions | None = None, budget: int = 40,
                      check: bool = True, prices: bool = True,
                      on_solve: Callable[[int, int, str], None] | None = None
                      ) -> Explanation:
    """Explain ``candidate``'s placement in ``solution``; ``check`` re-solves to test each
    claim and to find remedies, ``prices`` prices the hard quotas, all within ``budget``
    re-solves (``on_solve(k, budget, what)`` is told of each). Raises ``KeyError`` for an
    unknown candidate."""
    compiled = compile_problem(problem)
    ids = [c.id for c in problem.candidates]
    if candidate not in ids:
        raise KeyError(candidate)
    c = ids.index(candidate)
    cand = problem.candidates[c]
    assignment = _assignment(compiled, solution)
    placed = next((a for a in solution.assignments if a.candidate == candidate), None)
    unplaced = next((u for u in solution.unassigned if u.candidate == candidate), None)
    prober = Prober(problem, solution, options or SolveOptions(seed=solution.solver.seed or 0),
                    budget if check or prices else 0, on_solve=on_solve)
    result = Explanation(
        candidate=candidate, score=cand.score, post=placed.post if placed else None,
        rank=placed.rank if placed else None, adjusted=bool(placed and placed.adjusted),
        locked=bool(placed and placed.locked), reasons=unplaced.reasons if unplaced else [],
    )
    if solution.assignments == [] and solution.status.value in ("infeasible", "unknown"):
        result.notes.append(f"the round has no solution (status {solution.status.value}); "
                            "nothing to explain per candidate")
        return result
    if result.locked:
        result.notes.append("locked: confirmed in an earlier round, so not re-placed")
    else:
        result.better_posts = _better_posts(compiled, assignment, c,
                                            placed.rank if placed else None,
                                            prober if check else None)
        if unplaced is not None and cand.eligible and check:
            _unplaced(compiled, assignment, c, prober, result)
    if prices:
        result.quota_prices = _prices(problem, solution, prober)
    result.solves = prober.used
    if prober.used >= prober.budget and (check or prices):
        result.notes.append(f"the re-solve budget ({prober.budget}) ran out: claims without "
                            "a check, and further remedies or prices, were not tried "
                            "(raise --budget)")
    return result


def _better_posts(compiled: Compiled, assignment: IntArray, c: int, rank: int | None,
                  prober: Prober | None) -> list[BetterPost]:
    rc, rp, rr = compiled.ranked
    lo, hi = np.searchsorted(rc, [c, c + 1])
    order = np.lexsort((rp[lo:hi], rr[lo:hi]))
    out = []
    for p, r in zip(rp[lo:hi][order].tolist(), rr[lo:hi][order].tolist(), strict=True):
        if rank is not None and r >= rank:
            continue
        item = _static_reason(compiled, assignment, c, p, r)
        if prober is not None and item.reason != "ineligible":
            _check(compiled, c, p, item, prober)
        out.append(item)
    return out


def _static_reason(compiled: Compiled, assignment: IntArray, c: int, p: int, r: int
                   ) -> BetterPost:
    """What the solution itself shows stood between candidate ``c`` and post ``p``."""
    problem = compiled.problem
    cand, post = problem.candidates[c], problem.posts[p]
    if not cand.eligible:
        return BetterPost(post=post.id, rank=r, reason="ineligible", rules=["screening"],
                          detail="the candidate is marked not eligible (failed screening)")
    rules = blocking_rules(compiled, c, p)
    if rules:
        return BetterPost(post=post.id, rank=r, reason="ineligible", rules=rules,
                          detail=", ".join(rules))
    holders_idx = np.flatnonzero(assignment == p)
    if len(holders_idx) >= compiled.capacity[p]:
        return _full(compiled, c, p, r, holders_idx)
    broken = _quotas_broken(compiled, assignment, c, p)
    if broken:
        return BetterPost(post=post.id, rank=r, reason="quota", rules=broken,
                          detail=f"a seat is free, but placing you there would break hard "
                          f"quota {', '.join(broken)}, which is at its bound")
    couple = _couple_block(compiled, assignment, c, p)
    if couple:
        return BetterPost(post=post.id, rank=r, reason="couple",
                          rules=[f"couple:{cand.id}"], detail=couple)
    return BetterPost(post=post.id, rank=r, reason="tradeoff",
                      detail="a seat is free and no single rule forbids it; moving you there "
                      "makes the round as a whole worse in the objective order "
                      f"{problem.objective.order}")


def _full(compiled: Compiled, c: int, p: int, r: int, holders_idx: IntArray) -> BetterPost:
    problem = compiled.problem
    cand, post = problem.candidates[c], problem.posts[p]
    ranks = compiled.rank_of(holders_idx, np.full(len(holders_idx), p, dtype=np.int64))
    holders = [Holder(candidate=problem.candidates[h].id, score=problem.candidates[h].score,
                      rank=int(k) or None, locked=bool(compiled.lock_post[h] == p))
               for h, k in zip(holders_idx.tolist(), ranks.tolist(), strict=True)]
    names = ", ".join(f"{h.candidate} (score {h.score:g}{', locked' if h.locked else ''})"
                      for h in holders)
    detail = f"all {post.capacity} seat(s) held, by {names}"
    if problem.rules.respect_priority:
        free = [h for h in holders if not h.locked]
        if all(h.score >= cand.score for h in free):
            detail += f"; under score-first priority every unlocked holder scores at least " \
                      f"your {cand.score:g}"
    return BetterPost(post=post.id, rank=r, reason="full", holders=holders, detail=detail)


def _quotas_broken(compiled: Compiled, assignment: IntArray, c: int, p: int) -> list[str]:
    """Hard quotas met now that moving ``c`` to ``p`` (from wherever) would break."""
    moved = assignment.copy()
    moved[c] = p
    before, after = compiled.pairs(assignment), compiled.pairs(moved)
    return [q.id for q in compiled.quotas if q.hard
            and q.deviation(*q.count_and_base(before)) == 0
            and q.deviation(*q.count_and_base(after)) > 0]


def _couple_block(compiled: Compiled, assignment: IntArray, c: int, p: int) -> str | None:
    problem = compiled.problem
    partner = problem.candidates[c].partner
    if partner is None:
        return None
    d = int(compiled.partner[c])
    scope = problem.rules.couple_scope
    if assignment[d] < 0:
        return (f"your partner {partner} is unplaced; couples are placed together in one "
                f"{scope} or not at all, so {partner} would need a post there too")
    if compiled.scope[assignment[d]] != compiled.scope[p]:
        return (f"your partner {partner} holds {problem.posts[assignment[d]].id}, in another "
                f"{scope}; couples serve in the same {scope}")
    return None


def _check(compiled: Compiled, c: int, p: int, item: BetterPost, prober: Prober) -> None:
    """Re-solve with ``c`` forced onto ``p`` and keep the verdict with the claim."""
    problem = compiled.problem
    cand_id, post_id = problem.candidates[c].id, problem.posts[p].id
    locks_there = sum(1 for lock in problem.locks if lock.post == post_id)
    # A lock keeps the network engine usable; under priority a lock would also exempt the
    # candidate from it, so priority problems are forced with a quota instead.
    if problem.rules.respect_priority or locks_there >= compiled.capacity[p]:
        variant, own = force_onto(problem, cand_id, post_id), frozenset({FORCE_ID})
    else:
        variant, own = lock_onto(problem, cand_id, post_id), frozenset({f"lock:{cand_id}"})
    run = prober.run(variant, own, f"{cand_id} forced onto {post_id}")
    if run is None:
        return
    item.forced = run[0]
    if item.forced.verdict == "equal":
        item.reason = "tie"
        item.detail += ("; but an equally good solution gives you this post: the solver "
                        "chose between equals")
    elif item.forced.verdict == "better":
        item.reason = "better"
        item.detail += "; and the round is better with you there: the solution was not optimal"


def _unplaced(compiled: Compiled, assignment: IntArray, c: int, prober: Prober,
              result: Explanation) -> None:
    """Could the candidate be placed as things stand (a tie)? If not, what would do it?"""
    run = prober.run(force_placed(compiled.problem, result.candidate),
                     what=f"{result.candidate} forced to be placed")
    if run is None:
        return
    result.placeable = run[0]
    if run[0].verdict == "equal":
        where = next((a for a in run[1].assignments if a.candidate == result.candidate), None)
        result.notes.append(
            "an equally good round places you"
            + (f" at {where.post}" if where else "")
            + ": nothing needs to change, the solver chose between equals")
        return
    result.remedies = _remedies(compiled, assignment, c, prober)


def _remedies(compiled: Compiled, assignment: IntArray, c: int, prober: Prober
              ) -> list[Remedy]:
    problem = compiled.problem
    cand = problem.candidates[c]
    tried: list[tuple[str, RemedyKind, Problem]] = []
    if not cand.accept_adjustment:
        tried.append(("accept adjustment (服从调剂)", "accept_adjustment",
                      accepting_adjustment(problem, cand.id)))
    options = candidate_options(compiled, c)
    full = [p for p in options.tolist() if (assignment == p).sum() >= compiled.capacity[p]]
    ranks = compiled.rank_of(np.full(len(full), c, dtype=np.int64), np.array(full, np.int64))
    for p, _ in sorted(zip(full, ranks.tolist(), strict=True),
                       key=lambda pr: (pr[1] == 0, pr[1]))[:5]:
        post_id = problem.posts[p].id
        tried.append((f"one more seat at {post_id}", "seat", one_more_seat(problem, post_id)))
    counts = {q.id: q for q in compiled.quotas}
    for quota in problem.rules.quotas:
        if not quota.hard:
            continue
        _, base = counts[quota.id].count_and_base(compiled.pairs(assignment))
        for bound, relaxed, build in relaxations(quota, base):
            tried.append((f"relax quota {quota.id}: {bound} → {relaxed}", "quota",
                          build(problem)))
    out = []
    for change, kind, variant in tried:
        remedy = _try(problem, cand.id, change, kind, variant, prober)
        if remedy is None:
            break
        out.append(remedy)
    return out


def _try(problem: Problem, cand_id: str, change: str, kind: RemedyKind, variant: Problem,
         prober: Prober) -> Remedy | None:
    """Does ``variant`` place the candidate: in its optimum, or in an equally good one?"""
    run = prober.run(variant, what=change)
    if run is None:
        return None
    outcome, solution = run
    where = next((a for a in solution.assignments if a.candidate == cand_id), None)
    if where is None and outcome.verdict not in ("infeasible", "unproven"):
        forced = prober.run(force_placed(variant, cand_id), what=f"{change}, {cand_id} placed")
        if forced is not None and compare_outcome(variant, solution, forced[1]).verdict \
                == "equal":
            where = next((a for a in forced[1].assignments if a.candidate == cand_id), None)
            outcome = forced[0]
    return Remedy(change=change, kind=kind, places=where is not None,
                  post=where.post if where else None, rank=where.rank if where else None,
                  outcome=outcome)


def _prices(problem: Problem, solution: Solution, prober: Prober) -> list[QuotaPrice]:
    reports = {q.id: q for q in solution.quotas}
    out: list[QuotaPrice] = []
    for quota in problem.rules.quotas:
        if not quota.hard or quota.id not in reports:
            continue
        for bound, relaxed, build in relaxations(quota, reports[quota.id].base):
            run = prober.run(build(problem), what=f"quota {quota.id} {bound} → {relaxed}")
            if run is None:
                return out
            out.append(QuotaPrice(quota=quota.id, bound=bound, relaxed=relaxed,
                                  binding=run[0].verdict == "better", outcome=run[0]))
    return out
