"""The scenario generator: deterministic, always valid, realistic in its proportions, solvable.

Proportions are checked with tolerances wide enough for any seed (they are properties of the
generator's tables, not of one draw); timing is never asserted.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from matcher import SolveOptions, load_problem, parse_problem, solve
from matcher.generate import (
    MODEL_PATH,
    PREFECTURES,
    ProgrammeModel,
    build_map,
    generate_problem,
    load_model,
    write_problem,
)
from matcher.verify import verify

FLAGS = ("couples", "respect_priority", "crossing_quota")
WEST = set(PREFECTURES)


def switches(flags: tuple[str, ...]) -> dict[str, Any]:
    return {flag: True for flag in flags}


def compact(problem: dict[str, Any]) -> str:
    return json.dumps(problem, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture(scope="module")
def national() -> dict[str, Any]:
    """One mid-sized round with every option, shared by the proportion tests."""
    return generate_problem(4000, 7, couples=True, crossing_quota=True)


def matching_posts(wish: dict[str, str], posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if "post" in wish:
        return [p for p in posts if p["id"] == wish["post"]]
    return [p for p in posts if all(p[field] == value for field, value in wish.items())]


# --- determinism --------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_problem(generate_problem(300, 5, couples=True), first)
    write_problem(generate_problem(300, 5, couples=True), second)
    assert first.read_bytes() == second.read_bytes()


def test_different_seed_different_round() -> None:
    assert compact(generate_problem(300, 1)) != compact(generate_problem(300, 2))


def test_the_map_is_the_same_in_every_round() -> None:
    assert build_map().counties == build_map().counties
    assert 1900 <= len(build_map().counties) <= 2200


def test_write_problem_is_compact_json_that_loads(tmp_path: Path) -> None:
    problem = generate_problem(5000, 3)  # long enough lists to be written in chunks
    path = tmp_path / "round.json"
    write_problem(problem, path)
    assert path.read_text(encoding="utf-8") == compact(problem)
    assert len(load_problem(path).candidates) == 5000


# --- validity -----------------------------------------------------------------------------


@pytest.mark.parametrize("candidates", [0, 1, 2, 57, 800])
@pytest.mark.parametrize("flags", [(), FLAGS, ("couples",), ("respect_priority",),
                                   ("crossing_quota",)])
def test_always_valid(candidates: int, flags: tuple[str, ...]) -> None:
    problem = generate_problem(candidates, candidates, **switches(flags))
    parsed = parse_problem(problem)
    assert len(parsed.candidates) == candidates
    assert parsed.rules.respect_priority == ("respect_priority" in flags)


def test_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError, match="candidates"):
        generate_problem(-1)
    with pytest.raises(ValueError, match="seats_per_candidate"):
        generate_problem(10, seats_per_candidate=0)


# --- realism ------------------------------------------------------------------------------


def test_four_applicants_per_seat(national: dict[str, Any]) -> None:
    seats = sum(p["capacity"] for p in national["posts"])
    assert seats == 1000
    capacities = Counter(p["capacity"] for p in national["posts"])
    assert set(capacities) <= {1, 2, 3, 4, 5}
    assert capacities[1] + capacities[2] > 0.7 * len(national["posts"])


def test_applicants(national: dict[str, Any]) -> None:
    people = national["candidates"]
    n = len(people)
    assert 0.40 < sum(c["accept_adjustment"] for c in people) / n < 0.60
    assert 0.40 < sum(c["home_province"] in WEST for c in people) / n < 0.50
    assert all(1 <= len(c["wishes"]) <= 10 for c in people)
    assert 0 < sum(c.get("eligible", True) is False for c in people) < 0.05 * n
    scores = [c["score"] for c in people]
    assert min(scores) >= 60 and max(scores) <= 95
    assert len(set(scores)) < n / 10  # scores tie, as real ones do
    away = [c for c in people if c["recruit_province"] != c["home_province"]]
    assert 0.1 * n < len(away) < 0.4 * n


def test_couples_are_mutual_and_apply_together(national: dict[str, Any]) -> None:
    by_id = {c["id"]: c for c in national["candidates"]}
    partnered = [c for c in national["candidates"] if "partner" in c]
    assert len(partnered) == 2 * round(4000 * 0.005)
    for c in partnered:
        mate = by_id[c["partner"]]
        assert mate["partner"] == c["id"]
        assert mate["wishes"] == c["wishes"]
        assert mate["recruit_province"] == c["recruit_province"]


def test_posts(national: dict[str, Any]) -> None:
    posts = national["posts"]
    seats = sum(p["capacity"] for p in posts)
    minority = sum(p["capacity"] for p in posts if p["minority_region"]) / seats
    assert 0.5 < minority < 0.75
    assert all(p["hardship"] >= 4 for p in posts if p["province"] == "XZ")
    assert all(p["minority_region"] for p in posts if p["province"] in {"XJ", "XZ", "BT"})
    assert not any(p["minority_region"] for p in posts if p["province"] == "SN")
    assert {p["programme"] for p in posts if p["province"] == "XZ"} >= {"tibet_service"}
    assert "xinjiang_service" not in {p["programme"] for p in posts if p["province"] == "SC"}
    health = [p for p in posts if p["programme"] == "health"]
    assert sum(p.get("major_categories") == ["medicine"] for p in health) / len(health) > 0.6
    assert sum("languages" in p for p in posts) < 0.05 * len(posts)
    assert 0.7 < sum(p["project"] == "national" for p in posts) / len(posts) < 0.9
    bt = {p["prefecture"] for p in posts if p["province"] == "BT"}
    assert bt <= {f"Div{k}" for k in range(1, 15)}


def test_every_wish_names_an_existing_place(national: dict[str, Any]) -> None:
    posts = national["posts"]
    for c in national["candidates"][:200]:
        for wish in c["wishes"]:
            assert matching_posts(wish, posts), (c["id"], wish)


def test_eastern_applicants_wish_for_their_paired_regions(national: dict[str, Any]) -> None:
    posts = {p["id"]: p for p in national["posts"]}
    shandong = [c for c in national["candidates"] if c["recruit_province"] == "SD"]
    places = Counter(posts[w["post"]]["prefecture"] for c in shandong for w in c["wishes"]
                     if "post" in w and posts[w["post"]]["province"] in {"XJ", "XZ", "BT"})
    paired = {"Kashgar", "Shigatse"} | {f"Div{k}" for k in range(1, 15)}
    assert sum(places[p] for p in paired) > 0.8 * sum(places.values())


def test_rules_come_from_the_programme_model(national: dict[str, Any]) -> None:
    rules = national["rules"]
    ids = {r["id"] for r in rules["pairings"]}
    assert {"xj-pairing-kashgar", "xz-pairing-lhasa", "bt-pairing", "bt-local-bound"} <= ids
    quotas = {q["id"]: q for q in rules["quotas"]}
    target = quotas["minority-target"]
    assert target["label"] == "minority_target" and target["hard"]
    assert target["posts"] == {"minority_region": True} and target["min_share"] == 0.45
    indicators = [q for q in rules["quotas"] if q["label"] == "recruit_indicator"]
    assert indicators and all(q["hard"] and q["max"] > 0 for q in indicators)
    assert quotas["health-medicine"]["hard"] is False
    assert rules["couple_scope"] == "prefecture"
    assert national["objective"]["adjustment_cost"] == 10
    assert national["objective"]["continuity_bonus"] == 2


def test_score_first_rounds_have_soft_indicators() -> None:
    rules = generate_problem(500, 0, respect_priority=True)["rules"]
    indicators = [q for q in rules["quotas"] if q["label"] == "recruit_indicator"]
    assert indicators and not any(q["hard"] for q in indicators)


def test_model_file_is_a_valid_programme_model() -> None:
    model = load_model()
    assert model.name == "xibu_national"
    assert {p.id for p in model.programmes} >= {"xinjiang_service", "tibet_service", "health"}
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert ProgrammeModel.model_validate(raw) == model


def test_a_model_without_pairings_gives_an_open_round() -> None:
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    raw["rules"] = {"pairings": [], "quotas": []}
    problem = generate_problem(300, 0, model=raw)
    parse_problem(problem)
    assert problem["rules"]["pairings"] == []
    assert {q["label"] for q in problem["rules"]["quotas"]} == {"recruit_indicator"}


# --- solvable -----------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [(), FLAGS])
def test_small_rounds_solve_and_verify(flags: tuple[str, ...]) -> None:
    problem = parse_problem(generate_problem(100, 0, **switches(flags)))
    solution = solve(problem, SolveOptions(time_limit=60))
    assert solution.status.value == "optimal"
    assert verify(problem, solution) == []
    assert len(solution.assignments) > 15
