"""The solution workbook: one row per candidate, fill per post, a sheet per quota."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from matcher.errors import InvalidProblemError
from matcher.sheets import load_any, load_workbook_problem, write_problem_xlsx, write_solution_xlsx
from matcher.solve import solve
from matcher.validation import load_problem

SAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sample.json"


def test_solution_workbook(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE)
    solution = solve(problem)
    path = tmp_path / "result.xlsx"
    write_solution_xlsx(problem, solution, path, "en")
    book = load_workbook(path, read_only=True)
    quota_sheets = [f"quota_report-{q.id}"[:31] for q in problem.rules.quotas]
    assert book.sheetnames == ["summary", "placements", "post_fill", "quota_report",
                               *quota_sheets]
    rows = list(book["placements"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body] == [c.id for c in problem.candidates]
    column = {name: i for i, name in enumerate(header)}
    placed = {a.candidate: a for a in solution.assignments}
    for row in body:
        candidate = str(row[column["candidate"]])
        if candidate in placed:
            assert row[column["post"]] == placed[candidate].post
            assert row[column["rank"]] == placed[candidate].rank
        else:
            assert row[column["reason"]]  # every unplaced candidate says why
    reports = {r.id: r for r in solution.quotas}
    for quota, name in zip(problem.rules.quotas, quota_sheets, strict=True):
        counted = list(book[name].iter_rows(values_only=True))[1:]
        assert len(counted) == reports[quota.id].count


def test_solution_workbook_in_chinese(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE)
    path = tmp_path / "结果.xlsx"
    write_solution_xlsx(problem, solve(problem), path)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames[:4] == ["概要", "安置结果", "岗位填报", "指标"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True)}
    assert summary["状态"] == "最优"


def test_workbooks_in_memory_for_uploads_and_downloads() -> None:
    """What an API route needs: read an uploaded workbook, send one back, without files."""
    problem = load_problem(SAMPLE)
    buffer = BytesIO()
    write_problem_xlsx(problem, buffer)
    assert load_workbook_problem(BytesIO(buffer.getvalue()), name="upload") == problem
    out = BytesIO()
    write_solution_xlsx(problem, solve(problem), out)
    assert out.getvalue()[:2] == b"PK"  # a zip container, i.e. an .xlsx


def test_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InvalidProblemError) as caught:
        load_any(path)
    assert "not an Excel workbook" in str(caught.value)
