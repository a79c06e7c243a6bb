"""Network solves that stop at a deadline (engines/stoppable.py), and what the engines answer
when one is stopped."""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import SolveOptions, load_problem, parse_problem, solve
from matcher.compile import compile_problem
from matcher.engines import flow, hybrid, stoppable
from matcher.engines.stoppable import OutOfTime, min_cost_flow_solve, side_by_side, solve_here
from matcher.errors import SolverError
from matcher.generate import generate_problem
from matcher.problem import Problem
from matcher.solution import Status
from matcher.verify import verify
from tests.agreement import assert_matches_cpsat
from tests.strategies import network_problem_dicts, wide_share_problems

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="stopping a solve needs fork")

FAR = 600.0  # seconds: a deadline no test solve comes near


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every network solve with a deadline forks, however small and far its deadline."""
    monkeypatch.setattr(stoppable, "STOPPABLE_ARCS", 0)
    monkeypatch.setattr(stoppable, "SECONDS_PER_ARC_FAR", math.inf)
    return monkeypatch


@st.composite
def networks(draw: st.DrawFn) -> tuple[Any, ...]:
    """A small network with random arcs and balanced supplies (often infeasible)."""
    nodes = draw(st.integers(2, 6))
    arcs = draw(st.integers(1, 12))
    ints = st.integers(0, nodes - 1)
    tails = np.array(draw(st.lists(ints, min_size=arcs, max_size=arcs)), dtype=np.int64)
    heads = np.array(draw(st.lists(ints, min_size=arcs, max_size=arcs)), dtype=np.int64)
    caps = np.array(draw(st.lists(st.integers(0, 5), min_size=arcs, max_size=arcs)),
                    dtype=np.int64)
    costs = np.array(draw(st.lists(st.integers(-9, 9), min_size=arcs, max_size=arcs)),
                     dtype=np.int64)
    supply = np.zeros(nodes, dtype=np.int64)
    amount = draw(st.integers(0, 4))
    supply[draw(ints)] += amount
    supply[draw(ints)] -= amount
    return tails, heads, caps, costs, supply


@settings(max_examples=25, deadline=None)
@given(networks())
def test_a_forked_solve_answers_as_one_in_this_process(network: tuple[Any, ...]) -> None:
    here = solve_here(*network)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stoppable, "STOPPABLE_ARCS", 0)
        patch.setattr(stoppable, "SECONDS_PER_ARC_FAR", math.inf)
        forked = min_cost_flow_solve(*network, time.monotonic() + FAR)
    if here is None:
        assert forked is None
    else:
        assert forked is not None
        assert forked[0] == here[0]
        assert np.array_equal(forked[1], here[1])


def _tiny() -> tuple[Any, ...]:
    one = np.array([0], dtype=np.int64)
    return one, one + 1, one + 3, one + 2, np.array([1, -1], dtype=np.int64)


def test_a_solve_past_its_deadline_is_not_started(forking: pytest.MonkeyPatch) -> None:
    with pytest.raises(OutOfTime):
        min_cost_flow_solve(*_tiny(), time.monotonic() - 1.0)


def _hang(*arrays: Any) -> None:
    time.sleep(FAR)


def test_a_solve_still_running_at_its_deadline_is_stopped(forking: pytest.MonkeyPatch
                                                          ) -> None:
    forking.setattr(stoppable, "solve_here", _hang)  # the forked child runs this
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        min_cost_flow_solve(*_tiny(), started + 0.3)
    assert time.monotonic() - started < FAR / 2
    assert multiprocessing.active_children() == []  # stopped and reaped


def _fork_refused(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("forked")


def test_small_networks_solve_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stoppable.multiprocessing, "get_context", _fork_refused)
    monkeypatch.setattr(stoppable, "SECONDS_PER_ARC_FAR", math.inf)  # however near
    outcome = min_cost_flow_solve(*_tiny(), time.monotonic() + 1.0)
    assert outcome is not None and outcome[0] == 2


def test_a_solve_far_from_its_deadline_runs_in_this_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stoppable.multiprocessing, "get_context", _fork_refused)
    monkeypatch.setattr(stoppable, "STOPPABLE_ARCS", 0)  # however small
    outcome = min_cost_flow_solve(*_tiny(), time.monotonic() + FAR)  # 600 s for one arc
    assert outcome is not None and outcome[0] == 2


def _die(*arrays: Any) -> None:
    os._exit(3)


def test_a_child_that_dies_is_a_solver_error(forking: pytest.MonkeyPatch) -> None:
    forking.setattr(stoppable, "solve_here", _die)
    with pytest.raises(SolverError, match="exit code 3"):
        min_cost_flow_solve(*_tiny(), time.monotonic() + FAR)


def _stop_every_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every network solve forks, and the child hangs: each one is stopped."""
    monkeypatch.setattr(stoppable, "STOPPABLE_ARCS", 0)
    monkeypatch.setattr(stoppable, "SECONDS_PER_ARC_FAR", math.inf)
    monkeypatch.setattr(stoppable, "solve_here", _hang)


SAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sample.json"  # (couples)


def test_the_network_engine_reports_a_stopped_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    _stop_every_solve(monkeypatch)
    problem = parse_problem(generate_problem(60, seed=3))
    started = time.monotonic()
    result = flow.solve(compile_problem(problem), SolveOptions(time_limit=0.3))
    assert time.monotonic() - started < FAR / 2
    assert result.status is Status.unknown and result.assignment is None
    assert "stopped" in result.note
    solution = solve(problem, SolveOptions(time_limit=0.5, engine="flow"))
    assert solution.status == "unknown"
    assert verify(problem, solution) == []


def test_the_hybrid_answers_when_its_network_solves_are_stopped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No relaxation at all: the hybrid still answers from the rounds it builds without one."""
    _stop_every_solve(monkeypatch)
    problem = load_problem(SAMPLE)
    solution = solve(problem, SolveOptions(time_limit=2.0, engine="hybrid"))
    assert solution.solver.time_s < FAR / 2
    assert verify(problem, solution) == []


@settings(max_examples=20, deadline=None)
@given(network_problem_dicts())
def test_forked_network_solves_give_the_same_optimum(problem_dict: Any) -> None:
    """With every solve forked (and a limit no solve reaches), the network engine's answer is
    the one it gives in this process."""
    problem = parse_problem(problem_dict)
    compiled = compile_problem(problem)
    here = flow.solve(compiled, SolveOptions())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stoppable, "STOPPABLE_ARCS", 0)
        patch.setattr(stoppable, "SECONDS_PER_ARC_FAR", math.inf)
        forked = flow.solve(compiled, SolveOptions(time_limit=FAR))
    assert forked.status is here.status
    if here.assignment is None:
        assert forked.assignment is None
    else:
        assert forked.assignment is not None
        assert np.array_equal(forked.assignment, here.assignment)


@settings(max_examples=25, deadline=None)
@given(wide_share_problems())
def test_searching_the_total_side_by_side_in_forked_solves_finds_the_optimum(
        problem: Problem) -> None:
    """The search over the total with two forked solves at a time (bracket steps, probes,
    intervals), against CP-SAT's model of the whole problem."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stoppable, "STOPPABLE_ARCS", 0)
        assert_matches_cpsat(problem, SolveOptions(engine="flow", workers=2))


def test_the_hybrid_stops_its_relaxation_in_time_for_the_rounds_after_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SolveOptions] = []
    relax = hybrid.flow.solve

    def spy(compiled: Any, options: SolveOptions, *args: Any, **kwargs: Any) -> Any:
        seen.append(options)
        return relax(compiled, options, *args, **kwargs)

    monkeypatch.setattr(hybrid.flow, "solve", spy)
    problem = load_problem(SAMPLE)
    stop_at = time.monotonic() + 30.0
    hybrid.solve(compile_problem(problem), SolveOptions(time_limit=20.0, stop_at=stop_at))
    before = len(problem.candidates) * hybrid.START_SECONDS_PER_CANDIDATE
    assert seen[0].stop_at == pytest.approx(stop_at - before)


def _solve_in_daemon(sender: Any) -> None:
    stoppable.STOPPABLE_ARCS = 0
    stoppable.SECONDS_PER_ARC_FAR = math.inf
    one = min_cost_flow_solve(*_tiny(), time.monotonic() + FAR)
    two = side_by_side([_tiny(), _tiny()], time.monotonic() + FAR)
    sender.send((None if one is None else one[0],
                 [None if o is None or isinstance(o, OutOfTime) else o[0] for o in two]))


def test_a_daemonic_process_solves_in_itself() -> None:
    """A daemonic process (the API runs jobs in them) may not start children: its solves run
    in it rather than fail."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_solve_in_daemon, args=(sender,), daemon=True)
    process.start()
    assert receiver.poll(60)
    assert receiver.recv() == (2, [2, 2])
    process.join()
