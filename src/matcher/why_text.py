"""An :class:`~matcher.why.Explanation` as text a project office can read out or paste.

Two languages: English, and Chinese in the offices' words (志愿, 服从调剂, 岗位, 名额, 指标,
锁定). The Chinese is written from the explanation's structured fields (the kind of each
obstacle, the rules and holders it names, the re-solve outcomes), not by translating the
English sentences; reason codes stay in brackets as codes. The unplaced candidate's reasons
come from the solution as English prose, so for Chinese they are worked out again from the
problem and solution (:class:`matcher.report.reasons.ReasonWriter`) when those are passed;
without them the reason's Chinese name is shown, and the posts listed below it give the facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from matcher.probes import Outcome
from matcher.problem import Problem
from matcher.report.labels import Lang, reason
from matcher.report.reasons import DEGREES, SCOPES, ReasonWriter, objective_order
from matcher.solution import Solution
from matcher.why import BetterPost, Explanation, Holder, Remedy


def _signed(value: float) -> str:
    text = f"{value:+.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:+d}"
    return text.replace("-", "−")


@dataclass(frozen=True)
class _OutcomeWords:
    """How one language words a re-solve's outcome (:func:`describe_outcome`)."""

    impossible: str
    clashes: str  # with {named}
    eligibility_only: str
    unproven: str
    tiers: tuple[str, str, str, str]  # seats, coverage, quotas, preferences
    comma: str
    no_change: str
    equal: str
    bracketed: str  # {changes}
    worse: str
    better: str
    colon: str
    rule_name: Callable[[str], str]


_OUTCOME_WORDS: dict[str, _OutcomeWords] = {
    "en": _OutcomeWords("impossible: ", "it clashes with {}",
                        "the eligibility rules alone rule it out",
                        "not settled within the time limit",
                        ("seats filled", "weighted coverage", "quota deviation cost",
                         "preference cost"),
                        ", ", "no change", "no loss: an equally good round", " ({})",
                        "worse", "better", ": ", str),
    "zh": _OutcomeWords("不可行：", "与 {} 冲突", "仅资格条件就排除了这种安排", "时限内未能判定",
                        ("安置人数", "加权覆盖", "指标偏差代价", "志愿代价"),
                        "，", "无变化", "没有损失：有同样好的方案", "（{}）", "变差", "变好", "：",
                        lambda rule: rule_id_zh(rule)),
}


def describe_outcome(outcome: Outcome, *, lang: Lang = "en") -> str:
    """``impossible: …``, ``costs …``, ``no cost (a tie)``, ``improves …`` (or in Chinese)."""
    words = _OUTCOME_WORDS[lang]
    if outcome.verdict == "infeasible":
        separator = "、" if lang == "zh" else ", "
        named = separator.join(words.rule_name(rule) for rule in outcome.conflict)
        return words.impossible + (words.clashes.format(named) if named
                                   else words.eligibility_only)
    if outcome.verdict == "unproven":
        return words.unproven
    values = (outcome.seats, outcome.coverage, outcome.quotas, outcome.preferences)
    parts = [f"{name} {_signed(value)}" for name, value in zip(words.tiers, values, strict=True)
             if value]
    changes = words.comma.join(parts) or words.no_change
    if outcome.verdict == "equal":
        return words.equal + (words.bracketed.format(changes) if parts else "")
    verb = words.worse if outcome.verdict == "worse" else words.better
    return f"{verb}{words.colon}{changes}"


def explanation_text(explanation: Explanation, *, limit: int = 20, lang: Lang = "en",
                     problem: Problem | None = None, solution: Solution | None = None) -> str:
    """The explanation as lines of text; ``lang`` ``"zh"`` writes it in Chinese.

    ``problem`` and ``solution`` (the round explained) are optional context for Chinese: with
    them an unplaced candidate's reasons, a partner's whereabouts and the objective order are
    spelled out; English takes its words from the explanation alone.
    """
    if lang == "zh":
        return _ZhWriter(explanation, problem, solution).text(limit)
    return _english(explanation, limit)


# --- English ------------------------------------------------------------------------------


