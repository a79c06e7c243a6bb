"""Query parameters shared by the solve and job routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

WEEK = 7 * 24 * 3600.0

TimeLimit = Annotated[float | None, Query(
    gt=0, le=WEEK, allow_inf_nan=False,
    description="seconds for the whole solve; without it the solve runs to proven optimality "
    "(for /v1/solve: capped by the server's synchronous limit)")]
