"""Hybrid engine for the rules a network cannot express (couples, score-first priority,
quotas restricting both sides, quota families that do not nest).

1. **Relaxation.** The problem without those rules is solved exactly by the network engine.
   Its lexicographic optimum bounds the real one: every tier is at least as good, and a tier
   is bounded by it as long as the tiers before it equal the relaxation's. When the real
   round reaches the relaxation's values it is proven optimal on the spot.
   Quota families that do not nest lose the fewest quotas that clear every clash; when
   that relaxation's optimum breaks them and time allows, the one losing the later quota
   of each clash is solved too (the tighter bound leads, the other's rounds are starts).
   A relaxation's optimum that keeps every rule it dropped is the answer at once.
   Under score-first priority the relaxation keeps what is known of the rule before
   solving: each post's score cutoff (:mod:`matcher.engines.cutoffs`), below which no
   envy-free round seats anyone there. A dropped soft quota is priced into the network
   (:mod:`matcher.engines.lagrangian`): alone, that may settle the problem; beside other
   dropped rules it only tightens the bound.
   When couples are the only such rule, :mod:`matcher.engines.couples` first branches on
   the couples the relaxation splits, each node a network problem; if that closes within
   its budget the answer is proven optimal, otherwise its best round is the starting point.
2. **Starting point.** The best round in hand that keeps every rule (checked by
   :mod:`matcher.engines.keeps`): the relaxation's optimum when only soft quotas were
   dropped (and when couples were dropped beside them, the round a dive re-solves it into
   with every couple kept), the couples search's best round, or score-first serial dictatorship
   (:mod:`matcher.engines.serial`), a round without envy. When the couples search does not
   close, its open bound, where tighter, replaces the relaxation's.
3. **CP-SAT** solves the problem with every rule, tier by tier, with the relaxation's values
   as proven cuts. When the full model would be too large (服从调剂 at national scale
   makes tens of millions of pairs), the model is *reduced*: every ranked pair is kept, and
   with it every priority constraint (they concern ranked pairs only, so the answer obeys
   the rule exactly), but adjustment is offered only at the posts that need it (seats left
   by the starting point or adjusted in the relaxation), cheapest first, within a budget.
   Under priority every model leaves out the pairs below a cutoff, fills the posts that
   have one, and drops the envy clauses that this implies.
   A reduced model's answer is feasible; its bound is the relaxation's, and its status is
   ``optimal`` only when it meets that bound.

Under priority the adjusted seats (服从调剂) are re-seated (:mod:`matcher.engines.reseat`)
in the starting point and again in CP-SAT's answer: a small exact model of who holds
them, with every other seat kept, that settles most of the quotas tier.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from matcher.columns import BoolArray, FloatArray, IntArray
from matcher.compile import Compiled, EdgeSet
from matcher.engines import flow
from matcher.engines.base import EngineResult, TierValue
from matcher.engines.blocking import blocked_rounds
from matcher.engines.conflicts import find_conflict
from matcher.engines.couples import Search, branch_and_bound, dive_round
from matcher.engines.cpsat import estimated_pairs, solve_tiers
from matcher.engines.cpsat_model import build_model
from matcher.engines.cpsat_priority import Fans, all_fans, score_levels
from matcher.engines.cutoffs import (
    PriorityCut,
    cut_by_priority,
    score_cutoffs,
    with_cutoffs,
)
from matcher.engines.keeps import broken_rules, keeps_every_rule
from matcher.engines.lagrangian import price_quota
from matcher.engines.narrowed import narrowed_round
from matcher.engines.network import network_obstacles, quota_clashes
from matcher.engines.quota_form import linear_form
from matcher.engines.reseat import reseated
from matcher.engines.serial import ranked_options, serial_dictatorship
from matcher.engines.swaps import swapped_toward
from matcher.engines.trimmed import trimmed_round
from matcher.errors import EngineCapabilityError
from matcher.objective import lexicographic_key, round_key, tier_values
from matcher.options import Progress, SolveOptions
from matcher.problem import Problem
from matcher.solution import Status

NAME = "hybrid"
FULL_MODEL_PAIRS = 200_000  # beyond this CP-SAT rarely finds a round in minutes on 2 cores
CUTOFF_SLACK = 2  # score levels below a post's cutoff whose pairs stay in a reduced model
REDUCED_PAIRS = 250_000  # pair budget of a reduced model (ranked pairs come first)
RELAXATION_SHARE = 0.5  # at most this share of the time limit goes to the relaxation
# A relaxation still solving this long per candidate before the caller's limit is stopped:
# the rounds built after it need the time (0.8 s at 20k under priority, 8-11 s at 100k).
START_SECONDS_PER_CANDIDATE = 100e-6
REDUCED_SECONDS = 300.0  # the limit of a reduced model when the caller gives none
COUPLES_SECONDS = 30.0  # most seconds of branch and bound on split couples before CP-SAT
COUPLES_SHARE = 0.5  # ... and at most this share of the time left under a limit
# ... and without a limit, where only this search can prove the answer optimal (a 5k round
# with couples alone closes in about 86 s and 300 nodes)
COUPLES_SECONDS_UNLIMITED = 120.0
# Its first round keeping every couple (a dive, a few network solves) may take this share of
# the time left: at national scale (a solve of 10 s or more) it is the best round to be had.
DIVE_SHARE = 0.8
MODEL_SHARE = 0.1  # CP-SAT is not started with less than this share of the time left
# ... nor with less than its model takes to build, which cannot be stopped: measured 0.91 s
# for 77,910 pairs (3k, priority, couples; a 2 s limit took 3.5 s with it), 14 s for 918,000
MODEL_BUILD_SECONDS_PER_PAIR = 15e-6
# ... plus the least CP-SAT then takes to give any answer: completing the hint and one solve
# per tier, each loading the model and its hint, however short its limit (1.05 s for 77,910
# pairs; a 4 s limit on that round ended at 4.3 s with CP-SAT started and stopped at once)
MODEL_LEAST_RUN_SECONDS_PER_PAIR = 13e-6
BLOCKING_SHARE = 0.8  # of the time left, for blocked rounds when CP-SAT will not run
MODEL_RANKED_PAIRS = 500_000  # ... nor with more envy clauses (100k, 1.5M: 4.7 GB, no gain)
# Under priority the adjusted seats (:mod:`.reseat`, a small model that settles most of the
# quotas tier) are re-seated in the start, for at most this long or this share of the time
# left, and again in CP-SAT's answer, which leaves them this share of its time.
RESEAT_SECONDS = 60.0
RESEAT_START_SHARE = 0.15
# 0.3 before: on the 20k hard round, side by side twice, 0.6 kept quotas (25.5, 26.5) and
# lowered preferences 13255 -> 13224 and 13336 -> 13180.
RESEAT_FINAL_SHARE = 0.6
# Up to this many candidates re-seating gets more of the time than CP-SAT. Measured side by
# side on two 5k rounds under priority (every rule; couples, crossing quota), 2 runs each:
# 5 s, coverage 8919 -> 8932; 60 s, quotas 5.0 / 7.0 -> 0.0 / 0.0; 15 s, 4.0 / 6.0 -> 3.0 /
# 3.0 on the second round. On the 20k hard round the same shares lost (25.5 -> 27.5, twice).
RESEAT_SMALL_CANDIDATES = 10_000
RESEAT_SMALL_SHARES = (0.4, 0.45)  # start, final
BLOCKING_FROM_SHARE = 0.3  # of that time left, for blocked rounds grown from CP-SAT's answer
SWAPS_SHARE = 0.5  # of the time left, for mending one soft quota by swaps (about 0.4 s at 100k)
OTHER_COVER_FACTOR = 3.0  # a second relaxation when this many first ones fit in the time left
PRICED_SECONDS = 60.0  # most seconds of pricing one soft quota into the network
PRICED_SHARE = 0.5  # ... and at most this share of the time left under a limit


@dataclass
class Relaxation:
    """The relaxed optimum: its tier values (quotas without the dropped quotas) and its
    assignment, and which rules were dropped to get it."""

    values: dict[str, TierValue]
    assignment: IntArray
    dropped: list[str]

    def bound(self, tier: str, order: list[str], fixed: dict[str, TierValue]) -> TierValue | None:
        """The relaxation's value of ``tier`` when it bounds it: every earlier tier is fixed
        at the relaxation's value (a worse earlier tier frees the later ones)."""
        if tier not in order:
            return None
        for earlier in order[:order.index(tier)]:
            if fixed.get(earlier) != self.values[earlier]:
                return None
        return self.values[tier]


