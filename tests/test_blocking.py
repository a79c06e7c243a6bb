"""Seats reserved for blockers (engines/blocking.py): rounds without envy that keep quotas
plain score order breaks."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.compile import compile_problem
from matcher.engines.blocking import blocked_rounds
from matcher.engines.keeps import envious
from matcher.engines.serial import serial_dictatorship
from matcher.objective import tier_values
from matcher.problem import Problem
from matcher.validation import parse_problem
from tests.strategies import problems


def _henan_indicator() -> Problem:
    """Post P, one seat; at most 0 candidates recruited in Henan there (soft). V (Henan,
    score 2) wishes P; B (Gansu, score 3) wishes nothing but accepts adjustment."""
    def candidate(cid: str, score: int, recruit: str, wishes: list[str]) -> dict[str, object]:
        return {"id": cid, "score": score, "home_province": recruit,
                "recruit_province": recruit, "wishes": [{"post": p} for p in wishes],
                "accept_adjustment": not wishes}
    return parse_problem({
        "schema_version": "1", "name": "indicator",
        "candidates": [candidate("B", 3, "Gansu", []), candidate("V", 2, "Henan", ["P"])],
        "posts": [{"id": "P", "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                   "programme": "education"}],
        "rules": {"respect_priority": True, "quotas": [
            {"id": "henan", "candidates": {"recruit_province": "Henan"}, "posts": {},
             "max": 0, "hard": False, "penalty": 1}]},
    })


def test_a_higher_scoring_adjuster_takes_the_seat_the_indicator_cannot_spare() -> None:
    compiled = compile_problem(_henan_indicator())
    first = serial_dictatorship(compiled)
    assert first.tolist() == [-1, 0]  # score order seats V: the indicator is broken
    rounds = blocked_rounds(compiled, first)
    assert rounds and rounds[0].tolist() == [0, -1]
    assert not envious(compiled, rounds[0]).any()
    assert tier_values(compiled, compiled.pairs(rounds[0]))["quotas"] == 0


def _single(problem: Problem) -> Problem:
    """``problem`` without couples."""
    return problem.model_copy(update={"candidates": [
        c.model_copy(update={"partner": None}) for c in problem.candidates]})


@given(problems(max_candidates=7, max_posts=4))
def test_blocked_rounds_leave_no_envy_and_keep_seats_and_eligibility(problem: Problem) -> None:
    problem = _single(problem).model_copy(update={"rules": problem.rules.model_copy(
        update={"respect_priority": True})})
    compiled = compile_problem(problem)
    for assignment in blocked_rounds(compiled, serial_dictatorship(compiled)):
        assert not envious(compiled, assignment).any()
        placed = np.flatnonzero(assignment >= 0)
        assert (np.bincount(assignment[placed], minlength=compiled.m)
                <= compiled.capacity).all()
        unlocked = placed[compiled.lock_post[placed] != assignment[placed]]
        assert compiled.compat.allowed(unlocked, assignment[unlocked]).all()
        locked = np.flatnonzero(compiled.lock_post >= 0)
        assert (assignment[locked] == compiled.lock_post[locked]).all()


@given(problems(max_candidates=7, max_posts=4), st.data())
def test_any_reservation_leaves_no_envy(problem: Problem, data: st.DataObject) -> None:
    """Whatever seats are reserved, a candidate takes one only when every post they rank is
    already full, so score order still leaves no envy (couples aside: partners choose
    together, which score order alone does not make envy-free)."""
    compiled = compile_problem(_single(problem))
    reserved = {}
    for c in np.flatnonzero(compiled.adjusts & (compiled.lock_post < 0)).tolist():
        allowed = np.flatnonzero(compiled.compat.allowed(np.full(compiled.m, c),
                                                         np.arange(compiled.m)))
        if len(allowed):
            reserved[c] = int(data.draw(st.sampled_from(allowed.tolist())))
    assignment = serial_dictatorship(compiled, reserved)
    assert not envious(compiled, assignment).any()


def test_a_reservation_waits_for_every_ranked_post_to_be_full() -> None:
    """B's reservation of P is taken only when no post B ranks has a seat left."""
    problem = _henan_indicator()
    b = problem.candidates[0].model_copy(update={"wishes": problem.candidates[1].wishes})
    posts = [*problem.posts, problem.posts[0].model_copy(update={"id": "Q"})]
    problem = problem.model_copy(update={"candidates": [b, problem.candidates[1]],
                                         "posts": posts})
    compiled = compile_problem(problem)
    # B ranks P, which has a seat at B's turn: B takes it, not the reserved Q.
    assert serial_dictatorship(compiled, {0: 1}).tolist() == [0, -1]


