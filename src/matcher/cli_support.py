"""What the workflow commands share: reading inputs and failing with the CLI's exit codes.

The codes are those of :mod:`matcher.cli`: 1 an internal error, 2 invalid input (every problem
listed on stderr, nothing written).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NoReturn

import typer

from matcher.errors import InvalidProblemError
from matcher.problem import Problem
from matcher.solution import Solution

EXIT_INTERNAL = 1
EXIT_INVALID = 2


def print_invalid(error: InvalidProblemError, what: str) -> None:
    typer.echo(f"invalid {what}: {len(error.issues)} error(s)", err=True)
    for issue in error.issues:
        typer.echo(f"  {issue}", err=True)


def fail_invalid(error: InvalidProblemError, what: str) -> NoReturn:
    print_invalid(error, what)
    raise typer.Exit(EXIT_INVALID)


def fail_internal(error: BaseException) -> NoReturn:
    typer.echo(f"internal error: {type(error).__name__}: {error}", err=True)
    if os.environ.get("MATCHER_DEBUG"):
        raise error
    typer.echo("(set MATCHER_DEBUG=1 for the traceback)", err=True)
    raise typer.Exit(EXIT_INTERNAL)


def read_problem(path: Path) -> Problem:
    from matcher.sheets import load_any

    try:
        return load_any(path)
    except InvalidProblemError as error:
        fail_invalid(error, f"problem {path}")


def read_solution(path: Path, problem: Problem | None = None) -> Solution:
    """A solution file (JSON, or a solution workbook ``.xlsx`` as ``matcher solve`` writes
    it); with ``problem``, checked to be a solution of it (same candidates, known posts)."""
    from matcher.errors import InputIssue
    from matcher.sheets.solution_read import load_any_solution

    try:
        solution = load_any_solution(path, problem)
    except InvalidProblemError as error:
        fail_invalid(error, f"solution {path}")
    if problem is None:
        return solution
    listed = {a.candidate for a in solution.assignments} | {u.candidate
                                                            for u in solution.unassigned}
    missing = [c.id for c in problem.candidates if c.id not in listed]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        fail_invalid(InvalidProblemError([InputIssue(
            "", "not_this_problem",
            f"{len(missing)} candidate(s) of the problem are not in the solution ({shown}); "
            "is it the solution of another problem?")]), f"solution {path}")
    return solution


def check_writable(*outputs: Path | None, folder_ok: bool = False) -> None:
    """Fail before any long work when an output cannot be written there: a missing folder
    found only after a two-minute solve loses the solve. ``folder_ok``: an output may be a
    folder (CSV)."""
    issues = []
    for path in outputs:
        if path is None:
            continue
        parent = path.parent if str(path.parent) else Path(".")
        if path.is_dir() and not folder_ok:
            issues.append(f"{path} is a folder, not a file")
        elif not parent.is_dir():
            issues.append(f"folder {parent} does not exist (for {path})")
        elif not os.access(parent, os.W_OK | os.X_OK):
            issues.append(f"folder {parent} is not writable (for {path})")
    if issues:
        typer.echo(f"cannot write the output: {len(issues)} error(s); nothing was done",
                   err=True)
        for issue in issues:
            typer.echo(f"  {issue}", err=True)
        raise typer.Exit(EXIT_INVALID)


def write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file.

    The file gets the permissions an ordinary write would (``0o666`` less the umask), not the
    temporary file's owner-only ones: reports and solutions go to shared office drives.
    """
    import os
    import tempfile

    directory = path.parent if str(path.parent) else Path(".")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False,
                                     prefix=f".{path.name}.", suffix=".tmp") as handle:
        handle.write(text)
        temp = Path(handle.name)
    umask = os.umask(0)
    os.umask(umask)
    temp.chmod(0o666 & ~umask)
    temp.replace(path)


def process_started(stat: Path = Path("/proc/self/stat"), uptime: Path = Path("/proc/uptime")
                    ) -> float:
    """When this process started, as a ``time.monotonic()`` reading, so that a time limit
    also covers starting Python and importing the solver (about 0.6 s: a 5 s limit on a
    5k round ended 5.9 s after the command was typed). Read from Linux's ``/proc``; where
    that is missing, now."""
    now = time.monotonic()
    try:
        ticks = int(stat.read_text().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        since_boot = float(uptime.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return now
    age = since_boot - ticks / os.sysconf("SC_CLK_TCK")
    return now - age if 0.0 <= age < 3600.0 else now
