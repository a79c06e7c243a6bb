"""``/v1/workbooks``: problems and solutions as Excel workbooks, as programme offices keep them.

Upload a filled-in workbook to get the SPEC problem (or every wrong cell, 422), or to solve it
at once; download a problem or a solved round as a workbook, or the empty template. The
workbooks are those of ``matcher convert``, ``matcher solve -o x.xlsx`` and ``matcher
template``: the same library functions write them.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from matcher.api.body import ProblemDep, RoundDep
from matcher.api.deps import RunnerDep, SettingsDep
from matcher.api.files import (
    WORKBOOK_BODY,
    XlsxResponse,
    file_stem,
    upload_problem,
    workbook,
    write_book,
    xlsx_ok,
)
from matcher.api.openapi import BODY_ERRORS, BUSY, PROBLEM_BODY, REF, UNAUTHORIZED, Responses
from matcher.api.routes.common import (
    ROUND_BODY,
    SOLVER_FAILED,
    Lang,
    LangQuery,
    in_pool,
)
from matcher.api.routes.params import TimeLimit
from matcher.api.worker import solve_request
from matcher.problem import Problem
from matcher.sheets import write_problem_xlsx, write_solution_xlsx, write_template
from matcher.solution import Solution

router = APIRouter(prefix="/workbooks", tags=["workbooks"])

UPLOAD_ERRORS: Responses = {**UNAUTHORIZED, **BODY_ERRORS}
UPLOAD_ERRORS[422] = {**UPLOAD_ERRORS[422], "description": "not a workbook, or a workbook "
                      "with mistakes: each error's path is its cell, `sheet!F12 (header)`"}


def _json_ok(model: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": REF.format(model=model)}}}}


@router.post("/read", response_class=Response, responses=UPLOAD_ERRORS, openapi_extra={
    **WORKBOOK_BODY, "responses": {"200": _json_ok("Problem", "the problem (SPEC §6)")}})
async def read(request: Request, settings: SettingsDep) -> Response:
    """The problem a workbook spells, as SPEC JSON (what `matcher convert x.xlsx -o x.json`
    writes: settings the workbook leaves empty stay unset); 422 listing every wrong cell."""
    problem = await upload_problem(request, settings)
    return Response(problem.model_dump_json(exclude_unset=True), media_type="application/json")


@router.post("/solve", response_class=Response,
             responses={**UPLOAD_ERRORS, **BUSY, **SOLVER_FAILED}, openapi_extra={
                 **WORKBOOK_BODY, "responses": {"200": {
                     "description": "the solution: a workbook (format=xlsx) or SPEC §7 JSON "
                     "(format=json)",
                     "content": {**xlsx_ok("")["content"],
                                 **_json_ok("Solution", "")["content"]}}}})
async def solve(request: Request, runner: RunnerDep, settings: SettingsDep,
                time_limit: TimeLimit = None,
                format: Annotated[Literal["xlsx", "json"], Query(
                    description="xlsx: the solution workbook `matcher solve -o x.xlsx` writes; "
                    "json: the solution file")] = "xlsx",
                lang: LangQuery = "zh") -> Response:
    """Read a workbook and solve it as `POST /v1/solve` would (same time cap)."""
    problem = await upload_problem(request, settings)
    cap = settings.max_sync_time_limit
    limit = cap if time_limit is None else min(time_limit, cap)
    text = await in_pool(runner, solve_request, problem.model_dump_json(), limit, 0,
                         settings.solver_threads)
    if format == "json":
        return Response(text, media_type="application/json")
    solution = Solution.model_validate_json(text)
    content = await run_in_threadpool(_solution_book, problem, solution, lang)
    return workbook(content, f"{file_stem(problem.name)}.solution.xlsx")


@router.post("/problem", response_class=Response,
             responses={**UNAUTHORIZED, **BODY_ERRORS},
             openapi_extra={**PROBLEM_BODY, "responses": {"200": xlsx_ok(
                 "the problem as a workbook an office can edit and upload again")}})
async def problem_workbook(problem: ProblemDep, lang: LangQuery = "zh") -> XlsxResponse:
    """A problem as a workbook (what `matcher convert x.json -o x.xlsx` writes)."""
    content = await run_in_threadpool(_problem_book, problem.problem, lang)
    return workbook(content, f"{file_stem(problem.problem.name)}.xlsx")


@router.post("/solution", response_class=Response,
             responses={**UNAUTHORIZED, **BODY_ERRORS},
             openapi_extra={**ROUND_BODY, "responses": {"200": xlsx_ok(
                 "the solved round as a workbook: summary, placements (a row per "
                 "candidate), post fill, quotas")}})
async def solution_workbook(body: RoundDep, lang: LangQuery = "zh") -> XlsxResponse:
    """A solution as the workbook `matcher solve -o x.xlsx` writes."""
    content = await run_in_threadpool(_solution_book, body.problem, body.solution, lang)
    return workbook(content, f"{file_stem(body.problem.name)}.solution.xlsx")


@router.get("/template", response_class=Response, responses={**UNAUTHORIZED},
            openapi_extra={"responses": {"200": xlsx_ok(
                "the empty workbook `matcher template` writes")}})
async def template(lang: LangQuery = "zh") -> XlsxResponse:
    """The empty problem workbook: header rows, drop-down lists, instructions."""
    return workbook(await run_in_threadpool(_template, lang), "template.xlsx")


def _problem_book(problem: Problem, lang: Lang) -> bytes:
    return write_book(lambda out: write_problem_xlsx(problem, out, lang), problem=problem)


def _solution_book(problem: Problem, solution: Solution, lang: Lang) -> bytes:
    return write_book(lambda out: write_solution_xlsx(problem, solution, out, lang),
                      problem=problem, solution=solution)


@functools.cache
def _template(lang: Lang) -> bytes:
    # write_template names the problem after the file, so it writes a file.
    with tempfile.TemporaryDirectory(prefix="matcher-template-") as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path, lang)
        return path.read_bytes()
