"""The reference optimiser on tiny problems whose optimum can be seen by hand.

One test per rule of SPEC; each comment says why the expected optimum is what it is.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given

from matcher.problem import Problem
from matcher.validation import parse_problem
from tests.bruteforce import brute_force_optimum
from tests.strategies import problems, tiny_problems


def cand(cid: str, *wishes: str | dict[str, str], **fields: Any) -> dict[str, Any]:
    """A candidate from SD wishing for the given post ids (or wish patterns)."""
    listed = [{"post": w} if isinstance(w, str) else w for w in wishes]
    return {"id": cid, "home_province": "SD", "wishes": listed, **fields}


def post(pid: str, **fields: Any) -> dict[str, Any]:
    """A one-seat post in Kashgar, Xinjiang."""
    return {"id": pid, "province": "XJ", "prefecture": "Kashgar", "programme": "health",
            **fields}


def problem(cands: list[dict[str, Any]], posts: list[dict[str, Any]], **rest: Any) -> Problem:
    return parse_problem({"candidates": cands, "posts": posts, **rest})


def checked_optimum(p: Problem) -> dict[str, Any] | None:
    """The reference optimum, after checking that every engine able to solve ``p`` reaches
    the same one (hand-made cases test the engines as much as the reference)."""
    from matcher import SolveOptions, solve
    from matcher.compile import compile_problem
    from matcher.engines.network import network_obstacles
    from matcher.verify import verify

    expected = brute_force_optimum(p)
    engines = ["cpsat", "hybrid"] + ([] if network_obstacles(compile_problem(p)) else ["flow"])
    for engine in engines:
        solution = solve(p, SolveOptions(engine=engine))
        if expected is None:
            assert solution.status == "infeasible" and solution.conflict, engine
            continue
        assert solution.status == "optimal", engine
        got = solution.objective
        assert (got.coverage, got.preferences) == (expected["coverage"],
                                                   expected["preferences"]), engine
        assert got.quotas is not None and abs(got.quotas - float(expected["quotas"])) < 1e-9
        assert verify(p, solution) == [], engine
    return expected


def optimum(cov: int, quotas: Fraction | int, prefs: int) -> dict[str, Any]:
    return {"coverage": cov, "quotas": Fraction(quotas), "preferences": prefs}


def test_capacity_limits_seats() -> None:
    # Three want P1 (2 seats), nobody accepts adjustment: two placed at rank 1.
    p = problem([cand("A", "P1"), cand("B", "P1"), cand("C", "P1")],
                [post("P1", capacity=2, weight=3)])
    assert checked_optimum(p) == optimum(6, 0, 0)


def test_capacity_zero_and_weight_prefer_heavier_post() -> None:
    # A likes P1 best, but P2 weighs more: coverage comes first, so A takes P2 at rank 2.
    p = problem([cand("A", "P1", "P2", "P3")],
                [post("P1"), post("P2", weight=3), post("P3", capacity=0, weight=5)])
    assert checked_optimum(p) == optimum(3, 0, 1)


def test_eligibility_clauses() -> None:
    # OK meets every clause of SPEC §3 for P1; each other candidate breaks exactly one.
    fit: dict[str, Any] = {"major_category": "medicine", "languages": ["ug"], "gender": "F",
                           "level": 1, "service_years": [2, 3], "degree": "master"}
    breaks: dict[str, dict[str, Any]] = {
        "NotEligible": {"eligible": False},
        "Years": {"service_years": [1]},
        "Degree": {"degree": "associate"},
        "Major": {"major_category": "law"},
        "Language": {"languages": ["bo"]},
        "Gender": {"gender": "M"},
        "Level": {"level": 0},
        "Forbidden": {},
    }
    cands = [cand("OK", "P1", **fit)]
    cands += [cand(name, "P1", **{**fit, **change}) for name, change in breaks.items()]
    cands.append(cand("Unranked", "P2", **fit))  # no wish for P1, no adjustment
    p = problem(
        cands,
        [
            post("P1", capacity=10, service_years=[2, 3], min_degree="bachelor",
                 major_categories=["medicine"], languages=["ug"], gender="F", min_level=1),
            post("P2", capacity=0),
        ],
        forbidden=[{"candidate": "Forbidden", "post": "P1"}],
    )
    assert checked_optimum(p) == optimum(1, 0, 0)


def test_adjustment_only_when_accepted() -> None:
    p = problem([cand("A", "P9", accept_adjustment=True), cand("B", "P9")],
                [post("P1", capacity=2), post("P9", capacity=0)],
                objective={"adjustment_cost": 7})
    assert checked_optimum(p) == optimum(1, 0, 7)


def test_wish_patterns_first_match_ranks() -> None:
    # Wish 1 names Lhasa (no post there), wish 2 the programme, wish 3 P1 by id: rank 2.
    p = problem([cand("A", {"prefecture": "Lhasa"}, {"programme": "health"}, "P1")],
                [post("P1")])
    assert checked_optimum(p) == optimum(1, 0, 1)


def test_pairing_exclusive() -> None:
    # XJ posts are reserved for recruits of SD; BJ's candidate is left out.
    rules = {"pairings": [{"id": "xj", "origins": ["SD"], "destinations": {"province": "XJ"},
                           "mode": "exclusive"}]}
    p = problem([cand("A", "P1", home_province="BJ"), cand("B", "P1", "P2", home_province="BJ",
                                                           recruit_province="SD")],
                [post("P1"), post("P2")], rules=rules)
    # B (recruited by SD) takes P1; A cannot hold any XJ post.
    assert checked_optimum(p) == optimum(1, 0, 0)


def test_pairing_exclusive_home_province_field() -> None:
    rules = {"pairings": [{"id": "xj", "origins": ["SD"], "origin_field": "home_province",
                           "destinations": {"province": "XJ"}, "mode": "exclusive"}]}
    # Home SD, recruited by BJ: home_province is what counts here, so A may hold P1.
    p = problem([cand("A", "P1", recruit_province="BJ")], [post("P1")], rules=rules)
    assert checked_optimum(p) == optimum(1, 0, 0)


def test_pairing_bound() -> None:
    # BJ's recruits may serve only in XZ: A (BJ) cannot take the XJ post, B (SD) is unbound.
    rules = {"pairings": [{"id": "bj", "origins": ["BJ"], "destinations": {"province": "XZ"},
                           "mode": "bound"}]}
    p = problem(
        [cand("A", "P1", "P2", home_province="BJ", score=90),
         cand("B", "P1", score=10)],
        [post("P1", weight=2), post("P2", province="XZ", prefecture="Lhasa")],
        rules=rules,
    )
    # A takes P2 at rank 2 (cost 1), B takes P1.
    assert checked_optimum(p) == optimum(3, 0, 1)


def test_hard_quota_min_forces_a_worse_wish() -> None:
    # Both prefer P1, but the hard quota needs one holder of P2: one of them takes rank 2.
    rules = {"quotas": [{"id": "need-p2", "posts": {"id": "P2"}, "min": 1}]}
    p = problem([cand("A", "P1", "P2"), cand("B", "P1", "P2")],
                [post("P1", capacity=2), post("P2")], rules=rules)
    assert checked_optimum(p) == optimum(2, 0, 1)


def test_hard_quota_max_share() -> None:
    # At most half of the placed SD candidates in minority posts; three placed, all want P1.
    rules = {"quotas": [{"id": "m", "posts": {"minority_region": True}, "max_share": 0.5}]}
    p = problem([cand("A", "P1", "P2"), cand("B", "P1", "P2"), cand("C", "P1", "P2")],
                [post("P1", capacity=3, minority_region=True), post("P2", capacity=3)],
                rules=rules)
    # N ≤ 0.5·3 → at most one in P1; two take rank 2.
    assert checked_optimum(p) == optimum(3, 0, 2)


def test_soft_share_quota_deviation_is_exact() -> None:
    # min_share 0.35 of 2 placed candidates, none can reach a minority post: deviation
    # 0.35·2 = 7/10, penalty 2 → 7/5 exactly.
    rules = {"quotas": [{"id": "minority", "label": "minority_target",
                         "posts": {"minority_region": True}, "min_share": 0.35,
                         "hard": False, "penalty": 2}]}
    p = problem([cand("A", "P1"), cand("B", "P1")], [post("P1", capacity=2),
                                                     post("P2", minority_region=True)],
                rules=rules)
    assert checked_optimum(p) == optimum(2, Fraction(7, 5), 0)


def test_soft_quota_share_base_posts() -> None:
    # U1 holders of XJ posts at most 0.25 of all XJ holders (base: posts). Two U1 candidates
    # fill the two XJ seats: N = 2, D = 2, excess 2 − 0.5 = 3/2. Leaving a seat empty costs
    # coverage, which comes first.
    rules = {"quotas": [{"id": "u1", "candidates": {"university": "U1"},
                         "posts": {"province": "XJ"}, "max_share": 0.25,
                         "share_base": "posts", "hard": False}]}
    p = problem([cand("A", "P1", university="U1"), cand("B", "P1", university="U1")],
                [post("P1", capacity=2)], rules=rules)
    assert checked_optimum(p) == optimum(2, Fraction(3, 2), 0)


def test_couples_same_prefecture() -> None:
    # Partners want different prefectures; together only in Kashgar (P1 and P3).
    p = problem(
        [cand("A", "P1", partner="B"), cand("B", "P2", "P3", partner="A")],
        [post("P1"), post("P2", prefecture="Hotan"), post("P3")],
    )
    assert checked_optimum(p) == optimum(2, 0, 1)


def test_couples_county_scope_keeps_them_apart() -> None:
    # Same prefecture, different counties, county scope: both stay unassigned.
    p = problem(
        [cand("A", "P1", partner="B"), cand("B", "P2", partner="A")],
        [post("P1", county="Shule"), post("P2", county="Yengisar")],
        rules={"couple_scope": "county"},
    )
    assert checked_optimum(p) == optimum(0, 0, 0)


def test_couples_province_scope() -> None:
    p = problem(
        [cand("A", "P1", partner="B"), cand("B", "P2", partner="A")],
        [post("P1"), post("P2", prefecture="Hotan")],
        rules={"couple_scope": "province"},
    )
    assert checked_optimum(p) == optimum(2, 0, 0)


def test_couples_county_scope_compares_the_whole_location() -> None:
    # Reading of SPEC: "the same county" compares (province, prefecture, county), null as a
    # value. Two posts without a county in different provinces are not in the same county
    # (else county scope would be looser than province scope); the same post always is.
    apart = problem(
        [cand("A", "P1", partner="B"), cand("B", "P2", partner="A")],
        [post("P1"), post("P2", province="XZ", prefecture="Lhasa")],
        rules={"couple_scope": "county"},
    )
    assert checked_optimum(apart) == optimum(0, 0, 0)
    together = problem(
        [cand("A", "P1", partner="B"), cand("B", "P1", partner="A")],
        [post("P1", capacity=2)],
        rules={"couple_scope": "county"},
    )
    assert checked_optimum(together) == optimum(2, 0, 0)


def test_bound_rules_of_both_origin_fields_add_up() -> None:
    # Reading of SPEC: A (home XJ, recruited by SD) is bound by both rules, each through its
    # own origin_field, and may hold what either allows: P1 (Kashgar) or P2 (Lhasa), not P3.
    rules = {"pairings": [
        {"id": "sd", "origins": ["SD"], "destinations": {"prefecture": "Kashgar"},
         "mode": "bound"},
        {"id": "xj", "origins": ["XJ"], "origin_field": "home_province",
         "destinations": {"prefecture": "Lhasa"}, "mode": "bound"},
    ]}
    p = problem(
        [cand("A", "P3", "P2", "P1", home_province="XJ", recruit_province="SD")],
        [post("P1"), post("P2", province="XZ", prefecture="Lhasa"),
         post("P3", prefecture="Hotan")],
        rules=rules,
    )
    assert checked_optimum(p) == optimum(1, 0, 1)


def test_lock_holds_a_seat_and_counts_in_every_tier() -> None:
    # L is locked to P1 though ineligible and without a wish for it: adjustment cost 10,
    # its seat is gone, so A falls back to P2.
    p = problem(
        [cand("L", "P2", eligible=False), cand("A", "P1", "P2")],
        [post("P1", weight=2), post("P2")],
        locks=[{"candidate": "L", "post": "P1"}],
    )
    assert checked_optimum(p) == optimum(3, 0, 10 + 1)


def test_respect_priority_score_first() -> None:
    # Both want P1 alone; Low earns a home bonus there, so without priority Low gets it.
    cands = [cand("High", "P1", score=90), cand("Low", "P1", score=80, home_province="XJ")]
    objective = {"home_bonus": 4}
    free = problem(cands, [post("P1")], objective=objective)
    assert checked_optimum(free) == optimum(1, 0, -4)
    fair = problem(cands, [post("P1")], objective=objective, rules={"respect_priority": True})
    assert checked_optimum(fair) == optimum(1, 0, 0)


def test_respect_priority_forbids_leaving_a_wanted_seat_empty() -> None:
    # Preferences first would leave A unassigned (cost 0 < 10 + ...); A ranks P1 and may hold
    # it, so P1 must be full: A takes it.
    cands = [cand("A", "P9", "P1", accept_adjustment=True)]
    posts = [post("P1"), post("P9", capacity=0)]
    objective = {"order": ["preferences", "coverage", "quotas"]}
    assert checked_optimum(problem(cands, posts, objective=objective)) == optimum(0, 0, 0)
    fair = problem(cands, posts, objective=objective, rules={"respect_priority": True})
    assert checked_optimum(fair) == optimum(1, 0, 1)


def test_respect_priority_locked_holder_counts_for_fullness_only() -> None:
    # P1 is full with a lower-scored locked holder: no envy towards a lock, so A may stay out.
    p = problem(
        [cand("L", "P1", score=10), cand("A", "P1", score=90)],
        [post("P1")],
        locks=[{"candidate": "L", "post": "P1"}],
        rules={"respect_priority": True},
    )
    assert checked_optimum(p) == optimum(1, 0, 0)


def test_respect_priority_ties_are_not_envy() -> None:
    # Equal scores: whoever holds P1 has score ≥ the other's, so the bonus decides.
    cands = [cand("A", "P1", score=70), cand("B", "P1", score=70, home_province="XJ")]
    p = problem(cands, [post("P1")], objective={"home_bonus": 2},
                rules={"respect_priority": True})
    assert checked_optimum(p) == optimum(1, 0, -2)


def test_quadratic_rank_cost() -> None:
    cands = [cand("A", "P8", "P9", "P1")]
    posts = [post("P1"), post("P8", capacity=0), post("P9", capacity=0)]
    assert checked_optimum(problem(cands, posts)) == optimum(1, 0, 2)
    quadratic = problem(cands, posts, objective={"rank_cost": "quadratic"})
    assert checked_optimum(quadratic) == optimum(1, 0, 4)


def test_bonuses_add_up_and_need_a_real_match() -> None:
    objective = {"home_bonus": 1, "fit_bonus": 2, "continuity_bonus": 4}
    p = problem(
        [cand("A", "P1", home_province="XJ", major_category="medicine", university="U1"),
         # no university and no major: no continuity or fit bonus from nulls
         cand("B", "P2")],
        [post("P1", preferred_major_categories=["medicine"], continuity_university="U1"),
         post("P2", continuity_university=None)],
        objective=objective,
    )
    assert checked_optimum(p) == optimum(2, 0, -7)


def test_objective_order_changes_the_optimum() -> None:
    # One adjusted seat: coverage first takes it (cost 10); preferences first leaves it.
    cands = [cand("A", "P9", accept_adjustment=True)]
    posts = [post("P1"), post("P9", capacity=0)]
    assert checked_optimum(problem(cands, posts)) == optimum(1, 0, 10)
    prefs_first = problem(cands, posts, objective={"order": ["preferences", "coverage",
                                                             "quotas"]})
    assert checked_optimum(prefs_first) == optimum(0, 0, 0)


def test_quotas_before_coverage() -> None:
    # A soft cap of one U1 holder: with quotas first, the second seat stays empty.
    rules = {"quotas": [{"id": "cap", "candidates": {"university": "U1"}, "max": 1,
                         "hard": False, "penalty": 3}]}
    cands = [cand("A", "P1", university="U1"), cand("B", "P1", university="U1")]
    posts = [post("P1", capacity=2)]
    assert checked_optimum(problem(cands, posts, rules=rules)) == optimum(2, 3, 0)
    first = problem(cands, posts, rules=rules,
                    objective={"order": ["quotas", "coverage", "preferences"]})
    assert checked_optimum(first) == optimum(1, 0, 0)


def test_infeasible_hard_quota() -> None:
    rules = {"quotas": [{"id": "two", "posts": {}, "min": 2}]}
    p = problem([cand("A", "P1")], [post("P1", capacity=2)], rules=rules)
    assert checked_optimum(p) is None


def test_infeasible_lock_against_hard_max() -> None:
    rules = {"quotas": [{"id": "none", "posts": {"id": "P1"}, "max": 0}]}
    p = problem([cand("A", "P1")], [post("P1")], rules=rules,
                locks=[{"candidate": "A", "post": "P1"}])
    assert checked_optimum(p) is None


def test_infeasible_priority_against_couple() -> None:
    # A ranks P1 (free seat) but A's partner can hold nothing: A must stay out, yet P1 would
    # then have to be full. Nobody else can fill it.
    p = problem(
        [cand("A", "P1", partner="B"), cand("B", "P9", partner="A")],
        [post("P1"), post("P9", capacity=0)],
        rules={"respect_priority": True},
    )
    assert checked_optimum(p) is None


@pytest.mark.parametrize("strategy", [tiny_problems(), problems()], ids=["tiny", "full"])
def test_strategies_build_valid_problems(strategy: Any) -> None:
    @given(strategy)
    def check(p: Problem) -> None:
        assert 1 <= len(p.candidates) <= 7 and 1 <= len(p.posts) <= 4
        result = brute_force_optimum(p)
        if result is not None:
            assert result["coverage"] >= 0 and result["quotas"] >= 0

    check()
