"""``POST /v1/solve``: solve within the request, for problems small enough to answer at once.

The solve runs in a pool process (never in the event loop) under a time limit capped by
``max_sync_time_limit``, so a request cannot hold a process for longer; bigger problems
belong in ``/v1/jobs``. Every status is a 200: an infeasible problem is an answer.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from matcher.api.body import ProblemDep
from matcher.api.deps import RunnerDep, SettingsDep
from matcher.api.errors import ApiError
from matcher.api.openapi import BODY_ERRORS, BUSY, PROBLEM_BODY, UNAUTHORIZED, error_doc
from matcher.api.routes.params import TimeLimit
from matcher.api.runner import BusyError
from matcher.api.worker import WorkerError
from matcher.solution import Solution

router = APIRouter(tags=["solve"])


@router.post("/solve", response_model=Solution, openapi_extra=PROBLEM_BODY,
             responses={**UNAUTHORIZED, **BODY_ERRORS, **BUSY,
                        500: error_doc("the solver failed (details in the server log)")})
async def solve(problem: ProblemDep, runner: RunnerDep, settings: SettingsDep,
                time_limit: TimeLimit = None) -> Response:
    """The solution (SPEC §7), whatever its status; ``infeasible`` names the conflict."""
    cap = settings.max_sync_time_limit
    limit = cap if time_limit is None else min(time_limit, cap)
    try:
        text = await runner.solve(problem.text, limit)
    except BusyError:
        raise ApiError.one(429, "busy", "too many solves are running or waiting; retry, or "
                           "submit a job to /v1/jobs", headers={"Retry-After": "1"}) from None
    except WorkerError as error:
        status = 422 if error.code == "invalid_problem" else 500
        raise ApiError.one(status, error.code, error.message) from None
    # Already JSON from the solver process: returned as is instead of re-validated.
    return Response(text, media_type="application/json")
