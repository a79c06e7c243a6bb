"""Naming the rules of an infeasible problem that cannot hold together.

The model is rebuilt with one enabling literal per rule and solved with all of them assumed
true; CP-SAT returns a sufficient subset of assumptions for infeasibility, which is then
shrunk by deletion (drop a rule, re-check) into a minimal set when time allows. Soft quotas
never appear: they cannot make a problem infeasible.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from matcher.compile import Compiled, EdgeSet
from matcher.engines.cpsat_model import build_model
from matcher.engines.cpsat_priority import Fans
from matcher.options import SolveOptions

_CHECK_SECONDS = 5.0


def find_conflict(compiled: Compiled, options: SolveOptions, deadline: float | None, *,
                  edges: EdgeSet | None = None, fans: Fans | None = None,
                  unproven: list[str] | None = None) -> list[str]:
    """A small set of rule ids that cannot hold together (minimal when time allows).

    ``edges`` and ``fans`` restrict the model as in :func:`build_model` (a reduced model:
    its conflict then explains why the *reduced* model has no solution). When even the set
    of all rules is not shown infeasible in time, the answer is every rule, or ``unproven``
    when given."""
    sat = build_model(compiled, conflict_mode=True, edges=edges, fans=fans)
    names = list(sat.rule_literals)
    literals = [sat.rule_literals[name] for name in names]

    def infeasible(subset: list[int]) -> tuple[bool, list[int]]:
        sat.model.clear_assumptions()
        sat.model.add_assumptions([literals[i] for i in subset])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = options.seed
        left = _CHECK_SECONDS if deadline is None else max(0.05, deadline - time.monotonic())
        solver.parameters.max_time_in_seconds = min(_CHECK_SECONDS, left)
        code = solver.solve(sat.model)
        if code != cp_model.INFEASIBLE:
            return False, subset
        core = solver.sufficient_assumptions_for_infeasibility()
        index = {literals[i].index: i for i in subset}
        return True, sorted(index[v] for v in core if v in index) or subset

    proven, core = infeasible(list(range(len(literals))))
    if not proven:
        return sorted(names) if unproven is None else unproven
    for i in list(core):
        if i not in core:
            continue
        if deadline is not None and time.monotonic() > deadline:
            break
        trial = [k for k in core if k != i]
        still, smaller = infeasible(trial)
        if still:
            core = smaller
    return sorted(names[i] for i in core)
