"""Score-first priority (SPEC §4, no justified envy) in CP-SAT, in size linear in the pairs.

The direct statement compares every ranked pair with every lower-scoring holder of its post,
which is quadratic and does not fit a national round. Here each post gets a ladder of
*closed* literals, one per distinct score among the candidates who rank it:

* ``closed[p, s]`` means "``p`` is full and no unlocked holder of ``p`` scores below ``s``";
  the ladder is monotone (closed to a score implies closed to every lower one);
* the lowest rung implies ``p`` is full;
* an unlocked holder scoring ``h`` opens every rung above ``h`` (one clause: the lowest such);
* a candidate ``j`` who ranks ``p`` at rank ``r`` and may hold it either holds a post of rank
  ``≤ r`` or finds ``p`` closed to ``j``'s score.

Exactness: given an envy-free assignment, set each rung to its meaning and every clause
holds; conversely a closed rung at ``j``'s score forbids, through the ladder, every holder
scoring below ``j``, and forces ``p`` full. Ties are not envy, so rungs are distinct scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled
from matcher.engines.serial import ranked_options

PRIORITY_RULE = "respect_priority"


@dataclass(frozen=True)
class Fans:
    """The (candidate, post, rank) triples that carry an envy clause: ranked, eligible,
    candidate not locked (or lockable off, in conflict analysis)."""

    cand: IntArray
    post: IntArray
    rank: IntArray

    @classmethod
    def of(cls, cand: IntArray, post: IntArray, rank: IntArray, mask: BoolArray) -> Fans:
        return cls(cand[mask], post[mask], rank[mask])


def all_fans(compiled: Compiled) -> Fans:
    """Every pair that carries a priority constraint, whether or not it is in the model."""
    return Fans(*ranked_options(compiled))


def score_levels(compiled: Compiled) -> IntArray:
    """Each candidate's score as a dense rank (equal scores, equal levels)."""
    levels: IntArray = np.unique(compiled.score, return_inverse=True)[1].astype(np.int64)
    return levels


def add_priority_ladders(
    model: cp_model.CpModel,
    compiled: Compiled,
    *,
    x: list[cp_model.IntVar],
    cand: IntArray,
    post: IntArray,
    rank: IntArray,
    holder: list[cp_model.LiteralT | None],
    fans: Fans,
    guards_of: dict[int, list[cp_model.LiteralT]],
) -> int:
    """Add the ladders for the pairs ``x`` (over ``cand``/``post``/``rank``) and return how
    many envy clauses were written.

    ``holder[e]`` is the literal "pair ``e`` is held by an unlocked candidate" (``None`` for
    a pair whose holder is always locked); ``guards_of[j]`` are enforcement literals for
    ``j``'s envy clauses (conflict analysis), absent when always enforced. ``fans`` may hold
    pairs that are not among ``x`` (a reduced model): their clauses still bind.
    """
    if len(fans.cand) == 0:
        return 0
    level = score_levels(compiled)
    capacity = compiled.capacity

    # Prefix literals: pre[j, r] = j holds a ranked post of rank ≤ r (at most one post each).
    ranked = np.flatnonzero(rank > 0)
    by_cand_rank = ranked[np.lexsort((rank[ranked], cand[ranked]))]
    prefix: dict[tuple[int, int], cp_model.LiteralT] = {}
    wanted_ranks: dict[int, set[int]] = {}
    for c, r in zip(fans.cand.tolist(), fans.rank.tolist(), strict=True):
        wanted_ranks.setdefault(c, set()).add(r)
    bounds = np.flatnonzero(np.diff(cand[by_cand_rank], prepend=-1, append=-1))
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        c = int(cand[by_cand_rank[start]])
        terms: list[cp_model.IntVar] = []
        pos = start
        for r in sorted(wanted_ranks.get(c, ())):
            while pos < stop and rank[by_cand_rank[pos]] <= r:
                terms.append(x[int(by_cand_rank[pos])])
                pos += 1
            if len(terms) == 1:
                prefix[c, r] = terms[0]
            elif terms:
                pre = model.new_bool_var(f"ranked_at_most[{c},{r}]")
                model.add(pre == cp_model.LinearExpr.sum(terms))
                prefix[c, r] = pre

    # Ladders: one rung per distinct fan score level of each post.
    rung_keys = np.unique(fans.post * (int(level.max()) + 2) + level[fans.cand])
    stride = int(level.max()) + 2
    rung_post, rung_level = rung_keys // stride, rung_keys % stride
    rungs = [model.new_bool_var(f"closed[{int(p)},{int(lv)}]")
             for p, lv in zip(rung_post.tolist(), rung_level.tolist(), strict=True)]
    first = np.searchsorted(rung_post, np.arange(compiled.m))
    last = np.searchsorted(rung_post, np.arange(compiled.m), side="right")
    by_post: dict[int, list[int]] = {}
    for e, p in enumerate(post.tolist()):
        by_post.setdefault(p, []).append(e)
    for p in np.unique(rung_post).tolist():
        lo, hi = int(first[p]), int(last[p])
        for k in range(lo + 1, hi):
            model.add_implication(rungs[k], rungs[k - 1])
        cap = int(capacity[p])
        held = by_post.get(p, [])
        if cap > 0:
            model.add(cp_model.LinearExpr.sum([x[e] for e in held]) >= cap).only_enforce_if(
                rungs[lo])
        for e in held:
            lit = holder[e]
            if lit is None:
                continue
            above = lo + int(np.searchsorted(rung_level[lo:hi], level[cand[e]], side="right"))
            if above < hi:
                model.add_bool_or([_negate(lit), rungs[above].negated()])

    # Envy clauses.
    rung_of = np.searchsorted(rung_keys, fans.post * stride + level[fans.cand])
    for j, r, k in zip(fans.cand.tolist(), fans.rank.tolist(), rung_of.tolist(), strict=True):
        literals: list[cp_model.LiteralT] = [rungs[k]]
        held_better = prefix.get((j, r))
        if held_better is not None:
            literals.append(held_better)
        clause = model.add_bool_or(literals)
        guards = guards_of.get(j)
        if guards:
            clause.only_enforce_if(guards)
    return len(fans.cand)


def _negate(lit: cp_model.LiteralT) -> cp_model.LiteralT:
    negated: cp_model.LiteralT = lit.negated()  # type: ignore[union-attr]
    return negated