def _post_line(item: BetterPost) -> list[str]:
    lines = [f"  {item.post} (wish {item.rank}) [{item.reason}] {item.detail}"]
    if item.forced is not None:
        lines.append(f"      checked by re-solving with you there: "
                     f"{describe_outcome(item.forced)}")
    return lines


def _english(explanation: Explanation, limit: int) -> str:
    e = explanation
    head = f"{e.candidate} (score {e.score:g}): "
    if e.post is None:
        head += "not placed"
    elif e.locked:
        head += f"locked at {e.post} (confirmed in an earlier round)"
    elif e.adjusted:
        head += f"placed at {e.post} by adjustment (服从调剂), outside the wishes"
    else:
        head += f"placed at {e.post}, wish {e.rank}"
    lines = [head]
    lines += [f"  reason: [{r.code}] {r.detail}" for r in e.reasons]
    if e.better_posts:
        lines.append("Why not a better-ranked post:")
        for item in e.better_posts[:limit]:
            lines += _post_line(item)
        if len(e.better_posts) > limit:
            rest = e.better_posts[limit:]
            kinds = sorted({i.reason for i in rest})
            lines.append(f"  … and {len(rest)} more ({', '.join(kinds)}); --json lists all")
    elif e.post is not None and not e.locked:
        lines.append("No better-ranked post exists: this is the first wish that matches a post.")
    if e.placeable is not None and e.placeable.verdict != "equal":
        lines.append(f"Placing you anywhere as things stand: {describe_outcome(e.placeable)}")
    working = [r for r in e.remedies if r.places]
    if working:
        lines.append("One change that would place you:")
        for remedy in working:
            where = f"at {remedy.post}" + (f" (wish {remedy.rank})" if remedy.rank else
                                           " (adjusted)")
            effect = describe_outcome(remedy.outcome) if remedy.outcome else ""
            lines.append(f"  {remedy.change}: placed {where}; round {effect}")
    failed = [r.change for r in e.remedies if not r.places]
    if failed:
        lines.append(f"Tried, would not place you: {'; '.join(failed)}")
    if e.quota_prices:
        lines.append("Price of each hard quota bound (round re-solved with it relaxed by one "
                     "seat):")
        for price in e.quota_prices:
            verdict = describe_outcome(price.outcome) if price.binding else "not binding"
            lines.append(f"  {price.quota}: {price.bound} → {price.relaxed}: {verdict}")
    lines += [f"Note: {note}" for note in e.notes]
    lines.append(f"({e.solves} re-solve(s) used)")
    return "\n".join(lines)


# --- Chinese ------------------------------------------------------------------------------


def rule_id_zh(rule: str) -> str:
    """A rule id as conflicts name it: quota and pairing ids as they are; the engines' own
    (``lock:C1``, ``couple:C1``, ``respect_priority``) in words."""
    if rule == "respect_priority":
        return "分数优先规则"
    kind, _, candidate = rule.partition(":")
    if kind == "lock" and candidate:
        return f"{candidate} 的锁定"
    if kind == "couple" and candidate:
        return f"{candidate} 的伴侣规则"
    return rule


def _outcome_zh(outcome: Outcome) -> str:
    return describe_outcome(outcome, lang="zh")


#: The eligibility rules :func:`matcher.explain.blocking_rules` names, in Chinese.
RULES_ZH = {
    "screening": "未通过资格审查（审核或体检）",
    "service period": "服务期不符",
    "major category": "专业门类不符",
    "language": "语言要求不符",
    "gender": "性别要求不符",
    "level": "级别不够",
    "forbidden pair": "列为禁止的组合",
}
_BOUNDS_ZH = {"min": "最少 {} 人", "max": "最多 {} 人", "min_share": "最低比例 {}",
              "max_share": "最高比例 {}"}


def rule_zh(rule: str) -> str:
    """One eligibility rule as :func:`~matcher.explain.blocking_rules` names it, in Chinese."""
    if rule in RULES_ZH:
        return RULES_ZH[rule]
    if rule.startswith("degree below "):
        degree = rule.removeprefix("degree below ")
        return f"学历低于{DEGREES.get(degree, degree)}"
    if rule.startswith("pairing "):
        return f"对口支援规则 {rule.removeprefix('pairing ').replace(', ', '、')}"
    return rule


