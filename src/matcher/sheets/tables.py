"""Raw tables in and out of workbooks and CSV folders, knowing nothing of the problem.

Why separate: the problem mapping (:mod:`read`, :mod:`write`) works on plain rows of cell
values with their row numbers, so a workbook and a folder of CSV files are read and checked by
the same code and give the same cell references in errors.

CSV files are written as UTF-8 with a byte-order mark, which Excel opens correctly; they are
read as UTF-8 and, failing that, as GB18030 (what Excel on a Chinese Windows saves).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

Cell = Any


@dataclass
class Table:
    """One sheet as read: its name as written, the header row and the data rows."""

    name: str
    header: list[Cell]
    header_row: int = 1
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)  # (row number, cells)


@dataclass
class SheetOut:
    """One sheet to write, with what helps a person fill it in."""

    name: str
    header: list[str]
    rows: Iterable[Sequence[Cell]]
    notes: list[str] = field(default_factory=list)  # a comment on each header cell
    choices: dict[int, tuple[list[str], bool]] = field(default_factory=dict)  # col: (list, strict)
    widths: list[int] = field(default_factory=list)


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _empty(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(name: str, rows: Iterable[Sequence[Cell]]) -> Table:
    """Rows up to the first non-empty one are skipped; that one is the header."""
    table: Table | None = None
    for number, cells in enumerate(rows, start=1):
        values = list(cells)
        while values and _empty(values[-1]):
            values.pop()
        if table is None:
            if values:
                table = Table(name, values, number)
        elif values:
            table.rows.append((number, values))
    return table if table is not None else Table(name, [], 0)


def read_xlsx(path: Path | BinaryIO) -> list[Table]:
    from openpyxl import load_workbook

    # data_only: a formula cell gives the value Excel last computed, not the formula text.
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        tables = []
        for sheet in book.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # some writers record wrong sheet sizes
            tables.append(_table(sheet.title, sheet.iter_rows(values_only=True)))
        return tables
    finally:
        book.close()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_csv_folder(folder: Path) -> list[Table]:
    tables = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() == ".csv" and path.is_file():
            text = _decode(path.read_bytes())
            tables.append(_table(path.name, csv.reader(io.StringIO(text, newline=""))))
    return tables


def write_xlsx(sheets: Sequence[SheetOut], path: Path | BinaryIO) -> None:
    """Write a workbook (streaming, so 100,000 rows stay fast and small in memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for spec in sheets:
        sheet = book.create_sheet(spec.name)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(spec.widths):
            sheet.column_dimensions[column_letter(index)].width = width
        for index, (values, strict) in spec.choices.items():
            # A list longer than 255 characters must live in cells; these are short.
            rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                  allow_blank=True, showErrorMessage=strict,
                                  errorTitle="matcher",
                                  error="请从列表中选择 / choose from the list")
            letter = column_letter(index)
            rule.add(f"{letter}2:{letter}1048576")
            sheet.data_validations.append(rule)
        head = []
        for index, text in enumerate(spec.header):
            cell = WriteOnlyCell(sheet, value=text)
            cell.font, cell.fill = bold, fill
            if index < len(spec.notes) and spec.notes[index]:
                cell.comment = Comment(spec.notes[index], "matcher", width=320, height=110)
            head.append(cell)
        sheet.append(head)
        for row in spec.rows:
            sheet.append([_literal(sheet, value) for value in row])
    book.save(path)


def _literal(sheet: Any, value: Cell) -> Cell:
    """Text that starts with '=' is data, not a formula."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_csv_folder(sheets: Sequence[SheetOut], folder: Path, names: Sequence[str]) -> None:
    """One ``NAME.csv`` per sheet; numbers written so that they read back exactly."""
    folder.mkdir(parents=True, exist_ok=True)
    for spec, name in zip(sheets, names, strict=True):
        with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(spec.header)
            writer.writerows([_csv(value) for value in row] for row in spec.rows)


def _csv(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
