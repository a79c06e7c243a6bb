"""Wall time of ``matcher compare`` in one process, in local processes, and on a local Dask
cluster, on the sample scenarios and on generated national rounds.

    .venv/bin/python benchmarks/compare_parallel.py                 # sample scenarios only
    .venv/bin/python benchmarks/compare_parallel.py --candidates 20000 --scenarios 5

Prints seed, sizes and workers, the wall time of each runner and its ratio to one process, and
whether every runner gave the same table (it must). Generated rounds turn the minority target
from a share into a count (80% of the share at full fill), so that the network engine solves
them exactly in seconds; a share of a variable total needs CP-SAT, which does not finish a
national round in reasonable time.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import time
from pathlib import Path
from typing import Any

from matcher import Problem, parse_problem
from matcher.changes import Applied, apply_scenario, scenario_problem
from matcher.compare import compare, comparison_table
from matcher.validation import load_problem
from matcher.whatif import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]


def _sample() -> tuple[Problem, list[Applied]]:
    base = load_problem(ROOT / "scenarios" / "sample.json")
    paths = sorted((ROOT / "scenarios" / "whatif").glob("*.json"))
    return base, [scenario_problem(load_scenario(p), base) for p in paths]


def _national(candidates: int, seed: int, count: int) -> tuple[Problem, list[Applied]]:
    from matcher.generate import generate_problem

    raw: dict[str, Any] = generate_problem(candidates, seed=seed)
    seats = sum(p["capacity"] for p in raw["posts"])
    target = next(q for q in raw["rules"]["quotas"] if q.get("label") == "minority_target")
    target["min"] = math.floor(target.pop("min_share") * seats * 0.8)
    base = parse_problem(raw)
    changes: list[dict[str, Any]] = [
        {"name": "xinjiang_plus_10", "changes": [
            {"kind": "scale", "target": "posts", "where": {"province": "XJ"},
             "field": "capacity", "factor": 1.1}]},
        {"name": "minority_plus_15", "changes": [
            {"kind": "change_quota", "id": target["id"],
             "set": {"min": math.floor(target["min"] * 1.15)}}]},
        {"name": "drop_pair_kashgar", "changes": [
            {"kind": "remove_pairing", "id": "xj-pairing-kashgar"}]},
        {"name": "hardship_weight_x2", "changes": [
            {"kind": "scale", "target": "posts", "where": {"hardship": [4, 5, 6]},
             "field": "weight", "factor": 2}]},
        {"name": "sd_ha_adjust", "changes": [
            {"kind": "set", "target": "candidates", "where": {"recruit_province": ["SD", "HA"]},
             "field": "accept_adjustment", "value": True}]},
    ]
    return base, [apply_scenario(base, parse_scenario(c)) for c in changes[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=0, help="0: the sample scenarios")
    parser.add_argument("--scenarios", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-serial", action="store_true")
    args = parser.parse_args()
    if args.candidates:
        base, scenarios = _national(args.candidates, args.seed, args.scenarios)
    else:
        base, scenarios = _sample()
    seats = sum(p.capacity for p in base.posts)
    print(f"base {base.name}: {len(base.candidates)} candidates, {seats} seats; "
          f"{len(scenarios)} scenarios; seed {args.seed}; {args.workers} workers; "
          f"{os.cpu_count()} cores")
    runs: dict[str, tuple[float, str]] = {}

    def timed(label: str, **kwargs: Any) -> None:
        started = time.monotonic()
        result = compare(base, scenarios, **kwargs)
        runs[label] = (time.monotonic() - started, comparison_table(result, timings=False))
        print(f"  {label:<28} {runs[label][0]:8.2f} s")

    if not args.skip_serial:
        timed("one process", processes=1)
    timed(f"{args.workers} local processes", processes=args.workers)
    from distributed import LocalCluster

    started = time.monotonic()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        up = time.monotonic() - started
        print(f"  (Dask cluster start-up {up:.2f} s, not counted)")
        timed(f"dask, {args.workers} worker processes", cluster=cluster.scheduler_address)
    reference = next(iter(runs.values()))
    print(f"\n{'runner':<28} {'wall s':>8} {'ratio':>7}  same table")
    for label, (wall, table) in runs.items():
        print(f"{label:<28} {wall:8.2f} {wall / reference[0]:7.2f}  {table == reference[1]}")
    for label, (_, table) in runs.items():
        if table != reference[1]:
            print(f"\n{label} differs:")
            print("\n".join(difflib.unified_diff(reference[1].splitlines(), table.splitlines(),
                                                 lineterm="", n=0)))
    print()
    print(reference[1])


if __name__ == "__main__":
    main()
