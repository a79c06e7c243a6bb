"""A solution workbook, as ``matcher solve -o x.xlsx`` writes it, read back into a solution.

Why: offices keep the workbook, not the JSON, and start the next step of a round from it
(``matcher round``, ``explain``, ``report``). The workbook states the whole solution (see
:mod:`matcher.sheets.solution_book`); this reads the summary, placements and quota sheets in
either language and rebuilds the same :class:`~matcher.solution.Solution`. A damaged workbook
(a typo in a post id, a word where a rank belongs, a deleted row) is reported like a damaged
problem workbook: every mistake at once, each at its cell (``安置结果!C5 (岗位): …``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem
from matcher.sheets.cells import CellError, parse_scalar, quoted
from matcher.sheets.headers import VOCABULARIES, Kind, normalise
from matcher.sheets.locate import cell_name
from matcher.sheets.read import read_tables
from matcher.sheets.solution_book import DETAIL_SEPARATOR, SOLUTION_HEADERS
from matcher.sheets.tables import Table
from matcher.solution import Solution

# Every spelling of a header or summary item (English key or Chinese label) → its key.
_KEYS = {normalise(name): key for key, zh in SOLUTION_HEADERS.items() for name in (key, zh)}
_WORDS = {key: (key, SOLUTION_HEADERS[key]) for key in ("summary", "placements", "quota_report")}

# Summary items: key → (where it goes in the solution, how the cell spells it).
_SUMMARY: dict[str, tuple[str, Kind]] = {
    "problem": ("problem", Kind.text),
    "status": ("status", Kind.choice),
    "coverage": ("objective.coverage", Kind.integer),
    "quotas": ("objective.quotas", Kind.number),
    "preferences": ("objective.preferences", Kind.integer),
    "bound_coverage": ("bound.coverage", Kind.integer),
    "bound_quotas": ("bound.quotas", Kind.number),
    "bound_preferences": ("bound.preferences", Kind.integer),
    "engine": ("solver.engine", Kind.text),
    "time_s": ("solver.time_s", Kind.number),
    "workers": ("solver.workers", Kind.integer),
    "seed": ("solver.seed", Kind.integer),
    "note": ("solver.note", Kind.text),
    "conflict": ("conflict", Kind.text),
    "schema_version": ("schema_version", Kind.text),
}
_REQUIRED = ("problem", "status", "engine", "time_s")


@dataclass
class _Reading:
    problem: Problem | None
    issues: list[InputIssue] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)  # solution path → cell, for validation

    def issue(self, where: str, code: str, message: str) -> None:
        self.issues.append(InputIssue(where, code, message))


def solution_from_tables(tables: list[Table], problem: Problem | None = None,
                         label: str = "workbook") -> Solution:
    """The solution the sheets state; ``problem``, when given, checks candidate and post ids.

    Raises :class:`~matcher.errors.InvalidProblemError` with every mistake at its cell.
    """
    reading = _Reading(problem)
    found = {key: _find(tables, key) for key in _WORDS}
    for key in ("summary", "placements"):
        if found[key] is None:
            en, zh = _WORDS[key]
            reading.issue(label, "missing_sheet", f"no sheet {zh} ({en}): is this a solution "
                          "workbook written by matcher solve -o …xlsx?")
    summary, placements = found["summary"], found["placements"]
    if summary is None or placements is None:
        raise InvalidProblemError(reading.issues)
    data: dict[str, Any] = {"solver": {}, "objective": {}, "bound": {}}
    _read_summary(reading, summary, data)
    data["assignments"], data["unassigned"] = _read_placements(reading, placements)
    quota_table = found["quota_report"]
    data["quotas"] = _read_quotas(reading, quota_table) if quota_table is not None else []
    if reading.issues:
        raise InvalidProblemError(reading.issues)
    return _validated(reading, data)


def load_workbook_solution(path: Path | BinaryIO, problem: Problem | None = None) -> Solution:
    """A solution from a workbook written by :func:`~matcher.sheets.write_solution_xlsx`."""
    label = str(path) if isinstance(path, Path) else "workbook"
    return solution_from_tables(read_tables(path, label), problem, label)


def load_any_solution(path: Path, problem: Problem | None = None) -> Solution:
    """A solution from a JSON file or a solution workbook (``.xlsx``), chosen by suffix."""
    from pydantic import ValidationError

    from matcher.sheets import format_of
    from matcher.validation import issues_from_pydantic

    if format_of(path) == "xlsx":
        return load_workbook_solution(path, problem)
    try:
        return Solution.model_validate_json(path.read_bytes())
    except OSError as error:
        raise _unreadable(str(path), error.strerror or str(error)) from None
    except ValidationError as error:
        raise InvalidProblemError(issues_from_pydantic(error)) from None


def _find(tables: list[Table], key: str) -> Table | None:
    names = {normalise(name) for name in _WORDS[key]}
    return next((t for t in tables if normalise(t.name) in names), None)


def _columns(reading: _Reading, table: Table, wanted: tuple[str, ...],
             required: tuple[str, ...]) -> dict[str, int]:
    """Header key → column index, for the keys in ``wanted``; a missing required one is an
    issue at the header row."""
    at: dict[str, int] = {}
    for index, header in enumerate(table.header):
        key = _KEYS.get(normalise(str(header))) if header is not None else None
        if key in wanted and key not in at:
            at[key] = index
    for key in required:
        if key not in at:
            reading.issue(f"{table.name} row {max(table.header_row, 1)}", "missing_column",
                          f"no column {SOLUTION_HEADERS[key]} ({key})")
    return at


def _cell(reading: _Reading, table: Table, row: int, cells: list[Any], index: int | None,
          kind: Kind, vocabulary: str | None = None) -> Any:
    """The value of one cell (None when empty or unreadable, the latter reported)."""
    if index is None or index >= len(cells):
        return None
    raw = cells[index]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return parse_scalar(kind, vocabulary, raw)
    except CellError as error:
        reading.issue(_at(table, index, row), error.code, error.message)
        return None


def _at(table: Table, index: int, row: int) -> str:
    header = table.header[index] if index < len(table.header) else ""
    return cell_name(table.name, index, row, str(header))


def _read_summary(reading: _Reading, table: Table, data: dict[str, Any]) -> None:
    at = _columns(reading, table, ("item", "value"), ("item", "value"))
    if "item" not in at or "value" not in at:
        return
    item_at, value_at = at["item"], at["value"]
    seen: set[str] = set()
    for row, cells in table.rows:
        raw = cells[item_at] if item_at < len(cells) else None
        if raw is None or not str(raw).strip():
            continue
        key = _KEYS.get(normalise(str(raw)))
        if key not in _SUMMARY:
            continue  # counts (candidates, seats filled …) are derived, not read
        if key in seen:
            reading.issue(_at(table, item_at, row), "duplicate_item",
                          f"{quoted(raw)} is given twice")
            continue
        seen.add(key)
        path, kind = _SUMMARY[key]
        reading.where[path] = _at(table, value_at, row)
        value = _cell(reading, table, row, cells, value_at, kind,
                      "status" if key == "status" else None)
        if value is None:
            continue
        if key == "conflict":
            value = [part.strip() for part in str(value).split(";") if part.strip()]
        _put(data, path, value)
    for key in _REQUIRED:
        if key not in seen:
            reading.issue(f"{table.name}", "missing_item",
                          f"no row {SOLUTION_HEADERS[key]} ({key})")


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


_PLACEMENT_KEYS = ("candidate", "placed", "post", "rank", "adjusted", "locked", "reason",
                   "detail")


def _read_placements(reading: _Reading, table: Table
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    at = _columns(reading, table, _PLACEMENT_KEYS, ("candidate", "placed", "post"))
    if not {"candidate", "placed", "post"} <= at.keys():
        return [], []
    problem = reading.problem
    known_candidates = {c.id for c in problem.candidates} if problem else None
    known_posts = {p.id for p in problem.posts} if problem else None
    assignments: list[dict[str, Any]] = []
    unassigned: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for row, cells in table.rows:
        candidate = _cell(reading, table, row, cells, at["candidate"], Kind.text)
        if candidate is None:
            if any(v is not None and str(v).strip() for v in cells):
                reading.issue(_at(table, at["candidate"], row), "missing_value",
                              "a row without a candidate id")
            continue
        if candidate in first_row:
            reading.issue(_at(table, at["candidate"], row), "duplicate_candidate",
                          f"{quoted(candidate)} is already listed in row {first_row[candidate]}")
            continue
        first_row[candidate] = row
        if known_candidates is not None and candidate not in known_candidates:
            reading.issue(_at(table, at["candidate"], row), "unknown_candidate",
                          f"{quoted(candidate)} is not a candidate of the problem")
        placed = _cell(reading, table, row, cells, at["placed"], Kind.boolean)
        post = _cell(reading, table, row, cells, at["post"], Kind.text)
        if placed is None:
            placed = post is not None
        if not placed:
            if post is not None:
                reading.issue(_at(table, at["post"], row), "post_when_unplaced",
                              f"post {quoted(post)} given for a candidate marked not placed")
            unassigned.append({"candidate": candidate,
                               "reasons": _reasons(reading, table, row, cells, at)})
            continue
        if post is None:
            reading.issue(_at(table, at["post"], row), "missing_value",
                          "no post for a candidate marked placed")
            continue
        if known_posts is not None and post not in known_posts:
            reading.issue(_at(table, at["post"], row), "unknown_post",
                          f"{quoted(post)} is not a post of the problem")
        rank = _cell(reading, table, row, cells, at.get("rank"), Kind.integer)
        if rank is not None and rank < 1:
            reading.issue(_at(table, at["rank"], row), "bad_rank",
                          f"wish rank {rank} is not 1 or more")
        adjusted = _cell(reading, table, row, cells, at.get("adjusted"), Kind.boolean)
        locked = _cell(reading, table, row, cells, at.get("locked"), Kind.boolean)
        assignments.append({"candidate": candidate, "post": post, "rank": rank,
                            "adjusted": bool(adjusted), "locked": bool(locked)})
    return assignments, unassigned


def _reasons(reading: _Reading, table: Table, row: int, cells: list[Any],
             at: dict[str, int]) -> list[dict[str, str]]:
    """The reason words (``;``-separated) paired with their details (one per line)."""
    words = _cell(reading, table, row, cells, at.get("reason"), Kind.text)
    details = _cell(reading, table, row, cells, at.get("detail"), Kind.text)
    vocabulary = VOCABULARIES["reason"]
    codes = [vocabulary.lookup(word.strip()) or word.strip()
             for word in str(words or "").split(";") if word.strip()]
    lines = str(details).split(DETAIL_SEPARATOR) if details is not None else []
    if len(lines) > len(codes) and codes:  # an edited cell: keep every line, on the last
        lines = [*lines[:len(codes) - 1], DETAIL_SEPARATOR.join(lines[len(codes) - 1:])]
    lines += [""] * (len(codes) - len(lines))
    return [{"code": code, "detail": line} for code, line in zip(codes, lines, strict=True)]


_QUOTA_KEYS = ("id", "count", "base", "deviation", "satisfied")


def _read_quotas(reading: _Reading, table: Table) -> list[dict[str, Any]]:
    at = _columns(reading, table, _QUOTA_KEYS, ("id",))
    if "id" not in at:
        return []
    out = []
    for row, cells in table.rows:
        quota = _cell(reading, table, row, cells, at["id"], Kind.text)
        values = {key: _cell(reading, table, row, cells, at.get(key), kind)
                  for key, kind in (("count", Kind.integer), ("base", Kind.integer),
                                    ("deviation", Kind.number), ("satisfied", Kind.boolean))}
        if quota is None or all(v is None for v in values.values()):
            continue  # no report for this quota (an infeasible round reports none)
        for key, value in values.items():
            if value is None:
                index = at.get(key)
                reading.issue(_at(table, index, row) if index is not None else table.name,
                              "missing_value", f"quota {quota}: no {key}")
        if any(v is None for v in values.values()):
            continue
        out.append({"id": quota, **values, "deviation": float(values["deviation"])})
    return out


def _validated(reading: _Reading, data: dict[str, Any]) -> Solution:
    from pydantic import ValidationError

    from matcher.validation import issues_from_pydantic

    try:
        return Solution.model_validate(data)
    except ValidationError as error:
        issues = [InputIssue(reading.where.get(i.path, i.path), i.code, i.message)
                  for i in issues_from_pydantic(error)]
        raise InvalidProblemError(issues) from None


def _unreadable(where: str, why: str) -> InvalidProblemError:
    return InvalidProblemError([InputIssue(where, "unreadable", f"cannot read: {why}")])