def relaxed_problem(problem: Problem, compiled: Compiled, cutoff: FloatArray | None = None,
                    *, fewest: bool = True) -> tuple[Problem, Compiled, list[str]]:
    """``problem`` without couples, priority, and the quotas a network cannot hold; compiled;
    and what was dropped. Under priority the compiled relaxation keeps what can be said of
    priority before solving: the posts' score cutoffs (:mod:`.cutoffs`; ``cutoff`` when the
    caller has them). Quota families that do not nest lose the fewest quotas that clear
    every clash (:func:`_dropped_until_nested`), or with ``fewest=False`` the later quota of
    each clash."""
    relaxed, relaxed_compiled, dropped = _relaxed(problem, compiled, fewest)
    if problem.rules.respect_priority:
        relaxed_compiled = with_cutoffs(relaxed_compiled, score_cutoffs(compiled)
                                        if cutoff is None else cutoff)
    return relaxed, relaxed_compiled, dropped


def _relaxed(problem: Problem, compiled: Compiled, fewest: bool
             ) -> tuple[Problem, Compiled, list[str]]:
    dropped: list[str] = []
    if compiled.couples:
        dropped.append("couples")
    if problem.rules.respect_priority:
        dropped.append("respect_priority")
    crossing = {q.id for q in compiled.quotas if not (q.post_mask.all() or q.cand_mask.all())}
    quotas = [q for q in problem.rules.quotas if q.id not in crossing]
    candidates = [c.model_copy(update={"partner": None}) if c.partner else c
                  for c in problem.candidates]
    relaxed = problem.model_copy(update={
        "candidates": candidates,
        "rules": problem.rules.model_copy(update={"respect_priority": False,
                                                  "quotas": quotas}),
    })
    dropped += sorted(crossing)
    # The compiled problem less what was dropped (compiling again takes seconds at scale,
    # once per quota dropped below).
    relaxed_compiled = replace(compiled, problem=relaxed, couples=[], quotas=[
        q for q in compiled.quotas if q.id not in crossing])
    clash = next((o for o in network_obstacles(relaxed_compiled)
                  if "overlap without nesting" in o), None)
    if clash is not None and not crossing:
        single = _single_soft_to_drop(relaxed, relaxed_compiled, clash)
        if single is not None:  # one soft quota clears every clash: it gets priced
            return single[0], single[1], [*dropped, single[2]]
    for quota_id in _dropped_until_nested(relaxed_compiled, fewest):
        dropped.append(quota_id)
        relaxed, relaxed_compiled = _without_quota(relaxed, relaxed_compiled, quota_id)
    return relaxed, relaxed_compiled, dropped


def _dropped_until_nested(compiled: Compiled, fewest: bool) -> list[str]:
    """Quotas whose dropping leaves families that nest, a group's quotas at a time: the
    group in the most clashes (``fewest``; the smaller on a tie), else the later
    (smaller) group of the first clash left.

    A relaxation dropping fewer quotas bounds better, and its round more often keeps the
    quotas it dropped (then it is the answer, proven). A minority-region target overlaps
    every province that is partly a minority region: with a hard maximum per serving
    province, dropping the later quota of each clash dropped six province maximums where
    the target alone clears them all, and a 5k round of that kind ended feasible at
    coverage 1662 against a bound of 1722 after 115 s.
    """
    dropped: list[str] = []
    clashes = [(tuple(a), tuple(b)) for a, b in quota_clashes(compiled)]
    while clashes:
        group = clashes[0][1]
        if fewest:
            count: dict[tuple[str, ...], int] = {}
            for pair in clashes:
                for member in pair:
                    count[member] = count.get(member, 0) + 1
            # ties go to the smaller group: the one named last in its first clash
            order = [member for larger, smaller in clashes for member in (smaller, larger)]
            group = max(dict.fromkeys(order), key=lambda member: count[member])
        dropped.extend(group)
        clashes = [pair for pair in clashes if group not in pair]
    return dropped


