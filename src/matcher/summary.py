"""The summary table ``matcher solve`` prints: seats, ranks, quotas, at a glance."""

from __future__ import annotations

from collections import Counter

from matcher.problem import Problem
from matcher.solution import Solution


def summary_text(problem: Problem, solution: Solution) -> str:
    seats = sum(p.capacity for p in problem.posts)
    placed = len(solution.assignments)
    lines = [
        f"status      {solution.status.value}  (engine {solution.solver.engine}, "
        f"{solution.solver.time_s:.2f}s)",
    ]
    if solution.conflict:
        lines.append(f"conflict    {', '.join(solution.conflict)}")
        return "\n".join(lines)
    share = f"{100 * placed / seats:.1f}%" if seats else "-"
    lines.append(f"seats       {placed} of {seats} filled ({share}); "
                 f"{len(solution.unassigned)} of {len(problem.candidates)} candidates unplaced")
    obj, bound = solution.objective, solution.bound
    lines.append(f"objective   coverage {obj.coverage}  quotas {obj.quotas:g}  "
                 f"preferences {obj.preferences}" if obj.coverage is not None else
                 "objective   (no solution)")
    if solution.status.value == "feasible":
        lines.append(f"bound       coverage {bound.coverage}  quotas {bound.quotas}  "
                     f"preferences {bound.preferences}")
    if solution.status.value in ("feasible", "unknown") and solution.solver.note:
        lines.append(f"note        {solution.solver.note}")
    ranks: Counter[str] = Counter()
    for a in solution.assignments:
        ranks["locked" if a.locked else "adjusted" if a.adjusted else f"{a.rank}"] += 1
    ranked = sorted((k for k in ranks if k.isdigit()), key=int)
    order = ranked + [k for k in ("adjusted", "locked") if k in ranks]
    if order:
        lines.append("ranks       " + "  ".join(f"{k}:{ranks[k]}" for k in order))
    reasons = Counter(r.reasons[0].code for r in solution.unassigned if r.reasons)
    if reasons:
        lines.append("unplaced    " + "  ".join(f"{k}:{v}" for k, v in reasons.most_common()))
    if solution.quotas:
        width = max(len(q.id) for q in solution.quotas)
        lines.append(f"quotas      {'id':<{width}}  {'count':>6}  {'base':>6}  deviation")
        for q in solution.quotas:
            mark = "ok" if q.satisfied else "NOT MET"
            lines.append(f"            {q.id:<{width}}  {q.count:>6}  {q.base:>6}  "
                         f"{q.deviation:g} {mark}")
    return "\n".join(lines)
