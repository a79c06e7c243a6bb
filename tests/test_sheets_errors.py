"""Every mistake in a workbook is reported at its sheet, cell and header, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from matcher.errors import InvalidProblemError
from matcher.sheets import load_any, write_problem_xlsx, write_template
from matcher.sheets.tables import column_letter
from matcher.validation import load_problem

SAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sample.json"


def _workbook(tmp_path: Path, lang: str = "en") -> Path:
    path = tmp_path / "problem.xlsx"
    write_problem_xlsx(load_problem(SAMPLE), path, lang)  # type: ignore[arg-type]
    return path


def _put(book: Any, sheet: str, row: int, header: str, value: Any) -> str:
    """Set a cell found by its header; return the reference an error should name."""
    ws = book[sheet]
    headers = [cell.value for cell in ws[1]]
    index = headers.index(header)
    ws.cell(row=row, column=index + 1, value=value)
    return f"{sheet}!{column_letter(index)}{row} ({header})"


def _issues(path: Path) -> dict[str, str]:
    with pytest.raises(InvalidProblemError) as caught:
        load_any(path)
    return {issue.path: issue.message for issue in caught.value.issues}


# (sheet, row, header, bad value, words the message must contain)
TYPOS = [
    ("candidates", 12, "degree", "bachelors",
     '"bachelors" is not one of associate, bachelor, master, doctor'),
    ("candidates", 3, "level", "two", "not a whole number"),
    ("candidates", 4, "score", "high", "not a number"),
    ("candidates", 5, "accept_adjustment", "maybe", "not yes or no"),
    ("candidates", 6, "service_years", "1;x", "not a whole number"),
    ("candidates", 7, "wish_2", "provnce=XJ", "wish key"),
    ("candidates", 8, "wish_1", "P999", "P999"),
    ("candidates", 9, "partner", "C99", "C99"),
    ("candidates", 10, "gender", "X", "not one of F, M"),
    ("posts", 3, "capacity", -1, "greater than or equal to 0"),
    ("posts", 4, "project", "nation", "not one of national, local"),
    ("posts", 5, "minority_region", "perhaps", "not yes or no"),
    ("posts", 6, "hardship", 9, "less than or equal to 6"),
    ("quotas", 2, "posts", "hardship=high", "hardship"),
    ("quotas", 3, "candidates", "degre=bachelor", "degre"),
    ("quotas", 4, "min_share", "lots", "not a number"),
    ("quotas", 5, "share_base", "people", "not one of candidates, posts"),
    ("pairings", 2, "mode", "shared", "not one of exclusive, bound"),
    ("pairings", 3, "destinations", '{"province": ', "JSON"),
]


def test_each_kind_of_typo_names_its_cell_all_at_once(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = load_workbook(path)
    expected = {_put(book, *typo[:4]): typo[4] for typo in TYPOS}
    book["settings"]["B6"] = "cubic"  # rank_cost
    book.save(path)
    issues = _issues(path)
    for where, words in expected.items():
        assert where in issues, (where, issues)
        assert words in issues[where]
    assert "cubic" in issues["settings!B6 (rank_cost)"]
    assert len(issues) == len(TYPOS) + 1  # one report per mistake, no echoes


def test_structure_mistakes(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = load_workbook(path)
    ws = book["candidates"]
    ws.delete_cols(2)  # home_province gone
    ws.cell(row=1, column=40, value="nickname")
    book.create_sheet("Sheet1")["A1"] = "stray"
    book.create_sheet("#scratch")["A1"] = "kept as notes"
    book["posts"].cell(row=2, column=30, value="under no header")
    book.save(path)
    issues = _issues(path)
    assert "missing column home_province" in issues["candidates row 1"]
    assert "unknown column" in issues[f"candidates!{column_letter(39)}1 (nickname)"]
    assert "Sheet1" in issues["Sheet1"]
    assert "without a header" in issues[f"posts!{column_letter(29)}2 (no header)"]
    assert not any("#scratch" in where for where in issues)
    assert not any("required field" in message for message in issues.values())


def test_lock_over_capacity_and_duplicates_name_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = load_workbook(path)
    book["posts"]["A3"] = book["posts"]["A2"].value  # duplicate post id
    locks = book["locks"]
    locks.append(["C01", "P01"])
    locks.append(["C01", "P01"])
    book.save(path)
    issues = _issues(path)
    assert "appears 2 times" in issues["posts!A3 (id)"]
    assert "listed twice" in issues["locks row 3"]


def test_chinese_headers_and_values(tmp_path: Path) -> None:
    """A workbook typed by an office: Chinese sheets, headers and values, full-width ；."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "报名者"
    ws.append(["编号", "生源地", "招募省", "学历", "专业门类", "志愿1", "志愿2", "服从调剂",
               "性别", "分数"])
    ws.append(["S1", "山东省", "北京", "本科", "教育学", "省份=新疆；地州=Kashgar", "P1", "是",
               "女", 88])
    ws.append([2, "新疆维吾尔自治区", None, "硕士", "医学", "P1", None, "否", "男", "75.5"])
    posts = book.create_sheet("岗位")
    posts.append(["岗位编号", "省份", "地州", "县", "专项", "名额", "民族地区", "艰苦类别"])
    posts.append(["P1", "新疆", "Kashgar", "Shule", "基础教育", 2, "是", 5])
    quotas = book.create_sheet("指标")
    quotas.append(["编号", "名称", "报名者范围", "岗位范围", "最低比例", "硬性"])
    quotas.append(["民族", "minority_target", "学历=本科|硕士", "民族地区=是", "45%", "是"])
    settings = book.create_sheet("设置")
    settings.append(["设置项", "值"])
    settings.append(["志愿代价", "平方"])
    settings.append(["回原籍加分", 2])
    path = tmp_path / "office.xlsx"
    book.save(path)

    problem = load_any(path)
    first, second = problem.candidates
    assert (first.home_province, first.recruit_province, first.degree) == ("SD", "BJ",
                                                                           "bachelor")
    assert first.wishes[0].province == "XJ" and first.wishes[0].prefecture == "Kashgar"
    assert first.accept_adjustment and first.gender == "F" and first.score == 88
    assert (second.id, second.home_province, second.score) == ("2", "XJ", 75.5)
    post = problem.posts[0]
    assert (post.province, post.programme, post.minority_region) == ("XJ", "basic_education",
                                                                      True)
    quota = problem.rules.quotas[0]
    assert quota.candidates == {"degree": ["bachelor", "master"]}
    assert quota.min_share == 0.45 and quota.posts == {"minority_region": True}
    assert problem.objective.rank_cost == "quadratic" and problem.objective.home_bonus == 2
    assert problem.name == "office"


