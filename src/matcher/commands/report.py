"""``matcher report``: the round report as one self-contained HTML file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ReportLang(StrEnum):
    zh = "zh"
    en = "en"


def report(
    problem: Annotated[Path, typer.Argument(
        help="problem file (JSON, .xlsx workbook or CSV folder)", show_default=False)],
    solution: Annotated[Path, typer.Argument(help="its solution file (JSON or .xlsx)",
                                             show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write")],
    lang: Annotated[ReportLang, typer.Option("--lang", help="zh (default) or en")
                    ] = ReportLang.zh,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1,
                                          help="rows shown per long table")] = 300,
) -> None:
    """Write the round report as one HTML file (Chinese by default).

    Headline figures, fill by province and programme, wish ranks, minority share against
    target, quotas, unfilled posts, unplaced candidates by reason. Charts are inline SVG: the
    file opens offline and contains no scripts.
    """
    from matcher.cli_support import fail_internal, read_problem, read_solution, write_text
    from matcher.report import render_report

    loaded = read_problem(problem)
    answer = read_solution(solution, loaded)
    try:
        page = render_report(loaded, answer, lang.value, max_rows=max_rows)
        write_text(output, page)
    except OSError as error:
        typer.echo(f"cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    except Exception as error:
        fail_internal(error)
    typer.echo(f"wrote {output} ({len(page.encode('utf-8')) // 1024} KB)")


def register(app: typer.Typer) -> None:
    app.command(name="report")(report)