def _without_quota(problem: Problem, compiled: Compiled, quota_id: str
                   ) -> tuple[Problem, Compiled]:
    """``problem`` and its compiled form without the quota ``quota_id``."""
    without = problem.model_copy(update={"rules": problem.rules.model_copy(update={
        "quotas": [q for q in problem.rules.quotas if q.id != quota_id]})})
    return without, replace(compiled, problem=without,
                            quotas=[q for q in compiled.quotas if q.id != quota_id])


def _single_soft_to_drop(relaxed: Problem, compiled: Compiled, clash: str
                         ) -> tuple[Problem, Compiled, str] | None:
    """When one soft quota with one bound (one :mod:`.lagrangian` can price), named in
    ``clash``, clears every clash once dropped: the problem without it, compiled, and its
    id (the hybrid prices such a quota into the network rather than leave it to CP-SAT)."""
    named = clash.split(" quotas ", 1)[1].rsplit(" overlap", 1)[0].split(" and ")
    for quota in compiled.quotas:
        if quota.id not in named or linear_form(quota) is None:
            continue
        without, without_compiled = _without_quota(relaxed, compiled, quota.id)
        if not network_obstacles(without_compiled):
            return without, without_compiled, quota.id
    return None


@dataclass
class _Run:
    """One hybrid solve: the problem, its options and clock, and its priority cut."""

    compiled: Compiled
    options: SolveOptions
    started: float
    deadline: float | None  # when the time limit (finishing kept back: matcher.solve) ends
    priority: PriorityCut | None  # pairs and clauses no envy-free round needs

    @classmethod
    def start(cls, compiled: Compiled, options: SolveOptions) -> _Run:
        started = time.monotonic()
        deadline = None if options.time_limit is None else started + options.time_limit
        return cls(compiled, options, started, deadline, cut_by_priority(compiled))

    @property
    def order(self) -> list[str]:
        return list(self.compiled.problem.objective.order)

    def budget(self, most: float, share: float, *, unlimited: float | None = None) -> float:
        """``most`` seconds, or ``share`` of the time left when that is less; without a time
        limit, ``unlimited`` seconds when given."""
        if self.deadline is None:
            return most if unlimited is None else unlimited
        return min(most, (self.deadline - time.monotonic()) * share)

    def progress(self, phase: str, *, objective: TierValue | None = None,
                 bound: TierValue | None = None) -> None:
        _progress(self.options, phase, self.started, objective=objective, bound=bound)


@dataclass
class _Found:
    """What the phases before CP-SAT found: the relaxation (its bound tightened as they
    go), the rules it dropped, and rounds that keep more rules than it does."""

    relaxed: Compiled
    dropped: list[str]
    relaxation: Relaxation | None
    solve_seconds: float  # the relaxation's longest network solve (a node's, about)
    priced_round: IntArray | None = None
    unproven_round: IntArray | None = None  # the relaxation's best when it ran out of time
    couples_round: IntArray | None = None
    priced_note: str = ""
    seconds: float = 0.0  # the whole relaxation's (a search over the total: several solves)
    other: _Found | None = None  # the relaxation with other quotas dropped (:func:`_other_cover`)


def solve(compiled: Compiled, options: SolveOptions) -> EngineResult:
    run = _Run.start(compiled, options)
    found = _solve_relaxation(run, *_relax(run), "hybrid:relaxation")
    if isinstance(found, EngineResult):
        return found
    for phase in (_relaxation_keeps_all, _other_cover, _price_dropped_quota, _search_couples):
        settled = phase(run, found)
        if settled is not None:
            return settled
    return _search_model(run, found)


def _relaxation_keeps_all(run: _Run, found: _Found) -> EngineResult | None:
    """The relaxation's optimum when it keeps every rule dropped and is worth as much in
    the whole problem (its dropped soft quotas met): it then meets its own bound, proven
    optimal without a model. A hard minority target dropped beside province maximums is
    often not binding; at 5k CP-SAT then took 4.5 s to prove what this sees at once."""
    relaxation = found.relaxation
    if relaxation is None or not keeps_every_rule(run.compiled, relaxation.assignment):
        return None
    values = tier_values(run.compiled, run.compiled.pairs(relaxation.assignment))
    if any(values[tier] != relaxation.values[tier] for tier in run.order):
        return None
    note = (f"relaxation without {', '.join(found.dropped)}: its optimum keeps them"
            if found.dropped else "the relaxation is the problem itself")
    return EngineResult(Status.optimal, relaxation.assignment, engine=NAME, note=note)


def _relax(run: _Run, *, fewest: bool = True) -> tuple[Compiled, list[str]]:
    """The relaxed problem, compiled, and what it drops (see :func:`relaxed_problem`)."""
    compiled = run.compiled
    _, relaxed_compiled, dropped = relaxed_problem(
        compiled.problem, compiled, None if run.priority is None else run.priority.cutoff,
        fewest=fewest)
    return relaxed_compiled, dropped


