"""One min-cost flow solve that ends at a deadline, even in the middle.

OR-Tools' ``SimpleMinCostFlow.solve`` takes no time limit and cannot be interrupted: at
national scale one solve runs 5–20 s, so a ``--time-limit`` shorter than that overran by the
whole solve (measured: 17.7 s of wall clock for ``--time-limit 10`` at 100k, 6.8 s for 5 s on
the 20k round under priority). A solve that might outrun its deadline therefore runs in a
forked child process that is killed at the deadline; the flat arrays reach the child by the
fork itself (nothing is copied) and only the flows come back through a pipe.

Fork, not spawn: a spawned child would import OR-Tools (about a second) and receive the
arrays by pickle. A fork copies the parent's threads' locks in whatever state they are, so
only the solve runs in the child and it leaves by ``os._exit`` (multiprocessing's own exit).
Small networks, which solve in well under a second, are solved in this process: a fork per
solve would cost more than the overrun it saves (the couples search solves hundreds).
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.columns import IntArray
from matcher.errors import SolverError

#: Networks with fewer arcs solve in this process (measured: 0.2 s for 250,000 arcs).
STOPPABLE_ARCS = 250_000

Outcome = tuple[int, IntArray] | None  # (optimal cost, flows), or None when infeasible


class OutOfTime(Exception):
    """The deadline came before the solve ended; the solve was stopped."""


def min_cost_flow_solve(tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray,
                        supply: IntArray, deadline: float | None = None) -> Outcome:
    """The optimum of the network (``None`` when infeasible), stopped at ``deadline``
    (``time.monotonic()`` seconds) by :class:`OutOfTime` when the network has at least
    :data:`STOPPABLE_ARCS` arcs and this platform can fork."""
    arrays = (tails, heads, caps, costs, supply)
    if (deadline is None or len(tails) < STOPPABLE_ARCS
            or "fork" not in multiprocessing.get_all_start_methods()):
        return solve_here(*arrays)
    if time.monotonic() >= deadline:
        raise OutOfTime
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_solve_and_send, args=(sender, *arrays), daemon=True,
                            name="min-cost-flow")
    child.start()
    sender.close()  # the child holds its own copy: EOF reaches us if it dies
    try:
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            raise OutOfTime
        try:
            kind, value = receiver.recv()
        except EOFError:
            child.join()
            raise SolverError(f"the min-cost flow process ended without an answer "
                              f"(exit code {child.exitcode}; out of memory?)") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "error":
        raise SolverError(value)
    outcome: Outcome = value
    return outcome


def solve_here(tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray,
               supply: IntArray) -> Outcome:
    """The solve itself, in this process."""
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    nodes = np.flatnonzero(supply)
    if len(nodes):
        solver.set_nodes_supplies(nodes, supply[nodes])
    status = solver.solve()
    if status == solver.INFEASIBLE:
        return None
    if status != solver.OPTIMAL:
        raise SolverError(f"min-cost flow returned status {status}")
    flows: IntArray = solver.flows(np.arange(len(tails), dtype=np.int64))
    return int(solver.optimal_cost()), flows


def _solve_and_send(sender: Connection, tails: IntArray, heads: IntArray, caps: IntArray,
                    costs: IntArray, supply: IntArray) -> None:
    """Child side: solve and send ``("ok", outcome)``, or ``("error", message)``."""
    try:
        message: tuple[str, object] = ("ok", solve_here(tails, heads, caps, costs, supply))
    except SolverError as error:
        message = ("error", str(error))
    sender.send(message)
    sender.close()
