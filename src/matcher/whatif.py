"""What-if scenarios: a base problem plus a list of changes a planner wants to try.

A planner asks "what if Xinjiang gets 10% more seats, or the minority target rises to 60%?".
A scenario file states that question as data, so that it can be reviewed, versioned and run
again next year::

    {"name": "xinjiang_plus_10", "base": "../sample.json",
     "changes": [{"kind": "scale", "target": "posts", "where": {"province": "XJ"},
                  "field": "capacity", "factor": 1.1}]}

Changes apply in order, each to the result of the previous one, and select posts and
candidates with SPEC's selectors (so a planner learns one vocabulary). Every mistake is
reported at once with its JSON path in the scenario (``changes[2].where.provnce``), and the
changed problem is validated against the contract before anything is solved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import (
    CANDIDATE_SELECTOR_FIELDS,
    POST_SELECTOR_FIELDS,
    Candidate,
    Pairing,
    Post,
    Quota,
    Selector,
)
from matcher.validation import issues_from_pydantic

Target = Literal["posts", "candidates"]
Rounding = Literal["total", "nearest", "up", "down"]

#: Numeric fields a ``scale`` change may multiply. Integer fields are rounded as asked.
SCALABLE: dict[str, frozenset[str]] = {
    "posts": frozenset({"capacity", "weight", "hardship", "min_level"}),
    "candidates": frozenset({"score", "level"}),
}
SELECTOR_FIELDS: dict[str, frozenset[str]] = {
    "posts": POST_SELECTOR_FIELDS, "candidates": CANDIDATE_SELECTOR_FIELDS,
}
ITEM_MODELS: dict[str, type[Candidate] | type[Post]] = {"posts": Post, "candidates": Candidate}


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False,
                              populate_by_name=True)


class SetField(_Change):
    """Set one field to one value on every post or candidate the selector matches."""

    kind: Literal["set"]
    target: Target
    where: Selector = Field(default_factory=dict, description="SPEC selector; {} = all")
    field: str = Field(description="a field of the post or candidate (not id)")
    value: Any = Field(description="the new value, as it would appear in the problem file")


class ScaleField(_Change):
    """Multiply a numeric field on every matched post or candidate by ``factor``.

    Integer fields need rounding. ``total`` (the default) scales the *sum* over the matched
    items and hands the rounded extra out by largest remainder, so "+10% seats in Xinjiang"
    adds 10% of Xinjiang's seats even when every post has one seat (rounding each post's
    1.1 would add nothing). ``nearest``, ``up`` and ``down`` round each item on its own.
    """

    kind: Literal["scale"]
    target: Target
    where: Selector = Field(default_factory=dict, description="SPEC selector; {} = all")
    field: str = Field(description="capacity, weight, hardship, min_level; score, level")
    factor: float = Field(ge=0)
    rounding: Rounding = "total"


class AddQuota(_Change):
    kind: Literal["add_quota"]
    quota: Quota


class ChangeQuota(_Change):
    """Change some fields of an existing quota; ``null`` removes an optional bound."""

    kind: Literal["change_quota"]
    id: str
    fields: dict[str, Any] = Field(alias="set", description="field → new value")


class RemoveQuota(_Change):
    kind: Literal["remove_quota"]
    id: str


class AddPairing(_Change):
    kind: Literal["add_pairing"]
    pairing: Pairing


class ChangePairing(_Change):
    kind: Literal["change_pairing"]
    id: str
    fields: dict[str, Any] = Field(alias="set", description="field → new value")


class RemovePairing(_Change):
    kind: Literal["remove_pairing"]
    id: str


class AddCandidates(_Change):
    kind: Literal["add_candidates"]
    candidates: list[Candidate] = Field(min_length=1)


class RemoveCandidates(_Change):
    """Remove matched candidates; their partners become single and their locks go."""

    kind: Literal["remove_candidates"]
    where: Selector


class AddPosts(_Change):
    kind: Literal["add_posts"]
    posts: list[Post] = Field(min_length=1)


class RemovePosts(_Change):
    """Remove matched posts; wishes naming them, and their locks and forbidden pairs, go."""

    kind: Literal["remove_posts"]
    where: Selector


Change = Annotated[
    SetField | ScaleField | AddQuota | ChangeQuota | RemoveQuota | AddPairing | ChangePairing
    | RemovePairing | AddCandidates | RemoveCandidates | AddPosts | RemovePosts,
    Field(discriminator="kind"),
]
KINDS = ("set", "scale", "add_quota", "change_quota", "remove_quota", "add_pairing",
         "change_pairing", "remove_pairing", "add_candidates", "remove_candidates",
         "add_posts", "remove_posts")


class Scenario(BaseModel):
    """A what-if scenario: a name, a base problem, and changes applied in order."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1)
    description: str = ""
    base: str | dict[str, Any] | None = Field(
        None, description="a problem file path (relative to the scenario file) or an inline "
        "problem; omitted: the base given to `matcher compare`")
    changes: list[Change] = Field(default_factory=list)


_TAG_IN_PATH = re.compile(r"^(changes\[\d+\])\.(?:" + "|".join(KINDS) + r")(?=\.|$)")


def parse_scenario(raw: str | bytes | dict[str, Any]) -> Scenario:
    """Validate a scenario; raise :class:`InvalidProblemError` with every issue and its path."""
    try:
        if isinstance(raw, dict):
            return Scenario.model_validate(raw)
        return Scenario.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidProblemError(_scenario_issues(exc)) from None


def _scenario_issues(exc: ValidationError) -> list[InputIssue]:
    # pydantic puts the union member's tag in the location (changes.0.scale.factor); SPEC-style
    # paths leave it out, and a bad tag is reported on the `kind` field itself.
    issues = []
    for issue in issues_from_pydantic(exc):
        path = _TAG_IN_PATH.sub(r"\1", issue.path)
        message = issue.message
        if issue.code == "union_tag_invalid":
            path += ".kind"
            message = f"unknown change kind; known: {', '.join(KINDS)}"
        elif issue.code == "union_tag_not_found":
            path += ".kind"
            message = f"required field 'kind' is missing; one of: {', '.join(KINDS)}"
        issues.append(InputIssue(path, issue.code, message))
    return issues


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file; a relative ``base`` path is made relative to the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidProblemError(
            [InputIssue("", "unreadable", f"cannot read {path}: {exc.strerror}")]) from None
    scenario = parse_scenario(raw)
    if isinstance(scenario.base, str) and not Path(scenario.base).is_absolute():
        scenario = scenario.model_copy(update={"base": str(path.parent / scenario.base)})
    return scenario


def scenario_from_problem_file(path: Path) -> Scenario:
    """A problem file given where a scenario is expected: compared as it is, no changes."""
    return Scenario(name=path.stem, base=str(path))


def is_scenario(raw: bytes) -> bool:
    """Whether a JSON file is a scenario (has ``changes``) rather than a problem."""
    try:
        data = json.loads(raw)
    except ValueError:
        return True  # let the scenario parser report the JSON error
    return isinstance(data, dict) and ("changes" in data or "candidates" not in data)
