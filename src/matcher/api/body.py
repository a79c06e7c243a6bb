"""The request body as a validated problem: size limit first, then the library's parser.

Routes take the raw body rather than a pydantic body parameter so that errors carry SPEC's
paths and codes (``candidates[3].wishes[0].post``, ``unknown_post``) exactly as ``matcher
validate`` prints them, cross-field checks included; the OpenAPI description still shows the
Problem model (see :mod:`matcher.api.openapi`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from matcher.api.deps import SettingsDep
from matcher.api.errors import ApiError
from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem
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


async def problem_input(request: Request, settings: SettingsDep) -> ProblemInput:
    raw = await read_body(request, settings.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError.one(422, "json_invalid",
                           f"the body is not UTF-8 (byte {error.start})") from None
    try:
        problem = await run_in_threadpool(parse_problem, text)
    except InvalidProblemError as error:
        raise ApiError.from_issues(error.issues) from None
    except Exception:
        # A validator bug must not turn bad input into a 500: fall back to the type errors.
        log.exception("parse_problem failed on a request body; reporting type errors only")
        issues = type_issues(text)
        if not issues:
            raise
        raise ApiError.from_issues(issues) from None
    return ProblemInput(problem, text)


def type_issues(text: str) -> list[InputIssue]:
    """The field-type errors of ``text`` alone, without the cross-field checks."""
    try:
        Problem.model_validate_json(text, strict=True)
    except ValidationError as error:
        return issues_from_pydantic(error)
    return []


ProblemDep = Annotated[ProblemInput, Depends(problem_input)]