def _solve_relaxation(run: _Run, relaxed_compiled: Compiled, dropped: list[str], phase: str
                      ) -> _Found | EngineResult:
    """Phase 1: the relaxation, solved exactly by the network (an answer when it alone is
    infeasible, since its rules are the problem's)."""
    run.progress(phase)
    compiled = run.compiled
    relax_options = SolveOptions(
        time_limit=(None if run.options.time_limit is None
                    else run.options.time_limit * RELAXATION_SHARE),
        workers=run.options.workers, seed=run.options.seed, engine="flow",
        stop_at=(None if run.options.stop_at is None else
                 run.options.stop_at - compiled.n * START_SECONDS_PER_CANDIDATE))
    solve_started = time.monotonic()
    try:
        result = flow.solve(relaxed_compiled, relax_options)
    except EngineCapabilityError as error:  # e.g. costs too wide for 64 bits
        dropped.append(f"(no relaxation: {'; '.join(error.rules)})")
        result = EngineResult(Status.unknown, None)
    if result.status is Status.infeasible:
        return EngineResult(Status.infeasible, None, conflict=result.conflict,
                            engine=NAME, note="the relaxation alone is infeasible")
    relaxation = None
    if result.assignment is not None and result.status is Status.optimal:
        pairs = relaxed_compiled.pairs(result.assignment)
        relaxation = Relaxation(tier_values(relaxed_compiled, pairs), result.assignment,
                                dropped)
    took = time.monotonic() - solve_started
    found = _Found(relaxed_compiled, dropped, relaxation,
                   took if result.solve_seconds is None else result.solve_seconds, seconds=took)
    if relaxation is None and result.assignment is not None:
        found.unproven_round = result.assignment  # out of time: a start, not a bound
    return found


def _other_cover(run: _Run, found: _Found) -> EngineResult | None:
    """The relaxation again with the later quota of each clash dropped, when those are
    other quotas than the fewest and time allows (:data:`OTHER_COVER_FACTOR` times the
    first relaxation's time left): the answer when its optimum keeps them; otherwise the
    tighter of the two bounds leads and the other's rounds join the starting rounds.

    Which quotas a relaxation had better drop depends on which ones bind. A 5k round with
    a women's maximum share crossing five recruiting-province indicators: dropping the
    share (fewest) left a start CP-SAT did not improve in 114 s (preferences 396 against
    331), dropping the indicators one it proved optimal in 7 s; at 100k the first reached
    the coverage bound, the second did not."""
    if found.relaxation is None or "respect_priority" in found.dropped:
        return None  # (under priority neither round keeps the rule: the time goes elsewhere)
    if (run.deadline is not None
            and run.deadline - time.monotonic() < OTHER_COVER_FACTOR * found.seconds):
        return None
    compiled = run.compiled
    relaxed_compiled, later = _relax(run, fewest=False)
    if sorted(later) == sorted(found.dropped):
        return None
    other = _solve_relaxation(run, relaxed_compiled, later,
                              "hybrid:relaxation (other quotas dropped)")
    if isinstance(other, EngineResult) or other.relaxation is None:
        return other if isinstance(other, EngineResult) else None
    settled = _relaxation_keeps_all(run, other)
    if settled is not None:
        return settled
    if (lexicographic_key(compiled, other.relaxation.values)
            > lexicographic_key(compiled, found.relaxation.values)):  # the tighter bound leads
        first = replace(found)
        for name in ("relaxed", "dropped", "relaxation", "solve_seconds", "seconds"):
            setattr(found, name, getattr(other, name))
        other = first
    found.other = other
    return None


def _price_dropped_quota(run: _Run, found: _Found) -> EngineResult | None:
    """One dropped quota gets priced into the network: alone, that may settle the problem
    (the answer); beside couples or priority (the relaxation's other losses) it still
    tightens the bound."""
    compiled = run.compiled
    single = [q for q in compiled.quotas if q.id in found.dropped]
    others = [rule for rule in found.dropped if rule not in {q.id for q in single}]
    if len(single) != 1 or found.relaxation is None:
        return None
    if run.deadline is not None and run.deadline - time.monotonic() < found.solve_seconds:
        # A priced solve takes at least as long as the relaxation's (twice, at 100k) and
        # cannot be stopped: a 20k round with a 5 s limit took 11.6 s with it.
        return None
    if compiled.problem.rules.respect_priority and run.deadline is not None:
        # Under priority the priced round breaks the rule (never a start) and its bound
        # stayed at the trivial 0 on every round measured, so under a limit the time goes to
        # the rounds that make the answer. 20k hard round at 20 s: quotas 25.5 -> 24.5 (twice
        # each); at 120 s: 24.5, preferences 13188 -> 13176; 100k with every rule at 120 s
        # (18 s of pricing): quotas 264.4 -> 229.4; 2k, 3k, 5k at 30 s: no worse.
        return None
    run.progress("hybrid:priced")
    priced = price_quota(compiled, found.relaxed, single[0], found.relaxation.assignment,
                         run.options, time.monotonic() + run.budget(PRICED_SECONDS, PRICED_SHARE),
                         preferences=not others)
    if priced is None:
        return None
    note = (f"quota {single[0].id} priced into the network (Lagrangian): "
            + (f"{priced.solves} priced solve(s)" if priced.solves else
               "the relaxation's optimum keeps it"))
    if priced.status is Status.optimal and not others:
        return EngineResult(Status.optimal, priced.assignment, engine=NAME, note=note)
    found.priced_round = priced.assignment
    found.relaxation = _with_bound(compiled, found.relaxation, priced.bound)
    found.priced_note = f"; {note}, not closed"
    return None


def _search_couples(run: _Run, found: _Found) -> EngineResult | None:
    """When couples are all the relaxation dropped: branch and bound over the network,
    the answer when it closes; otherwise its best round and open bound are kept."""
    if found.dropped != ["couples"] or found.relaxation is None:
        return None
    run.progress("hybrid:couples")
    now = time.monotonic()
    search = branch_and_bound(run.compiled, found.relaxed, run.options,
                              now + run.budget(COUPLES_SECONDS, COUPLES_SHARE,
                                               unlimited=COUPLES_SECONDS_UNLIMITED),
                              root=found.relaxation.assignment,
                              dive_deadline=now + run.budget(math.inf, DIVE_SHARE),
                              solve_seconds=found.solve_seconds)
    if search is None:
        return None
    if search.status is Status.optimal:
        return EngineResult(Status.optimal, search.assignment, engine=NAME, note=(
            f"couples by branch and bound over the network: {search.nodes} node(s) "
            "solved beyond the relaxation"))
    found.couples_round = search.assignment  # the best round it found: CP-SAT's hint
    found.relaxation = _tightened(run.compiled, found.relaxation, search)
    return None


