"""Reading a problem from a workbook or a CSV folder, with every error at its cell.

Why this shape: the sheets are turned into the same JSON object a problem file holds and then
checked by :func:`matcher.validation.parse_problem`, the one boundary where input becomes a
:class:`~matcher.problem.Problem` — so a workbook obeys exactly the contract a JSON file does.
Cell-level mistakes (a word where a number belongs) are caught while reading, contract-level
ones (an unknown partner, a lock over capacity) by validation; both kinds are reported together,
each named by sheet, cell and header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem
from matcher.sheets.cells import CellError, parse_cell, quoted
from matcher.sheets.headers import (
    NOTE_SHEETS,
    SETTING_KEY,
    SETTING_VALUE,
    SETTINGS,
    SHEETS,
    WISH_COLUMN,
    WISH_HEADER,
    Column,
    SheetSpec,
    normalise,
    setting_for,
    sheet_for,
)
from matcher.sheets.locate import ListSource, Locator, cell_name, relocate
from matcher.sheets.tables import Table, read_csv_folder, read_xlsx
from matcher.validation import parse_problem


@dataclass
class _Reading:
    """The problem object being filled, where each part came from, and what went wrong."""

    data: dict[str, Any] = field(default_factory=lambda: {"rules": {}, "objective": {}})
    locator: Locator = field(default_factory=Locator)
    issues: list[InputIssue] = field(default_factory=list)
    unread: set[str] = field(default_factory=set)  # JSON paths already reported at their cell
    seen: dict[str, str] = field(default_factory=dict)  # sheet key: name as written

    def issue(self, where: str, code: str, message: str) -> None:
        self.issues.append(InputIssue(where, code, message))

    def put(self, path: str, value: Any) -> None:
        *parents, last = path.split(".")
        target = self.data
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value


def raw_from_tables(tables: list[Table]) -> dict[str, Any]:
    """The JSON the tables spell, not yet validated as a whole problem (an ``--add`` file of
    joining candidates and posts is only valid together with the problem it joins); raises
    :class:`InvalidProblemError` for cells that cannot be read at all."""
    reading = _Reading()
    for table in tables:
        _read_table(reading, table)
    if reading.issues:
        raise InvalidProblemError(_in_sheet_order(reading.issues, tables))
    return reading.data


def read_raw(path: Path) -> dict[str, Any]:
    """:func:`raw_from_tables` of an ``.xlsx`` workbook or a CSV folder."""
    return raw_from_tables(read_tables(path, str(path)))


def problem_from_tables(tables: list[Table], name: str = "problem") -> Problem:
    """The problem the tables spell; raises :class:`InvalidProblemError` with every mistake."""
    reading = _Reading()
    for table in tables:
        _read_table(reading, table)
    reading.data.setdefault("name", name)
    try:
        problem = parse_problem(reading.data)
    except InvalidProblemError as error:
        # A cell that could not be read was left out; validation's complaint about the gap
        # would only repeat the cell's own error.
        later = [i for i in error.issues if not _already_reported(i.path, reading.unread)]
        issues = reading.issues + relocate(later, reading.locator)
        raise InvalidProblemError(_in_sheet_order(issues, tables)) from None
    if reading.issues:
        raise InvalidProblemError(_in_sheet_order(reading.issues, tables))
    return problem


_CELL = re.compile(r"^(?P<sheet>.*?)(?:!(?P<col>[A-Z]+)(?P<row>\d+) \(| row (?P<line>\d+)$)")


def _in_sheet_order(issues: list[InputIssue], tables: list[Table]) -> list[InputIssue]:
    """Issues sorted as a person reads the workbook: sheet by sheet, row by row."""
    sheets = {table.name: position for position, table in enumerate(tables)}

    def key(issue: InputIssue) -> tuple[int, int, int, str]:
        match = _CELL.match(issue.path)
        if match is None:
            return (sheets.get(issue.path, len(sheets)), 0, 0, "")
        row = int(match["row"] or match["line"])
        column = match["col"] or ""
        return (sheets.get(match["sheet"], len(sheets)), row, len(column), column)

    return sorted(issues, key=key)


def _already_reported(path: str, unread: set[str]) -> bool:
    while path:
        if path in unread:
            return True
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return False


def _read_table(reading: _Reading, table: Table) -> None:
    spec = sheet_for(table.name)
    if spec is None:
        skip = table.name.startswith("#") or normalise(table.name) in NOTE_SHEETS
        if not skip and (table.header or table.rows):
            known = ", ".join(f"{s.key} ({s.zh})" for s in SHEETS)
            reading.issue(table.name, "unknown_sheet",
                          f"sheet {quoted(table.name)} is not one of {known}; rename it, or "
                          "start its name with # to keep it as notes")
        return
    if spec.key in reading.seen:
        reading.issue(table.name, "duplicate_sheet", f"{spec.key} is given twice: in "
                      f"{quoted(reading.seen[spec.key])} and {quoted(table.name)}")
        return
    reading.seen[spec.key] = table.name
    if spec.key == "settings":
        _read_settings(reading, table)
    else:
        _read_list(reading, spec, table)


def _header_issue(reading: _Reading, table: Table, index: int, code: str, text: str) -> None:
    reading.issue(cell_name(table.name, index, table.header_row, str(table.header[index])),
                  code, text)


def _map_header(reading: _Reading, spec: SheetSpec, table: Table
                ) -> tuple[dict[int, Column], list[tuple[int, int]]]:
    """Columns by index, and wish columns as (index, wish number) in wish order."""
    columns: dict[int, Column] = {}
    wishes: dict[int, int] = {}
    for index, raw in enumerate(table.header):
        text = "" if raw is None else str(raw).strip()
        if not text or text.startswith("#"):
            continue
        match = WISH_HEADER.match(normalise(text)) if spec.has_wishes else None
        if match is not None:
            number = int(next(g for g in match.groups() if g is not None))
            if number in wishes.values():
                _header_issue(reading, table, index, "duplicate_column",
                              f"wish {number} has two columns")
            wishes[index] = number
            continue
        column = spec.column(text)
        if column is None:
            known = ", ".join(f"{c.key} ({c.zh})" for c in spec.columns)
            extra = ", wish_1… (志愿1…)" if spec.has_wishes else ""
            _header_issue(reading, table, index, "unknown_column",
                          f"unknown column {quoted(text)}; known: {known}{extra}; "
                          "start a header with # to keep a column as notes")
        elif column in columns.values():
            _header_issue(reading, table, index, "duplicate_column",
                          f"column {column.key} ({column.zh}) appears twice")
        else:
            columns[index] = column
    return columns, sorted(wishes.items(), key=lambda item: item[1])


def _read_list(reading: _Reading, spec: SheetSpec, table: Table) -> None:
    columns, wish_columns = _map_header(reading, spec, table)
    source = ListSource(table.name, columns={c.key: (i, str(table.header[i]))
                                             for i, c in columns.items()})
    reading.locator.lists[spec.path] = source
    items: list[dict[str, Any]] = []
    reading.put(spec.path, items)
    present = {column.key for column in columns.values()}
    missing = [c for c in spec.columns if c.required and c.key not in present]
    if missing and table.rows:
        names = ", ".join(f"{c.key} ({c.zh})" for c in missing)
        reading.issue(f"{table.name} row {table.header_row}", "missing_column",
                      f"missing column{'s' if len(missing) > 1 else ''} {names}")
    for position, (row, cells) in enumerate(table.rows):
        path = f"{spec.path}[{position}]"
        item: dict[str, Any] = {}
        for index, column in columns.items():
            value = _cell(reading, table, row, cells, index, column, f"{path}.{column.key}")
            if value is not None:
                item[column.key] = value
        for column in missing:
            reading.unread.add(f"{path}.{column.key}")
        if wish_columns:
            _read_wishes(reading, table, row, cells, wish_columns, item, path)
        _check_stray(reading, table, row, cells, columns, wish_columns)
        source.rows.append(row)
        items.append(item)


def _read_wishes(reading: _Reading, table: Table, row: int, cells: list[Any],
                 wish_columns: list[tuple[int, int]], item: dict[str, Any], path: str) -> None:
    wishes, where = [], []
    for index, _number in wish_columns:
        header = str(table.header[index])
        # A wish that cannot be read is left out; no later check refers to it (path "").
        value = _cell(reading, table, row, cells, index, WISH_COLUMN, "")
        if value is not None:  # empty wish columns between filled ones are skipped
            wishes.append(value)
            where.append((index, header))
    reading.locator.lists["candidates"].wishes.append(where)
    if wishes:
        item["wishes"] = wishes


def _cell(reading: _Reading, table: Table, row: int, cells: list[Any], index: int,
          column: Column, path: str, header: str | None = None) -> Any:
    raw = cells[index] if index < len(cells) else None
    try:
        return parse_cell(column, raw)
    except CellError as error:
        header = header or str(table.header[index])
        reading.issue(cell_name(table.name, index, row, header), error.code, error.message)
        reading.unread.add(path)
        return None


def _check_stray(reading: _Reading, table: Table, row: int, cells: list[Any],
                 columns: dict[int, Column], wish_columns: list[tuple[int, int]]) -> None:
    """A value under no header would be silently lost: say so."""
    known = set(columns) | {index for index, _ in wish_columns}
    for index, value in enumerate(cells):
        if index in known or value is None or (isinstance(value, str) and not value.strip()):
            continue
        header = table.header[index] if index < len(table.header) else None
        if header is None or not str(header).strip():
            reading.issue(cell_name(table.name, index, row, "no header"), "no_header",
                          f"{quoted(value)} is in a column without a header")


def _read_settings(reading: _Reading, table: Table) -> None:
    spec = sheet_for("settings")
    assert spec is not None
    columns, _ = _map_header(reading, spec, table)
    by_key = {column.key: index for index, column in columns.items()}
    if SETTING_KEY.key not in by_key or SETTING_VALUE.key not in by_key:
        if table.rows:
            reading.issue(f"{table.name} row {table.header_row}", "missing_column",
                          "settings need the columns setting (设置项) and value (值)")
        return
    key_at, value_at = by_key[SETTING_KEY.key], by_key[SETTING_VALUE.key]
    done: set[str] = set()
    for row, cells in table.rows:
        key = cells[key_at] if key_at < len(cells) else None
        if key is None or not str(key).strip():
            continue
        setting = setting_for(str(key))
        if setting is None:
            known = ", ".join(f"{c.key} ({c.zh})" for c in SETTINGS)
            reading.issue(cell_name(table.name, key_at, row, str(table.header[key_at])),
                          "unknown_setting", f"unknown setting {quoted(key)}; known: {known}")
            continue
        if setting.path in done:
            reading.issue(cell_name(table.name, key_at, row, str(table.header[key_at])),
                          "duplicate_setting", f"setting {setting.key} is given twice")
            continue
        done.add(setting.path)
        reading.locator.settings[setting.path] = (table.name, value_at, row, str(key).strip())
        value = _cell(reading, table, row, cells, value_at, setting, setting.path,
                      str(key).strip())
        if value is not None:
            reading.put(setting.path, value)


# --- files --------------------------------------------------------------------------------


def load_workbook_problem(path: Path | BinaryIO, name: str | None = None) -> Problem:
    """A problem from an ``.xlsx`` workbook: a path, or an open binary file (an upload).

    ``name`` is the problem's name when its settings sheet gives none (default: file stem).
    """
    label = str(path) if isinstance(path, Path) else (name or "workbook")
    default = name or (path.stem if isinstance(path, Path) else "problem")
    return problem_from_tables(read_tables(path, label), default)


def load_csv_problem(folder: Path) -> Problem:
    """A problem from a folder of CSV files (``candidates.csv``, ``posts.csv``, ...)."""
    return problem_from_tables(read_tables(folder, str(folder)), folder.name)


def read_tables(source: Path | BinaryIO, label: str) -> list[Table]:
    """The tables of a CSV folder or an ``.xlsx`` workbook (a path or an open binary file);
    a file that cannot be read is one issue named ``label``."""
    if isinstance(source, Path) and source.is_dir():
        try:
            tables = read_csv_folder(source)
        except OSError as error:
            raise _unreadable(label, error.strerror or str(error)) from None
        if not tables:
            raise _unreadable(label, "no .csv files in the folder")
        return tables
    try:
        return read_xlsx(source)
    except OSError as error:
        raise _unreadable(label, error.strerror or str(error)) from None
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise _unreadable(label, f"not an Excel workbook (.xlsx): {error}") from None


def _unreadable(where: str, why: str) -> InvalidProblemError:
    return InvalidProblemError([InputIssue(where, "unreadable", f"cannot read: {why}")])
