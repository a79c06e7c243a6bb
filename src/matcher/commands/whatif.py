"""``matcher compare``: solve a base round and what-if scenarios side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _check_same_base(named: object, given: Path) -> None:
    """A scenario that names a base file other than BASE would be compared against a round
    it does not change: refuse it rather than print a misleading difference."""
    from matcher.errors import InputIssue, InvalidProblemError

    if isinstance(named, str) and Path(named).resolve() != given.resolve():
        raise InvalidProblemError([InputIssue("base", "other_base", (
            f"this scenario changes {named}, not {given}: compare it against that base, or "
            "remove its `base` to apply its changes to the base you give"))])


def compare(
    base: Annotated[Path, typer.Argument(help="base problem file (JSON)", show_default=False)],
    scenarios: Annotated[list[Path], typer.Argument(
        help="scenario files (base + changes); a plain problem file is compared as it is",
        show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")
                       ] = False,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="seconds per solve (default: to optimality)")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Dask scheduler address (tcp://host:8786); default: local "
        "processes")] = None,
    processes: Annotated[int | None, typer.Option(
        "--processes", "-j", min=1, help="local processes (default: one per core)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed of every solve")] = 0,
) -> None:
    """Solve BASE and each SCENARIO in parallel and print their figures side by side.

    Scenario columns show each figure's change against the base, and how many candidates are
    placed differently. A scenario without a `base` is applied to BASE.
    """
    from matcher.changes import Applied, scenario_problem
    from matcher.cli_support import EXIT_INVALID, fail_internal, print_invalid, read_problem
    from matcher.compare import compare as run_compare
    from matcher.compare import comparison_table
    from matcher.errors import InvalidProblemError, MatcherError
    from matcher.whatif import is_scenario, load_scenario, scenario_from_problem_file

    base_problem = read_problem(base)
    applied: list[Applied] = []
    failed = False
    for path in scenarios:
        try:
            raw = path.read_bytes()
            if is_scenario(raw):
                scenario = load_scenario(path)
                _check_same_base(scenario.base, base)
            else:
                scenario = scenario_from_problem_file(path)
            applied.append(scenario_problem(scenario, base_problem))
        except OSError as error:
            typer.echo(f"cannot read {path}: {error.strerror}", err=True)
            failed = True
        except InvalidProblemError as error:
            print_invalid(error, f"scenario {path}")  # and go on: every scenario's problems
            failed = True
    if failed:
        raise typer.Exit(EXIT_INVALID)
    try:
        result = run_compare(base_problem, applied, time_limit=time_limit, seed=seed,
                             cluster=cluster, processes=processes, base_name=base.stem)
    except (MatcherError, OSError) as error:
        fail_internal(error)
    if as_json:
        typer.echo(result.model_dump_json(indent=1))
        return
    typer.echo(comparison_table(result))
    for column in result.scenarios:
        for note in column.notes:
            typer.echo(f"{column.name}: {note}")


def register(app: typer.Typer) -> None:
    app.command(name="compare")(compare)
