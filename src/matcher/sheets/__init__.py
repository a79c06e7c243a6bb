"""Problems and solutions as spreadsheets: ``.xlsx`` workbooks and folders of CSV files.

Why: programme offices keep candidates and posts in Excel. A workbook is only another spelling
of the JSON problem file (SPEC §6) — read into the same object and checked by the same
validation — so anything that takes a problem takes a workbook. The layout, headers (English or
Chinese) and cell grammar are in :mod:`matcher.sheets.headers` and ``docs/spreadsheets.md``.

Modules: ``headers`` (the one mapping table), ``cells`` (one cell ↔ one value), ``tables``
(raw rows in and out of files), ``locate`` (JSON path → cell), ``read``, ``write``,
``instructions``, ``solution_book``.
"""

from __future__ import annotations

from pathlib import Path

from matcher.problem import Problem
from matcher.sheets.headers import Lang
from matcher.sheets.read import load_csv_problem, load_workbook_problem
from matcher.sheets.solution_book import write_solution_xlsx
from matcher.sheets.write import write_problem_csv, write_problem_xlsx, write_template

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

__all__ = [
    "format_of",
    "load_any",
    "load_csv_problem",
    "load_workbook_problem",
    "write_any",
    "write_problem_csv",
    "write_problem_xlsx",
    "write_solution_xlsx",
    "write_template",
]


def format_of(path: Path) -> str:
    """``xlsx``, ``csv`` (a folder, or a path without suffix to become one) or ``json``."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return "xlsx"
    if path.is_dir() or (not suffix and not path.exists()):
        return "csv"
    return "json"


def load_any(path: Path) -> Problem:
    """A problem from a JSON file, a workbook or a CSV folder, chosen by suffix / directory.

    Raises :class:`~matcher.errors.InvalidProblemError` with every mistake; in a workbook each
    names its sheet, cell and column header.
    """
    from matcher.validation import load_problem

    kind = format_of(path)
    if kind == "xlsx":
        return load_workbook_problem(path)
    if kind == "csv":
        return load_csv_problem(path)
    if path.suffix.lower() == ".xls":
        from matcher.errors import InputIssue, InvalidProblemError

        raise InvalidProblemError([InputIssue(str(path), "unreadable", "old Excel format "
                                              "(.xls): save it as an .xlsx workbook")])
    return load_problem(path)


def write_any(problem: Problem, path: Path, lang: Lang = "zh") -> None:
    """Write ``problem`` as JSON, a workbook or a CSV folder, chosen by suffix / directory."""
    kind = format_of(path)
    if kind == "xlsx":
        write_problem_xlsx(problem, path, lang)
    elif kind == "csv":
        write_problem_csv(problem, path, lang)
    else:
        # Only what was given: defaults stay implicit, so a programme model merged later
        # still supplies the settings the office left open.
        text = problem.model_dump_json(indent=1, exclude_unset=True)
        path.write_text(text + "\n", encoding="utf-8")
