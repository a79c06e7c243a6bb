"""Applying a what-if scenario's changes to a problem.

Each change is applied to the result of the previous one and checked as it goes, so that an
error points at the change that caused it (``changes[1].value``) rather than at some field of
the changed problem. Removing people or posts also removes what would dangle: wishes naming a
removed post, locks and forbidden pairs, a removed partner's link. What was done is recorded
in plain words (``notes``), because a planner should see that "Xinjiang +10%" meant 10 → 11
seats and not 10 → 10.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from matcher.columns import BoolArray, Interner, candidate_table, post_table
from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Candidate, Pair, Pairing, Post, Problem, Quota, Selector
from matcher.sheets import load_any
from matcher.validation import (
    as_fraction,
    check_problem,
    issues_from_pydantic,
    parse_problem,
)
from matcher.whatif import (
    ITEM_MODELS,
    SCALABLE,
    SELECTOR_FIELDS,
    AddCandidates,
    AddPairing,
    AddPosts,
    AddQuota,
    Change,
    ChangePairing,
    ChangeQuota,
    RemoveCandidates,
    RemovePairing,
    RemovePosts,
    RemoveQuota,
    ScaleField,
    Scenario,
    SetField,
)

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", Quota, Pairing)  # the rules a scenario adds, changes or removes by id


@dataclass
class Applied:
    """The changed problem and a line per change saying what it did."""

    problem: Problem
    notes: list[str]


@dataclass
class _State:
    candidates: list[Candidate]
    posts: list[Post]
    quotas: list[Quota]
    pairings: list[Pairing]
    locks: list[Pair]
    forbidden: list[Pair]
    notes: list[str] = field(default_factory=list)

    def items(self, target: str) -> list[Any]:
        return self.candidates if target == "candidates" else self.posts

    def rule_ids(self) -> set[str]:
        return {q.id for q in self.quotas} | {p.id for p in self.pairings}


def scenario_problem(scenario: Scenario, default_base: Problem | None = None) -> Applied:
    """Load the scenario's base (or take ``default_base``) and apply its changes."""
    if scenario.base is None:
        if default_base is None:
            raise InvalidProblemError([InputIssue("base", "missing", "the scenario names no "
                                                  "base problem and none was given")])
        base = default_base
    elif isinstance(scenario.base, dict):
        try:
            base = parse_problem(scenario.base)
        except InvalidProblemError as error:
            raise InvalidProblemError(
                InputIssue(f"base.{i.path}" if i.path else "base", i.code, i.message)
                for i in error.issues) from None
    else:
        try:
            base = load_any(Path(scenario.base))  # JSON, workbook or CSV folder
        except InvalidProblemError as error:
            raise InvalidProblemError(
                InputIssue("base", i.code, f"{scenario.base}: {i}") for i in error.issues
            ) from None
    return apply_scenario(base, scenario)


def apply_scenario(base: Problem, scenario: Scenario) -> Applied:
    """The problem ``scenario`` describes; raises :class:`InvalidProblemError` listing every
    change that cannot apply and, after that, every contract breach of the result."""
    state = _State(list(base.candidates), list(base.posts), list(base.rules.quotas),
                   list(base.rules.pairings), list(base.locks), list(base.forbidden))
    issues: list[InputIssue] = []
    for i, change in enumerate(scenario.changes):
        issues += _apply(state, change, f"changes[{i}]")
    if issues:
        raise InvalidProblemError(issues)
    rules = base.rules.model_copy(update={"quotas": state.quotas, "pairings": state.pairings})
    problem = base.model_copy(update={
        "name": scenario.name, "candidates": state.candidates, "posts": state.posts,
        "rules": rules, "locks": state.locks, "forbidden": state.forbidden,
    })
    try:
        check_problem(problem)
    except InvalidProblemError as error:
        raise InvalidProblemError(
            InputIssue(f"(result).{issue.path}", issue.code,
                       f"after the changes, {issue.message}")
            for issue in error.issues
        ) from None
    return Applied(problem, state.notes)


def _apply(state: _State, change: Change, path: str) -> list[InputIssue]:
    if isinstance(change, SetField | ScaleField):
        return _set_or_scale(state, change, path)
    if isinstance(change, AddQuota | ChangeQuota | RemoveQuota):
        return _quota(state, change, path)
    if isinstance(change, AddPairing | ChangePairing | RemovePairing):
        return _pairing(state, change, path)
    if isinstance(change, AddCandidates | AddPosts):
        return _add(state, change, path)
    return _remove(state, change, path)


def selector_issues(path: str, selector: Selector, target: str) -> list[InputIssue]:
    known = SELECTOR_FIELDS[target]
    return [InputIssue(f"{path}.{name}", "unknown_attribute",
                       f"unknown selector attribute {name!r} for {target}; known: "
                       f"{', '.join(sorted(known))}")
            for name in selector if name not in known]


