"""The hand-written scenarios and the shared worked examples, solved and checked end to end.

Scenarios are asserted by status, objective tiers and rule satisfaction (through
:func:`matcher.verify.verify`), never by exact assignment: ties are legitimate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matcher import load_problem, solve
from matcher.options import SolveOptions
from matcher.problem import Problem
from matcher.solution import Solution, Status
from matcher.verify import verify

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"

# Measured optimum of each scenario (see scenarios/README.md); ``conflict`` for infeasible ones.
EXPECTED: dict[str, dict[str, Any]] = {
    "sample": {"status": "optimal",
               "objective": {"coverage": 38, "quotas": 1.6, "preferences": -1}},
    "supplementary_round": {"status": "optimal",
                            "objective": {"coverage": 17, "quotas": 0.0, "preferences": 0}},
    "infeasible": {"status": "infeasible",
                   "conflict": ["lock:I01", "minority_target", "pair_kashgar"]},
}
TIERS = ("coverage", "quotas", "preferences")


def _solve(problem: Problem) -> Solution:
    return solve(problem, SolveOptions(seed=0))


@pytest.fixture(scope="module")
def solved() -> dict[str, tuple[Problem, Solution]]:
    out = {}
    for name in EXPECTED:
        problem = load_problem(SCENARIOS / f"{name}.json")
        out[name] = (problem, _solve(problem))
    return out


def test_every_scenario_file_is_covered() -> None:
    assert {path.stem for path in SCENARIOS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_solves_to_expected_outcome(
    name: str, solved: dict[str, tuple[Problem, Solution]]
) -> None:
    problem, solution = solved[name]
    expected = EXPECTED[name]
    assert verify(problem, solution) == []
    assert solution.status.value == expected["status"]
    if "objective" in expected:
        for tier in TIERS:
            assert getattr(solution.objective, tier) == pytest.approx(expected["objective"][tier])
            # optimal is a claim: the proven bound meets the value in every tier
            assert getattr(solution.bound, tier) == pytest.approx(expected["objective"][tier])
    if "conflict" in expected:
        assert sorted(solution.conflict or []) == expected["conflict"]
        assert solution.assignments == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_candidate_is_accounted_for_with_reasons(
    name: str, solved: dict[str, tuple[Problem, Solution]]
) -> None:
    problem, solution = solved[name]
    assigned = [a.candidate for a in solution.assignments]
    unassigned = [u.candidate for u in solution.unassigned]
    assert sorted(assigned + unassigned) == sorted(c.id for c in problem.candidates)
    for entry in solution.unassigned:
        assert entry.reasons, f"{entry.candidate} is unassigned without a reason"
        assert all(reason.code for reason in entry.reasons)


def test_sample_shows_its_rules_at_work(solved: dict[str, tuple[Problem, Solution]]) -> None:
    problem, solution = solved["sample"]
    held = {a.candidate: a for a in solution.assignments}
    post_of = {a.candidate: a.post for a in solution.assignments}
    county = {p.id: p.county for p in problem.posts}
    reasons = {u.candidate: {r.code for r in u.reasons} for u in solution.unassigned}
    assert reasons["C22"] == {"not_eligible"}          # eligible: false
    assert reasons["C20"] == {"no_eligible_post"}      # service_years [1] vs agriculture [2, 3]
    # couple_scope county: both partners placed in the same county, or neither
    assert ("C12" in held) == ("C13" in held)
    if "C12" in held:
        assert county[post_of["C12"]] == county[post_of["C13"]]
    assert any(a.adjusted for a in solution.assignments)  # someone placed by adjustment
    assert post_of.get("C19") in (None, "P11")           # bound by home_province to NX local
    assert post_of.get("C08") != "P06"                   # forbidden pair
    report = {q.id: q for q in solution.quotas}
    assert report["minority_target"].satisfied and report["minority_target"].count >= 12
    assert not report["tibet_women"].satisfied          # the soft quota the optimum breaks


def test_supplementary_round_keeps_locks_and_priority(
    solved: dict[str, tuple[Problem, Solution]],
) -> None:
    problem, solution = solved["supplementary_round"]
    locked = {(a.candidate, a.post) for a in solution.assignments if a.locked}
    assert locked == {(lock.candidate, lock.post) for lock in problem.locks}
    unranked_lock = next(a for a in solution.assignments if a.candidate == "S03")
    assert (unranked_lock.rank, unranked_lock.adjusted, unranked_lock.locked) == (None, False, True)
    post_of = {a.candidate: a.post for a in solution.assignments}
    # score first: S08 (85) outranks S09 (72) for the last Lhasa seat, S04 (89) S05 (80) in Shache
    assert post_of["S08"] == "T01" and "S09" not in post_of
    assert post_of["S04"] == "K01" and "S05" not in post_of


def test_supplementary_round_without_priority_fills_one_more_seat() -> None:
    raw = json.loads((SCENARIOS / "supplementary_round.json").read_text(encoding="utf-8"))
    raw["rules"]["respect_priority"] = False
    problem = load_problem(json.dumps(raw))
    solution = _solve(problem)
    assert verify(problem, solution) == []
    assert solution.status is Status.optimal
    assert solution.objective.coverage == 18


# --- the shared worked examples ------------------------------------------------------------

EXAMPLE_FILES = sorted(EXAMPLES.glob("ex[0-9][0-9][0-9].json")) if EXAMPLES.is_dir() else []


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"{EXAMPLES} is missing")
def test_all_twelve_examples_are_present() -> None:
    assert len(EXAMPLE_FILES) == 12


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"{EXAMPLES} is missing")
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_matches_expected_optimum(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    problem = load_problem(path)
    solution = _solve(problem)
    assert verify(problem, solution) == []
    assert solution.status.value == expected["status"]
    for tier, value in expected.get("objective", {}).items():
        assert getattr(solution.objective, tier) == pytest.approx(value), tier


@pytest.mark.parametrize("dropped", ["lock:I01", "minority_target", "pair_kashgar"])
def test_infeasible_conflict_is_minimal(dropped: str) -> None:
    raw = json.loads((SCENARIOS / "infeasible.json").read_text(encoding="utf-8"))
    if dropped.startswith("lock:"):
        raw["locks"] = [lock for lock in raw["locks"] if f"lock:{lock['candidate']}" != dropped]
    for section in ("quotas", "pairings"):
        raw["rules"][section] = [rule for rule in raw["rules"][section] if rule["id"] != dropped]
    problem = load_problem(json.dumps(raw))
    solution = _solve(problem)
    assert solution.status is Status.optimal
    assert verify(problem, solution) == []
