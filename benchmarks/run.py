"""The issue-5 benchmark: matcher against the physical limit and against its peers, one run.

    .venv/bin/python -m benchmarks.run                       # 1k, 5k, 20k, 100k + 20k hard
    .venv/bin/python -m benchmarks.run --quick               # 1k, 5k + 1k hard, a few minutes
    .venv/bin/python -m benchmarks.run --sizes 1000,20000 --hard-size 0 --time-limit 60

For each generated national round (``matcher.generate``, fixed seed) and each method, in a
process of its own and one after another: wall time, peak resident memory (``ru_maxrss`` of
that child from ``wait4``), seats filled, mean wish rank, share of first wishes, minority-region
share, rule violations (``verify`` codes that mean a broken rule) and the proven gap.

Methods:

* ``matcher`` — ``matcher solve`` end to end (read, validate, build, solve, write), auto engine;
* ``matcher_cpsat`` — the same forced to plain CP-SAT, skipped where its memory estimate
  (measured bytes per candidate-post pair) exceeds ``--cpsat-max-gb``;
* ``relaxation`` — the bare min-cost-flow relaxation without side rules
  (:mod:`benchmarks.relaxation`); its ``solve()`` call alone is the denominator of every ratio;
* ``serial_dictatorship`` and ``deferred_acceptance`` — the peers (:mod:`benchmarks.peers`).

Why ratios: the machine is shared and noisy (the 1-minute load average is recorded per row);
only times measured in the same run are compared, and the headline is matcher's end-to-end
time over the relaxation's solve call on the same problem.

Writes ``results.csv``, ``chart.png``, ``table.md`` and ``meta.json`` to
``benchmarks/results/<date>[-quick]/`` (``--out`` to choose); problem and solution files go to
``--work-dir`` (a temporary folder by default; they are large and regenerated each run).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.evaluate import Measured, measure
from benchmarks.peers import adjusted_entries, ranked_options
from matcher.compile import Compiled, compile_problem
from matcher.generate import generate_problem, write_problem
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.validation import load_problem

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("relaxation", "matcher", "matcher_cpsat", "serial_dictatorship",
           "deferred_acceptance")
# CP-SAT resident memory per candidate-post pair, measured here with 2 workers: 1.9 GB for the
# 912,063 pairs of the 5k round (seed 1), 0.4 GB for 37,000 pairs; DESIGN.md saw 3.9 GB for
# 600,000 pairs with a hard target. The estimate errs on the high side of ours.
CPSAT_BYTES_PER_PAIR = 2_200
CPSAT_BASE_BYTES = 300 * 2**20


@dataclass(frozen=True)
class Instance:
    """One generated round: size and which hard features it has."""

    candidates: int
    hard: bool = False

    @property
    def name(self) -> str:
        size = f"{self.candidates // 1000}k" if self.candidates % 1000 == 0 else str(
            self.candidates)
        return f"{size}-hard" if self.hard else size


@dataclass
class Row:
    """One line of results.csv."""

    instance: str
    candidates: int
    posts: int
    seats_offered: int
    method: str
    outcome: str = "ok"
    wall_s: float | None = None
    core_s: float | None = None
    ratio_to_relaxation: float | None = None
    peak_mb: float | None = None
    engine: str = ""
    load1: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    measured: Measured | None = None

    def flat(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("extra", "measured")}
        for key, value in (asdict(self.measured) if self.measured else {}).items():
            out[key] = value
        out["extra"] = json.dumps(self.extra, sort_keys=True) if self.extra else ""
        return out


@dataclass
class Child:
    """How a child process ended: exit code, wall seconds, peak RSS, and why it was killed."""

    returncode: int
    wall_s: float
    peak_mb: float
    killed: str  # why it was killed; empty when it ended by itself


def run_child(cmd: list[str], log: Path, timeout: float, max_bytes: float) -> Child:
    """Run ``cmd`` through :mod:`benchmarks.launch` with output to ``log``.

    The launcher measures the command's own peak memory (a child forked from this process
    would inherit this process's peak, see there) and kills it past ``timeout`` seconds or
    ``max_bytes`` resident.
    """
    report = log.with_suffix(".launch.json")
    report.unlink(missing_ok=True)
    launcher = [sys.executable, "-m", "benchmarks.launch", str(report), str(timeout),
                str(max_bytes), "--", *cmd]
    with log.open("wb") as out:
        started = time.perf_counter()
        try:
            subprocess.run(launcher, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                           check=False, timeout=timeout + 120)
        except subprocess.TimeoutExpired:
            return Child(1, time.perf_counter() - started, 0.0, "timeout: the launcher hung")
        wall = time.perf_counter() - started
    if not report.exists():
        return Child(1, wall, 0.0, "")
    got = json.loads(report.read_text())
    return Child(int(got["returncode"]), float(got["wall_s"]), float(got["peak_mb"]),
                 str(got["killed"]))


def matcher_pairs(compiled: Compiled) -> int:
    """Candidate-post pairs a plain CP-SAT model materialises (one Boolean each)."""
    return len(ranked_options(compiled, with_pairings=True).cand) + adjusted_entries(compiled)


def _tail(log: Path, lines: int = 3) -> str:
    text = log.read_text(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])[:300]


class Bench:
    """Runs every method on every instance and collects rows."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.rows: list[Row] = []
        self.bin = Path(sys.executable).parent

    def instance(self, inst: Instance) -> None:
        args = self.args
        path = self.work / f"{inst.name}.json"
        print(f"\n== {inst.name}: generating {inst.candidates} candidates (seed {args.seed})",
              flush=True)
        raw = generate_problem(inst.candidates, seed=args.seed, couples=inst.hard,
                               respect_priority=inst.hard, crossing_quota=inst.hard)
        write_problem(raw, path)
        del raw
        problem = load_problem(path)
        compiled = compile_problem(problem)
        relax_core: float | None = None
        for method in args.methods:
            row = self.method(inst, problem, compiled, path, method)
            if method == "relaxation" and row.outcome == "ok":
                relax_core = row.core_s
            if relax_core and row.wall_s is not None:
                row.ratio_to_relaxation = row.wall_s / relax_core
            self.rows.append(row)
            self.progress(row)

    def method(self, inst: Instance, problem: Problem, compiled: Compiled, path: Path,
               method: str) -> Row:
        args = self.args
        row = Row(inst.name, inst.candidates, compiled.m, int(compiled.capacity.sum()), method,
                  load1=os.getloadavg()[0])
        solution = self.work / f"{inst.name}.{method}.sol.json"
        metrics = self.work / f"{inst.name}.{method}.metrics.json"
        log = self.work / f"{inst.name}.{method}.log"
        for stale in (solution, metrics):
            stale.unlink(missing_ok=True)
        if method.startswith("matcher"):
            engine = "cpsat" if method == "matcher_cpsat" else "auto"
            if engine == "cpsat":
                pairs = matcher_pairs(compiled)
                need = CPSAT_BASE_BYTES + CPSAT_BYTES_PER_PAIR * pairs
                row.extra["pairs"] = pairs
                if need > args.cpsat_max_gb * 2**30:
                    row.outcome = (f"skipped: would materialise {pairs:,} pairs "
                                   f"(~{need / 2**30:.0f} GB)")
                    return row
            cmd = [str(self.bin / "matcher"), "solve", str(path), "-o", str(solution),
                   "--engine", engine, "--time-limit", str(args.time_limit),
                   "--workers", str(args.workers), "--seed", str(args.seed), "-q"]
            timeout = 3 * args.time_limit + 300
        else:
            cmd = [sys.executable, "-m", "benchmarks.worker", method, str(path), str(solution),
                   str(metrics)]
            if method == "deferred_acceptance":
                cmd += ["--max-entries", str(args.da_max_entries)]
            timeout = args.peer_timeout
        child = run_child(cmd, log, timeout, args.max_gb * 2**30)
        row.wall_s, row.peak_mb = child.wall_s, child.peak_mb
        if child.killed:
            row.outcome = child.killed
            return row
        if child.returncode != 0:
            row.outcome = f"failed: exit {child.returncode}: {_tail(log)}"
            return row
        if metrics.exists():
            row.extra.update(json.loads(metrics.read_text()))
            if "skipped" in row.extra:
                row.outcome = str(row.extra.pop("skipped"))
                row.wall_s = row.peak_mb = None
                return row
            row.core_s = row.extra.pop("core_s", None)
        sol = Solution.model_validate_json(solution.read_bytes())
        row.engine = sol.solver.engine
        if method.startswith("matcher"):
            row.core_s = sol.solver.time_s
            if sol.solver.note:
                row.extra["note"] = sol.solver.note
        row.measured = measure(problem, compiled, sol)
        return row

    def progress(self, row: Row) -> None:
        m = row.measured
        what = row.outcome if row.outcome != "ok" else (
            f"{row.wall_s:.2f} s, {row.peak_mb:.0f} MB, {m.status if m else ''}, "
            f"seats {m.seats if m else ''}, violations {m.violations if m else ''}"
            f"{' (' + m.breakdown + ')' if m and m.breakdown else ''}, gap {m.gap if m else ''}")
        print(f"   {row.method:<20} {what}  [load {row.load1:.1f}]", flush=True)


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        format(value, spec))


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    head = ("instance", "method", "time s", "core s", "× relax", "peak MB", "status", "seats",
            "coverage", "mean rank", "1st wish", "minority", "violations", "gap")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        m = r.measured
        if r.outcome != "ok" or m is None:
            cells = [r.instance, r.method, _fmt(r.wall_s, ".2f"), _fmt(r.core_s, ".2f"),
                     _fmt(r.ratio_to_relaxation, ".1f"), _fmt(r.peak_mb, ".0f"), r.outcome,
                     *["—"] * 7]
        else:
            status = "relaxed optimum" if r.method == "relaxation" else m.status
            viol = str(m.violations) + (f" ({m.breakdown})" if m.breakdown else "")
            cells = [r.instance, r.method, _fmt(r.wall_s, ".2f"), _fmt(r.core_s, ".2f"),
                     _fmt(r.ratio_to_relaxation, ".1f"), _fmt(r.peak_mb, ".0f"), status,
                     str(m.seats), _fmt(m.coverage, "d"), _fmt(m.mean_rank, ".2f"),
                     _fmt(m.first_wish, ".1%"), _fmt(m.minority, ".1%"), viol, m.gap]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(rows: list[Row], path: Path) -> None:
    """Time over the relaxation's solve, peak memory and rule violations, per instance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    instances = list(dict.fromkeys(r.instance for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    def ratio(r: Row) -> float | None:
        return r.ratio_to_relaxation

    def memory(r: Row) -> float | None:
        return r.peak_mb

    def violations(r: Row) -> float | None:
        return r.measured.violations if r.measured else None

    panels: tuple[tuple[str, Callable[[Row], float | None], str], ...] = (
        ("wall time / relaxation solve", ratio, "log"),
        ("peak memory (MB)", memory, "log"),
        ("rule violations", violations, "symlog"),
    )
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    width = 0.8 / max(len(methods), 1)
    for ax, (title, value, scale) in zip(axes, panels, strict=True):
        for j, method in enumerate(methods):
            xs: list[float] = []
            ys: list[float] = []
            for i, inst in enumerate(instances):
                row = next((r for r in rows if r.instance == inst and r.method == method), None)
                v = value(row) if row is not None and row.outcome == "ok" else None
                if v is not None:
                    xs.append(i + (j - (len(methods) - 1) / 2) * width)
                    ys.append(v)
            ax.bar(xs, ys, width, label=method)
        ax.set_xticks(range(len(instances)), instances)
        ax.set_yscale(scale)
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.suptitle("matcher benchmark (missing bar: skipped, timed out or failed; see table)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("matcher", "ortools", "numpy", "matching"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _source_state() -> dict[str, Any]:
    """The commit, and the files of ``src/`` that differ from it: matcher is installed in
    editable mode, so what ran is the working tree, not necessarily the commit."""
    dirty = _git("status", "--porcelain", "--", "src")
    return {"git_commit": _git("rev-parse", "HEAD"),
            "src_uncommitted": dirty.splitlines() if dirty and dirty != "unknown" else []}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="matcher benchmark (issue 5)")
    parser.add_argument("--quick", action="store_true",
                        help="1k and 5k (+ a 1k hard round), 30 s limits: a few minutes")
    parser.add_argument("--sizes", help="comma-separated candidate counts "
                        "(default 1000,5000,20000,100000)")
    parser.add_argument("--hard-size", type=int, default=None,
                        help="size of the round with couples, a crossing quota and "
                        "respect_priority (default 20000, 1000 with --quick; 0 = none)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds for each matcher solve (default 120, 30 with --quick)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated subset of {','.join(METHODS)}")
    parser.add_argument("--cpsat-max-gb", type=float, default=8.0)
    parser.add_argument("--da-max-entries", type=int, default=None,
                        help="deferred acceptance skipped above this many preference "
                        "entries (default 4,000,000, 1,000,000 with --quick)")
    parser.add_argument("--peer-timeout", type=float, default=1800.0)
    parser.add_argument("--max-gb", type=float, default=10.0,
                        help="kill any method past this resident memory (shared machine)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = [int(s) for s in (args.sizes or ("1000,5000" if quick else
                                                   "1000,5000,20000,100000")).split(",")]
    if args.hard_size is None:
        args.hard_size = 1000 if quick else 20000
    if args.time_limit is None:
        args.time_limit = 30.0 if quick else 120.0
    if args.da_max_entries is None:
        args.da_max_entries = 1_000_000 if quick else 4_000_000
    args.methods = [m for m in args.methods.split(",") if m]
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    if args.out is None:
        stamp = datetime.date.today().isoformat() + ("-quick" if quick else "")
        args.out = ROOT / "benchmarks" / "results" / stamp
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    instances = [Instance(n) for n in args.sizes]
    if args.hard_size:
        instances.append(Instance(args.hard_size, hard=True))
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="matcher-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks.run",
                             *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "seed": args.seed, "sizes": args.sizes, "hard_size": args.hard_size,
        "time_limit_s": args.time_limit, "workers": args.workers, "methods": args.methods,
        "cpsat_max_gb": args.cpsat_max_gb, "max_gb": args.max_gb,
        "da_max_entries": args.da_max_entries,
        "cpus": os.cpu_count(), "load_at_start": os.getloadavg(), **_source_state(),
        "versions": _versions(), "work_dir": str(work),
    }
    print(f"matcher benchmark: seed {args.seed}, sizes {args.sizes}, hard {args.hard_size}, "
          f"time limit {args.time_limit:g} s, workers {args.workers}, load {os.getloadavg()}, "
          f"work dir {work}", flush=True)
    bench = Bench(args, work)
    started = time.perf_counter()
    for inst in instances:
        bench.instance(inst)
    meta["load_at_end"] = os.getloadavg()
    meta["total_s"] = round(time.perf_counter() - started, 1)
    rows = bench.rows
    with (args.out / "results.csv").open("w", newline="") as out:
        flat = [r.flat() for r in rows]
        fields = list(dict.fromkeys(k for row in flat for k in row))
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(flat)
    text = table(rows)
    headline = [f"- {r.instance}: matcher end to end / relaxation solve = "
                f"{r.ratio_to_relaxation:.1f}× ({r.wall_s:.2f} s, {r.peak_mb:.0f} MB peak)"
                for r in rows if r.method == "matcher" and r.outcome == "ok"
                and r.ratio_to_relaxation is not None
                and r.wall_s is not None and r.peak_mb is not None]
    (args.out / "table.md").write_text(
        f"Seed {args.seed}, time limit {args.time_limit:g} s, {args.workers} workers, "
        f"load {meta['load_at_start'][0]:.1f} → {meta['load_at_end'][0]:.1f}\n\n"
        + text + "\n\n" + "\n".join(headline) + "\n")
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    try:
        chart(rows, args.out / "chart.png")
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no chart", flush=True)
    print("\n" + text + "\n\n" + "\n".join(headline))
    print(f"\nresults in {args.out} ({meta['total_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