def _match(state: _State, target: str, selector: Selector, path: str
           ) -> tuple[BoolArray | None, list[InputIssue]]:
    issues = selector_issues(f"{path}.where", selector, target)
    if issues:
        return None, issues
    if target == "candidates":
        mask = candidate_table(state.candidates, Interner()).match(selector)
    else:
        mask = post_table(state.posts, Interner()).match(selector)
    if not mask.any():
        return None, [InputIssue(f"{path}.where", "matches_nothing",
                                 f"the selector {selector} matches no {target}")]
    return mask, []


def _set_or_scale(state: _State, change: SetField | ScaleField, path: str
                  ) -> list[InputIssue]:
    model = ITEM_MODELS[change.target]
    if isinstance(change, ScaleField) and change.field not in SCALABLE[change.target]:
        return [InputIssue(f"{path}.field", "not_scalable",
                           f"{change.target} field {change.field!r} cannot be scaled; "
                           f"scalable: {', '.join(sorted(SCALABLE[change.target]))}")]
    if change.field == "id" or change.field not in model.model_fields:
        known = sorted(set(model.model_fields) - {"id"})
        return [InputIssue(f"{path}.field", "unknown_field",
                           f"{change.target} have no settable field {change.field!r}; "
                           f"known: {', '.join(known)}")]
    mask, issues = _match(state, change.target, change.where, path)
    if mask is None:
        return issues
    items = state.items(change.target)
    chosen = np.flatnonzero(mask).tolist()
    old = [getattr(items[i], change.field) for i in chosen]
    if isinstance(change, SetField):
        new = [change.value] * len(chosen)
        what = f"set {change.field} = {json.dumps(change.value, ensure_ascii=False)}"
    else:
        new = scaled(old, change.factor, change.rounding)
        what = f"scaled {change.field} by {change.factor:g} ({change.rounding})"
    for i, value in zip(chosen, new, strict=True):
        replaced, problem = _revalidate(items[i], {change.field: value}, f"{path}.value")
        if problem:
            return problem
        items[i] = replaced
    line = f"{path}: {what} on {len(chosen)} {change.target}"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in old + new):
        line += f" (total {_num(sum(old))} → {_num(sum(new))})"
    state.notes.append(line)
    return []


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def scaled(values: list[Any], factor: float, rounding: str) -> list[Any]:
    """``values`` times ``factor``; integers rounded as :class:`ScaleField` explains."""
    if not all(isinstance(v, int) for v in values):
        return [v * factor for v in values]
    exact = [as_fraction(factor) * v for v in values]
    if rounding == "up":
        return [math.ceil(x) for x in exact]
    if rounding == "down":
        return [math.floor(x) for x in exact]
    if rounding == "nearest":
        return [math.floor(x + Fraction(1, 2)) for x in exact]
    total = math.floor(sum(exact, Fraction(0)) + Fraction(1, 2))
    result = [math.floor(x) for x in exact]
    # Largest remainder first; equal remainders go to the item listed first.
    order = sorted(range(len(exact)), key=lambda k: (-(exact[k] - result[k]), k))
    for k in order[: total - sum(result)]:
        result[k] += 1
    return result


def _revalidate(item: M, update: dict[str, Any], path: str
                ) -> tuple[M, list[InputIssue]]:
    """``item`` with ``update`` applied, validated as the problem file would be."""
    data = item.model_dump(mode="json") | update
    try:
        return type(item).model_validate(data, strict=True), []
    except ValidationError as exc:
        first = issues_from_pydantic(exc)[0]
        return item, [InputIssue(path, first.code, f"{first.path}: {first.message}")]


def _quota(state: _State, change: AddQuota | ChangeQuota | RemoveQuota, path: str
           ) -> list[InputIssue]:
    if isinstance(change, AddQuota):
        quota = change.quota
        issues = (selector_issues(f"{path}.quota.candidates", quota.candidates, "candidates")
                  + selector_issues(f"{path}.quota.posts", quota.posts, "posts"))
        return _add_rule(state, state.quotas, quota, "quota", path, issues)
    fields = None if isinstance(change, RemoveQuota) else change.fields
    return _edit_rule(state, state.quotas, change.id, fields, "quota", path)


def _pairing(state: _State, change: AddPairing | ChangePairing | RemovePairing, path: str
             ) -> list[InputIssue]:
    if isinstance(change, AddPairing):
        pairing = change.pairing
        issues = selector_issues(f"{path}.pairing.destinations", pairing.destinations, "posts")
        return _add_rule(state, state.pairings, pairing, "pairing", path, issues)
    fields = None if isinstance(change, RemovePairing) else change.fields
    return _edit_rule(state, state.pairings, change.id, fields, "pairing", path)


