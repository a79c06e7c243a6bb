"""verify.py against hand-built problems: a correct solution passes, each mutation is caught."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest

from matcher.problem import Problem
from matcher.solution import Assignment, QuotaReport, Solution, TierValues, Unassigned
from matcher.validation import parse_problem
from matcher.verify import Violation, evaluate, matches, rank_of, verify

# Five candidates, four posts. C1 and C2 are a couple; C3 speaks Uyghur for the XJ post.
BASE: dict[str, Any] = {
    "name": "tiny",
    "candidates": [
        {"id": "C1", "home_province": "SD", "score": 90, "partner": "C2",
         "wishes": [{"post": "P1"}, {"prefecture": "SD02"}]},
        {"id": "C2", "home_province": "SD", "score": 85, "partner": "C1",
         "wishes": [{"post": "P2"}, {"province": "XJ"}]},
        {"id": "C3", "home_province": "XJ", "score": 70, "languages": ["ug"],
         "wishes": [{"post": "P4"}]},
        {"id": "C4", "home_province": "HB", "score": 60, "accept_adjustment": True,
         "wishes": [{"post": "P3"}]},
        {"id": "C5", "home_province": "HB", "score": 50, "degree": "associate",
         "wishes": [{"province": "SD", "programme": "edu", "prefecture": "SD02"}]},
    ],
    "posts": [
        {"id": "P1", "province": "SD", "prefecture": "SD01", "county": "K1", "programme": "edu"},
        {"id": "P2", "province": "SD", "prefecture": "SD01", "county": "K2",
         "programme": "health"},
        {"id": "P3", "province": "SD", "prefecture": "SD02", "programme": "edu", "capacity": 2},
        {"id": "P4", "province": "XJ", "prefecture": "XJ01", "programme": "edu", "weight": 3,
         "languages": ["ug"], "minority_region": True},
    ],
}
GOOD = [("C1", "P1"), ("C2", "P2"), ("C3", "P4"), ("C4", "P3"), ("C5", "P3")]


def problem(**changes: Any) -> Problem:
    """BASE with top-level sections replaced or, for ``rules``, merged."""
    raw = copy.deepcopy(BASE)
    rules = changes.pop("rules", {})
    raw.update(changes)
    raw["rules"] = rules
    return parse_problem(raw)


def edit(prob: Problem, kind: str, item_id: str, **fields: Any) -> Problem:
    """A copy of ``prob`` with fields of one candidate or post changed."""
    raw = prob.model_dump(exclude_none=True)
    for item in raw[kind]:
        if item["id"] == item_id:
            item.update(fields)
    return parse_problem(raw)


def solution_for(prob: Problem, pairs: list[tuple[str, str]], status: str = "feasible") -> Solution:
    """A solution for ``pairs`` whose reported fields are all consistent with ``prob``.

    Used to build mutations that break exactly one rule; the hand-written solution in
    :func:`test_hand_written_solution_verifies` checks these fields independently.
    """
    candidates = {c.id: c for c in prob.candidates}
    posts = {p.id: p for p in prob.posts}
    locks = {(lock.candidate, lock.post) for lock in prob.locks}
    assignments = []
    for cid, pid in pairs:
        rank = rank_of(candidates[cid], posts[pid]) if cid in candidates and pid in posts else None
        locked = (cid, pid) in locks
        assignments.append(Assignment(candidate=cid, post=pid, rank=rank,
                                      adjusted=rank is None and not locked, locked=locked))
    assigned = {cid for cid, _ in pairs}
    known = [(c, p) for c, p in pairs if c in candidates and p in posts]
    ev = evaluate(prob, known)
    tiers = TierValues(coverage=ev.coverage, quotas=float(ev.quotas), preferences=ev.preferences)
    return Solution(
        problem=prob.name, status=status, objective=tiers,
        bound=tiers if status == "optimal" else TierValues(),
        assignments=assignments,
        unassigned=[Unassigned(candidate=c.id) for c in prob.candidates if c.id not in assigned],
        quotas=[QuotaReport(id=q, count=v.count, base=v.base, deviation=float(v.deviation),
                            satisfied=v.satisfied) for q, v in ev.per_quota.items()],
        solver={"engine": "hand", "time_s": 0.0},
    )


def codes(violations: list[Violation]) -> list[str]:
    return sorted(v.code for v in violations)


def moved(pairs: list[tuple[str, str]], **to: str | None) -> list[tuple[str, str]]:
    """``pairs`` with some candidates moved (``C5="P1"``) or unassigned (``C5=None``)."""
    out = [(c, p) for c, p in pairs if c not in to]
    return out + [(c, p) for c, p in to.items() if p is not None]


# --- the correct solution ---------------------------------------------------------------


def test_hand_written_solution_verifies() -> None:
    prob = problem(rules={"quotas": [
        {"id": "minority", "posts": {"minority_region": True}, "min_share": 0.35,
         "hard": False, "penalty": 2},
        {"id": "hb_edu", "candidates": {"home_province": "HB"}, "posts": {"programme": "edu"},
         "max": 2},
    ]})
    # minority: N=1, D=5, 0.35·5 = 1.75 → deviation 0.75, cost 1.5.
    solution = Solution.model_validate({
        "problem": "tiny", "status": "optimal",
        "objective": {"coverage": 7, "quotas": 1.5, "preferences": 0},
        "bound": {"coverage": 7, "quotas": 1.5, "preferences": 0},
        "assignments": [
            {"candidate": c, "post": p, "rank": 1, "adjusted": False, "locked": False}
            for c, p in GOOD
        ],
        "unassigned": [],
        "quotas": [
            {"id": "minority", "count": 1, "base": 5, "deviation": 0.75, "satisfied": False},
            {"id": "hb_edu", "count": 2, "base": 2, "deviation": 0.0, "satisfied": True},
        ],
        "solver": {"engine": "hand", "time_s": 0.0},
    })
    assert verify(prob, solution) == []


def test_consistent_helper_verifies() -> None:
    assert verify(problem(), solution_for(problem(), GOOD, "optimal")) == []


# --- identity and flags --------------------------------------------------------------------


def test_missing_and_duplicate_candidates() -> None:
    prob = problem()
    solution = solution_for(prob, GOOD)
    dropped = solution.model_copy(update={"assignments": solution.assignments[:-1]})
    assert "missing_candidate" in codes(verify(prob, dropped))
    twice = solution.model_copy(update={"unassigned": [Unassigned(candidate="C5")]})
    assert codes(verify(prob, twice)) == ["duplicate_candidate"]


def test_unknown_ids() -> None:
    prob = problem()
    wrong = solution_for(prob, moved(GOOD, C5="P9"))
    wrong.unassigned.append(Unassigned(candidate="C9"))
    assert codes(verify(prob, wrong)) == ["unknown_id", "unknown_id"]


def _with_assignment(solution: Solution, candidate: str, **fields: Any) -> Solution:
    assignments = [a.model_copy(update=fields) if a.candidate == candidate else a
                   for a in solution.assignments]
    return solution.model_copy(update={"assignments": assignments})


def test_wrong_rank_adjusted_locked_flags() -> None:
    prob = problem(locks=[{"candidate": "C5", "post": "P3"}])
    good = solution_for(prob, GOOD)
    assert verify(prob, good) == []
    assert codes(verify(prob, _with_assignment(good, "C1", rank=2))) == ["wrong_rank"]
    assert codes(verify(prob, _with_assignment(good, "C4", adjusted=True))) == ["wrong_adjusted"]
    assert codes(verify(prob, _with_assignment(good, "C5", locked=False))) == ["wrong_locked"]
    assert codes(verify(prob, _with_assignment(good, "C1", locked=True))) == ["wrong_locked"]


def test_adjusted_assignment_must_say_so() -> None:
    prob = edit(problem(rules={"couple_scope": "province"}), "posts", "P3", capacity=1)
    pairs = moved(GOOD, C5=None, C4="P1", C1="P3")  # C4 accepts adjustment; P1 not wished
    good = solution_for(prob, pairs)
    assert [(a.rank, a.adjusted) for a in good.assignments if a.candidate == "C4"] == [
        (None, True)]
    assert verify(prob, good) == []
    assert codes(verify(prob, _with_assignment(good, "C4", adjusted=False))) == [
        "wrong_adjusted"]
    assert codes(verify(prob, _with_assignment(good, "C4", rank=1))) == ["wrong_rank"]


# --- placement rules -----------------------------------------------------------------------


def test_capacity_exceeded() -> None:
    prob = problem()
    assert codes(verify(prob, solution_for(prob, [*GOOD, ("C4", "P1")]))) == [
        "capacity", "duplicate_candidate"]
    assert codes(verify(prob, solution_for(prob, moved(GOOD, C4="P1")))) == ["capacity"]


def test_lock_dropped() -> None:
    prob = problem(locks=[{"candidate": "C5", "post": "P3"}])
    assert codes(verify(prob, solution_for(prob, moved(GOOD, C5=None)))) == ["lock_missing"]


def test_lock_need_not_be_eligible_but_counts_everywhere() -> None:
    # C5 (associate) is locked to a bachelor-only post: fine for the lock, not for anyone else.
    prob = edit(problem(locks=[{"candidate": "C5", "post": "P3"}]), "posts", "P3",
                min_degree="bachelor")
    assert verify(prob, solution_for(prob, GOOD)) == []
    unlocked = edit(problem(), "posts", "P3", min_degree="bachelor")
    assert codes(verify(unlocked, solution_for(unlocked, GOOD))) == ["not_eligible"]


def test_forbidden_pair() -> None:
    prob = problem(forbidden=[{"candidate": "C1", "post": "P1"}])
    assert codes(verify(prob, solution_for(prob, GOOD))) == ["forbidden"]


def test_ineligible_language_and_unwished_post() -> None:
    prob = edit(problem(), "candidates", "C3", languages=[])
    assert codes(verify(prob, solution_for(prob, GOOD))) == ["not_eligible"]
    # C5 neither wishes P1 nor accepts adjustment.
    prob = edit(problem(), "posts", "P1", capacity=2)
    assert codes(verify(prob, solution_for(prob, moved(GOOD, C5="P1")))) == ["not_eligible"]


def test_pairing_exclusive_uses_origin_field() -> None:
    rule = {"id": "aid_xj", "origins": ["XJ"], "destinations": {"province": "XJ"},
            "mode": "exclusive"}
    prob = problem(rules={"pairings": [rule]})
    assert verify(prob, solution_for(prob, GOOD)) == []
    # Recruited in BJ: by recruit_province (the default) C3 is no longer from XJ.
    recruited = edit(prob, "candidates", "C3", recruit_province="BJ")
    assert codes(verify(recruited, solution_for(recruited, GOOD))) == ["pairing"]
    by_home = problem(rules={"pairings": [{**rule, "origin_field": "home_province"}]})
    by_home = edit(by_home, "candidates", "C3", recruit_province="BJ")
    assert verify(by_home, solution_for(by_home, GOOD)) == []


def test_pairing_bound() -> None:
    rule = {"id": "hb_to_sd01", "origins": ["HB"], "destinations": {"prefecture": "SD01"},
            "mode": "bound"}
    prob = problem(rules={"pairings": [rule]})
    # C4 and C5 come from HB but serve in SD02.
    assert codes(verify(prob, solution_for(prob, GOOD))) == ["pairing", "pairing"]
    # Both modes broken at once: each is its own violation.
    reserved = {"id": "sd02_for_xj", "origins": ["XJ"], "destinations": {"prefecture": "SD02"},
                "mode": "exclusive"}
    prob = problem(rules={"pairings": [rule, reserved]})
    assert codes(verify(prob, solution_for(prob, GOOD))) == ["pairing"] * 4
    second = {"id": "hb_to_sd02", "origins": ["HB"], "destinations": {"prefecture": "SD02"},
              "mode": "bound"}
    prob = problem(rules={"pairings": [rule, second]})
    assert verify(prob, solution_for(prob, GOOD)) == []


def test_couple_split() -> None:
    prob = problem()
    pairs = moved(GOOD, C1="P3", C5=None)  # C1 in SD02, partner C2 in SD01
    assert codes(verify(prob, solution_for(prob, pairs))) == ["couple_split"]
    same_province = problem(rules={"couple_scope": "province"})
    assert verify(same_province, solution_for(same_province, pairs)) == []
    by_county = problem(rules={"couple_scope": "county"})
    assert codes(verify(by_county, solution_for(by_county, GOOD))) == ["couple_split"]
    alone = moved(GOOD, C2=None)
    assert codes(verify(prob, solution_for(prob, alone))) == ["couple_split"]
    assert verify(prob, solution_for(prob, moved(GOOD, C1=None, C2=None))) == []


def test_hard_quota_count_and_share() -> None:
    count = {"id": "xj_two", "posts": {"province": "XJ"}, "min": 2}
    prob = problem(rules={"quotas": [count]})
    assert codes(verify(prob, solution_for(prob, GOOD))) == ["quota_hard"]
    # HB candidates: both in edu posts, N=2 of D=2 > 0.5·2.
    share = {"id": "hb_edu", "candidates": {"home_province": "HB"},
             "posts": {"programme": "edu"}, "max_share": 0.5}
    prob = problem(rules={"quotas": [share]})
    assert codes(verify(prob, solution_for(prob, GOOD))) == ["quota_hard"]
    assert verify(prob, solution_for(prob, moved(GOOD, C5=None, C4=None))) == []
    soft = problem(rules={"quotas": [{**share, "hard": False}]})
    assert verify(soft, solution_for(soft, GOOD)) == []


# --- priority --------------------------------------------------------------------------------


def test_justified_envy() -> None:
    prob = edit(problem(rules={"respect_priority": True}), "posts", "P3", capacity=1)
    assert verify(prob, solution_for(prob, moved(GOOD, C5=None))) == []
    # C4 (60) is unassigned while C5 (50) holds C4's first wish.
    assert codes(verify(prob, solution_for(prob, moved(GOOD, C4=None)))) == ["priority_envy"]
    tie = edit(prob, "candidates", "C5", score=60.0)
    assert verify(tie, solution_for(tie, moved(GOOD, C4=None))) == []  # equal score: no envy
    # A free seat C4 wishes for is envy too.
    roomy = problem(rules={"respect_priority": True})
    assert codes(verify(roomy, solution_for(roomy, moved(GOOD, C4=None)))) == ["priority_envy"]
    # A locked lower-scored holder only fills the seat.
    locked = edit(problem(rules={"respect_priority": True},
                          locks=[{"candidate": "C5", "post": "P3"}]), "posts", "P3", capacity=1)
    assert verify(locked, solution_for(locked, moved(GOOD, C4=None))) == []


def test_envy_from_a_worse_ranked_post() -> None:
    prob = edit(problem(rules={"respect_priority": True, "couple_scope": "province"}),
                "posts", "P3", capacity=1)
    # C1 (90) wishes P1 first but holds P3 (rank 2) while C4 (60) takes P1 by adjustment.
    pairs = moved(GOOD, C1="P3", C5=None, C4="P1")
    assert codes(verify(prob, solution_for(prob, pairs))) == ["priority_envy"]
    # Swapping them removes the envy: C4 prefers ranked P3 to adjusted P1, but C1 outscores C4.
    assert codes(verify(prob, solution_for(prob, moved(pairs, C1="P1", C4="P3")))) == []


# --- objective, quota reports, status ------------------------------------------------------


def test_objective_mismatch() -> None:
    prob = problem()
    good = solution_for(prob, GOOD)
    off = good.model_copy(update={"objective": TierValues(coverage=6, quotas=0.0,
                                                          preferences=0)})
    assert codes(verify(prob, off)) == ["objective_mismatch"]
    close = good.model_copy(update={"objective": TierValues(coverage=7, quotas=1e-9,
                                                            preferences=0)})
    assert verify(prob, close) == []


def test_quota_report_wrong() -> None:
    prob = problem(rules={"quotas": [{"id": "q", "posts": {"province": "XJ"}, "max": 0,
                                      "hard": False}]})
    good = solution_for(prob, GOOD)
    assert verify(prob, good) == []
    report = good.quotas[0]
    for bad in ({"count": 2}, {"base": 4}, {"deviation": 0.5}, {"satisfied": True}):
        wrong = good.model_copy(update={"quotas": [report.model_copy(update=bad)]})
        assert codes(verify(prob, wrong)) == ["quota_report"], bad
    assert codes(verify(prob, good.model_copy(update={"quotas": []}))) == ["quota_report"]


def test_optimal_bound_must_equal_objective() -> None:
    prob = problem()
    good = solution_for(prob, GOOD, "optimal")
    loose = good.model_copy(update={"bound": TierValues(coverage=8, quotas=0.0, preferences=0)})
    assert codes(verify(prob, loose)) == ["bound"]
    assert verify(prob, loose.model_copy(update={"status": "feasible"})) == []


def test_objective_never_beats_bound_lexicographically() -> None:
    prob = problem()
    good = solution_for(prob, GOOD)
    beaten = good.model_copy(update={"bound": TierValues(coverage=6)})
    assert codes(verify(prob, beaten)) == ["bound"]
    # Coverage strictly inside its bound: later tiers are not constrained by their bounds.
    later = good.model_copy(update={"bound": TierValues(coverage=8, quotas=0.0, preferences=5)})
    assert verify(prob, later) == []
    tied = good.model_copy(update={"bound": TierValues(coverage=7, quotas=0.0, preferences=5)})
    assert codes(verify(prob, tied)) == ["bound"]


def test_infeasible_and_unknown_status() -> None:
    prob = problem()
    empty = solution_for(prob, [], "infeasible")
    assert codes(verify(prob, empty)) == ["infeasible_report"]
    assert verify(prob, empty.model_copy(update={"conflict": ["couple:C1"]})) == []
    unknown = solution_for(prob, [], "unknown")
    assert verify(prob, unknown) == []
    assert codes(verify(prob, unknown.model_copy(update={"unassigned": []}))) == [
        "missing_candidate"] * 5


# --- selectors, ranks and evaluate -----------------------------------------------------------


def test_selectors_and_ranks() -> None:
    prob = edit(problem(), "candidates", "C1", tags=["party_member"])
    c1, c5 = prob.candidates[0], prob.candidates[4]
    p3, p4 = prob.posts[2], prob.posts[3]
    assert matches({}, c1)
    assert matches({"tags": ["student_leader", "party_member"]}, c1)
    assert not matches({"tags": "student_leader"}, c1)
    assert matches({"home_province": ["HB", "SD"], "recruit_province": "SD"}, c1)
    assert not matches({"home_province": "SD", "degree": "master"}, c1)
    assert matches({"minority_region": True, "hardship": 0}, p4)
    assert not matches({"hardship": False}, p4)  # false is not the number 0
    assert rank_of(c5, p3) == 1 and rank_of(c5, p4) is None
    assert rank_of(c1, p3) == 2


def test_evaluate_quadratic_costs_bonuses_and_fraction_shares() -> None:
    prob = parse_problem({
        "candidates": [
            {"id": "D1", "home_province": "SD", "university": "U1",
             "major_category": "medicine",
             "wishes": [{"post": "Q2"}, {"province": "SD", "programme": "health"},
                        {"prefecture": "SD01"}]},
            {"id": "D2", "home_province": "XJ", "wishes": [{"post": "Q2"}]},
            {"id": "D3", "home_province": "HB", "major_category": "medicine",
             "accept_adjustment": True, "wishes": [{"post": "Q2"}]},
        ],
        "posts": [
            {"id": "Q1", "province": "SD", "prefecture": "SD01", "programme": "edu",
             "weight": 2, "preferred_major_categories": ["medicine"],
             "continuity_university": "U1"},
            {"id": "Q2", "province": "XJ", "prefecture": "XJ01", "programme": "health",
             "weight": 5, "capacity": 2},
            {"id": "Q3", "province": "SD", "prefecture": "SD02", "programme": "edu"},
        ],
        "rules": {"quotas": [
            {"id": "xj_share", "posts": {"province": "XJ"}, "min_share": 0.35,
             "hard": False, "penalty": 3},
            {"id": "sd_home", "candidates": {"home_province": "SD"},
             "posts": {"province": "SD"}, "share_base": "posts", "max_share": 0.35,
             "max": 0, "hard": False},
            {"id": "hard_min", "min": 5},
        ]},
        "objective": {"rank_cost": "quadratic", "adjustment_cost": 7, "home_bonus": 1,
                      "fit_bonus": 2, "continuity_bonus": 3},
    })
    ev = evaluate(prob, [("D1", "Q1"), ("D2", "Q2"), ("D3", "Q3")])
    assert ev.coverage == 2 + 5 + 1
    # D1 at Q1: rank 3 → (3−1)² = 4, less home 1, fit 2, continuity 3 → −2.
    # D2 at Q2: rank 1 → 0, less home 1 → −1.   D3 at Q3: adjusted → 7 (Q3 prefers nothing).
    assert ev.preferences == -2 - 1 + 7
    # xj_share: N=1, D=3, 0.35·3 = 21/20 → deviation 1/20, ×3.
    xj = ev.per_quota["xj_share"]
    assert (xj.count, xj.base, xj.deviation, xj.satisfied) == (1, 3, Fraction(1, 20), False)
    # sd_home: N=1 (D1 at Q1), D=2 (Q1, Q3 assigned) → 1 − 0.7 = 3/10, plus 1 over max 0.
    sd = ev.per_quota["sd_home"]
    assert (sd.count, sd.base, sd.deviation) == (1, 2, Fraction(13, 10))
    # The hard quota has a deviation but does not enter the quotas tier.
    assert ev.per_quota["hard_min"].deviation == 2
    assert not ev.per_quota["hard_min"].satisfied
    assert ev.quotas == Fraction(3, 20) + Fraction(13, 10)


@pytest.mark.parametrize("name", ["other", ""])
def test_solution_for_another_problem(name: str) -> None:
    prob = problem()
    other = solution_for(prob, GOOD).model_copy(update={"problem": name})
    assert codes(verify(prob, other)) == ["problem_name"]
