"""``matcher explain``: why a candidate is where they are, checked by re-solving."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcher.commands.report import ReportLang


def explain(
    problem: Annotated[Path, typer.Argument(help="problem file (JSON)", show_default=False)],
    solution: Annotated[Path, typer.Argument(help="its solution file (JSON or .xlsx)",
                                             show_default=False)],
    candidate: Annotated[str, typer.Argument(help="candidate id", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print the explanation as JSON")
                       ] = False,
    lang: Annotated[ReportLang, typer.Option(
        "--lang", help="language of the text: zh (default) or en; --json is the same in both")
    ] = ReportLang.zh,
    check: Annotated[bool, typer.Option(
        "--check/--no-check", help="re-solve to test each claim and look for remedies")
    ] = True,
    prices: Annotated[bool, typer.Option(
        "--prices/--no-prices", help="price each hard quota bound by relaxing it by one")
    ] = True,
    budget: Annotated[int, typer.Option(
        "--budget", min=0, help="most re-solves to run (each takes about as long as a solve)")
    ] = 40,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress on stderr")
                     ] = False,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="seconds per re-solve (default: to optimality)")
    ] = None,
) -> None:
    """Explain CANDIDATE's placement: for each better-ranked post, what stood in the way.

    Each claim is checked by solving again with the candidate forced onto that post. For an
    unplaced candidate, one-step changes that would place them are tried; and each hard
    quota bound is priced by relaxing it by one seat.
    """
    from matcher.cli_support import fail_internal, read_problem, read_solution
    from matcher.errors import MatcherError
    from matcher.options import SolveOptions
    from matcher.why import explain_candidate
    from matcher.why_text import explanation_text

    loaded = read_problem(problem)
    answer = read_solution(solution, loaded)
    options = SolveOptions(time_limit=time_limit, seed=answer.solver.seed or 0)

    def progress(k: int, most: int, what: str) -> None:
        typer.echo(f"re-solve {k} (of at most {most}): {what}", err=True)

    try:
        result = explain_candidate(loaded, answer, candidate, options=options, budget=budget,
                                   check=check, prices=prices,
                                   on_solve=None if quiet else progress)
    except KeyError:
        typer.echo(f"no candidate {candidate!r} in {problem}", err=True)
        raise typer.Exit(2) from None
    except MatcherError as error:
        fail_internal(error)
    if as_json:
        typer.echo(result.model_dump_json(indent=1))
    else:
        typer.echo(explanation_text(result, lang=lang.value, problem=loaded, solution=answer))


def register(app: typer.Typer) -> None:
    app.command(name="explain")(explain)
