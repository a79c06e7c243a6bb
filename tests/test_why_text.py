"""The explanation in Chinese: every sentence the offices read is Chinese; ids and codes stay.

Checked for a placed, an adjusted, an unplaced, a locked candidate and for each kind of
obstacle (full under score-first priority, ineligible, quota, couple, trade-off, tie), with
and without the round as context, against the same explanations in English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matcher import Problem, Solution, load_problem, solve
from matcher.probes import Outcome
from matcher.why import explain_candidate
from matcher.why_text import bound_zh, describe_outcome, explanation_text, rule_zh

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.'-]*")
OPTIONS = {"json", "budget"}  # --json, --budget


def english_words(text: str, problem: Problem) -> list[str]:
    """Latin-letter words that are not ids of the problem, reason codes or CLI options."""
    ids = {c.id for c in problem.candidates} | {p.id for p in problem.posts}
    ids |= {q.id for q in problem.rules.quotas} | {r.id for r in problem.rules.pairings}
    text = re.sub(r"\[[a-z_]+\]", "", text)  # [wishes_taken], [full]: codes
    return [w for w in WORD.findall(text) if w not in ids and w not in OPTIONS]


def _round(name: str) -> tuple[Problem, Solution]:
    problem = load_problem(SCENARIOS / f"{name}.json")
    return problem, solve(problem)


@pytest.fixture(scope="module")
def sample() -> tuple[Problem, Solution]:
    return _round("sample")


@pytest.fixture(scope="module")
def supplementary() -> tuple[Problem, Solution]:
    return _round("supplementary_round")


def _check(problem: Problem, solution: Solution, candidate: str) -> str:
    explanation = explain_candidate(problem, solution, candidate)
    english = explanation_text(explanation)
    assert english_words(english, problem), "the check must see English when it is there"
    assert explanation_text(explanation, lang="en") == english
    for context in ({}, {"problem": problem, "solution": solution}):
        text = explanation_text(explanation, lang="zh", **context)  # type: ignore[arg-type]
        assert english_words(text, problem) == [], (candidate, context.keys(), text)
    return explanation_text(explanation, lang="zh", problem=problem, solution=solution)


def test_placed(sample: tuple[Problem, Solution]) -> None:
    text = _check(*sample, "C02")
    assert text.startswith("C02（分数 84）：安置到岗位 P03，第 2 志愿")
    assert "P01（第 1 志愿）[full] 全部 3 个名额已满，在岗者：C01（88 分）" in text
    assert "让你到该岗位重新求解的结果：变差：志愿代价 +7" in text
    assert "minority_target：最少 12 人 → 最少 11 人：不起约束作用" in text


def test_adjusted(sample: tuple[Problem, Solution]) -> None:
    adjusted = next(a.candidate for a in sample[1].assignments if a.adjusted)
    text = _check(*sample, adjusted)
    assert "经服从调剂安置到岗位" in text.splitlines()[0]


def test_unplaced(sample: tuple[Problem, Solution]) -> None:
    text = _check(*sample, "C08")
    assert text.splitlines()[0] == "C08（分数 77）：未安置"
    assert "原因：[wishes_taken] 可担任的 4 个岗位全部满员" in text
    assert "不符合条件：列为禁止的组合" in text and "不符合条件：专业门类不符" in text
    assert "只需改变一项就能安置你：" in text and "在岗位 P04 增加一个名额" in text
    assert "把指标 minority_target 从最少 12 人放宽到最少 11 人" in text
    text = _check(*sample, "C20")  # no eligible post: adjustment tried, fails
    assert "原因：[no_eligible_post] 唯一的志愿岗位不符合条件：服务期不符" in text
    assert "已尝试、但不能安置你：改为服从调剂" in text
    assert "不可行：仅资格条件就排除了这种安排" in text
    explanation = explain_candidate(*sample, "C08", check=False, prices=False)
    bare = explanation_text(explanation, lang="zh")  # no context: the reason's name
    assert "原因：[wishes_taken] 志愿岗位已满" in bare


def test_a_tie_says_nothing_needs_to_change(sample: tuple[Problem, Solution]) -> None:
    text = _check(*sample, "C14")
    assert "[tie]" in text and "同样好的方案" in text
    assert "说明：有一个同样好的方案会把你安置到岗位 P06：无需任何改变" in text


def test_locked_and_score_first(supplementary: tuple[Problem, Solution]) -> None:
    text = _check(*supplementary, "S01")
    assert text.splitlines()[0].endswith("锁定在岗位 K01（前轮已确认）")
    assert "说明：前轮已确认并锁定，本轮不重新安置" in text
    text = _check(*supplementary, "S09")
    assert "按分数优先规则，未锁定的在岗者分数都不低于你的 72 分" in text
    assert "与 S03 的锁定、分数优先规则 冲突" in text


def _post(post_id: str, prefecture: str, **more: object) -> dict[str, object]:
    return {"id": post_id, "province": "XJ", "prefecture": prefecture, "programme": "health",
            **more}


def test_quota_couple_and_tradeoff_obstacles() -> None:
    quota = Problem.model_validate({
        "candidates": [
            {"id": "A", "home_province": "SD", "wishes": [{"post": "P1"}]},
            {"id": "B", "home_province": "SD", "wishes": [{"post": "P1"}, {"post": "P2"}]},
        ],
        "posts": [_post("P1", "Hotan", capacity=2), _post("P2", "Kashgar", weight=2)],
        "rules": {"quotas": [{"id": "hotan_cap", "posts": {"prefecture": "Hotan"},
                              "max": 1}]},
    }, strict=False)
    text = _check(quota, solve(quota), "B")
    assert "P1（第 1 志愿）[quota] 尚有空余名额，但你到这里会使刚性指标 hotan_cap 突破界限" in text
    tradeoff = Problem.model_validate({
        "candidates": [{"id": "B", "home_province": "SD",
                        "wishes": [{"post": "P1"}, {"post": "P2"}]}],
        "posts": [_post("P1", "Hotan", capacity=2), _post("P2", "Kashgar", weight=2)],
    }, strict=False)
    text = _check(tradeoff, solve(tradeoff), "B")
    assert "[tradeoff] 尚有空余名额，也没有哪一条规则禁止" in text
    assert "（岗位覆盖 → 指标偏差 → 志愿满意度）会变差" in text
    couple = Problem.model_validate({
        "candidates": [
            {"id": "C", "home_province": "SD", "partner": "D",
             "wishes": [{"post": "P2"}, {"post": "P1"}]},
            {"id": "D", "home_province": "SD", "partner": "C", "wishes": [{"post": "P1"}]},
        ],
        "posts": [_post("P1", "Hotan", capacity=2), _post("P2", "Kashgar")],
    }, strict=False)
    text = _check(couple, solve(couple), "C")
    assert ("P2（第 1 志愿）[couple] 你的伴侣 D 在岗位 P1（另一个地州）；"
            "两人须在同一地州服务") in text


def test_outcomes_and_bounds_in_chinese() -> None:
    worse = Outcome(verdict="worse", seats=-1, coverage=-2, quotas=0.5, preferences=3)
    assert describe_outcome(worse, lang="zh") == \
        "变差：安置人数 −1，加权覆盖 −2，指标偏差代价 +0.5，志愿代价 +3"
    assert describe_outcome(worse) == ("worse: seats filled −1, weighted coverage −2, quota "
                                       "deviation cost +0.5, preference cost +3")
    assert describe_outcome(Outcome(verdict="equal"), lang="zh") == "没有损失：有同样好的方案"
    assert describe_outcome(Outcome(verdict="unproven"), lang="zh") == "时限内未能判定"
    assert describe_outcome(Outcome(verdict="infeasible", conflict=["couple:C1", "q"]),
                            lang="zh") == "不可行：与 C1 的伴侣规则、q 冲突"
    assert bound_zh("min_share 0.35") == "最低比例 35%" and bound_zh("max 3") == "最多 3 人"
    assert rule_zh("degree below master") == "学历低于硕士"
    assert rule_zh("pairing xj_aid, bt_aid") == "对口支援规则 xj_aid、bt_aid"


def test_every_eligibility_rule_has_chinese_words() -> None:
    """One post per rule of SPEC §3 that the candidate breaks, and one they may hold."""
    rules = [{"service_years": [3]}, {"min_degree": "master"},
             {"major_categories": ["medicine"]}, {"languages": ["ug"]}, {"gender": "M"},
             {"min_level": 2}, {"county": "Kashgar-1"}, {}]
    problem = Problem.model_validate({
        "candidates": [{"id": "A", "home_province": "SD", "gender": "F", "service_years": [1],
                        "major_category": "law",
                        "wishes": [{"post": f"P{k}"} for k in range(len(rules) + 1)]}],
        "posts": [_post(f"P{k}", "Hotan", **rule) for k, rule in enumerate(rules)]
        + [_post(f"P{len(rules)}", "Aksu")],
        "rules": {"pairings": [{"id": "kashgar_aid", "origins": ["GD"],
                                "destinations": {"county": "Kashgar-1"},
                                "mode": "exclusive"}]},
        "forbidden": [{"candidate": "A", "post": f"P{len(rules) - 1}"}],
    }, strict=False)
    text = _check(problem, solve(problem), "A")
    for words in ("服务期不符", "学历低于硕士", "专业门类不符", "语言要求不符", "性别要求不符",
                  "级别不够", "对口支援规则 kashgar_aid", "列为禁止的组合"):
        assert words in text, words