def test_a_seat_taken_at_its_turn_is_not_handed_down_to_fill_another() -> None:
    """A takes Q at its turn, turning F away; P is left empty (W may not hold it). Moving A
    to P and W into Q would fill P but seat W, scoring below F, where F wished to be."""
    def candidate(cid: str, score: int, degree: str, wishes: list[str]) -> dict[str, object]:
        return {"id": cid, "score": score, "home_province": "Gansu", "degree": degree,
                "wishes": [{"post": p} for p in wishes], "accept_adjustment": not wishes}

    def post(pid: str, degree: str) -> dict[str, object]:
        return {"id": pid, "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                "programme": "education", "min_degree": degree}

    problem = parse_problem({
        "schema_version": "1", "name": "reroute",
        "candidates": [candidate("A", 3, "master", []), candidate("F", 2, "master", ["Q"]),
                       candidate("W", 1, "bachelor", [])],
        "posts": [post("Q", "bachelor"), post("P", "master")],
        "rules": {"respect_priority": True},
    })
    compiled = compile_problem(problem)
    assignment = serial_dictatorship(compiled, {0: 0})
    assert assignment.tolist() == [0, -1, -1]
    assert not envious(compiled, assignment).any()


def _adjusted_blocker(stand_in_may_take_q: bool) -> Problem:
    """The Henan indicator with a second post Q and a stand-in S (Gansu, score 1, adjusts).
    Score order leaves B unplaced, gives V the seat at P and the fill puts B, the higher
    scorer, at Q; the only blocker for P is then B, already seated by adjustment."""
    problem = _henan_indicator()
    s = problem.candidates[0].model_copy(update={"id": "S", "score": 1})
    q = problem.posts[0].model_copy(update={"id": "Q"})
    return parse_problem({
        **problem.model_dump(mode="json", exclude_none=True),
        "candidates": [c.model_dump(mode="json", exclude_none=True)
                       for c in (*problem.candidates, s)],
        "posts": [p.model_dump(mode="json", exclude_none=True) for p in (*problem.posts, q)],
        "forbidden": [] if stand_in_may_take_q else [{"candidate": "S", "post": "Q"}],
    })


def test_a_blocker_seated_by_the_fill_moves_when_someone_unplaced_takes_their_seat() -> None:
    compiled = compile_problem(_adjusted_blocker(stand_in_may_take_q=True))
    first = serial_dictatorship(compiled)
    assert first.tolist() == [1, 0, -1]  # B filled into Q, V at P, S left out
    rounds = blocked_rounds(compiled, first)
    assert rounds and rounds[0].tolist() == [0, -1, 1]  # B blocks P, S takes Q
    assert not envious(compiled, rounds[0]).any()
    values = tier_values(compiled, compiled.pairs(rounds[0]))
    assert values["quotas"] == 0
    assert values["coverage"] == tier_values(compiled, compiled.pairs(first))["coverage"]


def test_a_blocker_seated_by_the_fill_stays_when_nobody_could_take_their_seat() -> None:
    """Moving B would leave Q empty (S may not hold it): a round with fewer seats filled
    is worse in the first tier than breaking the soft indicator, so B is not taken."""
    compiled = compile_problem(_adjusted_blocker(stand_in_may_take_q=False))
    first = serial_dictatorship(compiled)
    assert first.tolist() == [1, 0, -1]
    assert blocked_rounds(compiled, first) == []


def test_the_holder_a_blocked_seat_leaves_out_is_blocked_before_a_lower_one() -> None:
    """At most one from Henan. V1 (Henan, 3) holds P1 and wishes nothing else; V2 (Henan,
    2) holds P2 and wishes Q next, which Z (Gansu, 1) takes after V2's turn. Blocking the
    lowest Henan holder, V2, would only send V2 to Q; blocking V1 leaves V1 out."""
    def candidate(cid: str, score: int, recruit: str, wishes: list[str]) -> dict[str, object]:
        return {"id": cid, "score": score, "home_province": recruit,
                "recruit_province": recruit, "wishes": [{"post": p} for p in wishes],
                "accept_adjustment": not wishes}

    def post(pid: str) -> dict[str, object]:
        return {"id": pid, "capacity": 1, "province": "Gansu", "prefecture": "Lanzhou",
                "programme": "education"}

    problem = parse_problem({
        "schema_version": "1", "name": "stuck",
        "candidates": [candidate("B", 4, "Gansu", []), candidate("V1", 3, "Henan", ["P1"]),
                       candidate("V2", 2, "Henan", ["P2", "Q"]),
                       candidate("Z", 1, "Gansu", ["Q"])],
        "posts": [post("P1"), post("P2"), post("Q")],
        "rules": {"respect_priority": True, "quotas": [
            {"id": "henan", "candidates": {"recruit_province": "Henan"}, "posts": {},
             "max": 1, "hard": False, "penalty": 1}]},
    })
    compiled = compile_problem(problem)
    first = serial_dictatorship(compiled)
    assert first.tolist() == [-1, 0, 1, 2]
    rounds = blocked_rounds(compiled, first)
    assert rounds and rounds[0].tolist() == [0, -1, 1, 2]  # B blocks P1: V1 is left out
    assert not envious(compiled, rounds[0]).any()
    assert tier_values(compiled, compiled.pairs(rounds[0]))["quotas"] == 0
