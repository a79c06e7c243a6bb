"""The round report: self-contained (no script, nothing fetched), both languages, every
section, and a real render in headless Chromium when one is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher import Problem, Solution, load_problem, solve
from matcher.cli import app
from matcher.generate import generate_problem
from matcher.report import render_report
from matcher.report.labels import REASONS, TEXT, reason
from matcher.report.reasons import ReasonWriter
from matcher.validation import parse_problem

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SAMPLE = SCENARIOS / "sample.json"
runner = CliRunner()


@pytest.fixture(scope="module")
def sample() -> tuple[Problem, Solution]:
    problem = load_problem(SAMPLE)
    return problem, solve(problem)


def test_both_languages_have_every_word() -> None:
    assert TEXT["zh"].keys() == TEXT["en"].keys()
    assert REASONS["zh"].keys() == REASONS["en"].keys()


def test_the_page_is_self_contained(sample: tuple[Problem, Solution]) -> None:
    page = render_report(*sample)
    assert "<script" not in page.lower()
    # The only URL is the SVG namespace, which names and fetches nothing.
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|href)=", page)
    assert page.count("<svg") == 4  # province, programme, ranks, minority target


def test_chinese_by_default_with_every_section(sample: tuple[Problem, Solution]) -> None:
    page = render_report(*sample)
    assert '<html lang="zh-CN">' in page
    for heading in ("总体情况", "按服务省份的岗位填充", "按专项的岗位填充", "录取志愿分布",
                    "民族地区岗位：实际与目标", "名额与指标", "空缺岗位", "未安排报名者（按原因）"):
        assert f">{heading}<" in page, heading
    assert "19 / 19" in page and "新疆 XJ" in page and "基础教育" in page
    assert "志愿岗位已满 (4)" in page and "C08" in page  # unplaced, grouped by reason


def test_english_on_request(sample: tuple[Problem, Solution]) -> None:
    page = render_report(*sample, lang="en")
    assert '<html lang="en">' in page and "Post matching report" in page
    assert "Xinjiang (XJ)" in page and "wished posts full (4)" in page
    assert not re.search(r"[\u4e00-\u9fff]", page.replace("服从调剂", ""))


def test_unfilled_posts_and_long_tables_are_capped(sample: tuple[Problem, Solution]) -> None:
    problem, _ = sample
    bigger = problem.model_copy(update={"posts": [
        p.model_copy(update={"capacity": p.capacity + 2}) for p in problem.posts]})
    page = render_report(bigger, solve(bigger), max_rows=3)
    assert "空缺岗位" in page and "另有" in page


def test_an_infeasible_round_says_so() -> None:
    problem = load_problem(SCENARIOS / "infeasible.json")
    page = render_report(problem, solve(problem), lang="en")
    assert "Conflicting rules" in page and "minority_target" in page
    assert "no solution to publish" in page


def test_report_command_writes_the_file(tmp_path: Path,
                                        sample: tuple[Problem, Solution]) -> None:
    solution = tmp_path / "sample.solution.json"
    solution.write_text(sample[1].model_dump_json(), encoding="utf-8")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(SAMPLE), str(solution), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "岗位匹配结果报告" in out.read_text(encoding="utf-8")
    result = runner.invoke(app, ["report", str(SAMPLE), str(solution), "-o", str(out),
                                 "--lang", "en"])
    assert result.exit_code == 0 and "Post matching report" in out.read_text(encoding="utf-8")


ENGLISH_DETAIL = re.compile(r"\b(?:every|posts?|seat|wish(?:es)?|marked|partner|quota|"
                            r"objective|ruled|full|would|candidate)\b")


def _english_words(html: str) -> list[str]:
    """Words of the page's unplaced section outside tags that are not ids or codes."""
    section = html[html.index("未安排报名者（按原因）"):html.index("<footer>")]
    visible = re.sub(r"<[^>]+>", " ", section)
    return ENGLISH_DETAIL.findall(visible)


