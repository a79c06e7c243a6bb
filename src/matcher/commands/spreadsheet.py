"""``matcher convert`` and ``matcher template``: problems as workbooks and CSV folders."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from matcher.sheets.headers import Lang

EXIT_INTERNAL = 1
EXIT_INVALID = 2


class Language(StrEnum):
    zh = "zh"
    en = "en"

    def lang(self) -> Lang:
        return "zh" if self is Language.zh else "en"


LangOption = Annotated[Language, typer.Option(
    "--lang", help="headers and values in Chinese (zh) or English (en); both are read back")]
ModelOption = Annotated[Path | None, typer.Option(
    "--model", help="programme model whose rules are merged in (models/*.json)")]


def fail(lines: list[str], code: int = EXIT_INVALID) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def convert(
    source: Annotated[Path, typer.Argument(
        help="problem as JSON, .xlsx workbook or folder of CSV files", show_default=False)],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="where to write: .json, .xlsx, or a folder for CSV files",
        show_default=False)],
    model: ModelOption = None,
    lang: LangOption = Language.zh,
) -> None:
    """Convert a problem between JSON, a workbook and a CSV folder (chosen by suffix).

    Every error in a workbook names its sheet, cell and column header, all at once.
    """
    from matcher.errors import InvalidProblemError
    from matcher.models import with_model
    from matcher.sheets import load_any, write_any

    try:
        problem = with_model(load_any(source), model)
    except InvalidProblemError as error:
        fail([f"invalid problem {source}: {len(error.issues)} error(s)",
              *(f"  {issue}" for issue in error.issues)])
    try:
        write_any(problem, output, lang.lang())
    except InvalidProblemError as error:
        fail([f"cannot write {output}: {len(error.issues)} error(s)",
              *(f"  {issue}" for issue in error.issues)])
    except OSError as error:
        fail([f"cannot write {output}: {error.strerror or error}"], EXIT_INTERNAL)
    typer.echo(f"wrote {output}: {len(problem.candidates)} candidates, {len(problem.posts)} "
               f"posts, {len(problem.rules.quotas)} quotas, {len(problem.rules.pairings)} "
               "pairings", err=True)


def template(
    output: Annotated[Path, typer.Option("--output", "-o", help="workbook to write (.xlsx)",
                                         show_default=False)],
    lang: LangOption = Language.zh,
) -> None:
    """Write an empty problem workbook to fill in: headers, drop-down lists, instructions."""
    from matcher.sheets import write_template

    if output.suffix.lower() != ".xlsx":
        fail([f"{output}: the template is a workbook; give a name ending in .xlsx"])
    try:
        write_template(output, lang.lang())
    except OSError as error:
        fail([f"cannot write {output}: {error.strerror or error}"], EXIT_INTERNAL)
    typer.echo(f"wrote {output}: fill in the sheets, then "
               f"`matcher solve {output.name} -o result.xlsx`", err=True)


def register(app: typer.Typer) -> None:
    app.command()(convert)
    app.command()(template)
