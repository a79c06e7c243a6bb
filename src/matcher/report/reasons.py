"""Why a candidate was not placed, in Chinese, worked out again from the problem and solution.

Why not translate the solution's ``reasons[].detail``: that text is English prose written for
the file of record, and a translation keyed on its wording breaks the day the wording changes.
The facts behind it are few and structured — which posts the candidate may hold, which are full,
which hard quota sits at its bound, where the partner is, which eligibility rules rule posts
out and how often — so they are derived here from the problem and the solution, the same way
:mod:`matcher.explain` derives them, and written in the offices' words. Each reason the solution
records (by its code, in its order) gets the Chinese detail of the same code; a code this
module cannot back with facts gets the plain Chinese name of the reason.

Only the candidates shown are worked out (a report lists a few hundred per reason), so a
national round costs one compile of the problem and a little numpy per row.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import CompiledQuota, compile_problem
from matcher.explain import Blocker, blockers, candidate_options
from matcher.problem import Problem
from matcher.report.labels import reason
from matcher.sheets.headers import VOCABULARIES
from matcher.solution import Reason, Solution

_LISTED = 5
SCOPES = {"prefecture": "地州", "county": "县", "province": "省份"}
TIERS = {"coverage": "岗位覆盖", "quotas": "指标偏差", "preferences": "志愿满意度"}
DEGREES = {"associate": "专科", "bachelor": "本科", "master": "硕士", "doctor": "博士"}
GENDERS = {"F": "女性", "M": "男性"}


def id_list(ids: list[str], total: int | None = None) -> str:
    """``P01、P02、P03`` or ``P01、P02、P03、P04、P05 等 12 个``."""
    total = len(ids) if total is None else total
    head = "、".join(ids[:_LISTED])
    return head + (f" 等 {total} 个" if total > _LISTED else "")


def objective_order(problem: Problem) -> str:
    return " → ".join(TIERS.get(tier, tier) for tier in problem.objective.order)


def language_names(codes: list[str]) -> str:
    return "、".join(VOCABULARIES["language"].display(code, "zh") for code in codes)


class ReasonWriter:
    """Chinese details for the unplaced candidates of one solution."""

    def __init__(self, problem: Problem, solution: Solution) -> None:
        self.problem = problem
        self.compiled = compile_problem(problem)
        self._index = {c.id: k for k, c in enumerate(problem.candidates)}
        post_index = {p.id: k for k, p in enumerate(problem.posts)}
        self.assignment: IntArray = np.full(self.compiled.n, -1, dtype=np.int64)
        for a in solution.assignments:
            if a.candidate in self._index and a.post in post_index:
                self.assignment[self._index[a.candidate]] = post_index[a.post]
        pairs = self.compiled.pairs(self.assignment)
        self.filled: IntArray = np.bincount(pairs.post, minlength=self.compiled.m)
        self.counts = [q.count_and_base(pairs) for q in self.compiled.quotas]

    def details(self, candidate: str, reasons: list[Reason]) -> list[str]:
        """One Chinese detail per recorded reason, in the solution's order."""
        c = self._index.get(candidate)
        derived: dict[str, list[str]] = {}
        if c is not None and any(r.code in _DERIVED for r in reasons):
            for code, detail in self._derive(c):
                derived.setdefault(code, []).append(detail)
        out = []
        for r in reasons:
            found = derived.get(r.code)
            out.append(found.pop(0) if found else _FIXED.get(r.code, reason("zh", r.code)))
        return out

    # --- deriving -------------------------------------------------------------------------

    def _derive(self, c: int) -> list[tuple[str, str]]:
        compiled = self.compiled
        cand = self.problem.candidates[c]
        if not cand.eligible:
            return []
        options = candidate_options(compiled, c)
        if len(options) == 0:
            return [("no_eligible_post", self._no_post(c))]
        is_full = self.filled[options] >= compiled.capacity[options]
        out = []
        if is_full.any():
            out.append(("wishes_taken", self._full(c, options, is_full)))
        by_quota: dict[str, tuple[list[str], str]] = {}
        couple_posts: list[str] = []
        open_posts: list[str] = []
        for p in options[~is_full].tolist():
            post_id = self.problem.posts[p].id
            broken = [(q, bound) for q, (n, d) in zip(compiled.quotas, self.counts, strict=True)
                      if q.hard and (bound := _breaks(q, n, d, c, p)) is not None]
            for q, bound in broken:
                by_quota.setdefault(q.id, ([], bound))[0].append(post_id)
            if broken:
                continue
            if cand.partner is not None:
                couple_posts.append(post_id)
            else:
                open_posts.append(post_id)
        for quota_id, (posts, bound) in by_quota.items():
            out.append(("quota", f"岗位 {id_list(posts)} 尚有空余名额，但安置到那里会使刚性指标 "
                                  f"{quota_id} {bound}（该指标已到界限）"))
        if couple_posts:
            out.append(("couple", self._couple(c, couple_posts)))
        if open_posts:
            out.append(("objective", f"岗位 {id_list(open_posts)} 尚有空余名额，但按目标的先后"
                                     f"顺序（{objective_order(self.problem)}），不安排该报名者"
                                     "的方案整体更优"))
        return out

    def _full(self, c: int, options: IntArray, is_full: BoolArray) -> str:
        full = options[is_full]
        ids = id_list([self.problem.posts[p].id for p in full[:_LISTED].tolist()], len(full))
        if len(full) < len(options):
            return f"岗位 {ids} 已满员"
        wishes = self.compiled.wishes
        lo, hi = np.searchsorted(wishes.cand, [c, c + 1])
        wished = sorted({int(wishes.rank[row]) for row in range(lo, hi)
                         if np.isin(wishes.members[wishes.starts[wishes.pattern[row]]:
                                                   wishes.starts[wishes.pattern[row] + 1]],
                                    full).any()})
        in_wishes = np.isin(full, wishes.posts_of(c))
        adjusted = int((~in_wishes).sum())
        parts = []
        if wished:
            parts.append(f"第 {_runs(wished)} 志愿对应的岗位")
        if adjusted:
            parts.append(f"服从调剂可去的 {adjusted} 个岗位")
        which = "，以及".join(parts)
        if len(full) == 1:
            return f"唯一可担任的岗位 {ids} 已满员（{which}）"
        return f"可担任的 {len(full)} 个岗位全部满员（{which}）：{ids}"

    def _couple(self, c: int, posts: list[str]) -> str:
        partner = self.problem.candidates[c].partner
        scope = SCOPES.get(self.problem.rules.couple_scope, self.problem.rules.couple_scope)
        d = self._index.get(partner or "")
        where = ("未安置" if d is None or self.assignment[d] < 0
                 else f"安置在岗位 {self.problem.posts[self.assignment[d]].id}")
        return (f"伴侣 {partner} {where}；两人须在同一{scope}安置，否则都不安置"
                f"（尚有空余名额的岗位：{id_list(posts)}）")

    def _no_post(self, c: int) -> str:
        compiled = self.compiled
        cand = self.problem.candidates[c]
        wished = compiled.wishes.posts_of(c)
        if not cand.wishes and not cand.accept_adjustment:
            return "未填报志愿，且不服从调剂"
        if len(wished) == 0 and not cand.accept_adjustment:
            return "所填志愿与任何岗位都不相符，且不服从调剂"
        looked_at = wished if not cand.accept_adjustment else np.arange(compiled.m)
        tally = self._tally(c, looked_at)
        scope = "志愿岗位" if not cand.accept_adjustment else "岗位（含服从调剂可去的）"
        counted = "；".join(f"{rule}（{count} 个）" if len(looked_at) > 1 else rule
                           for rule, count in tally.most_common())
        if len(looked_at) == 1:
            return f"唯一的{scope}不符合条件：{counted}"
        return f"全部 {len(looked_at)} 个{scope}都不符合条件：{counted}"

    def _tally(self, c: int, posts: IntArray) -> Counter[str]:
        """How many of ``posts`` each eligibility rule rules out (a post may count under
        several). Worked out once per post class, since a class shares every requirement."""
        compiled = self.compiled
        compat = compiled.compat
        classes = compat.post_class[posts]
        tally: Counter[str] = Counter()
        for v, count in zip(*np.unique(classes, return_counts=True), strict=True):
            p = int(posts[np.flatnonzero(classes == v)[0]])
            for rule in self._conditions(c, p):
                tally[rule] += int(count)
        forbidden = int(compiled.forbids(np.full(len(posts), c, dtype=np.int64), posts).sum())
        if forbidden:
            tally["列为禁止的组合"] += forbidden
        return tally

    def _conditions(self, c: int, p: int) -> list[str]:
        """The eligibility rules of SPEC §3 (forbidden pairs aside) that keep ``c`` from
        ``p``, in Chinese."""
        return [_condition_zh(blocker)
                for blocker in blockers(self.compiled, c, p, forbidden=False)]


