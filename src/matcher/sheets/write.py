"""Writing a problem as a workbook or a CSV folder, and the empty template.

Why the writer is careful about "set": a settings row is written with a value only when the
problem file gave that setting, and left empty (with its default in the note) otherwise, so a
programme model merged later still supplies what the office did not decide, and reading the
workbook back gives the very same problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel

from matcher.errors import InputIssue, InvalidProblemError, format_path
from matcher.problem import WISH_PATTERN_FIELDS, Candidate, Problem
from matcher.sheets.cells import format_cell
from matcher.sheets.headers import (
    SETTING_KEY,
    SETTING_NOTE,
    SETTING_VALUE,
    SETTINGS,
    SHEETS,
    VOCABULARIES,
    WISH_COLUMN,
    Column,
    Kind,
    Lang,
    SheetSpec,
)
from matcher.sheets.instructions import instructions_sheet
from matcher.sheets.tables import SheetOut, write_csv_folder, write_xlsx

MIN_WISH_COLUMNS = 10
WIDTHS = {Kind.candidate_selector: 34, Kind.post_selector: 34, Kind.wish: 22,
          Kind.text_list: 16}


def problem_sheets(problem: Problem, lang: Lang = "zh") -> list[SheetOut]:
    """The sheets of ``problem``, in the order an office fills them."""
    sheets = []
    for spec in SHEETS:
        if spec.key == "settings":
            sheets.append(_settings_sheet(problem, lang))
            continue
        items: Sequence[BaseModel] = list(_at(problem, spec.path))
        wish_count = 0
        if spec.has_wishes:
            longest = max((len(c.wishes) for c in problem.candidates), default=0)
            wish_count = max(MIN_WISH_COLUMNS, longest)
        columns = list(spec.columns) + [WISH_COLUMN] * wish_count
        header = [c.header(lang) for c in spec.columns] + [
            f"志愿{n}" if lang == "zh" else f"wish_{n}" for n in range(1, wish_count + 1)]
        sheets.append(SheetOut(
            spec.name(lang), header, _rows(spec, items, wish_count, lang),
            notes=[_note(c, lang) for c in columns],
            choices=_choices(columns, lang),
            widths=[WIDTHS.get(c.kind, 12) for c in columns],
        ))
    return sheets


def _at(problem: Problem, path: str) -> Any:
    """The part of ``problem`` at a dotted path (``rules.quotas``, ``objective.order``)."""
    target: Any = problem
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _rows(spec: SheetSpec, items: Sequence[BaseModel], wish_count: int,
          lang: Lang) -> Iterator[list[Any]]:
    for item in items:
        row = [format_cell(c, getattr(item, c.key), lang) for c in spec.columns]
        if wish_count:
            assert isinstance(item, Candidate)
            wishes = [format_cell(WISH_COLUMN, _wish(w), lang) for w in item.wishes]
            row += wishes + [None] * (wish_count - len(wishes))
        yield row


def _wish(wish: BaseModel) -> dict[str, Any]:
    return {name: getattr(wish, name) for name in ("post", *WISH_PATTERN_FIELDS)
            if getattr(wish, name) is not None}


def _note(column: Column, lang: Lang) -> str:
    other = column.key if lang == "zh" else column.zh
    return f"{other}\n{column.note_zh}\n{column.note}" if lang == "zh" else (
        f"{other}\n{column.note}\n{column.note_zh}")


def _choices(columns: Sequence[Column], lang: Lang) -> dict[int, tuple[list[str], bool]]:
    """Drop-down lists: strict for closed vocabularies, suggestions for open ones."""
    out = {}
    for index, column in enumerate(columns):
        if column.vocabulary is None or column.kind not in (Kind.text, Kind.choice,
                                                             Kind.boolean):
            continue
        vocab = VOCABULARIES[column.vocabulary]
        out[index] = ([vocab.display(v, lang) for v in vocab.values()], vocab.closed)
    return out


def _settings_sheet(problem: Problem, lang: Lang) -> SheetOut:
    given = {"name"} | {f"rules.{n}" for n in problem.rules.model_fields_set} | {
        f"objective.{n}" for n in problem.objective.model_fields_set}
    rows = []
    for setting in SETTINGS:
        if setting.key == "schema_version":
            continue  # always "1": nothing for an office to decide
        value = _at(problem, setting.path) if setting.path in given else None
        note = setting.note_zh if lang == "zh" else setting.note
        rows.append([setting.header(lang), format_cell(setting, value, lang), note])
    spec_columns = [SETTING_KEY, SETTING_VALUE, SETTING_NOTE]
    return SheetOut(
        "设置" if lang == "zh" else "settings", [c.header(lang) for c in spec_columns], rows,
        notes=[_note(c, lang) for c in spec_columns], widths=[18, 28, 60])


# --- files --------------------------------------------------------------------------------


def write_problem_xlsx(problem: Problem, path: Path | BinaryIO, lang: Lang = "zh") -> None:
    """A workbook an office can edit and read back; the first sheet explains how.

    ``path`` may be an open binary file (an API response body, a ``BytesIO``). Raises
    :class:`InvalidProblemError` naming every text a workbook cannot hold (control
    characters, which JSON allows), before anything is written.
    """
    issues = list(unwritable_text(problem.model_dump(mode="json")))
    if issues:
        raise InvalidProblemError(issues)
    write_xlsx([instructions_sheet(lang), *problem_sheets(problem, lang)], path)


def unwritable_text(value: Any, where: list[str | int] | None = None) -> Iterator[InputIssue]:
    """Every string under ``value`` (decoded JSON) that a workbook cell cannot hold, with its
    JSON path."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    where = where or []
    if isinstance(value, str):
        found = ILLEGAL_CHARACTERS_RE.search(value)
        if found is not None:
            yield InputIssue(format_path(where), "unwritable_character",
                             f"control character U+{ord(found.group()):04X} cannot be written "
                             "to a workbook")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unwritable_text(item, [*where, str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unwritable_text(item, [*where, index])


def write_problem_csv(problem: Problem, folder: Path, lang: Lang = "zh") -> None:
    """A folder of ``candidates.csv``, ``posts.csv``, ... (file names always in English)."""
    write_csv_folder(problem_sheets(problem, lang), folder, [spec.key for spec in SHEETS])


def write_template(path: Path, lang: Lang = "zh") -> None:
    """An empty workbook: header rows, drop-down lists and the instructions sheet."""
    write_problem_xlsx(Problem(name=path.stem), path, lang)
