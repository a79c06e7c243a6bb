"""Problems survive JSON → workbook → JSON and JSON → CSV folder → JSON unchanged."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from strategies import problem_dicts

from matcher.problem import Problem
from matcher.sheets import load_any, write_any, write_problem_csv, write_problem_xlsx
from matcher.sheets.headers import Lang
from matcher.validation import load_problem, parse_problem

SCENARIOS = sorted(Path(__file__).resolve().parents[1].glob("scenarios/*.json"))

# Everything a cell must carry exactly, including spellings only JSON cells can hold.
AWKWARD: dict[str, Any] = {
    "schema_version": "1",
    "name": "=awkward; name",
    "candidates": [
        {"id": "007", "home_province": "SD", "recruit_province": "BJ", "university": "U 1",
         "degree": "doctor", "major_category": "medicine", "gender": "F",
         "ethnicity": "hui", "languages": ["ug", "a;b"], "level": 2,
         "service_years": [], "score": 0.1 + 0.2, "accept_adjustment": True,
         "partner": "C2", "eligible": False, "tags": ["[x]", "student_leader"],
         "wishes": [{"post": "P=1"}, {"province": "XJ", "prefecture": "Kashgar"},
                    {"county": "Shule;Yengisar"}, {"programme": "health"},
                    {"post": "{P2"}]},
        {"id": "C2", "home_province": "xj", "partner": "007", "score": 70,
         "wishes": [{"post": "P2"}] * 12},
    ],
    "posts": [
        {"id": "P=1", "province": "XJ", "prefecture": "Kashgar", "county": "Shule",
         "unit": "Shule No. 2 School", "programme": "basic_education", "project": "local",
         "capacity": 3, "weight": 2, "service_years": [2, 3], "min_degree": "bachelor",
         "major_categories": ["education"], "preferred_major_categories": ["literature"],
         "languages": ["ug"], "gender": "M", "min_level": 1, "minority_region": True,
         "hardship": 5, "continuity_university": "U 1", "tags": ["remote"]},
        {"id": "P2", "province": "基础", "prefecture": "Lhasa", "programme": "新项目"},
        {"id": "{P2", "province": "XZ", "prefecture": "Lhasa", "programme": "tibet_service",
         "capacity": 0},
    ],
    "rules": {
        "pairings": [
            {"id": "pair", "origins": ["SD", "BJ"], "origin_field": "home_province",
             "destinations": {"province": ["XJ"], "county": None}, "mode": "exclusive"},
            {"id": "bound", "origins": ["BJ"], "destinations": {}, "mode": "bound"},
        ],
        "quotas": [
            {"id": "q1", "label": "minority_target", "candidates": {"tags": "a|b"},
             "posts": {"minority_region": True, "hardship": [4, 5], "id": ["P=1", "P2"]},
             "min": 1, "max": 3, "min_share": 0.35, "max_share": 1.0, "share_base": "posts",
             "hard": False, "penalty": 2.5},
            {"id": "q2", "candidates": {"degree": ["bachelor", "master"], "gender": "F"}},
        ],
        "couple_scope": "county",
        "respect_priority": True,
    },
    "objective": {"order": ["quotas", "coverage", "preferences"], "rank_cost": "quadratic",
                  "adjustment_cost": 0, "home_bonus": 1, "fit_bonus": 2,
                  "continuity_bonus": 3},
    "locks": [{"candidate": "007", "post": "P=1"}],
    "forbidden": [{"candidate": "C2", "post": "P=1"}],
}


def _same(original: Problem, again: Problem) -> None:
    assert json.loads(again.model_dump_json()) == json.loads(original.model_dump_json())
    assert again == original


def _round_trip(problem: Problem, directory: Path, lang: Lang) -> None:
    workbook, folder = directory / f"p-{lang}.xlsx", directory / f"p-{lang}"
    write_problem_xlsx(problem, workbook, lang)
    _same(problem, load_any(workbook))
    write_problem_csv(problem, folder, lang)
    _same(problem, load_any(folder))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_awkward_problem_round_trips(tmp_path: Path, lang: Lang) -> None:
    _round_trip(parse_problem(AWKWARD), tmp_path, lang)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenarios_round_trip(tmp_path: Path, path: Path) -> None:
    for lang in ("zh", "en"):
        _round_trip(load_problem(path), tmp_path, lang)  # type: ignore[arg-type]


@settings(max_examples=12)
@given(problem_dicts(max_candidates=6, max_posts=4))
def test_generated_problems_round_trip(data: dict[str, Any]) -> None:
    problem = parse_problem(data)
    with tempfile.TemporaryDirectory() as directory:
        _round_trip(problem, Path(directory), "zh")


def test_json_output_keeps_only_what_was_given(tmp_path: Path) -> None:
    """Defaults stay implicit, so a programme model can still supply them later."""
    problem = parse_problem({"candidates": [{"id": "C1", "home_province": "SD"}],
                             "objective": {"home_bonus": 2}})
    write_problem_xlsx(problem, tmp_path / "p.xlsx")
    write_any(load_any(tmp_path / "p.xlsx"), tmp_path / "p.json")
    written = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert written["objective"] == {"home_bonus": 2}
    assert "couple_scope" not in written["rules"]
