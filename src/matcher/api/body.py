"""The request body as a validated problem: size limit first, then the library's parser.

Routes take the raw body rather than a pydantic body parameter so that errors carry SPEC's
paths and codes (``candidates[3].wishes[0].post``, ``unknown_post``) exactly as ``matcher
validate`` prints them, cross-field checks included; the OpenAPI description still shows the
Problem model (see :mod:`matcher.api.openapi`).

Routes that take a problem *and* its solution (report, explain, the solution workbook) get
both from one object, ``{"problem": ..., "solution": ...}``; every error's path starts with
the part it is in (``problem.posts[2].capacity``, ``solution.assignments[0].post``), and a
solution naming candidates or posts the problem lacks is refused here, before any library
code trusts it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from matcher.api.deps import SettingsDep
from matcher.api.errors import ApiError
from matcher.api.settings import Settings
from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem
from matcher.solution import Solution
from matcher.validation import issues_from_pydantic, parse_problem

log = logging.getLogger("matcher.api")


@dataclass(frozen=True, slots=True)
class ProblemInput:
    problem: Problem
    text: str  # exactly what the client sent, for the solver process and the job table


def _too_large(limit: int) -> ApiError:
    return ApiError.one(413, "body_too_large", f"the request body exceeds {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes.

    ``Content-Length`` is checked before reading; the streamed size is counted too, because
    a chunked body has no length and a client may lie about it.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def body_text(request: Request, settings: Settings) -> str:
    """The body as UTF-8 text, within the size limit."""
    raw = await read_body(request, settings.max_body_bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError.one(422, "json_invalid",
                           f"the body is not UTF-8 (byte {error.start})") from None


async def problem_input(request: Request, settings: SettingsDep) -> ProblemInput:
    text = await body_text(request, settings)
    try:
        problem = await run_in_threadpool(checked_problem, text)
    except InvalidProblemError as error:
        raise ApiError.from_issues(error.issues) from None
    return ProblemInput(problem, text)


def checked_problem(raw: str | dict[str, Any]) -> Problem:
    """:func:`parse_problem`, where a validator bug falls back to the type errors alone: a bug
    must not turn bad input into a 500. Raises :class:`InvalidProblemError`."""
    try:
        return parse_problem(raw)
    except InvalidProblemError:
        raise
    except Exception:
        log.exception("parse_problem failed on a request body; reporting type errors only")
        issues = type_issues(raw)
        if not issues:
            raise
        raise InvalidProblemError(issues) from None


def type_issues(raw: str | dict[str, Any]) -> list[InputIssue]:
    """The field-type errors of ``raw`` alone, without the cross-field checks."""
    try:
        if isinstance(raw, dict):
            Problem.model_validate(raw, strict=True)
        else:
            Problem.model_validate_json(raw, strict=True)
    except ValidationError as error:
        return issues_from_pydantic(error)
    return []


ProblemDep = Annotated[ProblemInput, Depends(problem_input)]


# --- a problem and its solution -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundInput:
    problem: Problem
    solution: Solution


def json_object(text: str, keys: dict[str, bool]) -> dict[str, Any]:
    """``text`` as a JSON object whose keys are among ``keys`` (name: required); 422 with
    every stray or missing key otherwise."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ApiError.one(422, "json_invalid", f"not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError.one(422, "model_type", "the body must be a JSON object with "
                           + ", ".join(keys))
    issues = [InputIssue(key, "extra_forbidden", f"unknown field {key!r}")
              for key in data if key not in keys]
    issues += [InputIssue(key, "missing", f"required field {key!r} is missing")
               for key, required in keys.items() if required and key not in data]
    if issues:
        raise ApiError.from_issues(issues)
    return data


def within(prefix: str, issues: Iterable[InputIssue]) -> list[InputIssue]:
    """The issues of one part of the body, their paths under ``prefix``."""
    out = []
    for issue in issues:
        joiner = "" if not issue.path or issue.path.startswith("[") else "."
        out.append(InputIssue(prefix + joiner + issue.path, issue.code, issue.message))
    return out


def problem_part(data: dict[str, Any], key: str) -> tuple[Problem | None, list[InputIssue]]:
    """The problem at ``data[key]``, or the issues that keep it from being one."""
    raw = data[key]
    if not isinstance(raw, dict):
        return None, [InputIssue(key, "model_type", "a problem must be a JSON object")]
    try:
        return checked_problem(raw), []
    except InvalidProblemError as error:
        return None, within(key, error.issues)


def solution_issues(problem: Problem, solution: Solution) -> Iterator[InputIssue]:
    """Whatever makes ``solution`` not a solution of ``problem``: unknown or repeated
    candidates, unknown posts, candidates it leaves out. (Rule breaches are not checked:
    a report of a broken round is still a report; ``matcher verify`` judges those.)"""
    candidates = {c.id for c in problem.candidates}
    posts = {p.id for p in problem.posts}
    seen: dict[str, str] = {}
    entries: list[tuple[str, str, str | None]] = [
        (f"solution.assignments[{i}]", a.candidate, a.post)
        for i, a in enumerate(solution.assignments)]
    entries += [(f"solution.unassigned[{i}]", u.candidate, None)
                for i, u in enumerate(solution.unassigned)]
    for path, candidate, post in entries:
        if candidate not in candidates:
            yield InputIssue(f"{path}.candidate", "unknown_candidate",
                             f"candidate {candidate!r} is not in the problem")
        elif candidate in seen:
            yield InputIssue(f"{path}.candidate", "duplicate_candidate",
                             f"candidate {candidate!r} is listed twice (also at {seen[candidate]})")
        else:
            seen[candidate] = path
        if post is not None and post not in posts:
            yield InputIssue(f"{path}.post", "unknown_post",
                             f"post {post!r} is not in the problem")
    missing = [c.id for c in problem.candidates if c.id not in seen]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        yield InputIssue("solution", "missing_candidate",
                         f"{len(missing)} candidate(s) of the problem are neither assigned nor "
                         f"unassigned ({shown}); is it the solution of another problem?")


def parse_round(text: str) -> RoundInput:
    """``{"problem", "solution"}`` checked part by part; every issue at once."""
    data = json_object(text, {"problem": True, "solution": True})
    problem, issues = problem_part(data, "problem")
    solution = None
    try:
        solution = Solution.model_validate(data["solution"])
    except ValidationError as error:
        issues += within("solution", issues_from_pydantic(error))
    if problem is not None and solution is not None:
        issues += solution_issues(problem, solution)
    if issues or problem is None or solution is None:
        raise ApiError.from_issues(issues)
    return RoundInput(problem, solution)


async def round_input(request: Request, settings: SettingsDep) -> RoundInput:
    return await run_in_threadpool(parse_round, await body_text(request, settings))


RoundDep = Annotated[RoundInput, Depends(round_input)]