def test_chinese_error_names_the_chinese_header(tmp_path: Path) -> None:
    path = _workbook(tmp_path, "zh")
    book = load_workbook(path)
    where = _put(book, "报名者", 5, "学历", "大学")
    book.save(path)
    assert '"大学" is not one of' in _issues(path)[where]
    assert where == "报名者!E5 (学历)"


def test_template_opens_with_drop_downs(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path, "zh")
    book = load_workbook(path)
    assert book.sheetnames[0] == "说明"
    lists = {}
    for ws in book.worksheets[1:]:
        headers = [cell.value for cell in ws[1]]
        for rule in ws.data_validations.dataValidation:
            column = str(rule.sqref).split(":")[0].rstrip("0123456789")
            index = next(i for i in range(len(headers)) if column_letter(i) == column)
            lists[(ws.title, headers[index])] = (rule.formula1, rule.showErrorMessage)
    assert lists[("报名者", "学历")] == ('"专科,本科,硕士,博士"', True)
    assert lists[("报名者", "性别")][0] == '"女,男"'
    assert lists[("报名者", "服从调剂")][0] == '"是,否"'
    assert "基础教育" in lists[("岗位", "专项")][0]
    assert lists[("岗位", "项目")][0] == '"全国项目,地方项目"'
    assert lists[("岗位", "省份")][1] is False  # a suggestion: other codes are allowed
    problem = load_any(path)  # an empty template is a valid, empty problem
    assert problem.candidates == [] and problem.name == "template"


def test_docs_column_reference_matches_the_mapping_table() -> None:
    from matcher.sheets.instructions import reference_markdown

    docs = (SAMPLE.parents[1] / "docs" / "spreadsheets.md").read_text(encoding="utf-8")
    generated = docs.split("<!-- generated -->\n")[1].split("<!-- end generated -->")[0]
    assert generated.strip() == reference_markdown().strip(), (
        "docs/spreadsheets.md is out of date: paste reference_markdown() into it")


def test_csv_folder_saved_by_chinese_excel(tmp_path: Path) -> None:
    """GB18030 text, Chinese file names, 第1志愿 headers, a # note column, a percent."""
    folder = tmp_path / "round"
    folder.mkdir()
    (folder / "报名者.csv").write_bytes(
        "编号,生源地,第1志愿,第2志愿,#备注\nS1,河南,P1,省份=新疆,late\n".encode("gb18030"))
    (folder / "岗位.csv").write_bytes("编号,省份,地州,专项\nP1,兵团,Div8,服务新疆\n"
                                      .encode("gb18030"))
    (folder / "指标.csv").write_text("编号,岗位范围,最低比例\nq,省份=兵团,50%\n",
                                     encoding="utf-8-sig")
    problem = load_any(folder)
    assert problem.name == "round"
    assert [w.post or w.province for w in problem.candidates[0].wishes] == ["P1", "XJ"]
    assert (problem.posts[0].province, problem.posts[0].programme) == ("BT",
                                                                       "xinjiang_service")
    assert problem.rules.quotas[0].min_share == 0.5


def test_text_a_workbook_cannot_hold_is_named_before_writing(tmp_path: Path) -> None:
    problem = load_problem(Path(__file__).resolve().parents[1] / "scenarios" / "sample.json")
    first = problem.candidates[0].model_copy(update={"university": "U\x01X"})
    problem = problem.model_copy(update={"candidates": [first, *problem.candidates[1:]]})
    target = tmp_path / "out.xlsx"
    with pytest.raises(InvalidProblemError) as caught:
        write_problem_xlsx(problem, target)
    assert [(i.path, i.code) for i in caught.value.issues] == [
        ("candidates[0].university", "unwritable_character")]
    assert not target.exists()
