"""``POST /v1/validate``: the contract check alone, with every error and its path."""

from __future__ import annotations

from fastapi import APIRouter

from matcher.api.body import ProblemDep
from matcher.api.openapi import BODY_ERRORS, PROBLEM_BODY, UNAUTHORIZED
from matcher.api.schemas import Valid

router = APIRouter(tags=["problems"])


@router.post("/validate", response_model=Valid, openapi_extra=PROBLEM_BODY,
             responses={**UNAUTHORIZED, **BODY_ERRORS})
async def validate(problem: ProblemDep) -> Valid:
    """200 when the body is a valid problem; 422 listing every error otherwise."""
    del problem  # parsing it was the whole job
    return Valid()