def bound_zh(bound: str) -> str:
    """A quota bound as :func:`~matcher.probes.relaxations` names it (``min_share 0.35``)."""
    name, _, value = bound.partition(" ")
    if name not in _BOUNDS_ZH:
        return bound
    if name.endswith("share") and value.replace(".", "", 1).isdigit():
        value = f"{float(value) * 100:g}%"
    return _BOUNDS_ZH[name].format(value)


def _holders(holders: list[Holder]) -> str:
    return "、".join(f"{h.candidate}（{h.score:g} 分{'，锁定' if h.locked else ''}）"
                    for h in holders)


class _ZhWriter:
    def __init__(self, explanation: Explanation, problem: Problem | None,
                 solution: Solution | None) -> None:
        self.e = explanation
        self.problem = problem
        self.solution = solution

    def text(self, limit: int) -> str:
        e = self.e
        lines = [self._head()]
        lines += [f"  原因：[{r.code}] {detail}"
                  for r, detail in zip(e.reasons, self._reasons(), strict=True)]
        if e.better_posts:
            lines.append("为何没有得到志愿更靠前的岗位：")
            for item in e.better_posts[:limit]:
                lines.append(f"  {item.post}（第 {item.rank} 志愿）[{item.reason}] "
                             f"{self._obstacle(item)}")
                if item.forced is not None:
                    lines.append(f"      让你到该岗位重新求解的结果：{_outcome_zh(item.forced)}")
            if len(e.better_posts) > limit:
                rest = e.better_posts[limit:]
                kinds = "、".join(sorted({i.reason for i in rest}))
                lines.append(f"  …… 另有 {len(rest)} 个（{kinds}），--json 列出全部")
        elif e.post is not None and not e.locked:
            lines.append("没有志愿更靠前的岗位：这已是与岗位相符的第一个志愿。")
        if e.placeable is not None and e.placeable.verdict != "equal":
            lines.append(f"按现状强制把你安置到任一岗位：{_outcome_zh(e.placeable)}")
        working = [r for r in e.remedies if r.places]
        if working:
            lines.append("只需改变一项就能安置你：")
            for remedy in working:
                where = f"岗位 {remedy.post}" + (f"（第 {remedy.rank} 志愿）" if remedy.rank
                                                else "（调剂）")
                effect = _outcome_zh(remedy.outcome) if remedy.outcome else ""
                lines.append(f"  {_remedy(remedy)}：安置到{where}；整轮方案{effect}")
        failed = [_remedy(r) for r in e.remedies if not r.places]
        if failed:
            lines.append(f"已尝试、但不能安置你：{'；'.join(failed)}")
        if e.quota_prices:
            lines.append("每条刚性指标界限的代价（把该界限放宽一个名额后重新求解）：")
            for price in e.quota_prices:
                verdict = _outcome_zh(price.outcome) if price.binding else "不起约束作用"
                lines.append(f"  {price.quota}：{bound_zh(price.bound)} → "
                             f"{bound_zh(price.relaxed)}：{verdict}")
        lines += [f"说明：{_note(note)}" for note in e.notes]
        lines.append(f"（共重新求解 {e.solves} 次）")
        return "\n".join(lines)

    def _head(self) -> str:
        e = self.e
        head = f"{e.candidate}（分数 {e.score:g}）："
        if e.post is None:
            return head + "未安置"
        if e.locked:
            return head + f"锁定在岗位 {e.post}（前轮已确认）"
        if e.adjusted:
            return head + f"经服从调剂安置到岗位 {e.post}（不在所填志愿之内）"
        return head + f"安置到岗位 {e.post}，第 {e.rank} 志愿"

    def _reasons(self) -> list[str]:
        if not self.e.reasons:
            return []
        if self.problem is not None and self.solution is not None:
            return ReasonWriter(self.problem, self.solution).details(self.e.candidate,
                                                                     self.e.reasons)
        return [reason("zh", r.code) for r in self.e.reasons]

    def _obstacle(self, item: BetterPost) -> str:
        """What kept the candidate from ``item``'s post, from its structured fields."""
        if item.reason == "tie":
            return (self._base(item) + "；但有一个同样好的方案会把这个岗位给你："
                    "求解器是在同样好的方案之间作了选择")
        if item.reason == "better":
            return self._base(item) + "；而且你在这里整轮方案更好：所给方案并非最优"
        return self._base(item)

    def _base(self, item: BetterPost) -> str:
        if item.reason == "ineligible":
            return "不符合条件：" + "；".join(rule_zh(rule) for rule in item.rules)
        if item.holders or item.reason == "full":
            return self._full(item)
        if any(rule.startswith("couple:") for rule in item.rules):
            return self._couple()
        if item.rules or item.reason == "quota":
            return (f"尚有空余名额，但你到这里会使刚性指标 {'、'.join(item.rules)} 突破界限"
                    "（该指标已到界限）")
        order = f"（{objective_order(self.problem)}）" if self.problem is not None else ""
        return (f"尚有空余名额，也没有哪一条规则禁止；但把你调到这里，整轮方案按目标的先后顺序"
                f"{order}会变差")

    def _full(self, item: BetterPost) -> str:
        seats = "唯一的名额" if len(item.holders) == 1 else f"全部 {len(item.holders)} 个名额"
        text = f"{seats}已满，在岗者：{_holders(item.holders)}"
        if self.problem is not None and self.problem.rules.respect_priority:
            free = [h for h in item.holders if not h.locked]
            if all(h.score >= self.e.score for h in free):
                text += f"；按分数优先规则，未锁定的在岗者分数都不低于你的 {self.e.score:g} 分"
        return text

    def _couple(self) -> str:
        if self.problem is None:
            return "你和伴侣须在同一地区安置（否则都不安置），这个岗位与伴侣的安置不相容"
        cand = next(c for c in self.problem.candidates if c.id == self.e.candidate)
        partner = cand.partner
        scope = SCOPES.get(self.problem.rules.couple_scope, self.problem.rules.couple_scope)
        where = None
        if self.solution is not None:
            where = next((a.post for a in self.solution.assignments if a.candidate == partner),
                         None)
        if where is None:
            return (f"你的伴侣 {partner} 未安置；两人须在同一{scope}安置，否则都不安置，"
                    f"所以 {partner} 也需要在那里有岗位")
        return f"你的伴侣 {partner} 在岗位 {where}（另一个{scope}）；两人须在同一{scope}服务"


