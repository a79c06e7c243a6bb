"""National-scale variants of the generated round: do they stay valid, optimal, fast and small?

    .venv/bin/python -m benchmarks.variants                      # 5k, every variant
    .venv/bin/python -m benchmarks.variants --size 100000 --only base,locks-solved,forbidden
    .venv/bin/python -m benchmarks.variants --size 5000 --only quadratic --keep /tmp/variants

Independent checkers run ``matcher solve`` on national problems we do not see. The default
generator output is one problem; this sweep derives others from it the way SPEC §4–§6 allow a
checker to write them (locks from an earlier round, forbidden pairs, a binding minority target,
province minimums, shares, quadratic rank cost, another tier order, bonuses, weights, screened
candidates, restricted posts, couple scopes, programme models, every rule at once) and, for
each one, runs ``matcher solve`` then ``matcher verify`` in processes of their own, one after
another (through :mod:`benchmarks.launch`, so the peak RSS is the solve's own).

Each row records the engine the solution names, its status, wall time, peak memory, whether
``verify`` passed, the tier values and the bound, and flags what the issue's goals rule out:
not optimal, the hybrid engine where a network expresses every rule, more than 2 GB, slower
than 2 × the bare relaxation's solve call (when ``--relaxation`` measured it), a traceback or
a failed verify.

Writes ``table.md`` (also to stdout) and ``results.json`` to
``benchmarks/results/<date>-variants/`` (``--out`` to choose); problems and solutions go to
``--keep`` (a temporary folder, removed, by default) so every row can be reproduced with the
command it prints.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.run import ROOT, run_child
from matcher.generate import generate_problem, write_problem

Problem = dict[str, Any]
SEED = 2025
GB = 2**30


@dataclass
class Context:
    """What a variant may read: the base round's solution (for locks and forbidden pairs)."""

    base_solution: dict[str, Any] | None
    rng: random.Random


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    edit: Callable[[Problem, Context], None] | None = None
    generate: dict[str, Any] = field(default_factory=dict)  # generate_problem keywords
    solve_args: tuple[str, ...] = ()
    expect: str = "flow"  # the engine SPEC-wise expected: flow unless a network cannot
    needs_base: bool = False


# --- edits ----------------------------------------------------------------------------------


def _seats(problem: Problem) -> int:
    return sum(p.get("capacity", 1) for p in problem["posts"])


def _quotas(problem: Problem) -> list[dict[str, Any]]:
    quotas: list[dict[str, Any]] = problem["rules"]["quotas"]
    return quotas


def _minority(problem: Problem) -> dict[str, Any]:
    return next(q for q in _quotas(problem) if q.get("label") == "minority_target")


def locks_solved(problem: Problem, ctx: Context) -> None:
    """10% of the seats locked to pairs of the solved base round (an earlier round's
    confirmed volunteers)."""
    assert ctx.base_solution is not None
    pairs = list(ctx.base_solution["assignments"])
    ctx.rng.shuffle(pairs)
    want = _seats(problem) // 10
    problem["locks"] = [{"candidate": a["candidate"], "post": a["post"]} for a in pairs[:want]]


def locks_random(problem: Problem, ctx: Context) -> None:
    """10% of the seats locked to random candidate-post pairs (SPEC: locks need not be
    eligible), never above capacity; ineligible (screened-out) candidates excluded."""
    free = {p["id"]: p.get("capacity", 1) for p in problem["posts"]}
    posts = [pid for pid, cap in free.items() for _ in range(cap)]
    ctx.rng.shuffle(posts)
    cands = [c["id"] for c in problem["candidates"] if c.get("eligible", True)]
    ctx.rng.shuffle(cands)
    want = _seats(problem) // 10
    problem["locks"] = [{"candidate": c, "post": p} for c, p in zip(cands[:want], posts[:want],
                                                                    strict=True)]


