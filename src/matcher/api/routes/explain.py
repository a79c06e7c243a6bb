"""``POST /v1/explain``: why a candidate is where they are, each claim checked by re-solving.

The re-solves run in the synchronous solver pool (never in the server) and share the cap of
``/v1/solve``: with a budget of ``n`` re-solves, each gets ``cap / n`` seconds at most, so one
request holds a pool process no longer than a solve would. A claim whose re-solve stops at
its limit is reported ``unproven``, not guessed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from matcher.api.body import RoundDep
from matcher.api.deps import RunnerDep, SettingsDep
from matcher.api.errors import ApiError
from matcher.api.openapi import BODY_ERRORS, BUSY, UNAUTHORIZED, Responses, error_doc
from matcher.api.routes.common import ROUND_BODY, SOLVER_FAILED, LangQuery, in_pool, share_of_cap
from matcher.api.routes.params import TimeLimit
from matcher.api.schemas import Explained
from matcher.api.worker import explain_request
from matcher.why import Explanation
from matcher.why_text import explanation_text

router = APIRouter(tags=["explain"])

UNKNOWN: Responses = {404: error_doc("no candidate with this id in the problem")}


@router.post("/explain", response_model=Explained, openapi_extra=ROUND_BODY,
             responses={**UNAUTHORIZED, **BODY_ERRORS, **UNKNOWN, **BUSY, **SOLVER_FAILED})
async def explain(
    body: RoundDep, runner: RunnerDep, settings: SettingsDep,
    candidate: Annotated[str, Query(min_length=1, description="the candidate's id")],
    lang: LangQuery = "zh",
    check: Annotated[bool, Query(description="re-solve to test each claim and look for "
                                 "remedies")] = True,
    prices: Annotated[bool, Query(description="price each hard quota bound by relaxing it "
                                  "by one")] = True,
    budget: Annotated[int, Query(ge=0, le=100, description="most re-solves; together they "
                                 "get the server's synchronous time cap")] = 40,
    time_limit: TimeLimit = None,
) -> Explained:
    """For each post the candidate ranked above their placement, what stood in the way; for
    an unplaced candidate, one-step changes that would place them; the price of each hard
    quota bound. As `matcher explain --json`, with the text `matcher explain` prints beside
    it (in Chinese unless ``lang=en``; the JSON is the same in both)."""
    if all(c.id != candidate for c in body.problem.candidates):
        raise ApiError.one(404, "not_found", f"no candidate {candidate!r} in the problem",
                           path="query.candidate")
    limit = share_of_cap(settings.max_sync_time_limit, budget, time_limit)
    result = await in_pool(runner, explain_request, body.problem, body.solution, candidate,
                           limit, budget, check, prices, settings.solver_threads)
    explanation = Explanation.model_validate_json(result)
    text = await run_in_threadpool(explanation_text, explanation, lang=lang,
                                   problem=body.problem, solution=body.solution)
    return Explained(explanation=explanation, text=text)
