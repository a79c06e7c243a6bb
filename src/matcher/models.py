"""Programme models: a programme's standing rules, merged into each round's problem.

Why: the pairings, targets and objective weights of a programme (the western programme, the
cadre secondment, the student-leader programme) hold from one round to the next, while the
candidates, posts and per-round indicators change. Offices keep the former in a model file
under ``models/`` (the format of :class:`matcher.generate.ProgrammeModel`) and pass it with
``--model``; the round's file then carries only what is particular to the round.

Merging (:func:`apply_model`):

* the model's pairings and quotas are appended to the problem's; a rule id used by both is an
  error naming both places, because silently preferring one would change a rule unseen;
* a setting (``rules.couple_scope``, ``rules.respect_priority``, any ``objective`` field) the
  model gives applies only where the problem does not give it: the round decides last;
* the model's ``programmes`` list is documentation and is not copied.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matcher.errors import InputIssue, InvalidProblemError
from matcher.generate import ProgrammeModel
from matcher.problem import Problem
from matcher.validation import issues_from_pydantic, parse_problem

RULE_LISTS = ("pairings", "quotas")
RULE_SETTINGS = ("couple_scope", "respect_priority")

__all__ = ["ProgrammeModel", "apply_model", "read_model", "with_model"]


def read_model(path: Path) -> ProgrammeModel:
    """A programme model file, checked; errors are prefixed with the file name."""
    try:
        return ProgrammeModel.model_validate_json(path.read_bytes())
    except OSError as error:
        raise InvalidProblemError([InputIssue(str(path), "unreadable",
                                              f"cannot read model: {error.strerror}")]) from None
    except ValidationError as error:
        raise InvalidProblemError(
            InputIssue(f"{path}: {issue.path}", issue.code, issue.message)
            for issue in issues_from_pydantic(error)) from None


def apply_model(problem: dict[str, Any], model: ProgrammeModel | dict[str, Any]) -> dict[str, Any]:
    """``problem`` (a problem file's JSON object) with ``model``'s rules merged in.

    Returns a new object; raises :class:`InvalidProblemError` listing every rule id defined in
    both.
    """
    if not isinstance(model, ProgrammeModel):
        model = ProgrammeModel.model_validate(model)
    merged = copy.deepcopy(problem)
    rules = merged.setdefault("rules", {})
    if not isinstance(rules, dict):
        return merged  # not a problem at all: validation will say so
    model_rules = model.rules.model_dump(exclude_unset=True)
    _check_conflicts(rules, model.rules.model_dump(), model.name)
    for kind in RULE_LISTS:
        own = rules.get(kind, [])
        # The problem's rules first, so that paths in later error messages still point at them.
        rules[kind] = [*(own if isinstance(own, list) else []), *model.rules.model_dump()[kind]]
    for name in RULE_SETTINGS:
        if name in model_rules:
            rules.setdefault(name, model_rules[name])
    objective = merged.setdefault("objective", {})
    if isinstance(objective, dict):
        for name, value in model.objective.model_dump(exclude_unset=True).items():
            objective.setdefault(name, value)
    return merged


def _check_conflicts(rules: dict[str, Any], model_rules: dict[str, Any], model_name: str) -> None:
    defined = {rule["id"]: f"rules.{kind}[{i}]"
               for kind in RULE_LISTS for i, rule in enumerate(model_rules[kind])}
    issues = []
    for kind in RULE_LISTS:
        own = rules.get(kind, [])
        for i, rule in enumerate(own if isinstance(own, list) else []):
            rule_id = rule.get("id") if isinstance(rule, dict) else None
            if isinstance(rule_id, str) and rule_id in defined:
                issues.append(InputIssue(
                    f"rules.{kind}[{i}].id", "model_conflict",
                    f"rule id {rule_id!r} is defined both in the problem (rules.{kind}[{i}]) "
                    f"and in the programme model {model_name!r} ({defined[rule_id]}); "
                    "rename the problem's rule, or drop it or the model"))
    if issues:
        raise InvalidProblemError(issues)


def with_model(problem: Problem, model_path: Path | None) -> Problem:
    """``problem`` with the model at ``model_path`` merged in (unchanged when None)."""
    if model_path is None:
        return problem
    model = read_model(model_path)
    return parse_problem(apply_model(problem.model_dump(exclude_unset=True), model))