def _breaks(q: CompiledQuota, n: int, d: int, c: int, p: int) -> str | None:
    """How placing ``c`` at ``p`` breaks hard quota ``q`` when it holds now, or None."""
    if q.deviation(n, d) != 0:
        return None
    n2 = n + int(q.cand_mask[c] and q.post_mask[p])
    d2 = d + int(q.post_mask[p] if q.share_base == "posts" else q.cand_mask[c])
    if q.deviation(n2, d2) == 0:
        return None
    if q.max is not None and n2 > q.max:
        return f"超过最多 {q.max} 人"
    if q.max_share is not None and n2 > q.max_share * d2:
        return f"超过最高比例 {_percent(q.max_share)}"
    if q.min_share is not None and n2 < q.min_share * d2:
        return f"低于最低比例 {_percent(q.min_share)}"
    return "偏离其界限"


def _runs(numbers: list[int]) -> str:
    """``1 至 7、9`` for 1, 2, …, 7, 9 (sorted, distinct)."""
    runs: list[list[int]] = []
    for k in numbers:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return "、".join(f"{run[0]} 至 {run[-1]}" if len(run) > 2 else "、".join(map(str, run))
                    for run in runs)


def _percent(share: Fraction) -> str:
    return f"{float(share) * 100:g}%"


_DERIVED = frozenset({"no_eligible_post", "wishes_taken", "quota", "couple", "objective"})
_FIXED = {
    "not_eligible": "被标记为未通过资格审查（审核或体检未通过），不参加安置",
    "priority": "在分数优先、遵循志愿的规则下未能录取",
    "infeasible": "本轮规则相互冲突（见“相互冲突的规则”），没有可行方案，无人安置",
    "no_solution": "时限内未求得可行方案，无人安置",
}


def _condition_zh(blocker: Blocker) -> str:
    """One eligibility condition as the Chinese reasons name it."""
    demand = blocker.demand
    match blocker.rule:
        case "service period":
            return "服务期不符"
        case "degree":
            return f"学历低于{DEGREES.get(demand[0], demand[0])}"
        case "major category":
            return "专业门类不符"
        case "language":
            return f"须掌握{language_names(list(demand))}"
        case "gender":
            return f"仅限{GENDERS.get(demand[0], demand[0])}"
        case "level":
            return f"级别低于 {demand[0]}"
        case "pairing":
            return f"对口支援规则 {'、'.join(demand)}"
        case _:
            return "列为禁止的组合"
