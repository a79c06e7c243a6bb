"""The array checks of a round (engines/keeps.py) against the verifier, which reads SPEC."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.compile import compile_problem
from matcher.engines.keeps import envious, keeps_every_rule
from matcher.problem import Problem
from matcher.solution import Assignment
from matcher.verify import _couples, _priority, is_eligible
from tests.strategies import problems


def _placed(problem: Problem, assignment: np.ndarray) -> list[tuple]:
    locks = {(lock.candidate, lock.post) for lock in problem.locks}
    placed = []
    for c, p in enumerate(assignment.tolist()):
        if p >= 0:
            cand, post = problem.candidates[c], problem.posts[p]
            held = Assignment(candidate=cand.id, post=post.id, rank=None, adjusted=False,
                              locked=(cand.id, post.id) in locks)
            placed.append((cand, post, held))
    return placed


@given(problems(), st.data())
def test_envy_and_couples_as_the_verifier_sees_them(problem: Problem, data: st.DataObject
                                                    ) -> None:
    # Few distinct scores, so that ties (which are not envy) come up often.
    problem = problem.model_copy(update={"candidates": [
        c.model_copy(update={"score": data.draw(st.sampled_from([1.0, 2.0]))})
        for c in problem.candidates]})
    compiled = compile_problem(problem)
    assignment = np.full(compiled.n, -1, dtype=np.int64)
    for c, cand in enumerate(problem.candidates):
        lock = compiled.lock_post[c]
        if lock >= 0:
            assignment[c] = lock
            continue
        options = [p for p, post in enumerate(problem.posts)
                   if is_eligible(problem, cand, post)]
        assignment[c] = data.draw(st.sampled_from([-1, *options]))
    placed = _placed(problem, assignment)
    priority = problem.model_copy(update={"rules": problem.rules.model_copy(
        update={"respect_priority": True})})
    assert envious(compiled, assignment).any() == any(_priority(priority, placed))
    split = any(_couples(problem, placed))
    if split or (problem.rules.respect_priority and any(_priority(problem, placed))):
        assert not keeps_every_rule(compiled, assignment)
