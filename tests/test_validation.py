"""Every class of malformed input is rejected with its exact JSON path, in the library and CLI.

Each case starts from one small valid problem, breaks one thing, and checks that
:class:`~matcher.errors.InvalidProblemError` names the path SPEC's way
(``candidates[3].wishes[0].post``) and that ``matcher validate`` exits 2 naming it too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matcher import InvalidProblemError, load_problem, parse_problem
from matcher.cli import app

VALID: dict[str, Any] = {
    "schema_version": "1",
    "name": "validation base",
    "candidates": [
        {"id": "C1", "home_province": "SD", "degree": "bachelor", "score": 80,
         "wishes": [{"post": "P1"}, {"prefecture": "Hotan"}], "partner": "C2"},
        {"id": "C2", "home_province": "SD", "score": 75, "wishes": [{"post": "P1"}],
         "partner": "C1"},
        {"id": "C3", "home_province": "BJ", "score": 70, "accept_adjustment": True},
    ],
    "posts": [
        {"id": "P1", "province": "XJ", "prefecture": "Kashgar", "county": "Shufu",
         "programme": "basic_education", "capacity": 2, "minority_region": True, "hardship": 4},
        {"id": "P2", "province": "XJ", "prefecture": "Hotan", "programme": "health",
         "capacity": 1},
    ],
    "rules": {
        "pairings": [{"id": "pair_kashgar", "origins": ["SD"],
                      "destinations": {"prefecture": "Kashgar"}, "mode": "exclusive"}],
        "quotas": [{"id": "minority_target", "label": "minority_target",
                    "posts": {"minority_region": True}, "min": 1}],
    },
    "locks": [{"candidate": "C3", "post": "P2"}],
    "forbidden": [{"candidate": "C2", "post": "P2"}],
}

Edit = Callable[[dict[str, Any]], object]


def _set(path: str, value: Any) -> Edit:
    """An edit that sets ``value`` at a dotted path with integer steps (``candidates.0.id``)."""
    *head, last = path.split(".")

    def apply(raw: dict[str, Any]) -> None:
        node: Any = raw
        for step in head:
            node = node[int(step)] if step.isdigit() else node[step]
        node[int(last) if last.isdigit() else last] = value

    return apply


def _drop(path: str) -> Edit:
    *head, last = path.split(".")

    def apply(raw: dict[str, Any]) -> None:
        node: Any = raw
        for step in head:
            node = node[int(step)] if step.isdigit() else node[step]
        del node[last]

    return apply


def _rules(**sections: Any) -> Edit:
    return lambda raw: raw["rules"].update(sections)


QUOTA = {"id": "q", "posts": {"province": "XJ"}}
# (case id, edit, the path that must be named)
CASES: list[tuple[str, Edit, str]] = [
    ("unknown_top_level_field", _set("colour", "red"), "colour"),
    ("unknown_candidate_field", _set("candidates.1.nickname", "x"), "candidates[1].nickname"),
    ("unknown_wish_field", _set("candidates.0.wishes.1.city", "Hotan"),
     "candidates[0].wishes[1].city"),
    ("unknown_post_field", _set("posts.1.seats", 3), "posts[1].seats"),
    ("unknown_rules_field", _set("rules.fairness", True), "rules.fairness"),
    ("wrong_type_score", _set("candidates.1.score", "high"), "candidates[1].score"),
    ("wrong_type_capacity_string", _set("posts.0.capacity", "2"), "posts[0].capacity"),
    ("wrong_type_wishes", _set("candidates.2.wishes", {"post": "P1"}), "candidates[2].wishes"),
    ("wrong_type_accept_adjustment", _set("candidates.2.accept_adjustment", "yes"),
     "candidates[2].accept_adjustment"),
    ("bad_enum_degree", _set("candidates.0.degree", "bachelors"), "candidates[0].degree"),
    ("bad_enum_gender", _set("posts.1.gender", "female"), "posts[1].gender"),
    ("bad_enum_pairing_mode", _set("rules.pairings.0.mode", "both"), "rules.pairings[0].mode"),
    ("bad_enum_couple_scope", _set("rules.couple_scope", "town"), "rules.couple_scope"),
    ("bad_enum_rank_cost", _set("objective", {"rank_cost": "cubic"}), "objective.rank_cost"),
    ("missing_home_province", _drop("candidates.2.home_province"),
     "candidates[2].home_province"),
    ("missing_candidate_id", _drop("candidates.1.id"), "candidates[1].id"),
    ("missing_post_programme", _drop("posts.1.programme"), "posts[1].programme"),
    ("missing_pairing_mode", _drop("rules.pairings.0.mode"), "rules.pairings[0].mode"),
    ("empty_id", _set("posts.1.id", ""), "posts[1].id"),
    ("duplicate_candidate_id", _set("candidates.2.id", "C1"), "candidates[2].id"),
    ("duplicate_post_id", _set("posts.1.id", "P1"), "posts[1].id"),
    ("duplicate_rule_id_quota_and_pairing", _set("rules.quotas.0.id", "pair_kashgar"),
     "rules.quotas[0].id"),
    ("wish_unknown_post", _set("candidates.1.wishes.0.post", "P9"),
     "candidates[1].wishes[0].post"),
    ("wish_empty", _set("candidates.0.wishes.1", {}), "candidates[0].wishes[1]"),
    ("wish_post_and_pattern", _set("candidates.0.wishes.0", {"post": "P1", "province": "XJ"}),
     "candidates[0].wishes[0]"),
    ("partner_unknown", _set("candidates.2.partner", "C9"), "candidates[2].partner"),
    ("partner_not_mutual", _set("candidates.2.partner", "C1"), "candidates[2].partner"),
    ("partner_self", _set("candidates.2.partner", "C3"), "candidates[2].partner"),
    ("share_above_one", _rules(quotas=[{**QUOTA, "min_share": 1.5}]),
     "rules.quotas[0].min_share"),
    ("share_below_zero", _rules(quotas=[{**QUOTA, "max_share": -0.1}]),
     "rules.quotas[0].max_share"),
    ("min_above_max", _rules(quotas=[{**QUOTA, "min": 3, "max": 2}]), "rules.quotas[0].min"),
    ("min_share_above_max_share", _rules(quotas=[{**QUOTA, "min_share": 0.6, "max_share": 0.4}]),
     "rules.quotas[0].min_share"),
    ("negative_min", _rules(quotas=[{**QUOTA, "min": -1}]), "rules.quotas[0].min"),
    ("capacity_negative", _set("posts.1.capacity", -1), "posts[1].capacity"),
    ("weight_zero", _set("posts.0.weight", 0), "posts[0].weight"),
    ("hardship_seven", _set("posts.0.hardship", 7), "posts[0].hardship"),
    ("candidate_service_years_four", _set("candidates.0.service_years", [4]),
     "candidates[0].service_years[0]"),
    ("post_service_years_four", _set("posts.1.service_years", [4]), "posts[1].service_years"),
    ("quota_candidate_selector_unknown",
     _rules(quotas=[{**QUOTA, "candidates": {"hometown": "SD"}}]),
     "rules.quotas[0].candidates.hometown"),
    ("quota_candidate_selector_post_attribute",
     _rules(quotas=[{**QUOTA, "candidates": {"prefecture": "Kashgar"}}]),
     "rules.quotas[0].candidates.prefecture"),
    ("quota_post_selector_unknown", _rules(quotas=[{"id": "q", "posts": {"city": "Kashgar"}}]),
     "rules.quotas[0].posts.city"),
    ("quota_post_selector_candidate_attribute",
     _rules(quotas=[{"id": "q", "posts": {"gender": "F"}}]), "rules.quotas[0].posts.gender"),
    ("pairing_destination_unknown", _set("rules.pairings.0.destinations", {"city": "Kashgar"}),
     "rules.pairings[0].destinations.city"),
    ("pairing_destination_candidate_attribute",
     _set("rules.pairings.0.destinations", {"university": "U1"}),
     "rules.pairings[0].destinations.university"),
    ("lock_unknown_candidate", _set("locks.0.candidate", "C9"), "locks[0].candidate"),
    ("lock_unknown_post", _set("locks.0.post", "P9"), "locks[0].post"),
    ("lock_over_capacity", _set("locks", [{"candidate": "C3", "post": "P2"},
                                          {"candidate": "C1", "post": "P2"}]), "locks[1].post"),
    ("candidate_locked_twice", _set("locks", [{"candidate": "C3", "post": "P2"},
                                              {"candidate": "C3", "post": "P1"}]),
     "locks[1].candidate"),
    ("lock_also_forbidden", _set("forbidden", [{"candidate": "C3", "post": "P2"}]), "locks[0]"),
    ("forbidden_unknown_post", _set("forbidden.0.post", "P9"), "forbidden[0].post"),
    ("forbidden_unknown_candidate", _set("forbidden.0.candidate", "C9"),
     "forbidden[0].candidate"),
]


def _broken(edit: Edit) -> dict[str, Any]:
    raw = copy.deepcopy(VALID)
    edit(raw)
    return raw


def _paths(source: str | dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidProblemError) as caught:
        parse_problem(source)
    assert caught.value.issues, "an InvalidProblemError must list at least one issue"
    return [issue.path for issue in caught.value.issues]


def _validate_cli(path: Path) -> Any:
    return CliRunner().invoke(app, ["validate", str(path)])


def test_base_problem_is_valid(tmp_path: Path) -> None:
    problem = parse_problem(copy.deepcopy(VALID))
    assert len(problem.candidates) == 3
    file = tmp_path / "valid.json"
    file.write_text(json.dumps(VALID), encoding="utf-8")
    result = _validate_cli(file)
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


@pytest.mark.parametrize(("edit", "path"), [(edit, path) for _, edit, path in CASES],
                         ids=[case for case, _, _ in CASES])
def test_malformed_input_names_its_path(edit: Edit, path: str, tmp_path: Path) -> None:
    raw = _broken(edit)
    assert path in _paths(raw)
    # the JSON text takes the same road as the decoded object
    assert path in _paths(json.dumps(raw))

    file = tmp_path / "broken.json"
    file.write_text(json.dumps(raw), encoding="utf-8")
    result = _validate_cli(file)
    assert result.exit_code == 2, result.output
    assert f"  {path}: " in result.stderr
    assert "Traceback" not in result.output


def test_issue_records_carry_code_and_message() -> None:
    with pytest.raises(InvalidProblemError) as caught:
        parse_problem(_broken(_set("candidates.1.wishes.0.post", "P9")))
    [issue] = caught.value.issues
    assert issue.as_dict() == {"path": "candidates[1].wishes[0].post", "code": "unknown_post",
                               "message": issue.message}
    assert "P9" in issue.message
    assert isinstance(caught.value, ValueError)  # InvalidProblemError refines ValueError


def test_duplicate_rule_id_names_both_rules() -> None:
    paths = _paths(_broken(_set("rules.quotas.0.id", "pair_kashgar")))
    assert {"rules.quotas[0].id", "rules.pairings[0].id"} <= set(paths)


def test_invalid_json(tmp_path: Path) -> None:
    text = json.dumps(VALID)[:-7]
    with pytest.raises(InvalidProblemError) as caught:
        load_problem(text)
    assert [issue.code for issue in caught.value.issues] == ["json_invalid"]
    file = tmp_path / "truncated.json"
    file.write_text(text, encoding="utf-8")
    result = _validate_cli(file)
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
    assert "Traceback" not in result.output


def test_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidProblemError):
        load_problem(tmp_path / "nowhere.json")
    result = _validate_cli(tmp_path / "nowhere.json")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_an_unknown_field_is_named_whatever_its_name() -> None:
    """Names with brackets look like pydantic's union tags in its error paths; they are
    still the field the error is about (a fuzzer's ``{"[": null}`` once made this a 500)."""
    with pytest.raises(InvalidProblemError) as caught:
        parse_problem('{"[": null, "candidates": [{"id": "C1", "home_province": "SD", '
                      '"x[y]": 2}]}')
    messages = {issue.path: issue.message for issue in caught.value.issues}
    assert messages == {"[": "unknown field '[' (SPEC forbids unknown fields)",
                        "candidates[0].x[y]": "unknown field 'x[y]' (SPEC forbids unknown "
                                              "fields)"}


def test_top_level_must_be_an_object() -> None:
    assert _paths("[1, 2, 3]") == [""]


@pytest.mark.parametrize(
    ("edits", "paths"),
    [
        pytest.param(
            [_set("colour", "red"), _set("candidates.0.degree", "bachelors"),
             _set("posts.1.hardship", 7)],
            ["colour", "candidates[0].degree", "posts[1].hardship"],
            id="three_field_errors",
        ),
        pytest.param(
            [_set("candidates.1.wishes.0.post", "P9"), _set("candidates.2.partner", "C9"),
             _set("forbidden.0.post", "P9")],
            ["candidates[1].wishes[0].post", "candidates[2].partner", "forbidden[0].post"],
            id="three_reference_errors",
        ),
    ],
)
def test_all_errors_are_reported_together(edits: list[Edit], paths: list[str],
                                          tmp_path: Path) -> None:
    raw = copy.deepcopy(VALID)
    for edit in edits:
        edit(raw)
    assert set(paths) <= set(_paths(raw))
    file = tmp_path / "three.json"
    file.write_text(json.dumps(raw), encoding="utf-8")
    result = _validate_cli(file)
    assert result.exit_code == 2
    for path in paths:
        assert f"  {path}: " in result.stderr


def test_type_errors_and_reference_errors_are_reported_together() -> None:
    raw = _broken(_set("candidates.0.degree", "bachelors"))
    _set("candidates.1.wishes.0.post", "P9")(raw)
    assert {"candidates[0].degree", "candidates[1].wishes[0].post"} <= set(_paths(raw))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_rejected(token: str) -> None:
    text = json.dumps(_broken(_set("candidates.2.score", 0))).replace(
        '"score": 0', f'"score": {token}')
    assert "candidates[2].score" in _paths(text)
