"""Supplementary rounds: locks kept, withdrawn seats freed, newcomers placed, all verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.errors import InvalidProblemError
from matcher.problem import Problem
from matcher.rounds import compare_rounds, next_round
from matcher.solution import Solution
from matcher.solve import solve
from matcher.validation import load_problem
from matcher.verify import verify

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "sample.json"
SUPPLEMENTARY = ROOT / "scenarios" / "supplementary_round.json"


@pytest.fixture(scope="module")
def main_round() -> tuple[Problem, Solution]:
    problem = load_problem(SAMPLE)
    return problem, solve(problem)


def test_next_round_keeps_locks_frees_withdrawn_seats_and_verifies(
        main_round: tuple[Problem, Solution]) -> None:
    problem, solution = main_round
    placed = {a.candidate: a.post for a in solution.assignments}
    withdrawn = [c for c in ("C12", "C01", "C05") if c in placed][:2]
    assert withdrawn
    late = {"id": "LATE1", "home_province": "SD", "accept_adjustment": True,
            "wishes": [{"post": placed[withdrawn[0]]}]}
    extra_post = {"id": "NEW1", "province": "SN", "prefecture": "Yanan",
                  "programme": "basic_education", "capacity": 1}
    upcoming = next_round(problem, solution, withdrawn,
                          {"candidates": [late], "posts": [extra_post]})

    ids = {c.id for c in upcoming.candidates}
    assert not ids & set(withdrawn) and "LATE1" in ids
    locks = {(lock.candidate, lock.post) for lock in upcoming.locks}
    kept = {(c, p) for c, p in placed.items() if c not in withdrawn}
    assert locks == kept | {(lock.candidate, lock.post) for lock in problem.locks}
    assert all(c.partner not in withdrawn for c in upcoming.candidates)
    assert upcoming.name.endswith("(round 2)")

    second = solve(upcoming)
    assert verify(upcoming, second) == []
    after = {a.candidate: a.post for a in second.assignments}
    assert all(after.get(c) == p for c, p in kept)  # every lock kept
    summary = compare_rounds(solution, second)
    assert summary.kept == len(kept) and not summary.moved and not summary.lost
    assert sorted(summary.left) == sorted(withdrawn)
    newly = {p.candidate for p in summary.newly_placed}
    assert newly == set(after) - set(placed)
    assert "LATE1" in newly  # the freed seat it wished for


def test_withdrawn_partner_loses_the_link(main_round: tuple[Problem, Solution]) -> None:
    problem, solution = main_round
    couple = next(c for c in problem.candidates if c.partner is not None)
    upcoming = next_round(problem, solution, [couple.id])
    partner = next(c for c in upcoming.candidates if c.id == couple.partner)
    assert partner.partner is None


def test_existing_locks_stay_and_withdrawn_locks_go() -> None:
    problem = load_problem(SUPPLEMENTARY)
    solution = solve(problem)
    gone = problem.locks[0].candidate
    upcoming = next_round(problem, solution, [gone])
    locks = {(lock.candidate, lock.post) for lock in upcoming.locks}
    assert {(lock.candidate, lock.post) for lock in problem.locks[1:]} <= locks
    assert all(lock.candidate != gone for lock in upcoming.locks)
    assert verify(upcoming, solve(upcoming)) == []


def test_bad_inputs_are_reported_together(main_round: tuple[Problem, Solution]) -> None:
    problem, solution = main_round
    with pytest.raises(InvalidProblemError) as caught:
        next_round(problem, solution, ["NOBODY"],
                   {"candidates": [{"id": "C01", "home_province": "SD"}], "locks": []})
    codes = sorted(issue.code for issue in caught.value.issues)
    assert codes == ["duplicate_id", "unknown_candidate", "unknown_field"]


def test_cli_round_solves_and_summarises(tmp_path: Path,
                                         main_round: tuple[Problem, Solution]) -> None:
    _, solution = main_round
    first = tmp_path / "first.json"
    first.write_text(solution.model_dump_json(), encoding="utf-8")
    add = tmp_path / "add.json"
    add.write_text(json.dumps({"candidates": [{"id": "LATE", "home_province": "SD",
                                               "accept_adjustment": True}]}), encoding="utf-8")
    ids = tmp_path / "withdrawn.txt"
    ids.write_text(f"{solution.assignments[0].candidate}\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, [
        "round", str(SAMPLE), str(first), "--withdrawn", f"@{ids}", "--add", str(add),
        "-o", str(tmp_path / "next.xlsx"), "--solve", str(tmp_path / "next_solution.json"),
        "--summary-json", str(tmp_path / "summary.json")])
    assert result.exit_code == 0, result.output
    assert "newly placed" in result.output and "verified" in result.output
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["left"] == [solution.assignments[0].candidate]
    again = runner.invoke(app, ["round-summary", str(first),
                                str(tmp_path / "next_solution.json"), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == summary


def test_cli_round_checks_every_output_before_building_or_solving(
        tmp_path: Path, main_round: tuple[Problem, Solution]) -> None:
    _, solution = main_round
    first = tmp_path / "first.json"
    first.write_text(solution.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(app, [
        "round", str(SAMPLE), str(first), "-o", str(tmp_path / "next.json"),
        "--solve", str(tmp_path / "gone" / "next_solution.json")])
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "next.json").exists()


def test_cli_round_takes_joiners_from_a_workbook(tmp_path: Path,
                                                 main_round: tuple[Problem, Solution]) -> None:
    from matcher.sheets import write_problem_xlsx

    problem, solution = main_round
    first = tmp_path / "first.json"
    first.write_text(solution.model_dump_json(), encoding="utf-8")
    post = problem.posts[0].model_copy(update={"id": "PNEW"})
    joiner = problem.candidates[0].model_copy(update={"id": "CNEW", "partner": None,
                                                      "wishes": []})
    late = tmp_path / "late.xlsx"
    write_problem_xlsx(Problem(name="late", candidates=[joiner], posts=[post]), late)
    result = CliRunner().invoke(app, ["round", str(SAMPLE), str(first), "--add", str(late),
                                      "-o", str(tmp_path / "next.json")])
    assert result.exit_code == 0, result.output
    upcoming = load_problem(tmp_path / "next.json")
    assert upcoming.candidates[-1].id == "CNEW" and upcoming.posts[-1].id == "PNEW"


def test_a_joiner_error_is_located_in_the_add_file(main_round: tuple[Problem, Solution]
                                                   ) -> None:
    problem, solution = main_round
    joiner = problem.candidates[0].model_dump(exclude_unset=True) | {
        "id": "CNEW", "degree": "bachelors"}
    joiner.pop("partner", None)
    with pytest.raises(InvalidProblemError) as caught:
        next_round(problem, solution, [], {"candidates": [joiner]})
    assert [issue.path for issue in caught.value.issues] == ["add.candidates[0].degree"]
