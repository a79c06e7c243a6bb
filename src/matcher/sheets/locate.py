"""Where in a workbook each part of the problem came from, to name cells in error messages.

Why: validation speaks in JSON paths (``candidates[11].degree``); an office needs
``candidates!F13 (学历)``. The reader records, for every list it fills, the row each item came
from and the column each field came from, and :meth:`Locator.cell` turns a path back into a cell
reference. Recording rows and columns rather than one entry per path keeps this cheap for
100,000 candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from matcher.errors import InputIssue
from matcher.sheets.tables import column_letter

_ITEM = re.compile(
    r"^(?P<list>candidates|posts|locks|forbidden|rules\.quotas|rules\.pairings)\[(?P<i>\d+)\]"
    r"(?:\.(?P<field>[A-Za-z_]+)(?:\[(?P<j>\d+)\])?)?"
)


@dataclass
class ListSource:
    """The sheet one list came from: a row per item, a column per field."""

    sheet: str
    rows: list[int] = field(default_factory=list)
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)  # field: (index, header)
    wishes: list[list[tuple[int, str]]] = field(default_factory=list)  # per item, per wish


@dataclass
class Locator:
    lists: dict[str, ListSource] = field(default_factory=dict)
    settings: dict[str, tuple[str, int, int, str]] = field(default_factory=dict)

    def cell(self, path: str) -> str | None:
        """``sheet!F13 (header)`` or ``sheet row 13`` for a JSON path; None when unknown."""
        match = _ITEM.match(path)
        if match is None:
            return self._setting(path)
        source = self.lists.get(match["list"])
        i = int(match["i"])
        if source is None or i >= len(source.rows):
            return None
        row, name = source.rows[i], match["field"]
        if name == "wishes" and match["j"] is not None and i < len(source.wishes):
            j = int(match["j"])
            if j < len(source.wishes[i]):
                index, header = source.wishes[i][j]
                return cell_name(source.sheet, index, row, header)
        if name in source.columns:
            index, header = source.columns[name]
            return cell_name(source.sheet, index, row, header)
        return f"{source.sheet} row {row}"

    def _setting(self, path: str) -> str | None:
        path = re.sub(r"\[\d+\]$", "", path)
        while path:
            if path in self.settings:
                sheet, index, row, header = self.settings[path]
                return cell_name(sheet, index, row, header)
            path = path.rpartition(".")[0]
        return None


def cell_name(sheet: str, index: int, row: int, header: str) -> str:
    return f"{sheet}!{column_letter(index)}{row} ({header})"


def relocate(issues: list[InputIssue], locator: Locator) -> list[InputIssue]:
    """The same issues with their JSON paths replaced by cell references where known."""
    out = []
    for issue in issues:
        where = locator.cell(issue.path)
        out.append(issue if where is None else InputIssue(where, issue.code, issue.message))
    return out
