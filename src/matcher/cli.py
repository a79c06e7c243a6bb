"""The ``matcher`` command line.

Exit codes: 0 success (``solve``: a solution file was written, whatever its status);
1 an internal error (``verify``: the solution breaks a rule); 2 invalid input (every problem is
listed on stderr, nothing is written).
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from matcher.cli_support import (
    EXIT_INTERNAL,
    EXIT_INVALID,
    check_writable,
    fail_internal,
    fail_invalid,
    process_started,
    write_text,
)
from matcher.errors import EngineCapabilityError, InvalidProblemError, MatcherError

app = typer.Typer(
    name="matcher",
    help="Exact allocation of candidates to posts (western programme and sister programmes).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



class Engine(StrEnum):
    auto = "auto"
    cpsat = "cpsat"
    flow = "flow"
    hybrid = "hybrid"


ProblemArg = Annotated[Path, typer.Argument(
    help="problem file (JSON, SPEC §6), .xlsx workbook or CSV folder", show_default=False)]


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        from matcher import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.command()
def validate(problem: ProblemArg) -> None:
    """Check a problem file against the contract; list every problem with its JSON path."""
    from matcher.sheets import load_any

    try:
        loaded = load_any(problem)
    except InvalidProblemError as error:
        fail_invalid(error, "problem")
    typer.echo(f"valid: {len(loaded.candidates)} candidates, {len(loaded.posts)} posts, "
               f"{len(loaded.rules.quotas)} quotas, {len(loaded.rules.pairings)} pairings")


@app.command()
def solve(
    problem: ProblemArg,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                      help="where to write the solution (default: stdout)")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0,
        help="seconds for the whole command, from its start to the file written (default: "
             "to optimality)")
    ] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=0,
        help="CP-SAT threads, and network solves side by side (at most 2); "
             "0 picks by problem size and cores")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="random seed, for repeatable runs")] = 0,
    engine: Annotated[Engine, typer.Option("--engine", help="engine to use")] = Engine.auto,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress or summary")] = False,
    model: Annotated[Path | None, typer.Option(
        "--model", help="programme model whose rules are merged in (models/*.json)")] = None,
) -> None:
    """Solve a problem and write its solution (SPEC §7; .xlsx output for a workbook)."""
    from matcher.gc_pause import freeze_loaded
    from matcher.models import with_model
    from matcher.options import SolveOptions
    from matcher.progress import ProgressPrinter
    from matcher.sheets import load_any, write_solution_xlsx
    from matcher.solve import solve as run_solve
    from matcher.summary import summary_text

    # The time limit covers reading the problem too, and as the console script, starting
    # the process (in another process, such as a test's, the command's own start).
    started = time.monotonic() if _process_start is None else _process_start
    check_writable(output)
    printer = None if quiet else ProgressPrinter(sys.stderr)
    try:
        loaded = with_model(load_any(problem), model)
    except InvalidProblemError as error:
        fail_invalid(error, "problem")
    freeze_loaded()  # the problem lives to the end of the command: see matcher.gc_pause
    options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed,
                           engine=engine.value, progress=printer, started=started)
    try:
        solution = run_solve(loaded, options)
        text = solution.model_dump_json(indent=1)
        if output is None:
            sys.stdout.write(text + "\n")
        elif output.suffix.lower() == ".xlsx":
            write_solution_xlsx(loaded, solution, output)
        else:
            write_text(output, text + "\n")
    except EngineCapabilityError as error:
        typer.echo(f"cannot solve: {error}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
    except MatcherError as error:
        fail_internal(error)
    except OSError as error:
        typer.echo(f"cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
    except Exception as error:
        fail_internal(error)
    if printer is not None:
        printer.finish()
        typer.echo(summary_text(loaded, solution), err=True)


@app.command()
def verify(
    problem: ProblemArg,
    solution: Annotated[Path, typer.Argument(
        help="solution file (JSON, SPEC §7) or the .xlsx workbook matcher solve writes",
        show_default=False)],
) -> None:
    """Check a solution against its problem by SPEC alone; list every violation (exit 1)."""
    from matcher.cli_support import read_solution
    from matcher.sheets import load_any
    from matcher.verify import verify as run_verify

    try:
        loaded = load_any(problem)
    except InvalidProblemError as error:
        fail_invalid(error, "problem")
    answer = read_solution(solution)
    started = time.monotonic()
    violations = run_verify(loaded, answer)
    if violations:
        typer.echo(f"{len(violations)} violation(s):", err=True)
        for violation in violations:
            typer.echo(f"  [{violation.code}] {violation.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"valid: {answer.status.value} solution, {len(answer.assignments)} assignments "
               f"checked in {time.monotonic() - started:.2f}s")


def _register_workflow_commands() -> None:
    from matcher.commands import register_all

    register_all(app)


_register_workflow_commands()

@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="database and api_keys file (default: MATCHER_DATA_DIR, else a "
        "per-user directory)")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="solver processes for jobs (default: MATCHER_WORKERS or 2)")
    ] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="allow a non-loopback address without API keys")] = False,
) -> None:
    """Run the HTTP service (needs the api extra: pip install 'matcher\\[api]')."""
    try:
        import uvicorn

        from matcher.api import Settings, create_app
        from matcher.api.logs import configure_logging
        from matcher.api.settings import bind_refusal
    except ImportError as error:
        typer.echo(f"matcher serve needs the api extra ({error.name} is missing): in the "
                   "project folder, .venv/bin/pip install -e \".[api]\"", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None

    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if workers is not None:
        overrides["workers"] = workers
    settings = Settings().model_copy(update=overrides)  # the command line beats the env
    refusal = bind_refusal(host, settings, insecure)
    if refusal:
        typer.echo(refusal, err=True)
        raise typer.Exit(EXIT_INVALID)
    configure_logging()
    typer.echo(f"matcher serving on http://{host}:{port} (data: {settings.data_dir}, "
               f"{settings.workers} workers, API keys: "
               f"{'on' if settings.keys() else 'off'})", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False,
                log_level="warning", timeout_graceful_shutdown=10)


_process_start: float | None = None  # set by run(): the command is the whole process


def run() -> None:
    """The ``matcher`` console script: ``app`` in a process of its own, whose start (Python
    and the imports, about 0.6 s) the time limit of ``solve`` then covers."""
    global _process_start
    _process_start = process_started()
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