@dataclass
class _ModelPlan:
    """How CP-SAT will see the problem: the full model or a reduced one (and then the
    deadline it gets when the caller set none), its pairs and envy clauses, and whether
    those are too many to build."""

    pairs_of: Compiled  # the problem whose pairs the model takes (with the cutoffs)
    full: bool
    edges: EdgeSet | None  # None: every pair
    fans: Fans | None
    deadline: float | None
    too_big: bool
    least_seconds: float  # what building the model and CP-SAT's shortest run take, about

    @classmethod
    def of(cls, run: _Run) -> _ModelPlan:
        compiled, priority = run.compiled, run.priority
        pairs_of = compiled if priority is None else priority.compiled
        full = estimated_pairs(pairs_of) <= FULL_MODEL_PAIRS
        edges = priority.admitted(pairs_of.edges) if full and priority else None
        fans = priority.fans if priority else (None if full else all_fans(compiled))
        deadline = run.deadline
        if not full and deadline is None:  # searching a reduced model longer proves nothing
            deadline = run.started + REDUCED_SECONDS
        too_big = fans is not None and len(fans.cand) > MODEL_RANKED_PAIRS
        pairs = (REDUCED_PAIRS if not full else
                 len(edges) if edges is not None else estimated_pairs(pairs_of))
        return cls(pairs_of, full, edges, fans, deadline, too_big,
                   pairs * (MODEL_BUILD_SECONDS_PER_PAIR + MODEL_LEAST_RUN_SECONDS_PER_PAIR))


def _search_model(run: _Run, found: _Found) -> EngineResult:
    """Phases 2 and 3: the best starting round, then CP-SAT from it (on the full model or
    a reduced one), unless time or size rule CP-SAT out."""
    compiled, order = run.compiled, run.order
    first = order[0] if order else None
    run.progress("hybrid:serial", bound=(
        found.relaxation.values[first] if found.relaxation is not None and first else None))
    plan = _ModelPlan.of(run)
    hint = _starting_round(run, found, plan)
    if compiled.problem.rules.respect_priority:  # all the time left when CP-SAT will not run
        hint = _mended(run, _reseated(run, found, hint,
                                      1.0 if plan.too_big else _reseat_shares(run)[0]))
    if first:
        run.progress("hybrid:start",
                     objective=tier_values(compiled, compiled.pairs(hint))[first])
    note = (f"relaxation without {', '.join(found.dropped)}" if found.dropped else
            "the relaxation is the problem itself") + found.priced_note
    deadline = plan.deadline
    too_late = (deadline is not None
                and deadline - time.monotonic() < max(MODEL_SHARE * (deadline - run.started),
                                                      plan.least_seconds))
    if too_late and not plan.too_big and compiled.problem.rules.respect_priority:
        hint = _mended(run, _reseated(run, found, hint, 1.0))  # the time CP-SAT cannot use
    if too_late or plan.too_big:
        why = ("no time left" if too_late else
               f"{len(plan.fans.cand) if plan.fans else 0:,} ranked pairs with an envy "
               "clause or in the model: gigabytes")
        broken = list(broken_rules(compiled, hint))
        if not broken:
            return _reduced_result(compiled, hint, found.relaxation, order, (
                f"{note}; the answer is the starting round (CP-SAT not run: {why})"))
        if plan.too_big:  # building the model would exhaust memory and time, then fail
            return EngineResult(Status.unknown, None,
                                bound=_relaxation_bounds(found.relaxation, order),
                                engine=NAME, note=(
                                    f"no round keeping every rule was found: the best start "
                                    f"breaks {', '.join(broken)}; CP-SAT not run ({why})"))
    if not compiled.problem.rules.respect_priority:
        return _solve_model(run, found, plan, hint, note)
    if plan.deadline is not None:  # time for re-seating CP-SAT's answer
        left = plan.deadline - time.monotonic()
        plan = replace(plan, deadline=plan.deadline - min(RESEAT_SECONDS,
                                                          _reseat_shares(run)[1] * left))
    return _polished(run, found, _solve_model(run, found, plan, hint, note))


def _blocked_from(run: _Run, assignment: IntArray) -> IntArray:
    """The best of ``assignment`` (a round keeping every rule) and the blocked rounds
    (:mod:`.blocking`) grown from it: its adjusted seats are reserved, so that score order
    starts near it rather than from scratch (20k hard round: 25.5 → 24.5 in about 1 s).
    Its passes get :data:`BLOCKING_FROM_SHARE` of the time left."""
    compiled = run.compiled
    held = compiled.held_ranks(assignment)
    adjusted = np.flatnonzero((assignment >= 0) & (held == 0) & (compiled.lock_post < 0))
    reserved = dict(zip(adjusted.tolist(), assignment[adjusted].tolist(), strict=True))
    run.progress("hybrid:blocking")
    first = serial_dictatorship(compiled, reserved)
    until = None if run.deadline is None else (
        time.monotonic() + BLOCKING_FROM_SHARE * (run.deadline - time.monotonic()))
    return best_start(compiled, [assignment, first,
                                 *blocked_rounds(compiled, first, until, reserved)])


def _reseat_shares(run: _Run) -> tuple[float, float]:
    """The shares of the time left that re-seating gets in the start and after CP-SAT."""
    if run.compiled.n <= RESEAT_SMALL_CANDIDATES:
        return RESEAT_SMALL_SHARES
    return RESEAT_START_SHARE, RESEAT_FINAL_SHARE