def locks_wish(problem: Problem, ctx: Context) -> None:
    """10% of the seats locked to each chosen candidate's first wish (a post matching it
    with room left): eligible-looking locks without a solve."""
    posts = problem["posts"]
    room = {p["id"]: p.get("capacity", 1) for p in posts}
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in posts:
        for f in ("id", "county", "prefecture", "province"):
            if p.get(f) is not None:
                by_key.setdefault((f, p[f]), []).append(p)
    want, locks = _seats(problem) // 10, []
    cands = list(problem["candidates"])
    ctx.rng.shuffle(cands)
    for c in cands:
        if len(locks) >= want:
            break
        if not c["wishes"] or not c.get("eligible", True):
            continue
        wish = c["wishes"][0]
        field_ = "id" if "post" in wish else next(
            f for f in ("county", "prefecture", "province") if f in wish)
        value = wish.get("post", wish.get(field_))
        for p in by_key.get((field_, value), []):
            if room[p["id"]] > 0 and all(p.get(k) == v for k, v in wish.items() if k != "post"):
                room[p["id"]] -= 1
                locks.append({"candidate": c["id"], "post": p["id"]})
                break
    problem["locks"] = locks


def forbidden(problem: Problem, ctx: Context) -> None:
    """A fifth of the base optimum's pairs forbidden (so the answer must change), plus as many
    random pairs."""
    assert ctx.base_solution is not None
    pairs = [a for a in ctx.base_solution["assignments"]]
    ctx.rng.shuffle(pairs)
    out = [{"candidate": a["candidate"], "post": a["post"]} for a in pairs[:len(pairs) // 5]]
    cands = [c["id"] for c in problem["candidates"]]
    posts = [p["id"] for p in problem["posts"]]
    seen = {(f["candidate"], f["post"]) for f in out}
    for _ in range(len(out)):
        pair = (ctx.rng.choice(cands), ctx.rng.choice(posts))
        if pair not in seen:
            seen.add(pair)
            out.append({"candidate": pair[0], "post": pair[1]})
    problem["forbidden"] = out


def forbidden_few(problem: Problem, ctx: Context) -> None:
    """1,000 random candidate-post pairs forbidden (a short blacklist)."""
    cands = [c["id"] for c in problem["candidates"]]
    posts = [p["id"] for p in problem["posts"]]
    pairs = {(ctx.rng.choice(cands), ctx.rng.choice(posts)) for _ in range(1000)}
    problem["forbidden"] = [{"candidate": c, "post": p} for c, p in sorted(pairs)]


def forbidden_wishes(problem: Problem, ctx: Context) -> None:
    """Every fifth candidate may not hold any post named in its wishes by id."""
    out = []
    for i, c in enumerate(problem["candidates"]):
        if i % 5 == 0:
            out.extend({"candidate": c["id"], "post": w["post"]} for w in c["wishes"]
                       if "post" in w)
    problem["forbidden"] = out


def minority_share(share: float, *, hard: bool = True,
                   penalty: float | None = None) -> Callable[[Problem, Context], None]:
    def edit(problem: Problem, ctx: Context) -> None:
        quota = _minority(problem)
        quota["min_share"] = share
        quota["hard"] = hard
        if penalty is not None:
            quota["penalty"] = penalty
    edit.__doc__ = f"minority target min_share {share} ({'hard' if hard else 'soft'})"
    return edit


def minority_max(problem: Problem, ctx: Context) -> None:
    """Minority target as a band: at least 45% and at most 55% of all placements (the base
    round places ~64% there, so the cap binds)."""
    quota = _minority(problem)
    quota["max_share"] = 0.55


def province_min(problem: Problem, ctx: Context) -> None:
    """A hard `min` per serving province (posts selector by province): 70% of its seats."""
    seats: dict[str, int] = {}
    for p in problem["posts"]:
        seats[p["province"]] = seats.get(p["province"], 0) + p.get("capacity", 1)
    _quotas(problem).extend(
        {"id": f"province-min-{prov.lower()}", "label": "province_min",
         "posts": {"province": prov}, "min": math.floor(0.7 * n), "hard": True}
        for prov, n in sorted(seats.items()))


def province_min_alone(problem: Problem, ctx: Context) -> None:
    """Hard province minimums with the minority target dropped (laminar again)."""
    problem["rules"]["quotas"] = [q for q in _quotas(problem)
                                  if q.get("label") != "minority_target"]
    province_min(problem, ctx)


def max_share_recruit(problem: Problem, ctx: Context) -> None:
    """Soft `max_share` of all placements on a recruiting province (nests with the
    indicators): SD recruits at most 4% of placements, penalty 2."""
    _quotas(problem).append({"id": "sd-share", "candidates": {"recruit_province": "SD"},
                             "posts": {}, "max_share": 0.04, "share_base": "posts",
                             "hard": False, "penalty": 2})


def province_min_soft(problem: Problem, ctx: Context) -> None:
    """A soft `min` per serving province of 95% of its seats, penalty 3 (binds)."""
    seats: dict[str, int] = {}
    for p in problem["posts"]:
        seats[p["province"]] = seats.get(p["province"], 0) + p.get("capacity", 1)
    _quotas(problem).extend(
        {"id": f"province-min-{prov.lower()}", "label": "province_min",
         "posts": {"province": prov}, "min": math.floor(0.95 * n), "hard": False,
         "penalty": 3}
        for prov, n in sorted(seats.items()))


def nested_posts(problem: Problem, ctx: Context) -> None:
    """Post-side quotas that nest: per province a max, per prefecture of XJ a min, and
    `share_base: posts` shares of the province's own placements (D = N, a count bound)."""
    seats: dict[str, int] = {}
    pref: dict[tuple[str, str], int] = {}
    for p in problem["posts"]:
        seats[p["province"]] = seats.get(p["province"], 0) + p.get("capacity", 1)
        key = (p["province"], p["prefecture"])
        pref[key] = pref.get(key, 0) + p.get("capacity", 1)
    quotas = _quotas(problem)
    for prov, n in sorted(seats.items()):
        quotas.append({"id": f"prov-max-{prov.lower()}", "posts": {"province": prov},
                       "max": math.ceil(0.9 * n), "hard": True})
    for (prov, name), n in sorted(pref.items()):
        if prov == "XJ":
            quotas.append({"id": f"pref-min-{name.lower()}", "posts": {"province": prov,
                           "prefecture": name}, "min": n // 2, "hard": False, "penalty": 2})
    quotas.append({"id": "xz-share-posts", "posts": {"province": "XZ"}, "min_share": 0.5,
                   "share_base": "posts", "hard": True})


def max_share_total(problem: Problem, ctx: Context) -> None:
    """`max_share` of all placements: women at most 55% (share_base posts over every post)
    and XJ posts at most 12% of placements (share_base candidates over everyone)."""
    quotas = _quotas(problem)
    quotas.append({"id": "women-max", "candidates": {"gender": "F"}, "posts": {},
                   "max_share": 0.55, "share_base": "posts", "hard": True})
    quotas.append({"id": "xj-max", "candidates": {}, "posts": {"province": "XJ"},
                   "max_share": 0.12, "hard": True})


def max_share_soft(problem: Problem, ctx: Context) -> None:
    """Soft `max_share` of all placements: women at most 50%, penalty 1."""
    _quotas(problem).append({"id": "women-max", "candidates": {"gender": "F"}, "posts": {},
                             "max_share": 0.5, "share_base": "posts", "hard": False})


def share_base_posts_crossing(problem: Problem, ctx: Context) -> None:
    """A crossing `share_base: posts` quota: half of XJ's placements from XJ homes."""
    _quotas(problem).append({"id": "xj-locals", "candidates": {"home_province": "XJ"},
                             "posts": {"province": "XJ"}, "min_share": 0.5,
                             "share_base": "posts", "hard": False})


def objective(**changes: Any) -> Callable[[Problem, Context], None]:
    def edit(problem: Problem, ctx: Context) -> None:
        problem["objective"].update(changes)
    edit.__doc__ = "objective " + ", ".join(f"{k}={v}" for k, v in changes.items())
    return edit


def _both(problem: Problem, ctx: Context, *edits: Callable[[Problem, Context], None]) -> None:
    for edit in edits:
        edit(problem, ctx)


def weights(problem: Problem, ctx: Context) -> None:
    """Post weights 1..20 (hardship posts weighted up a lot, some random spread)."""
    for p in problem["posts"]:
        p["weight"] = 1 + 3 * p.get("hardship", 0) + ctx.rng.randint(0, 2)


def ineligible(problem: Problem, ctx: Context) -> None:
    """A fifth of the candidates failed screening (eligible: false)."""
    for c in problem["candidates"]:
        if ctx.rng.random() < 0.2:
            c["eligible"] = False


def restricted_posts(problem: Problem, ctx: Context) -> None:
    """A quarter of the posts ask for a gender, a tenth for Uyghur or Tibetan."""
    for p in problem["posts"]:
        r = ctx.rng.random()
        if r < 0.25:
            p["gender"] = ctx.rng.choice(["F", "M"])
        elif r < 0.35:
            p["languages"] = ["bo" if p["province"] == "XZ" else "ug"]


def couple_scope(scope: str) -> Callable[[Problem, Context], None]:
    def edit(problem: Problem, ctx: Context) -> None:
        problem["rules"]["couple_scope"] = scope
    edit.__doc__ = f"couple_scope {scope}"
    return edit


def every_rule(problem: Problem, ctx: Context) -> None:
    """Couples, respect_priority and the crossing quota (generated), plus 5% locks on first
    wishes, forbidden pairs, a province minimum, weights and restricted posts."""
    locks_wish(problem, ctx)
    problem["locks"] = problem["locks"][: len(problem["locks"]) // 2]
    forbidden_wishes(problem, ctx)
    partners = {c["id"] for c in problem["candidates"] if c.get("partner")}
    banned = {(f["candidate"], f["post"]) for f in problem["forbidden"]}
    problem["locks"] = [lk for lk in problem["locks"] if lk["candidate"] not in partners
                        and (lk["candidate"], lk["post"]) not in banned]
    seats: dict[str, int] = {}
    for p in problem["posts"]:
        seats[p["province"]] = seats.get(p["province"], 0) + p.get("capacity", 1)
    _quotas(problem).extend(
        {"id": f"province-min-{prov.lower()}", "posts": {"province": prov},
         "min": math.floor(0.5 * n), "hard": False}
        for prov, n in sorted(seats.items()))
    weights(problem, ctx)


def every_rule_hard(problem: Problem, ctx: Context) -> None:
    """Couples and the crossing quota without respect_priority (so quotas stay hard), plus
    the every-rule extras."""
    every_rule(problem, ctx)


VARIANTS: list[Variant] = [
    Variant("base", "generator default"),
    Variant("locks-solved", "10% of seats locked to pairs of the solved base round",
            locks_solved, needs_base=True),
    Variant("locks-random", "10% of seats locked to random (mostly ineligible) pairs",
            locks_random),
    Variant("locks-wish", "10% of seats locked to a post of the candidate's first wish",
            locks_wish),
    Variant("forbidden", "20% of the base optimum's pairs + as many random pairs forbidden",
            forbidden, needs_base=True),
    Variant("forbidden-few", "1,000 random pairs forbidden", forbidden_few),
    Variant("forbidden-wishes", "every 5th candidate forbidden its post-id wishes",
            forbidden_wishes),
    Variant("minority-0.70", "hard minority target min_share 0.70 (base places ~64%)",
            minority_share(0.70)),
    Variant("minority-0.75-soft", "soft minority target min_share 0.75, penalty 5",
            minority_share(0.75, hard=False, penalty=5)),
    Variant("minority-soft-p10", "the model's minority target (0.45, not binding) made soft, "
            "penalty 10", minority_share(0.45, hard=False, penalty=10)),
    Variant("minority-band", "minority target 0.45 ≤ share ≤ 0.55 (hard, cap binds)",
            minority_max),
    # Province groups cross the minority-region group (both post-side) and gender crosses the
    # recruiting-province indicators (both candidate-side): no network, hybrid by design.
    Variant("province-min", "hard min per serving province (70% of its seats)", province_min,
            expect="hybrid"),
    Variant("province-min-alone", "hard min per province, minority target dropped",
            province_min_alone),
    Variant("province-min-soft", "soft min per province (95% of seats, penalty 3)",
            province_min_soft, expect="hybrid"),
    Variant("nested-posts", "nested post-side quotas: province max, XJ prefecture min, "
            "share_base posts", nested_posts, expect="hybrid"),
    Variant("max-share", "hard max_share of all placements (women ≤ 55%, XJ ≤ 12%)",
            max_share_total, expect="hybrid"),
    Variant("max-share-soft", "soft max_share of all placements (women ≤ 50%)",
            max_share_soft, expect="hybrid"),
    Variant("max-share-recruit", "soft max_share of all placements on SD recruits (≤ 4%)",
            max_share_recruit),
    Variant("crossing-posts", "crossing share_base posts quota (XJ locals ≥ 50% of XJ)",
            share_base_posts_crossing, expect="hybrid"),
    Variant("quadratic", "rank_cost quadratic", objective(rank_cost="quadratic")),
    Variant("quadratic-adj3", "rank_cost quadratic, adjustment_cost 3",
            objective(rank_cost="quadratic", adjustment_cost=3)),
    Variant("adj-cost-1", "adjustment_cost 1 (below most rank costs)",
            objective(adjustment_cost=1)),
    Variant("adj-cost-0", "adjustment_cost 0", objective(adjustment_cost=0)),
    Variant("order-cpq", "objective.order coverage, preferences, quotas",
            objective(order=["coverage", "preferences", "quotas"])),
    Variant("order-pcq", "objective.order preferences, coverage, quotas",
            objective(order=["preferences", "coverage", "quotas"])),
    Variant("order-qcp", "objective.order quotas, coverage, preferences",
            objective(order=["quotas", "coverage", "preferences"])),
    Variant("order-cpq-minority", "order coverage, preferences, quotas + soft minority 0.75",
            lambda p, c: _both(p, c, objective(order=["coverage", "preferences", "quotas"]),
                               minority_share(0.75, hard=False))),
    Variant("bonuses-zero", "home/fit/continuity bonus 0",
            objective(home_bonus=0, fit_bonus=0, continuity_bonus=0)),
    Variant("bonuses-big", "home 12, fit 5, continuity 20 (bonuses beyond adjustment cost)",
            objective(home_bonus=12, fit_bonus=5, continuity_bonus=20)),
    Variant("weights", "post weights 1..20", weights),
    Variant("ineligible", "20% of candidates eligible: false", ineligible),
    Variant("restricted", "25% of posts gender-restricted, 10% language-restricted",
            restricted_posts),
    Variant("scope-county", "couple_scope county, no couples", couple_scope("county")),
    Variant("scope-province", "couple_scope province, no couples", couple_scope("province")),
    Variant("seats-0.6", "seats_per_candidate 0.6 (more seats than usual)",
            generate={"seats_per_candidate": 0.6}),
    Variant("seats-0.05", "seats_per_candidate 0.05 (very competitive)",
            generate={"seats_per_candidate": 0.05}),
    Variant("model-cadre", "solve --model models/cadre_secondment.json",
            solve_args=("--model", "models/cadre_secondment.json"), expect="hybrid"),
    Variant("model-leaders", "solve --model models/student_leaders.json",
            solve_args=("--model", "models/student_leaders.json"), expect="hybrid"),
    Variant("couples", "generated with couples", generate={"couples": True},
            expect="hybrid"),
    Variant("crossing", "generated with the crossing quota", generate={"crossing_quota": True},
            expect="hybrid"),
    Variant("priority", "generated with respect_priority", generate={"respect_priority": True},
            expect="hybrid"),
    Variant("every-rule", "couples + respect_priority + crossing + locks + forbidden + "
            "province min + weights",
            every_rule, generate={"couples": True, "respect_priority": True,
                                  "crossing_quota": True}, expect="hybrid"),
    Variant("every-rule-hard", "every-rule without respect_priority (hard quotas)",
            every_rule_hard, generate={"couples": True, "crossing_quota": True},
            expect="hybrid"),
]
BY_NAME = {v.name: v for v in VARIANTS}


# --- running --------------------------------------------------------------------------------


@dataclass
class Row:
    variant: str
    size: int
    engine: str = ""
    expect: str = ""
    status: str = ""
    time_s: float | None = None
    peak_mb: float | None = None
    verify: str = ""
    objective: dict[str, Any] = field(default_factory=dict)
    bound: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    problems: list[str] = field(default_factory=list)
    command: str = ""
    load1: float = 0.0


def _tail(path: Path, lines: int = 4) -> str:
    text = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return " | ".join(text[-lines:])[:400]


class Sweep:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.bin = Path(sys.executable).parent
        self.bases: dict[tuple[tuple[str, Any], ...], Problem] = {}
        self.base_solution: dict[str, Any] | None = None
        self.rows: list[Row] = []

    def base(self, generate: dict[str, Any]) -> Problem:
        key = tuple(sorted(generate.items()))
        if key not in self.bases:
            self.bases.clear()  # keep one base in memory at 100k
            started = time.perf_counter()
            self.bases[key] = generate_problem(self.args.size, seed=self.args.seed, **generate)
            print(f"   (generated {self.args.size} {generate or ''} in "
                  f"{time.perf_counter() - started:.1f} s)", flush=True)
        return self.bases[key]

    def problem_for(self, variant: Variant) -> Path:
        path = self.work / f"{self.args.size}-{variant.name}.json"
        problem = self.base(variant.generate)
        if variant.edit is not None:
            problem = copy.deepcopy(problem)
            problem["name"] = f"{problem['name']}-{variant.name}"
            ctx = Context(self.base_solution, random.Random(f"{self.args.seed}-{variant.name}"))
            variant.edit(problem, ctx)
        write_problem(problem, path)
        return path

    def run(self, variant: Variant) -> Row:
        args = self.args
        if variant.needs_base and self.base_solution is None:
            print("   (solving base first for its solution)", flush=True)
            self.run(BY_NAME["base"])
        print(f"== {variant.name} ({args.size}): {variant.what}", flush=True)
        path = self.problem_for(variant)
        sol = path.with_suffix(".sol.json")
        log = path.with_suffix(".solve.log")
        sol.unlink(missing_ok=True)
        cmd = [str(self.bin / "matcher"), "solve", str(path), "-o", str(sol),
               "--time-limit", str(args.time_limit), *variant.solve_args]
        row = Row(variant.name, args.size, expect=variant.expect, load1=os.getloadavg()[0],
                  command=" ".join([".venv/bin/matcher", *cmd[1:]]))
        child = run_child(cmd, log, args.time_limit * 2 + 120, args.max_gb * GB)
        row.time_s, row.peak_mb = child.wall_s, child.peak_mb
        text = log.read_text(errors="replace") if log.exists() else ""
        if "Traceback" in text:
            row.problems.append("traceback: " + _tail(log))
        if child.killed:
            row.status = child.killed
            row.problems.append(child.killed)
            return self.done(row)
        if child.returncode != 0 or not sol.exists():
            row.status = f"exit {child.returncode}"
            row.problems.append(f"solve failed (exit {child.returncode}): {_tail(log)}")
            return self.done(row)
        solution = json.loads(sol.read_bytes())
        row.engine = solution["solver"]["engine"]
        row.status = solution["status"]
        row.objective = solution.get("objective") or {}
        row.bound = solution.get("bound") or {}
        row.note = solution["solver"].get("note") or ""
        if variant.name == "base":
            self.base_solution = {"assignments": [
                {"candidate": a["candidate"], "post": a["post"]}
                for a in solution["assignments"]]}
        del solution
        checked = path
        if "--model" in variant.solve_args:  # verify the problem the solve saw
            from matcher.models import with_model
            from matcher.validation import load_problem

            model = ROOT / variant.solve_args[variant.solve_args.index("--model") + 1]
            checked = path.with_suffix(".merged.json")
            checked.write_text(with_model(load_problem(path), model).model_dump_json(
                exclude_none=True))
        vlog = path.with_suffix(".verify.log")
        started = time.perf_counter()
        with vlog.open("wb") as out:
            done = subprocess.run([str(self.bin / "matcher"), "verify", str(checked), str(sol)],
                                  cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False,
                                  timeout=args.verify_timeout)
        vtime = time.perf_counter() - started
        if done.returncode == 0:
            row.verify = f"ok ({vtime:.0f} s)"
        else:
            row.verify = f"FAIL exit {done.returncode}"
            row.problems.append(f"verify exit {done.returncode}: {_tail(vlog, 6)}")
        if "Traceback" in vlog.read_text(errors="replace"):
            row.problems.append("verify traceback: " + _tail(vlog))
        return self.done(row)

    def done(self, row: Row) -> Row:
        args = self.args
        if row.status and row.status != "optimal" and not row.status.startswith(
                ("timeout", "out of")):
            row.problems.append(f"status {row.status}")
        if row.engine and row.engine != row.expect:
            row.problems.append(f"engine {row.engine}, expected {row.expect}")
        if row.peak_mb is not None and row.peak_mb > 2048:
            row.problems.append(f"peak {row.peak_mb:.0f} MB > 2 GB")
        if args.relaxation_s and row.time_s is not None and row.expect == "flow" \
                and row.time_s > 2 * args.relaxation_s:
            row.problems.append(f"{row.time_s:.1f} s > 2 × relaxation ({args.relaxation_s:.1f} s)")
        if args.size <= 5000 and row.time_s is not None and row.time_s > 5 and \
                row.variant.startswith("every-rule"):
            row.problems.append(f"{row.time_s:.1f} s > 5 s for a 5k every-rule problem")
        self.rows.append(row)
        print(f"   {row.engine or '-'} {row.status} {_f(row.time_s, '.2f')} s "
              f"{_f(row.peak_mb, '.0f')} MB verify {row.verify or '-'} "
              f"obj {_tiers(row.objective)} bound {_tiers(row.bound)}"
              f"{'  !! ' + '; '.join(row.problems) if row.problems else ''}  "
              f"[load {row.load1:.1f}]", flush=True)
        return row


def _f(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _tiers(values: dict[str, Any]) -> str:
    if not values:
        return "—"
    return "/".join("—" if values.get(t) is None else f"{values[t]:g}"
                    for t in ("coverage", "quotas", "preferences"))


def table(rows: list[Row], relaxation_s: float | None) -> str:
    head = ("variant", "size", "engine", "status", "time s", "× relax", "peak MB", "verify",
            "objective c/q/p", "bound c/q/p", "flags")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ratio = (f"{r.time_s / relaxation_s:.1f}" if relaxation_s and r.time_s is not None
                 else "—")
        flags = "; ".join(r.problems).replace("|", "/") or "—"
        lines.append("| " + " | ".join([
            r.variant, str(r.size), r.engine or "—", r.status, _f(r.time_s, ".2f"), ratio,
            _f(r.peak_mb, ".0f"), r.verify or "—", _tiers(r.objective), _tiers(r.bound),
            flags]) + " |")
    return "\n".join(lines)


def relaxation_time(problem_path: Path) -> float:
    """The bare relaxation's ``solve()`` call on the base round (benchmarks.relaxation)."""
    code = ("import json,sys;from matcher.validation import load_problem;"
            "from matcher.compile import compile_problem;"
            "from benchmarks.relaxation import solve_relaxation;"
            "from pathlib import Path;"
            "r=solve_relaxation(compile_problem(load_problem(Path(sys.argv[1]))));"
            "print(json.dumps({'solve_s':r.solve_s,'build_s':r.build_s,'status':r.status}))")
    out = subprocess.run([sys.executable, "-c", code, str(problem_path)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"   relaxation: solve {got['solve_s']:.2f} s (build {got['build_s']:.2f} s, "
          f"{got['status']})", flush=True)
    return float(got["solve_s"])


def _reexpect(row: Row) -> Row:
    """A saved row judged by the current expectation of its variant's engine."""
    variant = BY_NAME.get(row.variant)
    if variant is not None and variant.expect != row.expect:
        row.expect = variant.expect
        row.problems = [p for p in row.problems if not p.startswith("engine ")]
        if row.engine and row.engine != row.expect:
            row.problems.append(f"engine {row.engine}, expected {row.expect}")
    return row


def _saved_relaxation(out: Path, size: int) -> float | None:
    path = out / f"relaxation-{size}.json"
    return float(json.loads(path.read_text())["solve_s"]) if path.exists() else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="matcher variants sweep")
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--only", help="comma-separated variant names (default: all): "
                        + ",".join(BY_NAME))
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--max-gb", type=float, default=6.0,
                        help="kill a solve past this resident memory (shared machine)")
    parser.add_argument("--verify-timeout", type=float, default=900.0)
    parser.add_argument("--relaxation", action="store_true",
                        help="time the bare relaxation's solve call on the base round first "
                        "(the denominator of the 2× goal)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None,
                        help="folder for problems, solutions and logs (kept)")
    args = parser.parse_args(argv)
    names = [n for n in (args.only or ",".join(BY_NAME)).split(",") if n]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown variants: {', '.join(unknown)}")
    args.variants = [BY_NAME[n] for n in names]
    if args.out is None:
        args.out = ROOT / "benchmarks" / "results" / f"{datetime.date.today().isoformat()}-variants"
    args.relaxation_s = None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="matcher-variants-"))
    work.mkdir(parents=True, exist_ok=True)
    sweep = Sweep(args, work)
    if args.relaxation:
        path = sweep.problem_for(BY_NAME["base"])
        args.relaxation_s = relaxation_time(path)
    else:
        args.relaxation_s = _saved_relaxation(args.out, args.size)
    try:
        for variant in args.variants:
            sweep.run(variant)
    finally:
        text = (f"Variants at {args.size} candidates, seed {args.seed}, time limit "
                f"{args.time_limit:g} s"
                + (f", bare relaxation solve {args.relaxation_s:.2f} s" if args.relaxation_s
                   else "") + f"; problems in {work}\n\n" + table(sweep.rows, args.relaxation_s))
        print("\n" + text)
        args.out.mkdir(parents=True, exist_ok=True)
        # Rows of earlier runs at this size stay, unless this run measured the same variant.
        saved = args.out / f"results-{args.size}.json"
        rows = [Row(**r) for r in json.loads(saved.read_text())] if saved.exists() else []
        ran = {r.variant for r in sweep.rows}
        rows = [_reexpect(r) for r in rows if r.variant not in ran] + sweep.rows
        order = {name: i for i, name in enumerate(BY_NAME)}
        rows.sort(key=lambda r: order.get(r.variant, len(order)))
        saved.write_text(json.dumps([asdict(r) for r in rows], indent=1,
                                    ensure_ascii=False) + "\n")
        relax = args.relaxation_s or _saved_relaxation(args.out, args.size)
        (args.out / f"table-{args.size}.md").write_text(
            f"Variants at {args.size} candidates, seed {args.seed}, time limit "
            f"{args.time_limit:g} s"
            + (f", bare relaxation solve {relax:.2f} s" if relax else "")
            + "\n\n" + table(rows, relax) + "\n")
        if args.relaxation:
            (args.out / f"relaxation-{args.size}.json").write_text(
                json.dumps({"solve_s": args.relaxation_s}) + "\n")
        combined = []
        for part in sorted(args.out.glob("table-*.md"), key=lambda f: int(f.stem[6:])):
            combined.append(part.read_text())
        (args.out / "table.md").write_text("\n".join(combined))
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
