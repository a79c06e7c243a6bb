"""Programme models: every model file reads, merges into a problem, and conflicts are errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.errors import InvalidProblemError
from matcher.models import apply_model, read_model, with_model
from matcher.solve import solve
from matcher.validation import load_problem, parse_problem
from matcher.verify import verify

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "models").glob("*.json"))
CADRE = ROOT / "models" / "cadre_secondment.json"
LEADERS = ROOT / "models" / "student_leaders.json"


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_model_files_read_and_merge_into_a_problem(path: Path) -> None:
    model = read_model(path)
    assert model.name == path.stem
    merged = parse_problem(apply_model({"candidates": [], "posts": []}, model))
    assert [q.id for q in merged.rules.quotas] == [q.id for q in model.rules.quotas]


def test_merge_appends_rules_and_fills_only_unset_settings() -> None:
    model = {"name": "m", "programmes": [],
             "rules": {"quotas": [{"id": "cap", "max": 1}], "couple_scope": "county"},
             "objective": {"home_bonus": 5, "adjustment_cost": 3}}
    problem = {"rules": {"quotas": [{"id": "own", "min": 0}], "couple_scope": "province"},
               "objective": {"adjustment_cost": 7}}
    merged = apply_model(problem, model)
    assert [q["id"] for q in merged["rules"]["quotas"]] == ["own", "cap"]
    assert merged["rules"]["couple_scope"] == "province"  # the round decides last
    assert merged["objective"] == {"adjustment_cost": 7, "home_bonus": 5}
    assert problem["rules"]["quotas"] == [{"id": "own", "min": 0}]  # input untouched


def test_same_rule_id_in_model_and_problem_is_an_error_naming_both() -> None:
    model = {"name": "m", "programmes": [],
             "rules": {"pairings": [{"id": "dup", "origins": ["SD"], "mode": "bound"}]}}
    problem = {"rules": {"quotas": [{"id": "ok"}, {"id": "dup", "max": 2}]}}
    with pytest.raises(InvalidProblemError) as caught:
        apply_model(problem, model)
    (issue,) = caught.value.issues
    assert issue.path == "rules.quotas[1].id"
    assert "rules.quotas[1]" in issue.message and "'m' (rules.pairings[0])" in issue.message


def _cadre(cid: str, university: str, wishes: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": cid, "home_province": "SD", "university": university, "level": 1,
            "wishes": [{"post": w} for w in wishes], "accept_adjustment": True, **extra}


def _county(pid: str, prefecture: str, province: str = "SD", **extra: Any) -> dict[str, Any]:
    return {"id": pid, "province": province, "prefecture": prefecture,
            "programme": "youth_work", **extra}


def test_cadre_secondment_relay_levels_and_qinghai() -> None:
    problem = parse_problem({
        "candidates": [
            _cadre("A", "U1", ["Linyi", "Heze"]),
            _cadre("B", "U2", ["Linyi"]),
            _cadre("V", "U3", ["Linyi"], level=2, tags=["vice_division"]),
            _cadre("Q", "U4", ["Heze"]),
        ],
        "posts": [
            _county("Linyi", "Linyi"), _county("Heze", "Heze", continuity_university="U1"),
            _county("Jinan", "Jinan", min_level=2), _county("Xining", "Xining", "QH"),
        ],
    })
    with_cadre = with_model(problem, CADRE)
    solution = solve(with_cadre)
    assert verify(with_cadre, solution) == []
    placed = {a.candidate: a.post for a in solution.assignments}
    assert placed["V"] == "Jinan"  # vice-division cadres only in the sub-provincial cities
    assert placed["A"] == "Heze"  # relay (接力) outweighs A's first wish
    assert len(placed) == 4 and "Xining" in placed.values()


def test_student_leaders_directed_and_tagged_only() -> None:
    leader = ["student_leader", "university_211"]
    problem = parse_problem({
        "candidates": [
            {"id": "L1", "home_province": "HB", "tags": [*leader, "directed_XJ"],
             "wishes": [{"province": "XZ", "programme": "party_government"}],
             "accept_adjustment": True},
            {"id": "L2", "home_province": "HB", "tags": leader,
             "wishes": [{"province": "XZ"}]},
            {"id": "N1", "home_province": "HB", "tags": ["student_leader"],
             "wishes": [{"province": "XJ"}]},
        ],
        "posts": [
            {"id": "XJ1", "province": "XJ", "prefecture": "Urumqi",
             "programme": "party_government"},
            {"id": "XZ1", "province": "XZ", "prefecture": "Lhasa",
             "programme": "party_government"},
        ],
    })
    merged = with_model(problem, LEADERS)
    solution = solve(merged)
    assert verify(merged, solution) == []
    placed = {a.candidate: a.post for a in solution.assignments}
    assert placed == {"L1": "XJ1", "L2": "XZ1"}  # directed to XJ; N1 is not from a 211


def test_cli_convert_with_model_and_conflict(tmp_path: Path) -> None:
    runner = CliRunner()
    sample = ROOT / "scenarios" / "sample.json"
    out = tmp_path / "merged.json"
    result = runner.invoke(app, ["convert", str(sample), "-o", str(out), "--model", str(CADRE)])
    assert result.exit_code == 0, result.output
    merged = load_problem(out)
    assert {q.id for q in merged.rules.quotas} >= {"cadre-qinghai", "minority_target"}
    result = runner.invoke(app, ["convert", str(out), "-o", str(tmp_path / "again.json"),
                                 "--model", str(CADRE)])
    assert result.exit_code == 2
    assert "defined both in the problem" in result.output