def test_zh_report_details_are_chinese_for_every_code_of_a_generated_round() -> None:
    problem = parse_problem(generate_problem(600, 1))
    solution = solve(problem)
    codes = {u.reasons[0].code for u in solution.unassigned}
    assert codes >= {"wishes_taken", "no_eligible_post", "not_eligible"}
    page = render_report(problem, solution, max_rows=50)
    assert _english_words(page) == []
    writer = ReasonWriter(problem, solution)
    for code in codes:
        first = min((u for u in solution.unassigned if u.reasons[0].code == code),
                    key=lambda u: u.candidate)
        (detail,) = writer.details(first.candidate, first.reasons)
        assert re.search(r"[\u4e00-\u9fff]", detail), detail
        assert escape(detail) in page, (code, detail)
        assert f"{escape(reason('zh', code))} (" in page
    wished = next(u for u in solution.unassigned if u.reasons[0].code == "no_eligible_post")
    assert "不符合条件" in writer.details(wished.candidate, wished.reasons)[0]
    # English stays the solution's own text.
    english = render_report(problem, solution, lang="en", max_rows=50)
    assert escape(first.reasons[0].detail) in english


def _hand_made() -> Problem:
    """A quota at its bound (A or B), a couple split across prefectures (C, D), and a seat
    left open because a soft quota comes first in the objective order (E)."""
    def post(post_id: str, prefecture: str, capacity: int = 1) -> dict[str, object]:
        return {"id": post_id, "province": "XJ", "prefecture": prefecture,
                "programme": "health", "capacity": capacity}

    return Problem.model_validate({
        "name": "reasons",
        "candidates": [
            {"id": "A", "home_province": "SD", "wishes": [{"post": "P1"}]},
            {"id": "B", "home_province": "SD", "wishes": [{"post": "P1"}]},
            {"id": "C", "home_province": "SD", "partner": "D", "wishes": [{"post": "P2"}]},
            {"id": "D", "home_province": "SD", "partner": "C", "wishes": [{"post": "P3"}]},
            {"id": "E", "home_province": "SD", "wishes": [{"post": "P4"}]},
        ],
        "posts": [post("P1", "Hotan", 2), post("P2", "Kashgar"), post("P3", "Aksu"),
                  post("P4", "Turpan")],
        "rules": {"quotas": [
            {"id": "hotan_cap", "posts": {"prefecture": "Hotan"}, "max": 1},
            {"id": "turpan_none", "posts": {"prefecture": "Turpan"}, "max": 0,
             "hard": False}]},
        "objective": {"order": ["quotas", "coverage", "preferences"]},
    }, strict=False)


def test_zh_details_for_quota_couple_and_objective_reasons() -> None:
    problem = _hand_made()
    solution = solve(problem)
    writer = ReasonWriter(problem, solution)
    details = {u.candidate: (u.reasons[0].code, writer.details(u.candidate, u.reasons)[0])
               for u in solution.unassigned}
    quota_code, quota_detail = details["A"] if "A" in details else details["B"]
    assert quota_code == "quota"
    assert quota_detail == ("岗位 P1 尚有空余名额，但安置到那里会使刚性指标 hotan_cap 超过最多 1 人"
                            "（该指标已到界限）")
    assert details["C"] == ("couple", "伴侣 D 未安置；两人须在同一地州安置，否则都不安置"
                                      "（尚有空余名额的岗位：P2）")
    assert details["E"][0] == "objective"
    assert "指标偏差 → 岗位覆盖 → 志愿满意度" in details["E"][1]
    page = render_report(problem, solution)
    assert _english_words(page) == []
    for _, detail in details.values():
        assert escape(detail) in page


def _chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser", "google-chrome")
                 if (path := shutil.which(name))), None)


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium installed")
def test_the_report_renders_in_headless_chromium(tmp_path: Path,
                                                 sample: tuple[Problem, Solution]) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_report(*sample), encoding="utf-8")
    shot = tmp_path / "report.png"
    browser = _chromium()
    assert browser is not None
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri()],
        check=True, capture_output=True, timeout=90,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)
    assert len(data) > 50_000  # a blank page compresses to a few KB; this one has charts
