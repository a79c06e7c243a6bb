"""``/v1/jobs``: solves that outlive the request, stored, queued and cancellable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from matcher.api.body import ProblemDep
from matcher.api.deps import RunnerDep, SettingsDep, StoreDep
from matcher.api.errors import ApiError
from matcher.api.openapi import (
    BODY_ERRORS,
    BUSY,
    NOT_FOUND,
    PROBLEM_BODY,
    UNAUTHORIZED,
    Responses,
    error_doc,
)
from matcher.api.routes.params import TimeLimit
from matcher.api.schemas import JobCreated, JobError, JobList, JobProgress, JobView
from matcher.api.store import Job, JobStatus, QueueFullError, Store, utc
from matcher.solution import Solution

router = APIRouter(prefix="/jobs", tags=["jobs"])

NOT_DONE: Responses = {409: error_doc("the job has no solution (yet): it is not done")}
FINISHED: Responses = {409: error_doc("the job has already finished")}


def view(job: Job) -> JobView:
    created = utc(job.created_at)
    started, finished = utc(job.started_at), utc(job.finished_at)
    elapsed = None
    if started is not None:
        elapsed = round(((finished or datetime.now(UTC)) - started).total_seconds(), 3)
    error = None
    if job.error_code is not None:
        error = JobError(code=job.error_code, message=job.error or "")
    return JobView(
        id=job.id, status=JobStatus(job.status), problem=job.name,
        created_at=created or datetime.now(UTC), started_at=started, finished_at=finished,
        elapsed_s=elapsed, time_limit=job.time_limit, error=error,
        progress=JobProgress(phase=job.phase, objective=job.objective, bound=job.bound,
                             elapsed_s=job.elapsed_s),
    )


def _find(store: Store, job_id: str, request: Request) -> Job:
    request.state.job_id = job_id
    job = store.get(job_id)
    if job is None:
        raise ApiError.one(404, "not_found", f"no job with id {job_id!r}", path="job_id")
    return job


@router.post("", status_code=202, response_model=JobCreated, openapi_extra=PROBLEM_BODY,
             responses={**UNAUTHORIZED, **BODY_ERRORS, **BUSY})
async def submit(problem: ProblemDep, request: Request, response: Response, store: StoreDep,
                 runner: RunnerDep, settings: SettingsDep,
                 time_limit: TimeLimit = None) -> JobCreated:
    """Queue a solve; poll ``GET /v1/jobs/{id}``, then fetch ``/solution``."""
    try:
        job = await run_in_threadpool(store.create, problem.text, problem.problem.name,
                                      time_limit, settings.max_queued_jobs)
    except QueueFullError:
        raise ApiError.one(429, "queue_full",
                           f"{settings.max_queued_jobs} jobs are already queued; retry later",
                           headers={"Retry-After": "10"}) from None
    runner.wake()
    request.state.job_id = job.id
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobCreated(id=job.id, status=JobStatus.queued)


@router.get("", response_model=JobList, responses={**UNAUTHORIZED})
def list_jobs(store: StoreDep, status: JobStatus | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JobList:
    """Jobs, newest first, optionally of one status."""
    return JobList(jobs=[view(job) for job in store.jobs(status, limit)])


@router.get("/{job_id}", response_model=JobView, responses={**UNAUTHORIZED, **NOT_FOUND})
def get_job(job_id: str, request: Request, store: StoreDep) -> JobView:
    """Status and progress (phase, best objective, bound, elapsed)."""
    return view(_find(store, job_id, request))


@router.get("/{job_id}/solution", response_model=Solution,
            responses={**UNAUTHORIZED, **NOT_FOUND, **NOT_DONE})
def get_solution(job_id: str, request: Request, store: StoreDep) -> Response:
    """The solution (SPEC §7) of a done job; 409 while it is queued or running, or if it
    failed or was cancelled."""
    job = _find(store, job_id, request)
    text = store.solution(job_id) if job.status == JobStatus.done else None
    if text is None:
        raise ApiError.one(409, "not_done", f"job {job_id} is {job.status}; a solution exists "
                           "only once it is done", path="job_id")
    return Response(text, media_type="application/json")


@router.delete("/{job_id}", response_model=JobView,
               responses={**UNAUTHORIZED, **NOT_FOUND, **FINISHED})
def cancel_job(job_id: str, request: Request, store: StoreDep, runner: RunnerDep) -> JobView:
    """Cancel a queued or running job (its solver process is stopped)."""
    job = _find(store, job_id, request)
    if not runner.cancel(job_id):
        current = store.get(job_id) or job
        raise ApiError.one(409, "finished", f"job {job_id} is already {current.status}",
                           path="job_id")
    return view(store.get(job_id) or job)
