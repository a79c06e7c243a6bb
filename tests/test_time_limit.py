"""A time limit covers the whole command: what reading took and what finishing needs are
taken from the engine's share, and an engine with no time left still answers."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matcher import load_problem
from matcher.cli import app
from matcher.compile import Compiled
from matcher.engines.base import EngineResult
from matcher.options import SolveOptions
from matcher.solve import finishing_seconds, solve
from matcher.verify import verify

solve_module = importlib.import_module("matcher.solve")  # the package's `solve` hides it
SAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sample.json"


def test_finishing_is_a_share_or_per_candidate_but_at_most_a_quarter() -> None:
    assert finishing_seconds(120.0, 1_000) == pytest.approx(6.0)  # 5% of the limit
    assert finishing_seconds(120.0, 100_000) == pytest.approx(12.0)  # 120 µs per candidate
    assert finishing_seconds(4.0, 100_000) == pytest.approx(1.0)  # a quarter at most


def test_the_engine_gets_what_is_left_of_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SolveOptions] = []

    def spying(engine: Any) -> Any:
        def spy(compiled: Compiled, options: SolveOptions) -> EngineResult:
            seen.append(options)
            return engine(compiled, options)  # type: ignore[no-any-return]
        return spy

    for name, engine in list(solve_module.ENGINES.items()):
        monkeypatch.setitem(solve_module.ENGINES, name, spying(engine))
    problem = load_problem(SAMPLE)
    started = time.monotonic() - 4.0
    solve(problem, SolveOptions(time_limit=10.0, started=started))
    (options,) = seen
    assert options.time_limit is not None
    # 10 s less the 4 s already gone and the 0.5 s kept for finishing
    assert 4.0 < options.time_limit <= 5.5
    assert options.started is None
    # a solve still running is stopped just before the limit, to write what there is then
    assert options.stop_at is not None
    assert started + 9.9 < options.stop_at < started + 10.0


@pytest.mark.parametrize("engine", ["auto", "cpsat", "hybrid"])
def test_a_limit_spent_before_solving_still_gives_a_valid_answer(engine: str) -> None:
    problem = load_problem(SAMPLE)
    options = SolveOptions(time_limit=1.0, started=time.monotonic() - 5.0,
                           engine=engine)  # type: ignore[arg-type]
    solution = solve(problem, options)
    assert solution.solver.time_s >= 5.0  # counted from the caller's start
    assert verify(problem, solution) == []


def test_the_command_counts_the_limit_from_reading(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    seen: list[SolveOptions] = []
    real_solve = solve_module.solve

    def spy(problem: Any, options: SolveOptions) -> Any:
        seen.append(options)
        return real_solve(problem, options)

    monkeypatch.setattr(solve_module, "solve", spy)
    before = time.monotonic()
    result = CliRunner().invoke(app, ["solve", str(SAMPLE), "-o", str(tmp_path / "s.json"),
                                      "--time-limit", "30", "--quiet"])
    assert result.exit_code == 0, result.output
    (options,) = seen
    assert options.started is not None and before <= options.started <= time.monotonic()
