"""The planner workflow routes: workbooks in and out, compare, explain, report."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from matcher.api.files import XLSX, disposition, file_stem
from matcher.solution import Solution
from matcher.validation import parse_problem
from matcher.verify import verify
from tests.api.conftest import ClientFactory

SAMPLE_STEM = "sample_western_programme_one_main_round"


@pytest.fixture(scope="module")
def solved(sample: bytes) -> dict[str, Any]:
    """The sample problem and its solution, as the body of the round routes."""
    from matcher.options import SolveOptions
    from matcher.solve import solve

    solution = solve(parse_problem(sample), SolveOptions(time_limit=20))
    return {"problem": json.loads(sample), "solution": json.loads(solution.model_dump_json())}


def _errors(response: Any) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = response.json()["errors"]
    return errors


def _book(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content), read_only=True)


def _download(client: TestClient, problem: bytes, lang: str = "zh") -> bytes:
    response = client.post(f"/v1/workbooks/problem?lang={lang}", content=problem)
    assert response.status_code == 200, response.text
    content: bytes = response.content
    return content


# --- workbooks ----------------------------------------------------------------------------


def test_problem_workbook_round_trip(client: TestClient, sample: bytes) -> None:
    response = client.post("/v1/workbooks/problem", content=sample)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == \
        f'attachment; filename="{SAMPLE_STEM}.xlsx"'
    original = parse_problem(sample)
    raw = client.post("/v1/workbooks/read", content=response.content,
                      headers={"Content-Type": XLSX})
    form = client.post("/v1/workbooks/read",
                       files={"file": ("round.xlsx", response.content, XLSX)})
    for back in (raw, form):
        assert back.status_code == 200, back.text
        assert back.headers["content-type"] == "application/json"
        assert parse_problem(back.content) == original


def test_english_workbook_reads_back_too(client: TestClient, sample: bytes) -> None:
    content = _download(client, sample, "en")
    assert "candidates" in _book(content).sheetnames
    back = client.post("/v1/workbooks/read", content=content)
    assert parse_problem(back.content) == parse_problem(sample)


def test_a_typo_in_a_cell_names_the_cell(client: TestClient, sample: bytes) -> None:
    book = load_workbook(io.BytesIO(_download(client, sample, "en")))
    sheet = book["candidates"]
    header = [cell.value for cell in sheet[1]]
    degree = header.index("degree") + 1
    sheet.cell(row=3, column=degree, value="bachelors")
    sheet.cell(row=5, column=degree, value="phd")
    edited = io.BytesIO()
    book.save(edited)
    response = client.post("/v1/workbooks/read", content=edited.getvalue())
    assert response.status_code == 422
    errors = _errors(response)
    letter = get_column_letter(degree)
    assert [e["path"] for e in errors] == [f"candidates!{letter}3 (degree)",
                                           f"candidates!{letter}5 (degree)"]
    assert '"bachelors" is not one of' in errors[0]["message"]
    assert all(e["code"] and e["message"] for e in errors)


@pytest.mark.parametrize("body", [b"", b"not a workbook", b"PK\x03\x04 truncated zip"])
def test_what_is_not_a_workbook_gets_422(client: TestClient, body: bytes) -> None:
    for route in ("/v1/workbooks/read", "/v1/workbooks/solve"):
        response = client.post(route, content=body)
        assert response.status_code == 422, response.text
        assert _errors(response)[0]["code"] == "unreadable"


def test_a_form_without_the_file_field_names_it(client: TestClient) -> None:
    response = client.post("/v1/workbooks/read", data={"name": "x"},
                           files={"other": ("x.xlsx", b"PK", XLSX)})
    assert response.status_code == 422
    assert [e["path"] for e in _errors(response)] == ["file"]
    text_only = client.post("/v1/workbooks/read", data={"file": "not a file"},
                            files={"other": ("x.xlsx", b"PK", XLSX)})
    assert text_only.status_code == 422
    assert "text field" in _errors(text_only)[0]["message"]


def test_solve_an_uploaded_workbook(client: TestClient, sample: bytes) -> None:
    content = _download(client, sample)
    as_json = client.post("/v1/workbooks/solve?format=json&time_limit=20", content=content)
    assert as_json.status_code == 200
    solution = Solution.model_validate_json(as_json.content)
    assert verify(parse_problem(sample), solution) == []
    assert solution.objective.coverage == 38
    as_book = client.post("/v1/workbooks/solve", files={"file": ("r.xlsx", content, XLSX)})
    assert as_book.status_code == 200
    assert as_book.headers["content-type"] == XLSX
    assert as_book.headers["content-disposition"].endswith(f'{SAMPLE_STEM}.solution.xlsx"')
    assert _book(as_book.content).sheetnames[:2] == ["概要", "安置结果"]


def test_solution_workbook_has_a_row_per_candidate(client: TestClient,
                                                   solved: dict[str, Any]) -> None:
    response = client.post("/v1/workbooks/solution?lang=en", json=solved)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == \
        f'attachment; filename="{SAMPLE_STEM}.solution.xlsx"'
    rows = list(_book(response.content)["placements"].iter_rows(values_only=True))
    assert rows[0][0] == "candidate"
    ids = [row[0] for row in rows[1:]]
    assert ids == [c["id"] for c in solved["problem"]["candidates"]]
    placed = {a["candidate"]: a["post"] for a in solved["solution"]["assignments"]}
    assert {row[0]: row[2] for row in rows[1:] if row[2]} == placed
    default = client.post("/v1/workbooks/solution", json=solved)
    assert _book(default.content).sheetnames[:2] == ["概要", "安置结果"]


@pytest.mark.parametrize(("lang", "sheet"), [("zh", "报名者"), ("en", "candidates")])
def test_template(client: TestClient, lang: str, sheet: str) -> None:
    response = client.get(f"/v1/workbooks/template?lang={lang}")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="template.xlsx"'
    assert sheet in _book(response.content).sheetnames
    empty = client.post("/v1/workbooks/read", content=response.content)
    assert empty.status_code == 200
    assert parse_problem(empty.content).candidates == []


def test_text_a_workbook_cannot_hold_gets_422(client: TestClient,
                                              solved: dict[str, Any]) -> None:
    problem = {"name": "x", "posts": [{"id": "P\x01", "province": "XJ",
                                       "prefecture": "Kashgar", "programme": "edu"}]}
    response = client.post("/v1/workbooks/problem", json=problem)
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in _errors(response)] == [
        ("posts[0].id", "unwritable_character")]
    broken = json.loads(json.dumps(solved))
    broken["solution"]["solver"]["engine"] = "flow\x02"
    response = client.post("/v1/workbooks/solution", json=broken)
    assert response.status_code == 422
    assert [e["path"] for e in _errors(response)] == ["solution.solver.engine"]


def test_download_names() -> None:
    assert file_stem("2025 西部计划: 第一轮") == "2025_西部计划_第一轮"
    assert file_stem("../..") == "problem"
    assert disposition("a.xlsx") == 'attachment; filename="a.xlsx"'
    assert disposition("西部.xlsx") == (
        "attachment; filename=\"download.xlsx\"; filename*=UTF-8''%E8%A5%BF%E9%83%A8.xlsx")
    assert disposition("2025 西部.report.html", "inline").startswith(
        'inline; filename="2025_.report.html"; filename*=')


# --- problem and solution bodies ----------------------------------------------------------


def test_round_bodies_report_errors_under_each_part(client: TestClient,
                                                    solved: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(solved))
    broken["problem"]["posts"][0]["capacity"] = -1
    broken["solution"]["status"] = "great"
    response = client.post("/v1/report", json=broken)
    assert response.status_code == 422
    paths = {e["path"] for e in _errors(response)}
    assert {"problem.posts[0].capacity", "solution.status"} <= paths

    other = json.loads(json.dumps(solved))
    other["solution"]["assignments"][0]["post"] = "P404"
    other["solution"]["assignments"][1]["candidate"] = "C404"
    gone = other["solution"]["unassigned"].pop()
    for route in ("/v1/report", "/v1/workbooks/solution", "/v1/explain?candidate=C01"):
        response = client.post(route, json=other)
        assert response.status_code == 422, route
        found = {(e["path"], e["code"]) for e in _errors(response)}
        assert found == {("solution.assignments[0].post", "unknown_post"),
                         ("solution.assignments[1].candidate", "unknown_candidate"),
                         ("solution", "missing_candidate")}
        assert gone["candidate"] in _errors(response)[-1]["message"]

    for body, path in [({"problem": solved["problem"]}, "solution"),
                       ({**solved, "extra": 1}, "extra"), ([1], "")]:
        response = client.post("/v1/report", json=body)
        assert response.status_code == 422
        assert [e["path"] for e in _errors(response)] == [path]


# --- compare ------------------------------------------------------------------------------


def test_compare_a_base_equal_scenario_changes_nothing(client: TestClient,
                                                       sample: bytes) -> None:
    scale = {"name": "xinjiang_plus_10", "changes": [
        {"kind": "scale", "target": "posts", "where": {"province": "XJ"},
         "field": "capacity", "factor": 1.1, "rounding": "total"}]}
    body = {"base": json.loads(sample), "scenarios": [{"name": "same"}, scale]}
    response = client.post("/v1/compare", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["base"]["changed"] is None
    same, bigger = result["scenarios"]
    assert same["name"] == "same" and same["changed"] == 0
    assert same["metrics"]["coverage"] == result["base"]["metrics"]["coverage"] == 38
    assert bigger["metrics"]["seats"] > result["base"]["metrics"]["seats"]
    assert bigger["notes"] and "capacity" in bigger["notes"][0]
    assert result["runner"] == "in this process"


def test_compare_lists_every_scenario_error(client: TestClient, sample: bytes) -> None:
    body = {"base": json.loads(sample), "scenarios": [
        {"name": "from a file", "base": "../sample.json"},
        {"name": "typo", "changes": [{"kind": "scale", "target": "posts",
                                      "where": {"provnce": "XJ"}, "field": "capacity",
                                      "factor": 1.1}]},
        {"name": "bad kind", "changes": [{"kind": "grow"}]},
        "not an object",
    ]}
    response = client.post("/v1/compare", json=body)
    assert response.status_code == 422
    paths = [e["path"] for e in _errors(response)]
    assert paths == ["scenarios[0].base", "scenarios[1].changes[0].where.provnce",
                     "scenarios[2].changes[0].kind", "scenarios[3]"]
    assert _errors(response)[0]["code"] == "file_path"


def test_compare_shares_the_synchronous_cap(make_client: ClientFactory, sample: bytes,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(max_sync_time_limit=3)
    runner = client.app.state.runner  # type: ignore[attr-defined]
    limits: list[float] = []
    real = runner.call

    async def spy(task: Any, *args: Any) -> str:
        limits.append(args[2])
        result: str = await real(task, *args)
        return result

    monkeypatch.setattr(runner, "call", spy)
    body = {"base": json.loads(sample), "scenarios": [{"name": "a"}, {"name": "b"}]}
    assert client.post("/v1/compare", json=body).status_code == 200
    assert client.post("/v1/compare?time_limit=0.5", json=body).status_code == 200
    assert limits == [1.0, 0.5]


# --- explain ------------------------------------------------------------------------------


def test_explain_a_placed_candidate(client: TestClient, solved: dict[str, Any]) -> None:
    placed = solved["solution"]["assignments"][0]
    response = client.post(f"/v1/explain?candidate={placed['candidate']}", json=solved)
    assert response.status_code == 200, response.text
    body = response.json()
    explanation = body["explanation"]
    assert explanation["candidate"] == placed["candidate"]
    assert explanation["post"] == placed["post"] and explanation["rank"] == placed["rank"]
    assert body["text"].startswith(f"{placed['candidate']}（分数 ")  # Chinese by default
    assert f"安置到岗位 {placed['post']}" in body["text"]
    english = client.post(f"/v1/explain?candidate={placed['candidate']}&lang=en", json=solved)
    assert english.json()["explanation"] == explanation
    assert english.json()["text"].startswith(f"{placed['candidate']} (score ")
    assert f"placed at {placed['post']}" in english.json()["text"]


def test_explain_an_unplaced_candidate(client: TestClient, solved: dict[str, Any]) -> None:
    unplaced = solved["solution"]["unassigned"][0]
    response = client.post(f"/v1/explain?candidate={unplaced['candidate']}&prices=false",
                           json=solved)
    assert response.status_code == 200, response.text
    explanation = response.json()["explanation"]
    assert explanation["post"] is None
    assert [r["code"] for r in explanation["reasons"]] == [
        r["code"] for r in unplaced["reasons"]]
    assert explanation["quota_prices"] == []
    assert 0 < explanation["solves"] <= 40
    assert explanation["better_posts"] and explanation["remedies"]
    text = response.json()["text"]
    assert text.startswith(f"{unplaced['candidate']}（分数") and "未安置" in text
    assert f"[{unplaced['reasons'][0]['code']}]" in text


def test_explain_an_unknown_candidate_is_404(client: TestClient,
                                             solved: dict[str, Any]) -> None:
    response = client.post("/v1/explain?candidate=C999", json=solved)
    assert response.status_code == 404
    assert _errors(response) == [{"path": "query.candidate", "code": "not_found",
                                  "message": "no candidate 'C999' in the problem"}]
    missing = client.post("/v1/explain", json=solved)
    assert missing.status_code == 422
    assert [e["path"] for e in _errors(missing)] == ["query.candidate"]


# --- report -------------------------------------------------------------------------------


def test_report_is_chinese_by_default(client: TestClient, solved: dict[str, Any]) -> None:
    response = client.post("/v1/report", json=solved)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == \
        f'inline; filename="{SAMPLE_STEM}.report.html"'
    page = response.text
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<h1>岗位匹配结果报告</h1>" in page and "总体情况" in page
    assert solved["problem"]["name"] in page
    assert "<script" not in page
    english = client.post("/v1/report?lang=en", json=solved).text
    assert '<html lang="en">' in english and "Headline figures" in english
    assert client.post("/v1/report?lang=fr", json=solved).status_code == 422


# --- the service's rules apply to every new route -----------------------------------------

ROUTES = [("POST", "/v1/workbooks/read"), ("POST", "/v1/workbooks/solve"),
          ("POST", "/v1/workbooks/problem"), ("POST", "/v1/workbooks/solution"),
          ("GET", "/v1/workbooks/template"), ("POST", "/v1/compare"),
          ("POST", "/v1/explain?candidate=C01"), ("POST", "/v1/report")]


def test_every_route_needs_the_key(make_client: ClientFactory, sample: bytes) -> None:
    client = make_client(api_keys="k")
    for method, path in ROUTES:
        response = client.request(method, path, content=sample)
        assert response.status_code == 401, path
    ok = client.get("/v1/workbooks/template", headers={"Authorization": "Bearer k"})
    assert ok.status_code == 200


def test_bodies_over_the_limit_get_413(make_client: ClientFactory, sample: bytes) -> None:
    client = make_client(max_body_bytes=1000)
    for method, path in ROUTES:
        if method == "POST":
            response = client.post(path, content=sample)
            assert response.status_code == 413, path
            assert _errors(response)[0]["code"] == "body_too_large"


def test_openapi_documents_the_new_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for method, path in ROUTES:
        operation = paths[re.sub(r"\?.*", "", path)][method.lower()]
        assert "401" in operation["responses"]
        ok = operation["responses"]["200"]["content"]
        assert set(ok) & {XLSX, "application/json", "text/html"}, path
    upload = paths["/v1/workbooks/read"]["post"]["requestBody"]["content"]
    assert set(upload) == {XLSX, "multipart/form-data"}
    scenario = paths["/v1/compare"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["properties"]["scenarios"]["items"]
    assert "changes" in scenario["properties"]