def _add_rule(state: _State, rules: list[R], rule: R, kind: str, path: str,
              issues: list[InputIssue]) -> list[InputIssue]:
    """Append ``rule`` unless its selectors have ``issues`` or its id is taken (quotas and
    pairings share one id space, as conflicts name them by id)."""
    if rule.id in state.rule_ids():
        issues = [*issues, InputIssue(f"{path}.{kind}.id", "duplicate_id",
                                      f"a quota or pairing with id {rule.id!r} already exists")]
    if not issues:
        rules.append(rule)
        state.notes.append(f"{path}: added {kind} {rule.id}")
    return issues


def _edit_rule(state: _State, rules: list[R], rule_id: str, fields: dict[str, Any] | None,
               kind: str, path: str) -> list[InputIssue]:
    """Remove the rule ``rule_id`` (``fields`` None) or set ``fields`` on it."""
    where = next((k for k, rule in enumerate(rules) if rule.id == rule_id), None)
    if where is None:
        known = ", ".join(rule.id for rule in rules) or "none"
        return [InputIssue(f"{path}.id", "unknown_rule",
                           f"no {kind} {rule_id!r}; {kind}s: {known}")]
    if fields is None:
        del rules[where]
        state.notes.append(f"{path}: removed {kind} {rule_id}")
        return []
    return _change_rule(rules, where, fields, path, state.notes, kind)


def _change_rule(rules: list[M], where: int, fields: dict[str, Any], path: str,
                 notes: list[str], kind: str) -> list[InputIssue]:
    if "id" in fields:
        return [InputIssue(f"{path}.set.id", "id_change",
                           f"a {kind}'s id cannot change; remove it and add a new one")]
    rule = rules[where]
    data = rule.model_dump(mode="json") | fields
    try:
        changed = type(rule).model_validate(data, strict=True)
    except ValidationError as exc:
        return [InputIssue(f"{path}.set.{issue.path}", issue.code, issue.message)
                for issue in issues_from_pydantic(exc)]
    issues = []
    for name, target in (("candidates", "candidates"), ("posts", "posts"),
                         ("destinations", "posts")):
        if name in fields and isinstance(fields[name], dict):
            issues += selector_issues(f"{path}.set.{name}", fields[name], target)
    if issues:
        return issues
    rules[where] = changed
    shown = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())
    notes.append(f"{path}: changed {kind} {getattr(rule, 'id', '?')}: {shown}")
    return []


def _add(state: _State, change: AddCandidates | AddPosts, path: str) -> list[InputIssue]:
    target = "candidates" if isinstance(change, AddCandidates) else "posts"
    items: list[Any] = state.items(target)
    new: list[Any] = list(change.candidates if isinstance(change, AddCandidates)
                          else change.posts)
    taken = {item.id for item in items}
    issues = []
    for k, item in enumerate(new):
        if item.id in taken:
            issues.append(InputIssue(f"{path}.{target}[{k}].id", "duplicate_id",
                                     f"{target} already have id {item.id!r}"))
        taken.add(item.id)
    if not issues:
        items.extend(new)
        state.notes.append(f"{path}: added {len(new)} {target}")
    return issues


def _remove(state: _State, change: RemoveCandidates | RemovePosts, path: str
            ) -> list[InputIssue]:
    target = "candidates" if isinstance(change, RemoveCandidates) else "posts"
    mask, issues = _match(state, target, change.where, path)
    if mask is None:
        return issues
    items: list[Any] = state.items(target)
    gone = {item.id for item, out in zip(items, mask.tolist(), strict=True) if out}
    items[:] = [item for item in items if item.id not in gone]
    side = "candidate" if target == "candidates" else "post"
    state.locks = [pair for pair in state.locks if getattr(pair, side) not in gone]
    state.forbidden = [pair for pair in state.forbidden if getattr(pair, side) not in gone]
    extra = ""
    if target == "candidates":
        widowed = [k for k, c in enumerate(state.candidates) if c.partner in gone]
        for k in widowed:
            state.candidates[k] = state.candidates[k].model_copy(update={"partner": None})
        extra = f"; {len(widowed)} partner link(s) dropped" if widowed else ""
    else:
        dropped = 0
        for k, cand in enumerate(state.candidates):
            kept = [w for w in cand.wishes if w.post not in gone]
            if len(kept) != len(cand.wishes):
                dropped += len(cand.wishes) - len(kept)
                state.candidates[k] = cand.model_copy(update={"wishes": kept})
        extra = f"; {dropped} wish(es) naming them dropped" if dropped else ""
    state.notes.append(f"{path}: removed {len(gone)} {target}{extra}")
    return []
