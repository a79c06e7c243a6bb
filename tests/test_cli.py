"""The ``matcher`` command line: exit codes, files written (or not), messages on stderr.

Most tests drive the Typer app in-process with ``CliRunner``; two run the installed console
script in a subprocess, as an office would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from matcher import load_problem
from matcher.cli import app
from matcher.solution import Solution
from matcher.verify import verify

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SAMPLE = SCENARIOS / "sample.json"
INFEASIBLE = SCENARIOS / "infeasible.json"
SCRIPT = Path(sys.executable).parent / "matcher"

runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _invalid_problem(tmp_path: Path) -> Path:
    raw = json.loads(SAMPLE.read_text(encoding="utf-8"))
    raw["candidates"][3]["wishes"][0]["post"] = "P99"
    raw["forbidden"][0]["post"] = "P98"
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_solution(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("solve") / "sample.solution.json"
    result = run("solve", SAMPLE, "-o", out, "-q", "--seed", "0")
    assert result.exit_code == 0, result.output
    return out


# --- help and version --------------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("validate", "solve", "verify"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["validate", "solve", "verify"])
def test_command_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_solve_help_names_its_options() -> None:
    text = run("solve", "--help").stdout
    for option in ("--output", "--time-limit", "--workers", "--seed", "--engine", "--quiet"):
        assert option in text


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip()


# --- validate ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sample", "supplementary_round", "infeasible"])
def test_validate_scenarios(name: str) -> None:
    result = run("validate", SCENARIOS / f"{name}.json")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid:")


def test_validate_invalid_lists_every_problem(tmp_path: Path) -> None:
    result = run("validate", _invalid_problem(tmp_path))
    assert result.exit_code == 2
    assert "  candidates[3].wishes[0].post: " in result.stderr
    assert "  forbidden[0].post: " in result.stderr
    assert "2 error(s)" in result.stderr
    assert "Traceback" not in result.output


# --- solve ---------------------------------------------------------------------------------


def test_solve_writes_a_solution_that_verifies(sample_solution: Path) -> None:
    solution = Solution.model_validate_json(sample_solution.read_bytes())
    assert solution.status.value == "optimal"
    assert verify(load_problem(SAMPLE), solution) == []
    result = run("verify", SAMPLE, sample_solution)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: optimal solution")


def test_solve_prints_a_summary_unless_quiet(tmp_path: Path) -> None:
    loud = run("solve", SAMPLE, "-o", tmp_path / "loud.json")
    assert loud.exit_code == 0, loud.output
    assert "optimal" in loud.stderr
    assert loud.stdout == ""
    quiet = run("solve", SAMPLE, "-o", tmp_path / "quiet.json", "--quiet")
    assert quiet.exit_code == 0
    assert quiet.stdout == "" and quiet.stderr == ""


def test_solve_without_output_prints_json_to_stdout() -> None:
    result = run("solve", SAMPLE, "--time-limit", "30", "--workers", "2", "--seed", "1",
                 "--engine", "cpsat")
    assert result.exit_code == 0, result.output
    solution = Solution.model_validate_json(result.stdout)  # stdout is the solution alone
    assert verify(load_problem(SAMPLE), solution) == []
    assert solution.solver.engine


def test_infeasible_solve_still_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "infeasible.solution.json"
    result = run("solve", INFEASIBLE, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    solution = Solution.model_validate_json(out.read_bytes())
    assert solution.status.value == "infeasible"
    assert sorted(solution.conflict or []) == ["lock:I01", "minority_target", "pair_kashgar"]
    assert run("verify", INFEASIBLE, out).exit_code == 0


def test_solve_invalid_input_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never.json"
    result = run("solve", _invalid_problem(tmp_path), "-o", out)
    assert result.exit_code == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "invalid.json"]  # no temporary left over
    assert "  candidates[3].wishes[0].post: " in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_solve_to_a_missing_folder_fails_before_solving(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that does not exist is found before the solve, not after minutes of it."""
    import importlib

    def never(*_: object, **__: object) -> None:
        raise AssertionError("solved although the output cannot be written")

    monkeypatch.setattr(importlib.import_module("matcher.solve"), "solve", never)
    out = tmp_path / "missing" / "solution.json"
    result = run("solve", SAMPLE, "-o", out)
    assert result.exit_code == 2, result.output
    assert f"folder {out.parent} does not exist" in result.stderr
    assert "nothing was done" in result.stderr
    assert "Traceback" not in result.output
    assert run("solve", SAMPLE, "-o", tmp_path).exit_code == 2  # a folder, not a file