def _reseated(run: _Run, found: _Found, assignment: IntArray, share: float) -> IntArray:
    """``assignment`` with its adjusted seats re-seated (:mod:`.reseat`) within ``share``
    of the time left (the relaxation's bounds as cuts)."""
    budget = run.budget(RESEAT_SECONDS, share, unlimited=RESEAT_SECONDS)
    if budget <= 0:  # building the model alone takes seconds at national scale
        return assignment
    run.progress("hybrid:reseat")
    until = time.monotonic() + budget
    return reseated(run.compiled, assignment, run.options, run.started, until,
                    lambda sat: _cuts(found.relaxation, run.order, sat.quota_scale))


def _polished(run: _Run, found: _Found, result: EngineResult) -> EngineResult:
    """CP-SAT's answer under priority with seats reserved for blockers from it, then its
    adjusted seats re-seated, each followed by swaps toward its soft quotas, when that is
    better: its bounds stand (they bound the optimum, not the answer), and where the better
    answer meets one the earlier answer missed, the relaxation bounds the tiers after it."""
    if result.assignment is None or result.status is not Status.feasible:
        return result
    compiled = run.compiled
    better = _mended(run, _blocked_from(run, result.assignment))
    better = _mended(run, _reseated(run, found, better, 1.0))
    if not _worse(compiled, result.assignment, better):
        return result
    values = tier_values(compiled, compiled.pairs(better))
    bound = extended_bound(result.bound, found.relaxation, run.order, values)
    proven = all(bound.get(t) == values[t] for t in run.order)
    return EngineResult(Status.optimal if proven else Status.feasible, better,
                        bound=bound, engine=NAME,
                        note=f"{result.note}; improved after CP-SAT (blocked rounds, "
                             "adjusted seats re-seated)")


def _starting_round(run: _Run, found: _Found, plan: _ModelPlan) -> IntArray:
    """Phase 2: the best round in hand that keeps every rule (see :func:`best_start`):
    score order (or the couples search's best round), rounds with seats reserved for
    blockers, the relaxation's optimum (or best, out of time) narrowed or dived from, the
    priced round, and each of them trimmed to keep its hard quotas (:mod:`.trimmed`)."""
    compiled = run.compiled
    starts = [serial_dictatorship(compiled) if found.couples_round is None
              else found.couples_round]
    if (compiled.problem.rules.respect_priority and compiled.quotas
            and found.couples_round is None):
        run.progress("hybrid:blocking")
        # Without CP-SAT to follow, the blocked rounds are the search: they get more time.
        share = BLOCKING_SHARE if plan.too_big else MODEL_SHARE
        deadline = plan.deadline
        starts += blocked_rounds(compiled, starts[0], None if deadline is None else
                                 time.monotonic() + share * (deadline - time.monotonic()))
    relaxed = (found.relaxation.assignment if found.relaxation is not None
               else found.unproven_round)  # its best, when it ran out of time
    if relaxed is not None:
        starts.append(relaxed)  # a solution if only soft quotas dropped
        if not ({"couples", "respect_priority"} & set(found.dropped)):
            # ... and, hard ones dropped, once it is narrowed to keep them
            narrowed = narrowed_round(compiled, found.relaxed, relaxed, run.options,
                                      run.deadline, found.solve_seconds,
                                      lambda: run.progress("hybrid:narrowed"))
            if narrowed is not None:
                starts.append(narrowed)
        if ("couples" in found.dropped and found.dropped != ["couples"]
                and not compiled.problem.rules.respect_priority):
            # ... and, with couples dropped too, once every couple is kept (a dive)
            run.progress("hybrid:dive")
            dived = dive_round(compiled, found.relaxed, relaxed, run.options,
                               time.monotonic() + run.budget(math.inf, DIVE_SHARE),
                               found.solve_seconds).assignment
            if dived is not None:
                starts.append(dived)
    other = found.other
    if other is not None and other.relaxation is not None:  # the other quotas dropped
        starts.append(other.relaxation.assignment)
        if not ({"couples", "respect_priority"} & set(other.dropped)):
            narrowed = narrowed_round(compiled, other.relaxed, other.relaxation.assignment,
                                      run.options, run.deadline, other.solve_seconds,
                                      lambda: run.progress("hybrid:narrowed"))
            if narrowed is not None:
                starts.append(narrowed)
    if found.priced_round is not None:
        starts.append(found.priced_round)
    # Each with the placements that break hard maximums or minimum shares taken away: the
    # round of last resort, when the network solves above cannot be afforded again.
    starts += [trimmed for trimmed in (trimmed_round(compiled, r) for r in starts)
               if trimmed is not None]
    return _mended(run, best_start(compiled, starts))


def _mended(run: _Run, assignment: IntArray) -> IntArray:
    """``assignment`` with the soft quotas it breaks mended by swaps that leave every
    other count as it is (:func:`.swaps.swapped_toward`), each kept when the round
    still keeps every rule and is better."""
    compiled = run.compiled
    for quota in compiled.quotas:
        mended = swapped_toward(compiled, quota, assignment, None if run.deadline is None else
                                time.monotonic() + SWAPS_SHARE * (run.deadline - time.monotonic()))
        if mended is None:
            continue
        run.progress("hybrid:swaps")
        if keeps_every_rule(compiled, mended) and _worse(compiled, assignment, mended):
            assignment = mended
    return assignment


