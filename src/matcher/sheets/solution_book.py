"""A solution as a workbook an office can read, filter and pass on.

Why not just the JSON: the office publishes placements (公示) and answers questions from
candidates and counties; a sheet per view — every candidate with their post or the reason they
were not placed, fill per post, each quota and the placements it counted — is what they work
from. The JSON solution stays the file of record (``matcher verify`` reads that one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from matcher.problem import Problem, Quota
from matcher.sheets.headers import RESULT_HEADERS, VOCABULARIES, Lang
from matcher.sheets.tables import SheetOut, write_xlsx
from matcher.solution import Solution
from matcher.verify import matches

FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})


# Summary rows added after RESULT_HEADERS was written (headers.py names the rest).
MORE_HEADERS = {"schema_version": "格式版本", "workers": "线程数", "seed": "随机种子",
                "note": "备注"}
SOLUTION_HEADERS = {**RESULT_HEADERS, **MORE_HEADERS}
#: Joins the details of one candidate's reasons in a cell (details themselves contain "; ").
DETAIL_SEPARATOR = "\n"


def _h(key: str, lang: Lang) -> str:
    return SOLUTION_HEADERS[key] if lang == "zh" else key


def _word(vocabulary: str, value: str, lang: Lang) -> str:
    return VOCABULARIES[vocabulary].display(value, lang)


def _yes(value: bool, lang: Lang) -> str:
    return _word("boolean", "yes" if value else "no", lang)


def solution_sheets(problem: Problem, solution: Solution, lang: Lang = "zh") -> list[SheetOut]:
    sheets = [_summary(problem, solution, lang), _placements(problem, solution, lang),
              _post_fill(problem, solution, lang), _quota_table(problem, solution, lang)]
    names = {sheet.name for sheet in sheets}
    for quota in problem.rules.quotas:
        sheets.append(_quota_sheet(problem, solution, quota, lang, names))
    return sheets


def write_solution_xlsx(problem: Problem, solution: Solution, path: Path | BinaryIO,
                        lang: Lang = "zh") -> None:
    """Write ``solution`` of ``problem`` as a workbook (Chinese headers unless ``lang='en'``).

    ``path`` may be an open binary file (an API response body, a ``BytesIO``).
    """
    write_xlsx(solution_sheets(problem, solution, lang), path)


def _summary(problem: Problem, solution: Solution, lang: Lang) -> SheetOut:
    seats = sum(post.capacity for post in problem.posts)
    rows: list[tuple[str, Any]] = [
        ("problem", solution.problem),
        ("status", _word("status", solution.status.value, lang)),
        ("candidates", len(problem.candidates)),
        ("placed_count", len(solution.assignments)),
        ("unplaced_count", len(solution.unassigned)),
        ("seats", seats),
        ("seats_filled", len(solution.assignments)),
        ("coverage", solution.objective.coverage),
        ("quotas", solution.objective.quotas),
        ("preferences", solution.objective.preferences),
        ("bound_coverage", solution.bound.coverage),
        ("bound_quotas", solution.bound.quotas),
        ("bound_preferences", solution.bound.preferences),
        ("engine", solution.solver.engine),
        ("time_s", solution.solver.time_s),
    ]
    for key in ("workers", "seed", "note"):
        value = getattr(solution.solver, key)
        if value is not None:
            rows.append((key, value))
    if solution.conflict:
        rows.append(("conflict", ";".join(solution.conflict)))
    rows.append(("schema_version", solution.schema_version))
    return SheetOut(_h("summary", lang), [_h("item", lang), _h("value", lang)],
                    [[_h(key, lang), value] for key, value in rows], widths=[22, 40])


def _placements(problem: Problem, solution: Solution, lang: Lang) -> SheetOut:
    keys = ["candidate", "placed", "post", "rank", "adjusted", "locked", "province",
            "prefecture", "county", "unit", "programme", "home_province", "reason", "detail"]
    posts = {post.id: post for post in problem.posts}
    placed = {a.candidate: a for a in solution.assignments}
    reasons = {u.candidate: u.reasons for u in solution.unassigned}

    def rows() -> Iterator[list[Any]]:
        for candidate in problem.candidates:
            home = _word("province", candidate.home_province, lang)
            a = placed.get(candidate.id)
            if a is None:
                why = reasons.get(candidate.id, [])
                yield [candidate.id, _yes(False, lang), None, None, None, None, None, None,
                       None, None, None, home,
                       ";".join(_word("reason", r.code, lang) for r in why),
                       DETAIL_SEPARATOR.join(r.detail for r in why) or None]
                continue
            post = posts[a.post]
            yield [candidate.id, _yes(True, lang), a.post, a.rank, _yes(a.adjusted, lang),
                   _yes(a.locked, lang), _word("province", post.province, lang),
                   post.prefecture, post.county, post.unit,
                   _word("programme", post.programme, lang), home, None, None]

    return SheetOut(_h("placements", lang), [_h(k, lang) for k in keys], rows(),
                    widths=[12, 8, 12, 8, 8, 8, 10, 14, 16, 20, 14, 10, 20, 60])


def _post_fill(problem: Problem, solution: Solution, lang: Lang) -> SheetOut:
    keys = ["post", "province", "prefecture", "county", "unit", "programme", "capacity",
            "filled", "open"]
    filled = Counter(a.post for a in solution.assignments)
    rows = [[post.id, _word("province", post.province, lang), post.prefecture, post.county,
             post.unit, _word("programme", post.programme, lang), post.capacity,
             filled[post.id], post.capacity - filled[post.id]] for post in problem.posts]
    return SheetOut(_h("post_fill", lang), [_h(k, lang) for k in keys], rows,
                    widths=[12, 10, 14, 16, 20, 14, 8, 10, 8])


def _quota_table(problem: Problem, solution: Solution, lang: Lang) -> SheetOut:
    keys = ["id", "label", "count", "base", "deviation", "satisfied", "hard", "min", "max",
            "min_share", "max_share"]
    reports = {report.id: report for report in solution.quotas}
    rows = []
    for quota in problem.rules.quotas:
        report = reports.get(quota.id)
        rows.append([quota.id, quota.label,
                     report.count if report else None, report.base if report else None,
                     report.deviation if report else None,
                     _yes(report.satisfied, lang) if report else None, _yes(quota.hard, lang),
                     quota.min, quota.max, quota.min_share, quota.max_share])
    return SheetOut(_h("quota_report", lang), [_h(k, lang) for k in keys], rows,
                    widths=[18, 18, 8, 8, 8, 8, 8, 8, 8, 10, 10])


def _quota_sheet(problem: Problem, solution: Solution, quota: Quota, lang: Lang,
                 names: set[str]) -> SheetOut:
    """The placements a quota counts (N of SPEC §4), so an office can check the figure."""
    keys = ["candidate", "post", "home_province", "recruit_province", "province", "prefecture",
            "programme"]
    candidates = {c.id: c for c in problem.candidates}
    posts = {p.id: p for p in problem.posts}
    rows = []
    for a in solution.assignments:
        c, p = candidates[a.candidate], posts[a.post]
        if matches(quota.candidates, c) and matches(quota.posts, p):
            rows.append([c.id, p.id, _word("province", c.home_province, lang),
                         _word("province", c.origin_recruit, lang),
                         _word("province", p.province, lang), p.prefecture,
                         _word("programme", p.programme, lang)])
    return SheetOut(_unique_name(f"{_h('quota_report', lang)}-{quota.id}", names),
                    [_h(k, lang) for k in keys], rows, widths=[12, 12, 10, 10, 10, 14, 14])


def _unique_name(wanted: str, names: set[str]) -> str:
    """Sheet names are at most 31 characters, unique, without []:*?/\\."""
    base = wanted.translate(FORBIDDEN_IN_SHEET_NAMES)[:31]
    name, number = base, 2
    while name.casefold() in {n.casefold() for n in names}:
        suffix = f"~{number}"
        name, number = base[:31 - len(suffix)] + suffix, number + 1
    names.add(name)
    return name
