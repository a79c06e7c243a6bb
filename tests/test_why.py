"""``explain``: every claim about a better-ranked post is checked independently.

"Ineligible" claims are checked against the verifier's statement of SPEC §3; every other
claim ("full", "quota", "couple", "tradeoff") by solving again with the candidate forced onto
the post (a lock where a lock means exactly that, otherwise a hard quota written here) and
seeing the objective get worse or the problem become infeasible; "tie" claims by seeing it
stay equal. Remedies and quota prices are checked the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import problems
from typer.testing import CliRunner

from matcher import Problem, Solution, SolveOptions, load_problem, solve
from matcher.cli import app
from matcher.problem import Pair, Quota
from matcher.solution import TierValues
from matcher.verify import ineligibility
from matcher.why import explain_candidate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SAMPLE = SCENARIOS / "sample.json"
runner = CliRunner()


def lexicographic_key(problem: Problem, values: TierValues) -> tuple[float, ...]:
    """The objective in ``objective.order``, best first (coverage is maximised)."""
    sign = {"coverage": -1, "quotas": 1, "preferences": 1}
    return tuple(round(sign[t] * (getattr(values, t) or 0), 9) for t in problem.objective.order)


def _forced(problem: Problem, candidate: str, post: str) -> Solution:
    """Solve with ``candidate`` made to hold ``post``, built without the library's probes."""
    capacity = next(p.capacity for p in problem.posts if p.id == post)
    locks_there = sum(1 for lock in problem.locks if lock.post == post)
    if not problem.rules.respect_priority and locks_there < capacity:
        variant = problem.model_copy(update={
            "locks": [*problem.locks, Pair(candidate=candidate, post=post)]})
    else:
        force = Quota(id="test:force", candidates={"id": [candidate]}, posts={"id": [post]},
                      min=1, hard=True)
        rules = problem.rules.model_copy(update={"quotas": [*problem.rules.quotas, force]})
        variant = problem.model_copy(update={"rules": rules})
    return solve(variant, SolveOptions(time_limit=20))


def _check_claims(problem: Problem, solution: Solution) -> int:
    checked = 0
    for cand in problem.candidates:
        explanation = explain_candidate(problem, solution, cand.id, budget=100, prices=False)
        for item in explanation.better_posts:
            post = next(p for p in problem.posts if p.id == item.post)
            if item.reason == "ineligible":
                assert ineligibility(problem, cand, post), (cand.id, item)
                continue
            if item.reason == "full":
                held = [a.candidate for a in solution.assignments if a.post == item.post]
                assert sorted(held) == sorted(h.candidate for h in item.holders)
                assert len(held) == post.capacity
            forced = _forced(problem, cand.id, item.post)
            assert forced.status.value in ("optimal", "infeasible"), forced.status
            if item.reason == "tie":
                assert forced.status.value == "optimal"
                assert lexicographic_key(problem, forced.objective) == \
                    lexicographic_key(problem, solution.objective)
            elif forced.status.value == "optimal":
                assert lexicographic_key(problem, forced.objective) > \
                    lexicographic_key(problem, solution.objective), (cand.id, item)
            checked += 1
    return checked


@settings(max_examples=12)
@given(problems(max_candidates=5, max_posts=3))
def test_every_better_post_claim_survives_forcing(problem: Problem) -> None:
    solution = solve(problem, SolveOptions(time_limit=20))
    if solution.status.value != "optimal":
        return
    _check_claims(problem, solution)


@pytest.fixture(scope="module")
def sample() -> tuple[Problem, Solution]:
    problem = load_problem(SAMPLE)
    return problem, solve(problem)


def test_every_claim_on_the_sample_survives_forcing(sample: tuple[Problem, Solution]) -> None:
    assert _check_claims(*sample) > 0


def test_every_claim_in_a_priority_round_survives_forcing() -> None:
    problem = load_problem(SCENARIOS / "supplementary_round.json")
    solution = solve(problem)
    assert _check_claims(problem, solution) > 0
    explanation = explain_candidate(problem, solution, "S09", prices=False)
    full = next(item for item in explanation.better_posts if item.reason == "full")
    assert all(h.score >= 72 or h.locked for h in full.holders)
    assert "score-first" in full.detail


def test_remedies_that_claim_to_place_a_candidate_do(sample: tuple[Problem, Solution]) -> None:
    problem, solution = sample
    unplaced = [u.candidate for u in solution.unassigned if u.reasons[0].code == "wishes_taken"]
    seen = 0
    for cand in unplaced:
        explanation = explain_candidate(problem, solution, cand, prices=False)
        if explanation.placeable is not None and explanation.placeable.verdict == "equal":
            assert explanation.remedies == []  # placed by a tie: no change needed
            continue
        for remedy in explanation.remedies:
            if not remedy.places or remedy.kind != "seat":
                continue
            target = remedy.change.removeprefix("one more seat at ")
            posts = [p.model_copy(update={"capacity": p.capacity + 1}) if p.id == target
                     else p for p in problem.posts]
            variant = problem.model_copy(update={"posts": posts})
            best = solve(variant)
            assert remedy.post is not None
            with_cand = _forced(variant, cand, remedy.post)
            assert lexicographic_key(variant, with_cand.objective) == \
                lexicographic_key(variant, best.objective)
            seen += 1
    assert seen > 0


