"""``GET /healthz``: 200 while the process can take work (database answers, runner alive)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from matcher.api.deps import RunnerDep, SettingsDep, StoreDep
from matcher.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health,
            responses={503: {"model": Health, "description": "cannot take work now"}})
def healthz(response: Response, store: StoreDep, runner: RunnerDep,
            settings: SettingsDep) -> Health:
    counts = store.counts() if store.ping() else None
    ok = counts is not None and runner.alive()
    if not ok:
        response.status_code = 503
    counts = counts or {}
    return Health(status="ok" if ok else "unavailable", workers=settings.workers,
                  running=len(runner.running()), queued=counts.get("queued", 0))

