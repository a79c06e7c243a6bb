"""Reading a problem file and checking everything the field types cannot.

:func:`load_problem` is the one boundary where input becomes a :class:`~matcher.problem.Problem`.
It reports every problem it finds at once, each with its JSON path in SPEC's form, so an office
can fix a file in one pass instead of one error per run.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matcher.errors import InputIssue, InvalidProblemError, format_path
from matcher.problem import (
    CANDIDATE_SELECTOR_FIELDS,
    POST_SELECTOR_FIELDS,
    Problem,
    Selector,
)


def load_problem(source: str | Path | bytes) -> Problem:
    """Read and validate a problem from a path or from JSON text/bytes.

    Raises :class:`InvalidProblemError` listing every problem found.
    """
    if isinstance(source, Path):
        try:
            raw: str | bytes = source.read_bytes()
        except OSError as exc:
            raise InvalidProblemError(
                [InputIssue("", "unreadable", f"cannot read {source}: {exc.strerror}")]
            ) from None
    else:
        raw = source
    return parse_problem(raw)


def parse_problem(raw: str | bytes | dict[str, Any]) -> Problem:
    """Validate JSON text or an already-decoded object against the contract."""
    try:
        if isinstance(raw, dict):
            problem = Problem.model_validate(raw, strict=True)
        else:
            problem = Problem.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise InvalidProblemError(issues_from_pydantic(exc)) from None
    check_problem(problem)
    return problem


def issues_from_pydantic(exc: ValidationError) -> list[InputIssue]:
    """Translate pydantic's error records into matcher's, keeping the paths."""
    issues = []
    for error in exc.errors(include_url=False):
        kind = error["type"]
        loc = [part for part in error["loc"] if not _is_union_tag(part)]
        path = format_path(loc)
        message = error["msg"]
        if kind == "json_invalid":
            message = f"not valid JSON: {error.get('ctx', {}).get('error', message)}"
        elif kind == "extra_forbidden":
            message = f"unknown field {loc[-1]!r} (SPEC forbids unknown fields)"
        elif kind == "missing":
            message = f"required field {loc[-1]!r} is missing"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        elif "input" in error and kind not in ("model_type", "dict_type"):
            message = f"{message} (got {_short(error['input'])})"
        issues.append(InputIssue(path, kind, message))
    return _dedupe(issues)


def _is_union_tag(part: str | int) -> bool:
    # pydantic names union members in locations ("list[...]", "str"); SPEC paths do not.
    return isinstance(part, str) and (
        part in {"str", "int", "bool", "float", "none"} or "[" in part
    )


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dedupe(issues: list[InputIssue]) -> list[InputIssue]:
    seen: dict[tuple[str, str], InputIssue] = {}
    for issue in issues:
        seen.setdefault((issue.path, issue.code), issue)
    return list(seen.values())


def check_problem(problem: Problem) -> None:
    """Raise :class:`InvalidProblemError` with every cross-field problem of ``problem``."""
    issues = list(_cross_field_issues(problem))
    if issues:
        raise InvalidProblemError(issues)


def _cross_field_issues(problem: Problem) -> Iterator[InputIssue]:
    yield from _duplicate_ids("candidates", [c.id for c in problem.candidates])
    yield from _duplicate_ids("posts", [p.id for p in problem.posts])
    rule_ids = [("rules.pairings", r.id) for r in problem.rules.pairings] + [
        ("rules.quotas", q.id) for q in problem.rules.quotas
    ]
    counts = Counter(rule_id for _, rule_id in rule_ids)
    index_in: Counter[str] = Counter()
    for section, rule_id in rule_ids:
        position = index_in[section]
        index_in[section] += 1
        if counts[rule_id] > 1:
            yield InputIssue(
                f"{section}[{position}].id", "duplicate_id",
                f"rule id {rule_id!r} is used by more than one pairing or quota",
            )

    post_ids = {p.id for p in problem.posts}
    by_id = {c.id: c for c in problem.candidates}
    for i, cand in enumerate(problem.candidates):
        for k, wish in enumerate(cand.wishes):
            if wish.post is not None and wish.post not in post_ids:
                yield InputIssue(
                    f"candidates[{i}].wishes[{k}].post", "unknown_post",
                    f"wish names post {wish.post!r}, which is not in posts",
                )
        if cand.partner is not None:
            path = f"candidates[{i}].partner"
            partner = by_id.get(cand.partner)
            if cand.partner == cand.id:
                yield InputIssue(path, "self_partner", "a candidate cannot be their own partner")
            elif partner is None:
                yield InputIssue(
                    path, "unknown_candidate",
                    f"partner {cand.partner!r} is not in candidates",
                )
            elif partner.partner != cand.id:
                yield InputIssue(
                    path, "partner_not_mutual",
                    f"partner {cand.partner!r} does not name {cand.id!r} as partner "
                    f"(it names {partner.partner!r})",
                )
    for i, post in enumerate(problem.posts):
        if any(year not in (1, 2, 3) for year in post.service_years):
            yield InputIssue(
                f"posts[{i}].service_years", "bad_service_years",
                f"service years must be among 1, 2, 3 (got {post.service_years})",
            )

    for i, pairing in enumerate(problem.rules.pairings):
        yield from _selector_issues(
            f"rules.pairings[{i}].destinations", pairing.destinations, POST_SELECTOR_FIELDS
        )
    for i, quota in enumerate(problem.rules.quotas):
        path = f"rules.quotas[{i}]"
        yield from _selector_issues(f"{path}.candidates", quota.candidates,
                                    CANDIDATE_SELECTOR_FIELDS)
        yield from _selector_issues(f"{path}.posts", quota.posts, POST_SELECTOR_FIELDS)
        if quota.min is not None and quota.max is not None and quota.min > quota.max:
            yield InputIssue(f"{path}.min", "min_above_max",
                             f"min {quota.min} is greater than max {quota.max}")
        if (
            quota.min_share is not None
            and quota.max_share is not None
            and as_fraction(quota.min_share) > as_fraction(quota.max_share)
        ):
            yield InputIssue(
                f"{path}.min_share", "min_above_max",
                f"min_share {quota.min_share} is greater than max_share {quota.max_share}",
            )

    yield from _pair_issues(problem, "locks", by_id.keys(), post_ids)
    yield from _pair_issues(problem, "forbidden", by_id.keys(), post_ids)
    yield from _lock_issues(problem)


def _duplicate_ids(section: str, ids: list[str]) -> Iterator[InputIssue]:
    counts = Counter(ids)
    for position, item in enumerate(ids):
        if counts[item] > 1:
            yield InputIssue(f"{section}[{position}].id", "duplicate_id",
                             f"id {item!r} appears {counts[item]} times in {section}")


def _selector_issues(path: str, selector: Selector, known: frozenset[str]) -> Iterator[InputIssue]:
    for attribute in selector:
        if attribute not in known:
            yield InputIssue(
                f"{path}.{attribute}", "unknown_attribute",
                f"unknown selector attribute {attribute!r}; known: {', '.join(sorted(known))}",
            )


def _pair_issues(
    problem: Problem, section: str, candidate_ids: Any, post_ids: set[str]
) -> Iterator[InputIssue]:
    pairs = problem.locks if section == "locks" else problem.forbidden
    seen: set[tuple[str, str]] = set()
    for i, pair in enumerate(pairs):
        if pair.candidate not in candidate_ids:
            yield InputIssue(f"{section}[{i}].candidate", "unknown_candidate",
                             f"candidate {pair.candidate!r} is not in candidates")
        if pair.post not in post_ids:
            yield InputIssue(f"{section}[{i}].post", "unknown_post",
                             f"post {pair.post!r} is not in posts")
        key = (pair.candidate, pair.post)
        if key in seen:
            yield InputIssue(f"{section}[{i}]", "duplicate_pair",
                             f"pair {pair.candidate} → {pair.post} is listed twice")
        seen.add(key)


def _lock_issues(problem: Problem) -> Iterator[InputIssue]:
    forbidden = {(f.candidate, f.post) for f in problem.forbidden}
    capacity = {p.id: p.capacity for p in problem.posts}
    first_lock: dict[str, str] = {}
    per_post: Counter[str] = Counter()
    for i, lock in enumerate(problem.locks):
        if (lock.candidate, lock.post) in forbidden:
            yield InputIssue(f"locks[{i}]", "lock_forbidden",
                             f"{lock.candidate} → {lock.post} is both locked and forbidden")
        earlier = first_lock.setdefault(lock.candidate, lock.post)
        if earlier != lock.post:
            yield InputIssue(
                f"locks[{i}].candidate", "candidate_locked_twice",
                f"candidate {lock.candidate!r} is locked to both {earlier!r} and {lock.post!r}",
            )
        per_post[lock.post] += 1
        if lock.post in capacity and per_post[lock.post] == capacity[lock.post] + 1:
            yield InputIssue(
                f"locks[{i}].post", "lock_over_capacity",
                f"locks put more than capacity {capacity[lock.post]} candidates on "
                f"post {lock.post!r}",
            )


def as_fraction(value: float | int) -> Fraction:
    """The exact rational a decimal in the file means: ``0.35`` is 35/100, not a binary float.

    ``repr`` of a float is the shortest decimal that reads back to it, which is what was
    written in the JSON file.
    """
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(value))
