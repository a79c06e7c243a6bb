"""The solution file of SPEC §7 as pydantic models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    """The one status vocabulary every engine maps its own statuses onto."""

    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    unknown = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TierValues(_Model):
    """A value for each objective tier (achieved, or proven bound)."""

    coverage: int | None = Field(None, description="Σ weight of filled seats (maximised)")
    quotas: float | None = Field(None, description="Σ penalty × deviation of soft quotas")
    preferences: int | None = Field(None, description="Σ preference cost of assignments")


class Assignment(_Model):
    candidate: str
    post: str
    rank: int | None = Field(description="1-based wish rank; null when adjusted or unranked lock")
    adjusted: bool = Field(description="true exactly when the post has no rank and is not a lock")
    locked: bool = Field(description="true exactly for the pairs in the problem's locks")


class Reason(_Model):
    code: str = Field(
        description="not_eligible | no_eligible_post | wishes_taken | quota | couple | "
        "priority | infeasible | no_solution"
    )
    detail: str = ""


class Unassigned(_Model):
    candidate: str
    reasons: list[Reason] = Field(default_factory=list)


class QuotaReport(_Model):
    id: str
    count: int = Field(description="N: assignments matched by both selectors")
    base: int = Field(description="D: assignments matched by the share_base side")
    deviation: float = Field(description="Σ shortfall/excess over the bounds given")
    satisfied: bool


class SolverInfo(_Model):
    engine: str
    time_s: float
    workers: int | None = None
    seed: int | None = None
    note: str | None = None


class Solution(_Model):
    """A solution file (SPEC §7)."""

    schema_version: str = "1"
    problem: str
    status: Status
    objective: TierValues = Field(default_factory=TierValues)
    bound: TierValues = Field(default_factory=TierValues)
    assignments: list[Assignment] = Field(default_factory=list)
    unassigned: list[Unassigned] = Field(default_factory=list)
    quotas: list[QuotaReport] = Field(default_factory=list)
    conflict: list[str] | None = Field(
        None, description="for infeasible problems: rule ids that cannot hold together"
    )
    solver: SolverInfo
