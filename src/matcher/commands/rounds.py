"""``matcher round`` and ``matcher round-summary``: supplementary rounds (补录)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from matcher.problem import Problem
    from matcher.rounds import RoundSummary
    from matcher.solution import Solution

EXIT_INTERNAL = 1
EXIT_INVALID = 2


def _fail(what: str, lines: list[str], code: int = EXIT_INVALID) -> NoReturn:
    typer.echo(f"{what}: {len(lines)} error(s)" if len(lines) > 1 else what, err=True)
    for line in lines:
        typer.echo(f"  {line}", err=True)
    raise typer.Exit(code)


def parse_ids(text: str) -> list[str]:
    """``C1,C2`` or ``@file`` (ids separated by commas, spaces or new lines)."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            _fail(f"cannot read {path}", [str(error.strerror or error)])
    return [item for item in re.split(r"[\s,;，；]+", text) if item]


def _read_add(path: Path | None) -> dict[str, Any]:
    """The joining candidates and posts: JSON, or sheets laid out like the template's."""
    if path is None:
        return {}
    if path.is_dir() or path.suffix.lower() == ".xlsx":
        from matcher.errors import InvalidProblemError
        from matcher.sheets.read import read_raw

        try:
            sheets = read_raw(path)
        except InvalidProblemError as error:
            _fail(f"invalid --add file {path}", [str(issue) for issue in error.issues])
        return {key: sheets[key] for key in ("candidates", "posts") if key in sheets}
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        _fail(f"cannot read {path}", [str(error.strerror or error)])
    except ValueError as error:
        _fail(f"invalid --add file {path}", [f"not valid JSON: {error}"])
    if not isinstance(data, dict):
        _fail(f"invalid --add file {path}",
              ['expected an object such as {"candidates": [...], "posts": [...]}'])
    return data


def round_(
    problem: Annotated[Path, typer.Argument(
        help="this round's problem (JSON, .xlsx or CSV folder)", show_default=False)],
    solution: Annotated[Path, typer.Argument(
        help="this round's solution (JSON, or the .xlsx workbook matcher solve wrote)",
        show_default=False)],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="the next round's problem (.json, .xlsx or a CSV folder)",
        show_default=False)],
    withdrawn: Annotated[str, typer.Option(
        "--withdrawn", help="candidates who withdrew: C1,C2 or @file with one id a line")] = "",
    add: Annotated[Path | None, typer.Option(
        "--add", help='who and what joins: JSON {"candidates": [...], "posts": [...]}, or a '
        'workbook / CSV folder with candidate and post sheets like the template\'s')
    ] = None,
    solve_to: Annotated[Path | None, typer.Option(
        "--solve", help="also solve the next round, verify it and write its solution (JSON) "
        "here")] = None,
    summary_json: Annotated[Path | None, typer.Option(
        "--summary-json", help="with --solve: write who is newly placed as JSON here")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="with --solve: seconds (default: to optimality)")] = None,
) -> None:
    """Build the next supplementary round (补录) from this round's problem and solution.

    Placements become locks (earlier locks stay), withdrawn candidates leave and free their
    seats, new candidates and posts join. A withdrawn candidate's partner loses the partner
    link and is placed alone. With --solve the round is solved and verified, and who is newly
    placed is printed.
    """
    from matcher.cli_support import check_writable, read_problem, read_solution
    from matcher.errors import InvalidProblemError
    from matcher.rounds import next_round
    from matcher.sheets import write_any

    check_writable(output, folder_ok=True)
    check_writable(solve_to, summary_json)
    current = read_problem(problem)
    previous = read_solution(solution, current)
    try:
        upcoming = next_round(current, previous, parse_ids(withdrawn), _read_add(add))
    except InvalidProblemError as error:
        _fail("cannot build the next round", [str(i) for i in error.issues])
    try:
        write_any(upcoming, output)
    except OSError as error:
        _fail(f"cannot write {output}", [str(error.strerror or error)], EXIT_INTERNAL)
    typer.echo(f"wrote {output}: {len(upcoming.candidates)} candidates, "
               f"{len(upcoming.locks)} locks, {len(upcoming.posts)} posts, "
               f"{_open_seats(upcoming)} open seats", err=True)
    if solve_to is not None:
        _solve_round(upcoming, previous, solve_to, summary_json, time_limit)


def _open_seats(problem: Problem) -> int:
    return sum(p.capacity for p in problem.posts) - len(problem.locks)


def _solve_round(problem: Problem, previous: Solution, output: Path,
                 summary_json: Path | None, time_limit: float | None) -> None:
    from matcher.cli_support import write_text
    from matcher.options import SolveOptions
    from matcher.rounds import compare_rounds
    from matcher.solve import solve
    from matcher.verify import verify

    solution = solve(problem, SolveOptions(time_limit=time_limit))
    try:
        write_text(output, solution.model_dump_json(indent=1) + "\n")
    except OSError as error:
        _fail(f"cannot write {output}", [str(error.strerror or error)], EXIT_INTERNAL)
    violations = verify(problem, solution)
    if violations:
        _fail(f"the solution of the next round breaks {len(violations)} rule(s)",
              [v.message for v in violations], EXIT_INTERNAL)
    typer.echo(f"wrote {output}: {solution.status.value}, verified", err=True)
    _report(compare_rounds(previous, solution), summary_json)


def _report(summary: RoundSummary, summary_json: Path | None) -> None:
    from matcher.cli_support import write_text
    from matcher.rounds import summary_lines

    for line in summary_lines(summary):
        typer.echo(line)
    if summary_json is not None:
        try:
            write_text(summary_json, summary.model_dump_json(indent=1) + "\n")
        except OSError as error:
            _fail(f"cannot write {summary_json}", [str(error.strerror or error)], EXIT_INTERNAL)


def round_summary(
    previous: Annotated[Path, typer.Argument(
        help="the earlier round's solution (JSON or .xlsx)", show_default=False)],
    current: Annotated[Path, typer.Argument(
        help="the later round's solution (JSON or .xlsx)", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Compare two rounds' solutions: who is newly placed, kept, left or still unplaced."""
    from matcher.cli_support import read_solution
    from matcher.rounds import compare_rounds

    summary = compare_rounds(read_solution(previous), read_solution(current))
    if as_json:
        sys.stdout.write(summary.model_dump_json(indent=1) + "\n")
    else:
        _report(summary, None)


def register(app: typer.Typer) -> None:
    app.command("round")(round_)
    app.command("round-summary")(round_summary)
