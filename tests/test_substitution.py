"""Stand-ins for candidates the network's shared routes placed wrongly (substitution.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.compile import compile_problem
from matcher.engines.substitution import substitutes
from matcher.validation import parse_problem

_PLACE = {"province": "XJ", "prefecture": "Kashgar", "programme": "basic_education"}
_FIFTH_IS_P0 = ("P1", "P2", "P3", "P4", "P0")


def _problem(**extra: Any) -> Any:
    """S holds P0 by adjustment. H-other recruits elsewhere (another quota count), H-wish
    ranks P0 fifth (quadratic: 16, dearer than adjustment), N does not accept adjustment, and
    H-same is a plain stand-in."""
    def cand(cid: str, recruit: str, **fields: Any) -> dict[str, Any]:
        return {"id": cid, "home_province": "SD", "recruit_province": recruit,
                "accept_adjustment": True, "wishes": [{"post": "P1"}], **fields}

    return parse_problem({
        "candidates": [cand("S", "SD"), cand("H-other", "HA"),
                       cand("H-wish", "SD", wishes=[{"post": p} for p in _FIFTH_IS_P0]),
                       cand("N", "SD", accept_adjustment=False),
                       cand("H-same", "SD")],
        "posts": [{"id": p, **_PLACE} for p in _FIFTH_IS_P0],
        "rules": {"quotas": [{"id": "sd", "candidates": {"recruit_province": "SD"},
                              "posts": {}, "max": 3}]},
        "objective": {"rank_cost": "quadratic"},
        **extra,
    })


def _stand_in(problem: Any, limit: int) -> str | None:
    compiled = compile_problem(problem)
    assignment = np.full(compiled.n, -1, dtype=np.int64)
    assignment[0] = [post.id for post in problem.posts].index("P0")  # S at P0
    found = substitutes(compiled, assignment, np.array([0]), np.array([limit]))
    return None if found[0] < 0 else problem.candidates[int(found[0])].id


def test_the_stand_in_counts_alike_accepts_adjustment_and_costs_no_more() -> None:
    assert _stand_in(_problem(), limit=10) == "H-same"


def test_no_stand_in_costs_less_than_adjustment() -> None:
    assert _stand_in(_problem(), limit=9) is None


def test_a_forbidden_pair_is_no_stand_in() -> None:
    forbidden = [{"candidate": "H-same", "post": "P0"}]
    assert _stand_in(_problem(forbidden=forbidden), limit=10) is None


def test_a_wish_sets_the_stand_ins_cost() -> None:
    """With H-same gone, H-wish is the only candidate counted alike who accepts adjustment;
    its fifth wish costs (5 − 1)² = 16 with quadratic ranks."""
    problem = _problem()
    problem = problem.model_copy(update={"candidates": problem.candidates[:4]})
    assert _stand_in(problem, limit=16) == "H-wish"
    assert _stand_in(problem, limit=15) is None


def test_out_of_time_the_round_is_mended_and_bounded_by_the_relaxation() -> None:
    """As if the relaxation had put S on a forbidden post with no time left: with a stand-in
    the mended round meets the relaxation's value (optimal). Without one at no more cost,
    the cheapest candidate counted alike takes the post at any cost (H-same, adjusted, 10,
    before H-wish's fifth wish, 16); with nobody, S is unplaced and the round is feasible,
    bounded by the relaxation's coverage."""
    from matcher.engines.base import EngineResult
    from matcher.engines.flow import _out_of_time
    from matcher.solution import Status

    def out_of_time(problem: Any, stand_in: int) -> EngineResult:
        compiled = compile_problem(problem)
        placed = np.full(compiled.n, -1, dtype=np.int64)
        placed[0] = [post.id for post in problem.posts].index("P0")
        relaxation = EngineResult(Status.optimal, placed, engine="flow", note="")
        return _out_of_time(compiled, relaxation, np.array([0]), np.array([True]),
                            np.array([stand_in]))

    problem = _problem(forbidden=[{"candidate": "S", "post": "P0"}])
    p0 = [post.id for post in problem.posts].index("P0")
    for stand_in in (4, -1):
        mended = out_of_time(problem, stand_in)
        assert mended.status is Status.optimal and mended.assignment is not None
        assert mended.assignment.tolist() == [-1, -1, -1, -1, p0]

    alone = problem.model_copy(update={"candidates": [problem.candidates[0],
                                                      problem.candidates[3]]})
    unplaced = out_of_time(alone, -1)
    assert unplaced.status is Status.feasible and unplaced.assignment is not None
    assert (unplaced.assignment < 0).all()
    assert unplaced.bound == {"coverage": 1}