def test_generate_to_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "round.json"
    result = run("generate", "--candidates", "50", "--seed", "1", "-o", out)
    assert result.exit_code == 2, result.output
    assert f"folder {out.parent} does not exist" in result.stderr
    assert "Traceback" not in result.output
    written = run("generate", "--candidates", "50", "--seed", "1", "-o", tmp_path / "r.json")
    assert written.exit_code == 0, written.output


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_missing_problem_file(command: str, tmp_path: Path) -> None:
    result = run(command, tmp_path / "nowhere.json")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_bad_json(command: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"candidates": [', encoding="utf-8")
    out = tmp_path / "out.json"
    extra: list[str | Path] = ["-o", out] if command == "solve" else []
    result = run(command, path, *extra)
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
    assert not out.exists()
    assert "Traceback" not in result.output


def test_unknown_engine_is_a_usage_error() -> None:
    result = run("solve", SAMPLE, "--engine", "simplex")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- verify --------------------------------------------------------------------------------


def _tampered(source: Path, tmp_path: Path, change: Any) -> Path:
    raw = json.loads(source.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def _overfill(raw: dict[str, Any]) -> None:
    # move one placed candidate onto another's post, past its capacity
    first, second = raw["assignments"][0], raw["assignments"][-1]
    second["post"] = first["post"]


def _forbidden(raw: dict[str, Any]) -> None:
    raw["unassigned"] = [u for u in raw["unassigned"] if u["candidate"] != "C08"]
    raw["assignments"].append({"candidate": "C08", "post": "P06", "rank": 2, "adjusted": False,
                               "locked": False})


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda raw: raw["objective"].update(coverage=raw["objective"]["coverage"] + 1),
                     id="objective"),
        pytest.param(_overfill, id="capacity"),
        pytest.param(_forbidden, id="forbidden"),
        pytest.param(lambda raw: raw["assignments"].pop(), id="candidate_missing"),
    ],
)
def test_verify_catches_a_tampered_solution(change: Any, sample_solution: Path,
                                            tmp_path: Path) -> None:
    result = run("verify", SAMPLE, _tampered(sample_solution, tmp_path, change))
    assert result.exit_code == 1, result.output
    assert "violation(s)" in result.stderr
    assert "Traceback" not in result.output


def test_verify_rejects_a_malformed_solution(sample_solution: Path, tmp_path: Path) -> None:
    path = _tampered(sample_solution, tmp_path, lambda raw: raw.update(status="great"))
    result = run("verify", SAMPLE, path)
    assert result.exit_code == 2
    assert "  status: " in result.stderr


def test_verify_missing_solution_file(tmp_path: Path) -> None:
    result = run("verify", SAMPLE, tmp_path / "nowhere.json")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_verify_reads_the_solution_workbook_solve_writes(tmp_path: Path) -> None:
    book = tmp_path / "solution.xlsx"
    assert run("solve", SAMPLE, "-o", book, "--quiet").exit_code == 0
    result = run("verify", SAMPLE, book)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: optimal solution")


# --- the installed script, in a real process ---------------------------------------------


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")
def test_installed_script_solves_and_verifies(tmp_path: Path) -> None:
    out = tmp_path / "sample.solution.json"
    solved = subprocess.run([SCRIPT, "solve", SAMPLE, "-o", out, "--seed", "0"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert solved.returncode == 0, solved.stderr
    assert solved.stdout == ""
    assert "optimal" in solved.stderr
    checked = subprocess.run([SCRIPT, "verify", SAMPLE, out],
                             capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")
def test_installed_script_rejects_invalid_input(tmp_path: Path) -> None:
    out = tmp_path / "never.json"
    done = subprocess.run([SCRIPT, "solve", _invalid_problem(tmp_path), "-o", out],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "  forbidden[0].post: " in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not out.exists()


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    import os

    from matcher.cli_support import write_text

    previous = os.umask(0o022)
    try:
        write_text(tmp_path / "report.html", "<p>")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o644


def test_the_time_limit_counts_from_the_process_start(tmp_path: Path) -> None:
    """The start is read from /proc (the command name may hold spaces and parentheses);
    without /proc, or with a reading that makes no sense, it is now."""
    from matcher.cli_support import process_started

    ticks_per_s = os.sysconf("SC_CLK_TCK")
    stat, uptime = tmp_path / "stat", tmp_path / "uptime"
    fields = ["S", "1"] + ["0"] * 17 + [str(995 * ticks_per_s)] + ["0"] * 10
    stat.write_text("4242 (matcher (solve) x) " + " ".join(fields) + "\n")
    uptime.write_text("1000.00 1500.00\n")
    assert 4.5 < time.monotonic() - process_started(stat, uptime) < 5.5  # started 5 s ago
    assert time.monotonic() - process_started(tmp_path / "none", uptime) < 0.5
    uptime.write_text("900.00 1500.00\n")  # "started" after now
    assert time.monotonic() - process_started(stat, uptime) < 0.5
