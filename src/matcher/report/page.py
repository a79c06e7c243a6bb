"""The round report as one self-contained HTML page.

An office publishes this internally after a round, so it has to open from a file share or an
e-mail attachment with no network and no script, print cleanly, and read in Chinese by default.
The figures come from :mod:`matcher.metrics` (the same ones ``matcher compare`` shows); the
charts from :mod:`matcher.report.svg`; the words from :mod:`matcher.report.labels`.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from matcher.metrics import QuotaUse, RoundMetrics, round_metrics
from matcher.problem import Problem
from matcher.report import svg
from matcher.report.labels import Lang, programme, province, reason, text
from matcher.report.reasons import ReasonWriter
from matcher.solution import Solution, Unassigned

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC",
"Microsoft YaHei","Helvetica Neue",Arial,sans-serif;color:#1a202c;margin:0;background:#f7fafc}
main{max-width:1040px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;
border-bottom:2px solid #2b6cb0;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.sub{color:#4a5568;margin:0 0 12px}.status{font-size:14px;color:#4a5568}
.bad{color:#c53030;font-weight:bold}.good{color:#2f855a}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}
.card{border:1px solid #e2e8f0;border-radius:6px;padding:10px 12px;background:#f7fafc}
.card .v{font-size:22px;font-weight:bold}.card .k{font-size:13px;color:#4a5568}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#edf2f7}table.fixed{table-layout:fixed}td{overflow-wrap:anywhere}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{display:block;max-width:100%;height:auto;margin:6px 0}
.note{color:#4a5568;font-size:13px}footer{margin-top:36px;color:#718096;font-size:12px}
@media print{body{background:#fff}main{padding:0}h2{break-after:avoid}}
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int],
           widths: list[int] | None = None) -> str:
    """A table; ``widths`` (percentages) line up tables of one kind under each other."""
    cols = ""
    if widths:
        cols = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + \
            "</colgroup>"
    head = "".join(f'<th{" class=n" if k in numeric else ""}>{escape(h)}</th>'
                   for k, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=n" if k in numeric else ""}>{escape(cell)}</td>'
                         for k, cell in enumerate(row)) + "</tr>"
        for row in rows)
    fixed = ' class="fixed"' if widths else ""
    return f"<table{fixed}>{cols}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _capped(rows: list[list[str]], limit: int, lang: Lang) -> tuple[list[list[str]], str]:
    if len(rows) <= limit:
        return rows, ""
    note = text(lang, "more_rows", n=len(rows) - limit)
    return rows[:limit], f'<p class="note">{escape(note)}</p>'


def _header(problem: Problem, solution: Solution, lang: Lang) -> str:
    status = text(lang, f"status_{solution.status.value}")
    css = "good" if solution.status.value == "optimal" else "bad"
    parts = [f"<h1>{escape(text(lang, 'title'))}</h1>",
             f'<p class="sub">{escape(text(lang, "subtitle"))} · {escape(problem.name)}</p>',
             f'<p class="status">{escape(text(lang, "status"))}: '
             f'<span class="{css}">{escape(status)}</span> · {escape(text(lang, "engine"))}: '
             f"{escape(solution.solver.engine)}</p>"]
    if solution.conflict:
        parts.append(f'<p class="bad">{escape(text(lang, "conflict"))}: '
                     f"{escape(', '.join(solution.conflict))}</p>")
    if not solution.assignments and solution.status.value in ("infeasible", "unknown"):
        parts.append(f'<p class="bad">{escape(text(lang, "no_round"))}</p>')
    return "".join(parts)


def _cards(m: RoundMetrics, lang: Lang) -> str:
    placed = m.candidates - sum(m.unplaced_by_reason.values())
    items = [
        ("seats_filled", f"{m.filled} / {m.seats}"),
        ("fill_rate", _pct(m.filled / m.seats if m.seats else None)),
        ("candidates_placed", f"{placed} / {m.candidates}"),
        ("unplaced", f"{m.candidates - placed}"),
        ("first_wish", _pct(m.first_wish_share)),
        ("mean_rank", "—" if m.mean_rank is None else f"{m.mean_rank:.2f}"),
        ("adjusted", _pct(m.adjusted_share)),
        ("minority", _pct(m.minority_share)),
    ]
    if m.locked:
        items.append(("locked", str(m.locked)))
    if m.coverage is not None:
        items.append(("coverage", f"{m.coverage} / {m.coverage_max}"))
    cards = "".join(f'<div class="card"><div class="v">{escape(v)}</div>'
                    f'<div class="k">{escape(text(lang, k))}</div></div>' for k, v in items)
    return f"<h2>{escape(text(lang, 'headline'))}</h2><div class=\"cards\">{cards}</div>"


def _fill(m: RoundMetrics, lang: Lang) -> str:
    provinces = [(province(lang, k), f.filled, f.seats) for k, f in m.province_fill.items()]
    programmes = [(programme(lang, k), f.filled, f.seats) for k, f in m.programme_fill.items()]
    return (f"<h2>{escape(text(lang, 'by_province'))}</h2>"
            + svg.fill_bars(provinces, text(lang, "by_province"))
            + f"<h2>{escape(text(lang, 'by_programme'))}</h2>"
            + svg.fill_bars(programmes, text(lang, "by_programme")))


def _ranks(m: RoundMetrics, lang: Lang) -> str:
    def label(key: str) -> str:
        return text(lang, "rank_n", n=key) if key.isdigit() else text(lang, f"rank_{key}")

    rows = [(label(k), v) for k, v in m.rank_counts.items()]
    chart = svg.columns(rows, text(lang, "ranks")) if rows else \
        f'<p class="note">{escape(text(lang, "none"))}</p>'
    return f"<h2>{escape(text(lang, 'ranks'))}</h2>{chart}"


def _minority(problem: Problem, m: RoundMetrics, lang: Lang) -> str:
    out = [f"<h2>{escape(text(lang, 'minority_title'))}</h2>"]
    targets = [q for q in m.quotas if q.minority_target]
    if not targets:
        out.append(f'<p class="note">'
                   f'{escape(text(lang, "minority_none", share=_pct(m.minority_share)))}</p>')
    offered = sum(p.capacity for p in problem.posts if p.minority_region) or 1
    actual_word, target_word = text(lang, "minority_actual"), text(lang, "minority_target")
    for q in targets:
        named = f" · {q.label}" if q.label and q.label != q.id else ""
        out.append(f"<h3>{escape(q.id + named)}</h3>")
        if q.min_share is not None or q.min is None:
            share = q.count / q.base if q.base else 0.0
            goal = q.min_share
            out.append(svg.share_against_target(
                share, goal, q.id, actual_text=f"{actual_word} {_pct(share)} "
                f"({q.count}/{q.base})", target_text=f"{target_word} ≥ {_pct(goal)}"))
        if q.min is not None:
            out.append(svg.share_against_target(
                q.count / offered, q.min / offered, q.id,
                actual_text=f"{actual_word} {q.count}",
                target_text=f"{target_word} ≥ {q.min} / {offered}"))
    return "".join(out)


def _bounds(q: QuotaUse) -> str:
    parts = []
    if q.min is not None:
        parts.append(f"≥ {q.min}")
    if q.max is not None:
        parts.append(f"≤ {q.max}")
    if q.min_share is not None:
        parts.append(f"≥ {100 * q.min_share:g}%")
    if q.max_share is not None:
        parts.append(f"≤ {100 * q.max_share:g}%")
    return ", ".join(parts) or "—"


def _quotas(m: RoundMetrics, lang: Lang) -> str:
    if not m.quotas:
        return ""
    headers = [text(lang, k) for k in ("quota_id", "quota_label", "quota_kind", "quota_count",
                                       "quota_base", "quota_bounds", "deviation", "met")]
    def met(q: QuotaUse) -> str:
        return "—" if q.satisfied is None else text(lang, "yes" if q.satisfied else "not_met")

    rows = [[q.id, q.label or "", text(lang, "hard" if q.hard else "soft"), str(q.count),
             str(q.base), _bounds(q), "—" if q.deviation is None else f"{q.deviation:g}",
             met(q)] for q in m.quotas]
    return f"<h2>{escape(text(lang, 'quotas'))}</h2>" + _table(headers, rows, {3, 4, 6})


def _unfilled(problem: Problem, solution: Solution, lang: Lang, limit: int) -> str:
    taken: dict[str, int] = defaultdict(int)
    for a in solution.assignments:
        taken[a.post] += 1
    posts = sorted((p for p in problem.posts if taken[p.id] < p.capacity),
                   key=lambda p: (p.province, p.prefecture, p.id))
    out = f"<h2>{escape(text(lang, 'unfilled'))}</h2>"
    if not posts:
        return out + f'<p class="note">{escape(text(lang, "unfilled_none"))}</p>'
    headers = [text(lang, k) for k in ("post", "unit", "location", "programme", "seats",
                                       "filled", "empty")]
    rows = [[p.id, p.unit or "", " · ".join(x for x in (province(lang, p.province),
                                                         p.prefecture, p.county) if x),
             programme(lang, p.programme), str(p.capacity), str(taken[p.id]),
             str(p.capacity - taken[p.id])] for p in posts]
    shown, more = _capped(rows, limit, lang)
    return out + _table(headers, shown, {4, 5, 6}) + more


def _unplaced(problem: Problem, solution: Solution, lang: Lang, limit: int) -> str:
    out = f"<h2>{escape(text(lang, 'unplaced_title'))}</h2>"
    if not solution.unassigned:
        return out + f'<p class="note">{escape(text(lang, "unplaced_none"))}</p>'
    people = {c.id: c for c in problem.candidates}
    groups: dict[str, list[Unassigned]] = defaultdict(list)
    for u in solution.unassigned:
        groups[u.reasons[0].code if u.reasons else "unknown"].append(u)
    # Chinese details are worked out again from the problem (the solution's are English),
    # for the rows shown only.
    writer = ReasonWriter(problem, solution) if lang == "zh" else None
    headers = [text(lang, k) for k in ("candidate", "home", "score", "detail")]
    for code, members in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        shown = sorted(members, key=lambda u: u.candidate)[:limit]
        rows = []
        for u in shown:
            c = people.get(u.candidate)
            details = (writer.details(u.candidate, u.reasons) if writer is not None
                       else [r.detail for r in u.reasons])
            rows.append([u.candidate, province(lang, c.home_province) if c else "",
                         f"{c.score:g}" if c else "", _joined(details, lang)])
        more = ""
        if len(members) > limit:
            note = text(lang, "more_rows", n=len(members) - limit)
            more = f'<p class="note">{escape(note)}</p>'
        out += f"<h3>{escape(reason(lang, code))} ({len(members)})</h3>"
        out += _table(headers, rows, {2}, [12, 16, 8, 64]) + more
    return out


def _joined(details: list[str], lang: Lang) -> str:
    return "；".join(d for d in details if d) if lang == "zh" else "; ".join(details)


def render_report(problem: Problem, solution: Solution, lang: Lang = "zh", *,
                  max_rows: int = 300) -> str:
    """The whole report; ``max_rows`` caps each long table (the solution file has them all)."""
    m = round_metrics(problem, solution)
    html_lang = "zh-CN" if lang == "zh" else "en"
    sections = [
        _header(problem, solution, lang), _cards(m, lang), _fill(m, lang), _ranks(m, lang),
        _minority(problem, m, lang), _quotas(m, lang),
        _unfilled(problem, solution, lang, max_rows),
        _unplaced(problem, solution, lang, max_rows),
        f"<footer>{escape(text(lang, 'footer'))}</footer>",
    ]
    title = f"{text(lang, 'title')} · {problem.name}"
    return (f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(sections)}</main></body></html>\n")
