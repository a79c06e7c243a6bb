"""Min-cost flow solves that end at a deadline, even in the middle, and side by side.

OR-Tools' ``SimpleMinCostFlow.solve`` takes no time limit and cannot be interrupted: at
national scale one solve runs 5–20 s, so a ``--time-limit`` shorter than that overran by the
whole solve (measured: 17.7 s of wall clock for ``--time-limit 10`` at 100k, 6.8 s for 5 s on
the 20k round under priority). A solve that might outrun its deadline therefore runs in a
forked child process that is killed at the deadline; the flat arrays reach the child by the
fork itself (nothing is copied) and only the flows come back through a pipe. The same
children let independent solves run side by side: the solve holds the GIL, so threads
cannot (two threads took 20.2 s where one after the other took 19.4 s at 100k).

Fork, not spawn: a spawned child would import OR-Tools (about a second) and receive the
arrays by pickle. A fork copies the parent's threads' locks in whatever state they are, so
only the solve runs in the child and it leaves by ``os._exit`` (multiprocessing's own exit).
Small networks, which solve in well under a second, are solved in this process: a fork per
solve would cost more than the overrun it saves (the couples search solves hundreds).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.columns import IntArray
from matcher.errors import SolverError

#: Networks with fewer arcs solve in this process (measured: 0.2 s for 250,000 arcs; a fork
#: and the flows' way back add 0.02 s at 84,000 arcs, 0.05 s at 400,000).
STOPPABLE_ARCS = 250_000
#: ... and so do larger ones while their deadline is further off than this many seconds per
#: arc: a fork per solve costs the couples search's hundreds of solves at 20k about 15%.
#: Measured: 1.9 µs per arc at 100k (4 s), 0.85 µs at 400,000 arcs; a priced network at 100k
#: took 3 times its plain solve, so this is 10 times the 100k rate.
SECONDS_PER_ARC_FAR = 20e-6

Outcome = tuple[int, IntArray] | None  # (optimal cost, flows), or None when infeasible
Network = tuple[IntArray, IntArray, IntArray, IntArray, IntArray]  # tails … supply


class OutOfTime(Exception):
    """The deadline came before the solve ended; the solve was stopped."""


def min_cost_flow_solve(tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray,
                        supply: IntArray, deadline: float | None = None) -> Outcome:
    """The optimum of the network (``None`` when infeasible), stopped at ``deadline``
    (``time.monotonic()`` seconds) by :class:`OutOfTime` when the network has at least
    :data:`STOPPABLE_ARCS` arcs, the deadline is near enough for the solve to reach it
    (:data:`SECONDS_PER_ARC_FAR`), and this platform can fork."""
    network = (tails, heads, caps, costs, supply)
    if (deadline is None or not _forks(network)
            or deadline - time.monotonic() > SECONDS_PER_ARC_FAR * len(tails)):
        return solve_here(*network)
    if time.monotonic() >= deadline:
        raise OutOfTime
    (outcome,) = _collected([_fork(network)], deadline)
    if isinstance(outcome, OutOfTime):
        raise outcome
    return outcome


def side_by_side(networks: Sequence[Network], deadline: float | None = None
                 ) -> list[Outcome | OutOfTime]:
    """Each network's optimum, solved at the same time in forked children when there are
    several large ones (else one after another here); an :class:`OutOfTime` in place of
    each that ``deadline`` stopped or left no time to start."""
    if len(networks) > 1 and all(_forks(network) for network in networks):
        if deadline is not None and time.monotonic() >= deadline:
            return [OutOfTime() for _ in networks]
        return _collected([_fork(network) for network in networks], deadline)
    outcomes: list[Outcome | OutOfTime] = []
    for network in networks:
        try:
            outcomes.append(min_cost_flow_solve(*network, deadline))
        except OutOfTime as stopped:
            outcomes.append(stopped)
    return outcomes


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


def _forks(network: Network) -> bool:
    """Whether ``network`` is large enough to solve in a child, and this process can start
    one (not a daemonic process, such as the API's job processes, which may not)."""
    return (len(network[0]) >= STOPPABLE_ARCS
            and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


@dataclass
class _Child:
    process: BaseProcess
    receiver: Connection


def _fork(network: Network) -> _Child:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_solve_and_send, args=(sender, *network), daemon=True,
                              name="min-cost-flow")
    process.start()
    sender.close()  # the child holds its own copy: EOF reaches us if it dies
    return _Child(process, receiver)


def _collected(children: list[_Child], deadline: float | None) -> list[Outcome | OutOfTime]:
    """Every child's outcome as it arrives; those still running at ``deadline`` are
    stopped. Every child is gone on return, whatever happens."""
    outcomes: list[Outcome | OutOfTime] = [OutOfTime() for _ in children]
    try:
        pending = {child.receiver: index for index, child in enumerate(children)}
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(list(pending), timeout)
            if not ready:
                break
            for receiver in ready:
                assert isinstance(receiver, Connection)
                index = pending.pop(receiver)
                outcomes[index] = _received(children[index])
    finally:
        for child in children:
            child.receiver.close()
            if child.process.is_alive():
                child.process.kill()
            child.process.join()
    return outcomes


def _received(child: _Child) -> Outcome:
    try:
        kind, value = child.receiver.recv()
    except EOFError:
        child.process.join()
        raise SolverError(f"the min-cost flow process ended without an answer "
                          f"(exit code {child.process.exitcode}; out of memory?)") from None
    if kind == "error":
        raise SolverError(value)
    outcome: Outcome = value
    return outcome


def _solve_and_send(sender: Connection, tails: IntArray, heads: IntArray, caps: IntArray,
                    costs: IntArray, supply: IntArray) -> None:
    """Child side: solve and send ``("ok", outcome)``, or ``("error", message)``."""
    try:
        message: tuple[str, object] = ("ok", solve_here(tails, heads, caps, costs, supply))
    except SolverError as error:
        message = ("error", str(error))
    sender.send(message)
    sender.close()