def _solve_model(run: _Run, found: _Found, plan: _ModelPlan, hint: IntArray,
                 note: str) -> EngineResult:
    """Phase 3: CP-SAT, tier by tier, from ``hint`` with the relaxation's bounds as cuts.
    A reduced model first keeps ranked pairs near each post's cutoff; if that has no
    solution, every ranked pair."""
    compiled, priority, order = run.compiled, run.priority, run.order
    relaxation, deadline, edges = found.relaxation, plan.deadline, plan.edges
    start_keeps_rules = keeps_every_rule(compiled, hint)  # the answer if CP-SAT finds none
    for slack in ([None] if plan.full else [CUTOFF_SLACK, None]):
        if not plan.full:
            edges = reduced_edges(plan.pairs_of, hint, relaxation, REDUCED_PAIRS, slack=slack)
            if priority is not None:
                edges = priority.admitted(edges)
        run.progress("hybrid:model")
        sat = build_model(compiled, edges=edges, fans=plan.fans,
                          full_posts=None if priority is None else priority.full)
        tiers = solve_tiers(sat, run.options, run.started, deadline, hint=hint,
                            known_bound=_cuts(relaxation, order, sat.quota_scale),
                            in_hand=start_keeps_rules)
        if tiers.status is not Status.infeasible:
            break
    note = (f"{len(sat.x):,} pair variables ({'full' if plan.full else 'reduced'} model), "
            f"{tiers.workers} worker(s); {note}")
    if tiers.status is Status.infeasible:
        if plan.full:
            conflict = find_conflict(compiled, run.options, deadline)
            return EngineResult(Status.infeasible, None, conflict=conflict, engine=NAME,
                                note=note)
        clash = find_conflict(compiled, run.options, deadline, edges=edges, fans=plan.fans,
                              unproven=[])
        named = (f": in it these rules cannot hold together: {', '.join(clash)}" if clash
                 else "")
        return EngineResult(Status.unknown, None, bound=_relaxation_bounds(relaxation, order),
                            engine=NAME, note=note + (
                                f"; the reduced model has no solution{named} (not a proof for "
                                "the whole problem; with score-first priority, a hard quota "
                                "made soft usually helps)"))
    assignment = tiers.assignment
    if assignment is None and tiers.hint_feasible:
        assignment = hint  # CP-SAT ran out of time before its first solution: keep the hint
        note += "; the answer is the starting round (no better one found in time)"
    elif _worse(compiled, assignment, hint) and start_keeps_rules:
        # CP-SAT could not take the hint as its first solution (it did not complete it in
        # time, or a reduced model lacks its pairs) and ended below it, or without a round.
        note += ("; the answer is the starting round (" + (
            "CP-SAT's best round was worse)" if assignment is not None
            else "CP-SAT found no round in time)"))
        assignment = hint
    elif plan.full and tiers.assignment is not None:
        return EngineResult(tiers.status, assignment, bound=tiers.bound, engine=NAME,
                            note=note)
    return _reduced_result(compiled, assignment, relaxation, order, note)


def _tightened(compiled: Compiled, relaxation: Relaxation, search: Search) -> Relaxation:
    """The relaxation with the couples search's bound when that is tighter: the optimum lies
    under an open node (at least its bound) or is no better than the best round found."""
    if not search.bound:
        return relaxation
    bound = search.bound
    if search.assignment is not None:
        found = tier_values(compiled, compiled.pairs(search.assignment))
        bound = min(bound, found, key=lambda values: lexicographic_key(compiled, values))
    return _with_bound(compiled, relaxation, bound)


def _with_bound(compiled: Compiled, relaxation: Relaxation,
                bound: dict[str, TierValue]) -> Relaxation:
    """The relaxation with ``bound`` (a lexicographic lower bound on every tier) in place of
    its values when that is tighter."""
    order = list(compiled.problem.objective.order)
    bound = {**bound, "coverage": math.floor(bound["coverage"]),  # whole-valued tiers
             "preferences": math.ceil(bound["preferences"])}
    if lexicographic_key(compiled, bound) <= lexicographic_key(compiled, relaxation.values):
        return relaxation
    return Relaxation({**relaxation.values, **{t: bound[t] for t in order}},
                      relaxation.assignment, relaxation.dropped)


def _worse(compiled: Compiled, assignment: IntArray | None, other: IntArray) -> bool:
    """Whether ``assignment`` (None: no round) is worse than ``other`` by the objective."""
    if assignment is None:
        return True
    return round_key(compiled, other) < round_key(compiled, assignment)


def best_start(compiled: Compiled, rounds: list[IntArray]) -> IntArray:
    """The best of ``rounds`` that keeps every rule, by the lexicographic objective; the
    first round when none does (CP-SAT then takes its pairs as a partial hint)."""
    solutions = [r for r in rounds if keeps_every_rule(compiled, r)]
    return min(solutions, key=lambda r: round_key(compiled, r),
               default=rounds[0])


def _cuts(relaxation: Relaxation | None, order: list[str], quota_scale: int
          ) -> Callable[[str, dict[str, int]], int | None]:
    """The relaxation's bounds as cuts in a CP-SAT model's units (quotas scaled)."""
    scales = {"coverage": 1, "quotas": quota_scale, "preferences": 1}

    def known_bound(tier: str, fixed: dict[str, int]) -> int | None:
        if relaxation is None:
            return None
        in_units: dict[str, TierValue] = {t: Fraction(v, scales[t]) for t, v in fixed.items()}
        value = relaxation.bound(tier, order, in_units)
        if value is None:
            return None
        scaled = Fraction(value) * scales[tier]
        return math.floor(scaled) if tier == "coverage" else math.ceil(scaled)

    return known_bound


def _reduced_result(compiled: Compiled, assignment: IntArray | None,
                    relaxation: Relaxation | None, order: list[str], note: str) -> EngineResult:
    """An answer whose optimality CP-SAT did not prove on the full model: bound by the
    relaxation, optimal only when the answer meets it on every tier."""
    if assignment is None:
        return EngineResult(Status.unknown, None, bound=_relaxation_bounds(relaxation, order),
                            engine=NAME, note=note)
    values = tier_values(compiled, compiled.pairs(assignment))
    bound: dict[str, TierValue] = {}
    if relaxation is not None:
        for tier in order:
            value = relaxation.bound(tier, order, values)
            if value is None:
                break
            bound[tier] = value
    proven = all(bound.get(t) == values[t] for t in order)
    return EngineResult(Status.optimal if proven else Status.feasible, assignment,
                        bound=bound, engine=NAME, note=note)


