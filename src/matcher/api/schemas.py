"""Bodies of the service's own responses (problems and solutions are the library's models)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from matcher.api.store import JobStatus
from matcher.why import Explanation


class ErrorItem(BaseModel):
    """One problem with a request, in the same form as the library's input issues."""

    path: str = Field(description="where: a SPEC path into the problem (`candidates[3].id`), "
                      "`query.<name>` for a parameter, empty for the request as a whole")
    code: str = Field(description="stable slug a program can switch on")
    message: str = Field(description="what is wrong, for a person")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx body: all the problems found, not just the first."""

    errors: list[ErrorItem]


class Valid(BaseModel):
    valid: Literal[True] = True


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    workers: int = Field(description="job solver processes")
    running: int = Field(description="jobs running now")
    queued: int = Field(description="jobs waiting for a solver process")


class JobCreated(BaseModel):
    id: str
    status: JobStatus


class JobProgress(BaseModel):
    """The solver's last report: phase, best objective and proven bound of the current tier."""

    phase: str | None = Field(None, description="compile, an engine, engine:tier, done")
    objective: float | None = Field(None, description="best value found in the current tier")
    bound: float | None = Field(None, description="bound proven in the current tier")
    elapsed_s: float | None = Field(None, description="solver time at the last report")


class JobError(BaseModel):
    code: str = Field(description="interrupted | worker_died | solver_error | invalid_problem")
    message: str


class JobView(BaseModel):
    id: str
    status: JobStatus
    problem: str = Field(description="the problem's name")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_s: float | None = Field(None, description="wall time since the job started, "
                                    "until it finished")
    time_limit: float | None = None
    progress: JobProgress = Field(default_factory=JobProgress)
    error: JobError | None = None


class JobList(BaseModel):
    jobs: list[JobView] = Field(description="newest first")


class Explained(BaseModel):
    """Why a candidate is where they are: the explanation as data and as text."""

    explanation: Explanation
    text: str = Field(description="as `matcher explain --lang` prints it, for an office to "
                      "read out or paste")
