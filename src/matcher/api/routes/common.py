"""What the planner workflow routes share: the language parameter, the problem-and-solution
body, and running library work in the solver pool within the synchronous time cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Query

from matcher.api.errors import ApiError
from matcher.api.openapi import REF, Responses, error_doc
from matcher.api.runner import BusyError, JobRunner
from matcher.api.worker import WorkerError

Lang = Literal["zh", "en"]
LangQuery = Annotated[Lang, Query(description="zh (Chinese, the default) or en (English)")]

#: ``{"problem", "solution"}``: the body of the routes that look at a solved round.
ROUND_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a problem (SPEC §6) and its solution (SPEC §7), as `matcher solve` "
        "wrote it; errors are reported under `problem.` and `solution.`",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"problem": {"$ref": REF.format(model="Problem")},
                           "solution": {"$ref": REF.format(model="Solution")}},
            "required": ["problem", "solution"],
            "additionalProperties": False,
        }}},
    }
}

SOLVER_FAILED: Responses = {500: error_doc("the solver failed (details in the server log)")}


def share_of_cap(cap: float, solves: int, asked: float | None) -> float:
    """Seconds for each of ``solves`` solves run one after another in one request, so that
    together they stay within ``cap`` (the limit of ``POST /v1/solve``); never more than
    ``asked``."""
    share = cap / max(1, solves)
    return share if asked is None else min(asked, share)


async def in_pool(runner: JobRunner, task: Callable[..., str], *args: Any) -> str:
    """``task(*args)`` in the synchronous solver pool, its failures as API errors."""
    try:
        return await runner.call(task, *args)
    except BusyError:
        raise ApiError.one(429, "busy", "too many solves are running or waiting; retry later",
                           headers={"Retry-After": "1"}) from None
    except WorkerError as error:
        status = 422 if error.code == "invalid_problem" else 500
        raise ApiError.one(status, error.code, error.message) from None