def extended_bound(bound: dict[str, TierValue], relaxation: Relaxation | None,
                   order: list[str], values: dict[str, TierValue]) -> dict[str, TierValue]:
    """``bound`` (proven for an earlier answer) carried on through the relaxation's later
    tiers as far as the answer with ``values`` allows.

    A tier's bound is kept only while the answer meets every earlier one, so a bound
    computed for a worse answer stops at the first tier that answer missed. A better
    answer that meets it there (the adjusted seats re-seated to keep a quota, say) lets
    the relaxation bound the tiers after it: the optimum lies between the relaxation and
    the answer, so it equals them on every tier where they agree."""
    extended: dict[str, TierValue] = {}
    for tier in order:
        value = bound.get(tier)
        if value is None and relaxation is not None:
            value = relaxation.bound(tier, order, values)
        if value is None:
            break
        extended[tier] = value
        if value != values[tier]:
            break
    return extended


def _relaxation_bounds(relaxation: Relaxation | None, order: list[str]) -> dict[str, TierValue]:
    if relaxation is None or not order:
        return {}
    return {order[0]: relaxation.values[order[0]]}


def reduced_edges(compiled: Compiled, hint: IntArray, relaxation: Relaxation | None,
                  budget: int, *, slack: int | None = CUTOFF_SLACK) -> EdgeSet:
    """The pairs of a reduced model: the locks, the ranked pairs near each post's cutoff,
    and adjustment at the posts that need it.

    A post's *cutoff* is the lowest score holding it in the starting round, when
    that fills it. Candidates well below it cannot move in without displacing higher-scoring
    fans, so their pairs there are left out (their priority constraints stay). Posts that
    need adjustment: seats the start filled by adjustment or left empty, and posts the
    relaxation filled by adjustment. Each 服从调剂 candidate is offered the cheapest of them,
    as many as the budget left after the ranked pairs allows, plus the pairs the start and
    the relaxation use.
    """
    rc, rp, _ = ranked_options(compiled)
    m = compiled.m
    level = score_levels(compiled)
    near = _near_cutoff(compiled, hint, level, rc, rp, slack)
    rc, rp = rc[near], rp[near]
    hint_pairs = compiled.pairs(hint)
    need: BoolArray = np.zeros(m, dtype=np.bool_)
    filled = np.bincount(hint[hint >= 0], minlength=m)
    need |= filled < compiled.capacity
    need[hint_pairs.post[(hint_pairs.rank == 0) & ~hint_pairs.locked]] = True
    extra_c, extra_p = [hint_pairs.cand], [hint_pairs.post]
    if relaxation is not None:
        rel = compiled.pairs(relaxation.assignment)
        adjusted = (rel.rank == 0) & ~rel.locked
        need[rel.post[adjusted]] = True
        extra_c.append(rel.cand[adjusted])
        extra_p.append(rel.post[adjusted])
    compat = compiled.compat
    adjusters = np.flatnonzero(compiled.adjusts & compat.candidate_ok
                               & (compiled.lock_post < 0))
    needed_posts = np.flatnonzero(need)
    per_candidate = max(1, (budget - len(rc)) // max(1, len(adjusters)))
    chosen_c: list[IntArray] = []
    chosen_p: list[IntArray] = []
    for start in range(0, len(adjusters), 2048):
        block = adjusters[start:start + 2048]
        cc = np.repeat(block, len(needed_posts))
        pp = np.tile(needed_posts, len(block))
        ok = compat.allowed(cc, pp) & (compiled.rank_of(cc, pp) == 0)
        cc, pp = cc[ok], pp[ok]
        cost = compiled.costs(cc, pp, np.zeros(len(cc), dtype=np.int64))
        order = np.lexsort((pp, cost, cc))
        cc, pp = cc[order], pp[order]
        first = np.searchsorted(cc, cc, side="left")
        keep = (np.arange(len(cc)) - first) < per_candidate
        chosen_c.append(cc[keep])
        chosen_p.append(pp[keep])
    locked = np.flatnonzero(compiled.lock_post >= 0)
    cand = np.concatenate([rc, *chosen_c, *extra_c, locked])
    post = np.concatenate([rp, *chosen_p, *extra_p, compiled.lock_post[locked]])
    _, first_index = np.unique(compiled.pair_keys(cand, post), return_index=True)
    cand, post = cand[first_index], post[first_index]
    is_lock = compiled.lock_post[cand] == post
    keep = is_lock | ((compiled.lock_post[cand] < 0)
                      & ~compiled.forbids(cand, post)
                      & compat.allowed(cand, post))
    cand, post = cand[keep], post[keep]
    rank = compiled.rank_of(cand, post)
    attributes_ok = compat.allowed(cand, post, with_pairings=False) & (
        (rank > 0) | compiled.adjusts[cand])
    eligible = attributes_ok & compat.allowed(cand, post)
    return EdgeSet(cand, post, rank, compiled.costs(cand, post, rank),
                   compiled.lock_post[cand] == post, eligible, attributes_ok)


def _near_cutoff(compiled: Compiled, hint: IntArray, level: IntArray, cand: IntArray,
                 post: IntArray, slack: int | None) -> BoolArray:
    """Ranked pairs at posts the start leaves open, or whose candidate scores within
    ``slack`` levels of the post's cutoff (any, when ``None``), or that the start uses."""
    if slack is None:
        return np.ones(len(cand), dtype=np.bool_)
    held = np.flatnonzero((hint >= 0) & (compiled.lock_post < 0))
    lowest = np.full(compiled.m, np.iinfo(np.int64).max)
    np.minimum.at(lowest, hint[held], level[held])
    full = np.bincount(hint[hint >= 0], minlength=compiled.m) >= compiled.capacity
    cutoff = np.where(full & (lowest < np.iinfo(np.int64).max), lowest, -1)
    keep: BoolArray = (level[cand] >= cutoff[post] - slack) | (hint[cand] == post)
    return keep


def _progress(options: SolveOptions, phase: str, started: float, *,
              objective: TierValue | None = None, bound: TierValue | None = None) -> None:
    """A phase, with the first tier's value of the round in hand or its proven bound."""
    if options.progress is not None:
        options.progress(Progress(phase, time.monotonic() - started,
                                  None if objective is None else float(objective),
                                  None if bound is None else float(bound)))
