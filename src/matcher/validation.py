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

from pydantic import BaseModel, ValidationError

from matcher.errors import InputIssue, InvalidProblemError, format_path
from matcher.gc_pause import paused_gc
from matcher.problem import (
    CANDIDATE_SELECTOR_FIELDS,
    POST_SELECTOR_FIELDS,
    WISH_PATTERN_FIELDS,
    Candidate,
    Problem,
    Wish,
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
        with paused_gc():
            if isinstance(raw, dict):
                problem = Problem.model_validate(raw, strict=True)
            else:
                problem = Problem.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        issues = issues_from_pydantic(exc)
        decoded = raw if isinstance(raw, dict) else _decode(raw)
        if isinstance(decoded, dict):
            issues = _dedupe(issues + list(_cross_field_issues(decoded)))
        raise InvalidProblemError(issues) from None
    with paused_gc():
        check_problem(problem)
    return problem


def _decode(raw: str | bytes) -> Any:
    """Raw JSON for the cross-field checks after a type error (``None`` if not JSON)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def issues_from_pydantic(exc: ValidationError) -> list[InputIssue]:
    """Translate pydantic's error records into matcher's, keeping the paths."""
    issues = []
    for error in exc.errors(include_url=False):
        kind = error["type"]
        loc = [part for part in error["loc"] if not _is_union_tag(part)]
        if kind in ("extra_forbidden", "missing") and error["loc"]:
            # The last part names the field itself, whatever its name (a key "[" included).
            loc = [part for part in error["loc"][:-1] if not _is_union_tag(part)]
            loc.append(error["loc"][-1])
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


def _get(item: Any, name: str) -> Any:
    """A field of a model or of a raw JSON object (``None`` when absent or not an object).

    The cross-field checks run on validated models and, when field types are wrong, on the raw
    JSON too, so that a type error in one place does not hide a broken reference elsewhere.
    """
    if isinstance(item, dict):
        return item.get(name)
    if isinstance(item, BaseModel):
        return getattr(item, name, None)
    return None


def _items(item: Any, name: str) -> list[Any]:
    value = _get(item, name)
    return value if isinstance(value, list) else []


def _ids(items: list[Any]) -> list[str | None]:
    return [value if isinstance(value := _get(x, "id"), str) else None for x in items]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cross_field_issues(problem: Problem | dict[str, Any]) -> Iterator[InputIssue]:
    candidates, posts = _items(problem, "candidates"), _items(problem, "posts")
    rules = _get(problem, "rules")
    pairings, quotas = _items(rules, "pairings"), _items(rules, "quotas")
    cand_ids, post_ids = _ids(candidates), _ids(posts)
    yield from _duplicate_ids("candidates", cand_ids)
    yield from _duplicate_ids("posts", post_ids)
    rule_ids = [("rules.pairings", i, r) for i, r in enumerate(_ids(pairings))] + [
        ("rules.quotas", i, q) for i, q in enumerate(_ids(quotas))
    ]
    counts = Counter(rule_id for _, _, rule_id in rule_ids if rule_id is not None)
    for section, position, rule_id in rule_ids:
        if rule_id is not None and counts[rule_id] > 1:
            yield InputIssue(
                f"{section}[{position}].id", "duplicate_id",
                f"rule id {rule_id!r} is used by more than one pairing or quota",
            )

    known_posts = {p for p in post_ids if p is not None}
    partner_of = {c: _get(cand, "partner") for c, cand in zip(cand_ids, candidates, strict=True)}
    if not _wishes_fine(candidates, known_posts):
        for i, cand in enumerate(candidates):
            for k, wish in enumerate(_items(cand, "wishes")):
                yield from _wish_issues(f"candidates[{i}].wishes[{k}]", wish, known_posts)
    for i, cand in enumerate(candidates):
        partner, own = _get(cand, "partner"), cand_ids[i]
        if isinstance(partner, str) and own is not None:
            path = f"candidates[{i}].partner"
            if partner == own:
                yield InputIssue(path, "self_partner", "a candidate cannot be their own partner")
            elif partner not in partner_of:
                yield InputIssue(path, "unknown_candidate",
                                 f"partner {partner!r} is not in candidates")
            elif partner_of[partner] != own:
                yield InputIssue(
                    path, "partner_not_mutual",
                    f"partner {partner!r} does not name {own!r} as partner "
                    f"(it names {partner_of[partner]!r})",
                )
    for i, post in enumerate(posts):
        years = _items(post, "service_years")
        if any(year not in (1, 2, 3) for year in years):
            yield InputIssue(
                f"posts[{i}].service_years", "bad_service_years",
                f"service years must be among 1, 2, 3 (got {years})",
            )

    for i, pairing in enumerate(pairings):
        yield from _selector_issues(f"rules.pairings[{i}].destinations",
                                    _get(pairing, "destinations"), POST_SELECTOR_FIELDS)
    for i, quota in enumerate(quotas):
        yield from _quota_issues(f"rules.quotas[{i}]", quota)

    capacity = {pid: _get(p, "capacity") for pid, p in zip(post_ids, posts, strict=True)}
    yield from _pair_issues("locks", _items(problem, "locks"), partner_of, known_posts)
    yield from _pair_issues("forbidden", _items(problem, "forbidden"), partner_of, known_posts)
    yield from _lock_issues(_items(problem, "locks"), _items(problem, "forbidden"), capacity)


def _wishes_fine(candidates: list[Any], known_posts: set[str]) -> bool:
    """True when validated candidates' wishes certainly have no issue: each distinct wish is
    checked once (a national file has a million wishes and a few tens of thousands distinct
    ones); otherwise every wish is walked with its path."""
    if not all(isinstance(c, Candidate) for c in candidates):
        return False
    distinct = dict.fromkeys((w.post, w.province, w.prefecture, w.county, w.programme)
                             for c in candidates for w in c.wishes)
    for post, *pattern in distinct:
        given = any(value is not None for value in pattern)
        if given == (post is not None) or (post is not None and post not in known_posts):
            return False
    return True


def _wish_issues(path: str, wish: Any, known_posts: set[str]) -> Iterator[InputIssue]:
    """A wish names one existing post, or gives a non-empty pattern — not both, not neither."""
    if isinstance(wish, Wish):
        target, pattern = wish.post, [f for f in WISH_PATTERN_FIELDS
                                      if getattr(wish, f) is not None]
    elif isinstance(wish, dict):
        target = wish.get("post")
        pattern = [f for f in WISH_PATTERN_FIELDS if wish.get(f) is not None]
    else:
        return
    if target is not None and pattern:
        yield InputIssue(path, "wish_post_and_pattern",
                         "a wish names either one post or a pattern, not both "
                         f"(has post and {', '.join(pattern)})")
    elif target is None and not pattern:
        yield InputIssue(path, "empty_wish", "a wish must name a post or at least one of "
                                             "province, prefecture, county, programme")
    elif isinstance(target, str) and target not in known_posts:
        yield InputIssue(f"{path}.post", "unknown_post",
                         f"wish names post {target!r}, which is not in posts")


def _quota_issues(path: str, quota: Any) -> Iterator[InputIssue]:
    yield from _selector_issues(f"{path}.candidates", _get(quota, "candidates"),
                                CANDIDATE_SELECTOR_FIELDS)
    yield from _selector_issues(f"{path}.posts", _get(quota, "posts"), POST_SELECTOR_FIELDS)
    low, high = _get(quota, "min"), _get(quota, "max")
    if _number(low) and _number(high) and low > high:
        yield InputIssue(f"{path}.min", "min_above_max",
                         f"min {low} is greater than max {high}")
    low, high = _get(quota, "min_share"), _get(quota, "max_share")
    if _number(low) and _number(high) and as_fraction(low) > as_fraction(high):
        yield InputIssue(f"{path}.min_share", "min_above_max",
                         f"min_share {low} is greater than max_share {high}")


def _duplicate_ids(section: str, ids: list[str | None]) -> Iterator[InputIssue]:
    counts = Counter(i for i in ids if i is not None)
    for position, item in enumerate(ids):
        if item is not None and counts[item] > 1:
            yield InputIssue(f"{section}[{position}].id", "duplicate_id",
                             f"id {item!r} appears {counts[item]} times in {section}")


def _selector_issues(path: str, selector: Any, known: frozenset[str]) -> Iterator[InputIssue]:
    if not isinstance(selector, dict):
        return
    for attribute in selector:
        if attribute not in known:
            yield InputIssue(
                f"{path}.{attribute}", "unknown_attribute",
                f"unknown selector attribute {attribute!r}; known: {', '.join(sorted(known))}",
            )


def _pair_issues(section: str, pairs: list[Any], candidate_ids: Any,
                 post_ids: set[str]) -> Iterator[InputIssue]:
    seen: set[tuple[str, str]] = set()
    for i, pair in enumerate(pairs):
        cand, post = _get(pair, "candidate"), _get(pair, "post")
        if isinstance(cand, str) and cand not in candidate_ids:
            yield InputIssue(f"{section}[{i}].candidate", "unknown_candidate",
                             f"candidate {cand!r} is not in candidates")
        if isinstance(post, str) and post not in post_ids:
            yield InputIssue(f"{section}[{i}].post", "unknown_post",
                             f"post {post!r} is not in posts")
        if isinstance(cand, str) and isinstance(post, str):
            if (cand, post) in seen:
                yield InputIssue(f"{section}[{i}]", "duplicate_pair",
                                 f"pair {cand} → {post} is listed twice")
            seen.add((cand, post))


def _lock_issues(locks: list[Any], forbidden: list[Any],
                 capacity: dict[str | None, Any]) -> Iterator[InputIssue]:
    banned = {(c, p) for f in forbidden
              if isinstance(c := _get(f, "candidate"), str)
              and isinstance(p := _get(f, "post"), str)}
    first_lock: dict[str, str] = {}
    per_post: Counter[str] = Counter()
    for i, lock in enumerate(locks):
        cand, post = _get(lock, "candidate"), _get(lock, "post")
        if not (isinstance(cand, str) and isinstance(post, str)):
            continue
        if (cand, post) in banned:
            yield InputIssue(f"locks[{i}]", "lock_forbidden",
                             f"{cand} → {post} is both locked and forbidden")
        earlier = first_lock.setdefault(cand, post)
        if earlier != post:
            yield InputIssue(
                f"locks[{i}].candidate", "candidate_locked_twice",
                f"candidate {cand!r} is locked to both {earlier!r} and {post!r}",
            )
        per_post[post] += 1
        seats = capacity.get(post, 1) if post in capacity else None
        if isinstance(seats, int) and per_post[post] == seats + 1:
            yield InputIssue(
                f"locks[{i}].post", "lock_over_capacity",
                f"locks put more than capacity {seats} candidates on post {post!r}",
            )


def as_fraction(value: float | int) -> Fraction:
    """The exact rational a decimal in the file means: ``0.35`` is 35/100, not a binary float.

    ``repr`` of a float is the shortest decimal that reads back to it, which is what was
    written in the JSON file.
    """
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(value))