def _binding_problem() -> Problem:
    """Two candidates who both prefer the ordinary post; a hard minority minimum of one
    sends one of them to the minority post at a preference cost of one."""
    return Problem.model_validate({
        "candidates": [
            {"id": "A", "home_province": "SD", "wishes": [{"post": "B"}, {"post": "M"}]},
            {"id": "Z", "home_province": "SD", "wishes": [{"post": "B"}, {"post": "M"}]},
        ],
        "posts": [
            {"id": "B", "province": "SN", "prefecture": "Yan'an", "programme": "health",
             "capacity": 2},
            {"id": "M", "province": "XJ", "prefecture": "Hotan", "programme": "health",
             "minority_region": True},
        ],
        "rules": {"quotas": [{"id": "minority_target", "label": "minority_target",
                              "posts": {"minority_region": True}, "min": 1}]},
    }, strict=False)


def test_a_binding_hard_quota_is_priced_by_relaxing_it() -> None:
    problem = _binding_problem()
    solution = solve(problem)
    explanation = explain_candidate(problem, solution, "A")
    (price,) = explanation.quota_prices
    assert (price.bound, price.relaxed, price.binding) == ("min 1", "min 0", True)
    assert price.outcome.preferences == -1 and price.outcome.coverage == 0
    relaxed = solve(problem.model_copy(update={"rules": problem.rules.model_copy(
        update={"quotas": []})}))
    assert relaxed.objective.preferences == (solution.objective.preferences or 0) - 1


def test_sample_quotas_do_not_bind(sample: tuple[Problem, Solution]) -> None:
    explanation = explain_candidate(*sample, "C02")
    assert {p.quota for p in explanation.quota_prices} == {"minority_target",
                                                            "shandong_to_kashgar"}
    assert not any(p.binding for p in explanation.quota_prices)


def test_explain_command(tmp_path: Path, sample: tuple[Problem, Solution]) -> None:
    solution_path = tmp_path / "sample.solution.json"
    solution_path.write_text(sample[1].model_dump_json(), encoding="utf-8")
    result = runner.invoke(app, ["explain", str(SAMPLE), str(solution_path), "C02"])
    assert result.exit_code == 0, result.output
    assert "P01（第 1 志愿）[full]" in result.stdout and "重新求解" in result.stdout
    result = runner.invoke(app, ["explain", str(SAMPLE), str(solution_path), "C02",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "P01 (wish 1) [full]" in result.stdout and "re-solving" in result.stdout
    result = runner.invoke(app, ["explain", str(SAMPLE), str(solution_path), "C08", "--json",
                                 "--no-prices"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["post"] is None and data["quota_prices"] == []
    assert any(r["places"] for r in data["remedies"])
    result = runner.invoke(app, ["explain", str(SAMPLE), str(solution_path), "C99"])
    assert result.exit_code == 2 and "C99" in result.stderr
    other = SCENARIOS / "supplementary_round.json"
    result = runner.invoke(app, ["explain", str(other), str(solution_path), "S01"])
    assert result.exit_code == 2 and "not_this_problem" not in result.stderr
    assert "another problem" in result.stderr


def test_json_is_the_same_in_both_languages(tmp_path: Path,
                                            sample: tuple[Problem, Solution]) -> None:
    solution_path = tmp_path / "sample.solution.json"
    solution_path.write_text(sample[1].model_dump_json(), encoding="utf-8")
    outputs = [runner.invoke(app, ["explain", str(SAMPLE), str(solution_path), "C08",
                                   "--json", "--no-check", "--no-prices", *lang]).stdout
               for lang in ([], ["--lang", "en"], ["--lang", "zh"])]
    assert outputs[0] == outputs[1] == outputs[2]
    assert json.loads(outputs[0])["reasons"][0]["code"] == "wishes_taken"


def test_quota_and_tradeoff_claims_on_hand_made_rounds() -> None:
    posts = [{"id": "P1", "province": "XJ", "prefecture": "Hotan", "programme": "health",
              "capacity": 2},
             {"id": "P2", "province": "XJ", "prefecture": "Kashgar", "programme": "health",
              "weight": 2}]
    quota = Problem.model_validate({
        "candidates": [
            {"id": "A", "home_province": "SD", "wishes": [{"post": "P1"}]},
            {"id": "B", "home_province": "SD", "wishes": [{"post": "P1"}, {"post": "P2"}]},
        ],
        "posts": posts,
        "rules": {"quotas": [{"id": "hotan_cap", "posts": {"prefecture": "Hotan"},
                              "max": 1}]},
    }, strict=False)
    tradeoff = Problem.model_validate({
        "candidates": [{"id": "B", "home_province": "SD",
                        "wishes": [{"post": "P1"}, {"post": "P2"}]}],
        "posts": posts,
    }, strict=False)
    for problem, reason in ((quota, "quota"), (tradeoff, "tradeoff")):
        solution = solve(problem)
        (item,) = explain_candidate(problem, solution, "B", prices=False).better_posts
        assert (item.post, item.reason) == ("P1", reason)
        assert item.forced is not None and item.forced.verdict in ("worse", "infeasible")
        assert _check_claims(problem, solution) == 1
    (item,) = explain_candidate(quota, solve(quota), "B", prices=False).better_posts
    assert item.rules == ["hotan_cap"]
