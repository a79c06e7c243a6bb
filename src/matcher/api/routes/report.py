"""``POST /v1/report``: the round report as one self-contained HTML page (`matcher report`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from matcher.api.body import RoundDep
from matcher.api.files import disposition, file_stem
from matcher.api.openapi import BODY_ERRORS, UNAUTHORIZED
from matcher.api.routes.common import ROUND_BODY, LangQuery
from matcher.report import render_report

router = APIRouter(tags=["report"])

HTML_OK = {"200": {"description": "the report: headline figures, fill by province and "
                   "programme, wish ranks, minority share, quotas, unfilled posts, unplaced "
                   "candidates by reason; inline SVG charts, no scripts",
                   "content": {"text/html": {"schema": {"type": "string"}}}}}


@router.post("/report", response_class=Response, responses={**UNAUTHORIZED, **BODY_ERRORS},
             openapi_extra={**ROUND_BODY, "responses": HTML_OK})
async def report(body: RoundDep, lang: LangQuery = "zh",
                 max_rows: Annotated[int, Query(ge=1, le=100_000, description="rows shown per "
                                                "long table")] = 300) -> HTMLResponse:
    """The report of a solved round, in Chinese unless ``lang=en``; it opens offline and
    prints cleanly (Chinese needs a CJK font on the reading machine)."""
    page = await run_in_threadpool(render_report, body.problem, body.solution, lang,
                                   max_rows=max_rows)
    name = f"{file_stem(body.problem.name)}.report.html"
    return HTMLResponse(page, headers={"Content-Disposition": disposition(name, "inline")})
