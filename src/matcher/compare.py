"""Side-by-side comparison of a base round and what-if scenarios.

The table puts one column per scenario next to the base and shows each figure with its
change against the base, because the planner's question is always "what does this change
cost or buy?". Figures come from :mod:`matcher.metrics`; the solves from
:mod:`matcher.parallel`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from matcher.changes import Applied
from matcher.metrics import (
    Movement,
    RoundMetrics,
    changed_placements,
    movement,
    round_metrics,
)
from matcher.parallel import local_processes, solve_many
from matcher.problem import Problem


class ScenarioResult(BaseModel):
    name: str
    metrics: RoundMetrics
    changed: int | None = Field(description="candidates placed differently than in the base")
    movement: Movement | None = Field(None, description="how they moved (null for the base)")
    notes: list[str] = Field(default_factory=list, description="what each change did")


class Comparison(BaseModel):
    base: ScenarioResult
    scenarios: list[ScenarioResult]
    runner: str = Field(description="where the solves ran")
    wall_seconds: float = Field(description="wall time of all solves together")


def compare(base: Problem, scenarios: Sequence[Applied], *, time_limit: float | None = None,
            seed: int = 0, cluster: str | None = None, processes: int | None = None,
            base_name: str | None = None) -> Comparison:
    """Solve the base and every scenario (in parallel) and measure each against the base."""
    problems = [base, *(s.problem for s in scenarios)]
    started = time.monotonic()
    solutions = solve_many(problems, time_limit=time_limit, seed=seed, cluster=cluster,
                           processes=processes)
    wall = time.monotonic() - started
    head = solutions[0]
    results = [
        ScenarioResult(name=problem.name, metrics=round_metrics(problem, solution),
                       changed=changed_placements(head, solution),
                       movement=movement(head, solution), notes=applied.notes)
        for problem, solution, applied in zip(problems[1:], solutions[1:], scenarios,
                                              strict=True)
    ]
    count = local_processes(problems, processes)
    runner = f"dask {cluster}" if cluster else (
        f"local, {count} processes" if count > 1 else "in this process")
    name = base_name or base.name
    return Comparison(
        base=ScenarioResult(name=name, metrics=round_metrics(base, head, name), changed=None),
        scenarios=results, runner=runner, wall_seconds=round(wall, 3),
    )


Cell = Callable[[ScenarioResult], float | str | None]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _rows(comparison: Comparison) -> list[tuple[str, Cell, str]]:
    """(label, value getter, format) for every row; formats: int, float, pct, text."""
    columns = [comparison.base, *comparison.scenarios]
    rows: list[tuple[str, Cell, str]] = [
        ("status", lambda r: r.metrics.status, "text"),
        ("seats filled", lambda r: r.metrics.filled, "int"),
        ("seats offered", lambda r: r.metrics.seats, "int"),
        ("weighted coverage", lambda r: r.metrics.coverage, "int"),
        ("quota deviation cost", lambda r: r.metrics.quota_cost, "float"),
        ("preference cost", lambda r: r.metrics.preference_cost, "int"),
        ("mean rank", lambda r: r.metrics.mean_rank, "float"),
        ("first-wish share", lambda r: r.metrics.first_wish_share, "pct"),
        ("adjusted share", lambda r: r.metrics.adjusted_share, "pct"),
        ("minority share", lambda r: r.metrics.minority_share, "pct"),
        ("changed placements", lambda r: r.changed, "int"),
    ]
    for key, label in (("newly_placed", "newly placed"), ("newly_unplaced", "newly unplaced"),
                       ("better_rank", "better wish"), ("worse_rank", "worse wish"),
                       ("same_rank", "same wish, other post")):
        def moved(r: ScenarioResult, key: str = key) -> int | None:
            return None if r.movement is None else int(getattr(r.movement, key))
        rows.append((f"  {label}", moved, "move"))
    provinces = sorted({k for c in columns for k in c.metrics.province_fill})
    for province in provinces:
        def fill(r: ScenarioResult, key: str = province) -> str | None:
            f = r.metrics.province_fill.get(key)
            return None if f is None else f"{f.filled}/{f.seats}"
        rows.append((f"fill {province}", fill, "text"))
    quota_ids = list(dict.fromkeys(q.id for c in columns for q in c.metrics.quotas))
    for quota_id in quota_ids:
        def deviation(r: ScenarioResult, key: str = quota_id) -> float | None:
            return next((q.deviation for q in r.metrics.quotas if q.id == key), None)
        rows.append((f"deviation {quota_id}", deviation, "float"))
    rows.append(("solve seconds", lambda r: r.metrics.solve_seconds, "float"))
    return rows


def _show(value: float | str | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return _pct(float(value))
    if kind == "float":
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    return str(value)


def _delta(value: float | str | None, base: float | str | None, kind: str) -> str:
    if kind == "text" or not isinstance(value, int | float) or not isinstance(base, int | float):
        return ""
    diff = value - base
    if abs(diff) < 1e-9:
        return ""
    if kind == "pct":
        return f" ({100 * diff:+.1f} pt)"
    if kind == "float":
        return f" ({diff:+.2f})"
    return f" ({diff:+d})" if isinstance(diff, int) else f" ({diff:+g})"


def comparison_table(comparison: Comparison, *, timings: bool = True) -> str:
    """The side-by-side table; scenario cells show their change against the base."""
    columns = [comparison.base, *comparison.scenarios]
    header = ["", *(f"{c.name}{' (base)' if c is comparison.base else ''}" for c in columns)]
    lines = [header]
    for label, get, kind in _rows(comparison):
        if label == "solve seconds" and not timings:
            continue
        base_value = get(comparison.base)
        relative = label == "changed placements" or kind == "move"
        cells = [label, "—" if relative else _show(base_value, kind)]
        for column in comparison.scenarios:
            value = get(column)
            plain = relative or label == "solve seconds"
            delta = "" if plain else _delta(value, base_value, kind)
            cells.append(_show(value, kind) + delta)
        lines.append(cells)
    widths = [max(len(row[k]) for row in lines) for k in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    if timings:
        text.append(f"\n{len(columns)} solves in {comparison.wall_seconds:.2f}s wall "
                    f"({comparison.runner})")
    return "\n".join(text)
