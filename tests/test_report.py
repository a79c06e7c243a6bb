"""The round report: self-contained (no script, nothing fetched), both languages, every
section, and a real render in headless Chromium when one is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher import Problem, Solution, load_problem, solve
from matcher.cli import app
from matcher.report import render_report
from matcher.report.labels import REASONS, TEXT

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
