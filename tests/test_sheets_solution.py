"""The solution workbook: one row per candidate, fill per post, a sheet per quota; and read
back into the same solution, with every damaged cell named."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.cli import app
from matcher.errors import InvalidProblemError
from matcher.problem import Problem
from matcher.sheets import load_any, load_workbook_problem, write_problem_xlsx, write_solution_xlsx
from matcher.sheets.headers import Lang
from matcher.sheets.solution_read import load_any_solution, load_workbook_solution
from matcher.solution import Reason, Solution
from matcher.solve import solve
from matcher.validation import load_problem

SAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sample.json"
SUPPLEMENTARY = SAMPLE.parent / "supplementary_round.json"


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


# --- reading a solution workbook back ------------------------------------------------------


def _round_trip(problem: Problem, solution: Solution, tmp_path: Path, lang: Lang) -> Solution:
    path = tmp_path / f"solution.{lang}.xlsx"
    write_solution_xlsx(problem, solution, path, lang)
    return load_workbook_solution(path, problem)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_solution_workbook_reads_back_to_the_same_solution(tmp_path: Path,
                                                             lang: Lang) -> None:
    for path in (SAMPLE, SUPPLEMENTARY):  # unplaced with several reasons; locks
        problem = load_problem(path)
        solution = solve(problem)
        assert _round_trip(problem, solution, tmp_path, lang) == solution


def test_several_reasons_keep_their_details(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE)
    solution = solve(problem)
    first, *rest = solution.unassigned
    several = first.model_copy(update={"reasons": [
        Reason(code="wishes_taken", detail="every seat taken at P01; and at P02"),
        Reason(code="quota", detail=""),
        Reason(code="objective", detail="seats were free at P03")]})
    edited = solution.model_copy(update={"unassigned": [several, *rest]})
    assert _round_trip(problem, edited, tmp_path, "zh") == edited


def test_an_infeasible_solution_reads_back(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE.parent / "infeasible.json")
    solution = solve(problem)
    assert solution.status.value == "infeasible" and solution.conflict
    assert _round_trip(problem, solution, tmp_path, "zh") == solution


def test_round_from_a_workbook_equals_round_from_json(tmp_path: Path) -> None:
    """solve -o x.xlsx, then round from the workbook: the same next round as from JSON."""
    runner = CliRunner()
    json_solution, book = tmp_path / "s.json", tmp_path / "s.xlsx"
    for out in (json_solution, book):
        result = runner.invoke(app, ["solve", str(SAMPLE), "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
    placed = load_any_solution(json_solution).assignments[0].candidate
    outputs = []
    for source in (json_solution, book):
        out = tmp_path / f"next-from-{source.suffix[1:]}.json"
        result = runner.invoke(app, ["round", str(SAMPLE), str(source), "--withdrawn", placed,
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    result = runner.invoke(app, ["round-summary", str(json_solution), str(book), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kept"] == len(load_any_solution(book).assignments)


def _damage(path: Path, sheet: str, cell: str, value: object) -> None:
    book = load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


def test_a_typo_in_a_solution_workbook_names_its_cell(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE)
    path = tmp_path / "s.xlsx"
    write_solution_xlsx(problem, solve(problem), path)
    header = [c.value for c in load_workbook(path)["安置结果"][1]]
    post_col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[header.index("岗位")]
    rank_col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[header.index("志愿序号")]
    book = load_workbook(path)
    placed_row = next(row for row in range(2, 30)
                      if book["安置结果"][f"{post_col}{row}"].value is not None)
    _damage(path, "安置结果", f"{post_col}{placed_row}", "P0l")
    _damage(path, "安置结果", f"{rank_col}{placed_row}", "第一")
    _damage(path, "概要", "B3", "最忧")
    with pytest.raises(InvalidProblemError) as caught:
        load_workbook_solution(path, problem)
    where = {issue.path: issue.code for issue in caught.value.issues}
    assert where == {f"安置结果!{post_col}{placed_row} (岗位)": "unknown_post",
                     f"安置结果!{rank_col}{placed_row} (志愿序号)": "not_integer",
                     "概要!B3 (值)": "not_a_choice"}
    result = CliRunner().invoke(app, ["round", str(SAMPLE), str(path), "-o",
                                      str(tmp_path / "next.json")])
    assert result.exit_code == 2
    assert f"安置结果!{post_col}{placed_row} (岗位)" in result.stderr and "P0l" in result.stderr
    assert not (tmp_path / "next.json").exists()


def test_a_problem_workbook_is_not_a_solution(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE)
    path = tmp_path / "problem.xlsx"
    write_problem_xlsx(problem, path)
    with pytest.raises(InvalidProblemError) as caught:
        load_workbook_solution(path, problem)
    assert {issue.code for issue in caught.value.issues} == {"missing_sheet"}
    assert "solution workbook" in str(caught.value)


def test_a_solution_workbook_of_another_round_is_refused(tmp_path: Path) -> None:
    problem = load_problem(SAMPLE)
    path = tmp_path / "s.xlsx"
    write_solution_xlsx(problem, solve(problem), path)
    result = CliRunner().invoke(app, ["explain", str(SUPPLEMENTARY), str(path), "S01"])
    assert result.exit_code == 2 and "unknown_candidate" not in result.stderr
    assert "is not a candidate of the problem" in result.stderr
