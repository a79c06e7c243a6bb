"""Supplementary rounds (补录): the next round's problem from this round's outcome.

Why a function rather than hand edits: between rounds an office must carry every confirmed
placement over as a lock, take out the candidates who withdrew (离岗、放弃) together with
every reference to them, and add late applicants and new posts. Done by hand on 20,000 rows
this is where seats get lost or double-booked; here each step is mechanical and the result is
validated like any problem.

What :func:`next_round` does, precisely:

* every placement of the solution whose candidate stays becomes a lock (existing locks stay);
* a withdrawn candidate leaves ``candidates``, and every lock and forbidden pair naming them
  goes, which frees their seat; their partner loses the ``partner`` link and is from then on
  placed alone (a couple rule with one member gone would bind nobody); selectors naming them
  by id are left as they are, since they now simply match no one;
* unplaced candidates stay in the pool: they are the first to compete for freed seats;
* new candidates and posts from the ``--add`` file join; an id already in use is an error.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field

from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.validation import parse_problem

ADD_KEYS = ("candidates", "posts")


def next_round(problem: Problem, solution: Solution, withdrawn: list[str],
               add: dict[str, Any] | None = None) -> Problem:
    """The problem of the next round (see the module docstring for every step)."""
    issues = _check_inputs(problem, solution, withdrawn, add or {})
    if issues:
        raise InvalidProblemError(issues)
    gone = set(withdrawn)
    data = problem.model_dump(exclude_unset=True)
    data["name"] = _next_name(problem.name)
    candidates = [c for c in data.get("candidates", []) if c["id"] not in gone]
    for candidate in candidates:
        if candidate.get("partner") in gone:
            del candidate["partner"]
    data["candidates"] = candidates
    locks = [lock for lock in data.get("locks", []) if lock["candidate"] not in gone]
    locked = {(lock["candidate"], lock["post"]) for lock in locks}
    for assignment in solution.assignments:
        pair = (assignment.candidate, assignment.post)
        if assignment.candidate not in gone and pair not in locked:
            locks.append({"candidate": pair[0], "post": pair[1]})
            locked.add(pair)
    data["locks"] = locks
    data["forbidden"] = [f for f in data.get("forbidden", []) if f["candidate"] not in gone]
    kept = {key: len(data.get(key, [])) for key in ADD_KEYS}
    for key in ADD_KEYS:
        data[key] = [*data.get(key, []), *copy.deepcopy((add or {}).get(key, []))]
    try:
        return parse_problem(data)
    except InvalidProblemError as error:
        raise InvalidProblemError([_in_add_file(issue, kept) for issue in error.issues]
                                  ) from None


_LISTED = re.compile(r"^(candidates|posts)\[(\d+)\](.*)$")


def _in_add_file(issue: InputIssue, kept: dict[str, int]) -> InputIssue:
    """An issue about a joining candidate or post, located in the ``--add`` file
    (``add.candidates[0].degree``) rather than in the merged list."""
    found = _LISTED.match(issue.path)
    if found is None or int(found[2]) < kept[found[1]]:
        return issue
    index = int(found[2]) - kept[found[1]]
    return replace(issue, path=f"add.{found[1]}[{index}]{found[3]}")


def _check_inputs(problem: Problem, solution: Solution, withdrawn: list[str],
                  add: dict[str, Any]) -> list[InputIssue]:
    issues = []
    known = {c.id for c in problem.candidates}
    listed = {a.candidate for a in solution.assignments} | {u.candidate
                                                            for u in solution.unassigned}
    if listed != known:
        issues.append(InputIssue("solution", "not_this_problem",
                                 "the solution does not list the same candidates as the problem"
                                 f" ({len(listed ^ known)} differ): is it another round's?"))
    unknown = [c for c in withdrawn if c not in known]
    if unknown:
        issues.append(InputIssue("withdrawn", "unknown_candidate",
                                 f"not candidates of the problem: {', '.join(unknown)}"))
    for key in add:
        if key not in ADD_KEYS:
            issues.append(InputIssue(f"add.{key}", "unknown_field",
                                     f"unknown field {key!r}; an --add file may give "
                                     "candidates and posts"))
    taken = {"candidates": known, "posts": {p.id for p in problem.posts}}
    for key in ADD_KEYS:
        items = add.get(key, [])
        if not isinstance(items, list):
            issues.append(InputIssue(f"add.{key}", "not_a_list", f"{key} must be a list"))
            continue
        for i, item in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            if item_id in taken[key]:
                issues.append(InputIssue(f"add.{key}[{i}].id", "duplicate_id",
                                         f"{item_id!r} is already in the problem's {key}"))
    return issues


def _next_name(name: str) -> str:
    """``sample`` → ``sample (round 2)`` → ``sample (round 3)``."""
    match = re.fullmatch(r"(.*) \(round (\d+)\)", name)
    if match:
        return f"{match[1]} (round {int(match[2]) + 1})"
    return f"{name} (round 2)"


# --- what changed -------------------------------------------------------------------------


class Placement(BaseModel):
    candidate: str
    post: str
    rank: int | None = None
    adjusted: bool = False


class RoundSummary(BaseModel):
    """Who a round placed, compared with the round before it."""

    newly_placed: list[Placement] = Field(
        default_factory=list, description="placed now, not placed (or not present) before")
    kept: int = Field(0, description="placed before and on the same post now")
    moved: list[Placement] = Field(
        default_factory=list, description="placed before on another post (locks prevent this)")
    lost: list[str] = Field(default_factory=list,
                            description="placed before, unplaced now (locks prevent this)")
    left: list[str] = Field(default_factory=list,
                            description="in the previous round only (withdrawn)")
    still_unplaced: int = Field(0, description="unplaced in both rounds")
    new_unplaced: list[str] = Field(
        default_factory=list, description="new candidates this round who were not placed")


def compare_rounds(prev_solution: Solution, next_solution: Solution) -> RoundSummary:
    """What the next round changed: who is newly placed, kept, moved, lost or left."""
    before = {a.candidate: a.post for a in prev_solution.assignments}
    prev_unplaced = {u.candidate for u in prev_solution.unassigned}
    now = {a.candidate: a for a in next_solution.assignments}
    summary = RoundSummary()
    for candidate, assignment in now.items():
        placed = Placement(candidate=candidate, post=assignment.post, rank=assignment.rank,
                           adjusted=assignment.adjusted)
        if candidate not in before:
            summary.newly_placed.append(placed)
        elif before[candidate] == assignment.post:
            summary.kept += 1
        else:
            summary.moved.append(placed)
    for unplaced in next_solution.unassigned:
        if unplaced.candidate in before:
            summary.lost.append(unplaced.candidate)
        elif unplaced.candidate in prev_unplaced:
            summary.still_unplaced += 1
        else:
            summary.new_unplaced.append(unplaced.candidate)
    present = set(now) | {u.candidate for u in next_solution.unassigned}
    summary.left = [c for c in [*before, *prev_unplaced] if c not in present]
    return summary


def summary_lines(summary: RoundSummary, limit: int = 20) -> list[str]:
    """The summary for a person: counts first, then who was newly placed where."""
    lines = [
        f"newly placed 新安置: {len(summary.newly_placed)}   kept 保留: {summary.kept}   "
        f"left 退出: {len(summary.left)}   still unplaced 仍未安置: {summary.still_unplaced}   "
        f"new and unplaced 新报名未安置: {len(summary.new_unplaced)}",
    ]
    if summary.moved or summary.lost:
        lines.append(f"WARNING: {len(summary.moved)} moved and {len(summary.lost)} lost "
                     "placements: earlier placements were not locked")
    for placement in summary.newly_placed[:limit]:
        how = "adjusted 调剂" if placement.adjusted else (
            f"wish {placement.rank}" if placement.rank is not None else "locked")
        lines.append(f"  {placement.candidate} → {placement.post} ({how})")
    if len(summary.newly_placed) > limit:
        lines.append(f"  … and {len(summary.newly_placed) - limit} more (--summary-json "
                     "lists all)")
    return lines