def _remedy(remedy: Remedy) -> str:
    """The one-step change, from its kind and the post or quota it names."""
    if remedy.kind == "accept_adjustment":
        return "改为服从调剂"
    if remedy.kind == "seat":
        return f"在岗位 {remedy.change.removeprefix('one more seat at ')} 增加一个名额"
    quota, _, bounds = remedy.change.removeprefix("relax quota ").rpartition(": ")
    old, _, new = bounds.partition(" → ")
    return f"把指标 {quota} 从{bound_zh(old)}放宽到{bound_zh(new)}"


def _note(note: str) -> str:
    """The notes :func:`matcher.why.explain_candidate` writes, by their fixed openings."""
    if note.startswith("the round has no solution (status "):
        status = note.removeprefix("the round has no solution (status ").partition(")")[0]
        words = {"infeasible": "不可行", "unknown": "未求得方案"}
        return f"本轮没有方案（状态：{words.get(status, status)}），无法逐人解释"
    if note.startswith("locked:"):
        return "前轮已确认并锁定，本轮不重新安置"
    if note.startswith("the re-solve budget ("):
        budget = note.removeprefix("the re-solve budget (").partition(")")[0]
        return (f"重新求解的次数上限（{budget} 次）已用完：尚未检验的说法，以及其余的补救办法和"
                "指标代价，都没有尝试（可调高 --budget）")
    if note.startswith("an equally good round places you"):
        rest = note.removeprefix("an equally good round places you").partition(":")[0]
        where = f"到岗位 {rest.removeprefix(' at ')}" if rest.startswith(" at ") else ""
        return (f"有一个同样好的方案会把你安置{where}：无需任何改变，"
                "求解器是在同样好的方案之间作了选择")
    return note
