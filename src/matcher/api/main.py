"""The application factory: settings in, a FastAPI app with its store and runner out.

The store and the runner are made in the lifespan, not at import or in the factory, so that
building an app (for the OpenAPI schema, for tests) starts no processes and opens no database,
and so that shutdown stops the solver processes and puts their jobs back in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from matcher import __version__
from matcher.api.deps import require_api_key
from matcher.api.errors import install_error_handlers
from matcher.api.logs import RequestLogMiddleware
from matcher.api.openapi import build_openapi
from matcher.api.routes import compare, explain, health, jobs, report, solve, validate, workbooks
from matcher.api.runner import JobRunner
from matcher.api.settings import Settings
from matcher.api.store import Store

log = logging.getLogger("matcher.api")

DESCRIPTION = """Exact allocation of candidates to posts (western programme and sister
programmes) over HTTP. Bodies are SPEC problem and solution files. Quick answers from
`POST /v1/solve`; long solves as jobs under `/v1/jobs` that survive restarts. When the server
has API keys, every `/v1` route needs `Authorization: Bearer <key>`. Every error body is
`{"errors": [{"path", "code", "message"}]}`."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url())
    interrupted = store.recover()
    if interrupted:
        log.warning("%d job(s) were running when the server last stopped: marked failed "
                    "(interrupted)", interrupted)
    runner = JobRunner(store, settings)
    runner.start()
    app.state.store, app.state.runner = store, runner
    try:
        yield
    finally:
        runner.stop()
        store.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(title="matcher", version=__version__, description=DESCRIPTION,
                  lifespan=_lifespan)
    app.state.settings = settings or Settings()
    install_error_handlers(app)
    app.add_middleware(RequestLogMiddleware)
    app.include_router(health.router)
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)])
    for area in (validate, solve, jobs, workbooks, compare, explain, report):
        v1.include_router(area.router)
    app.include_router(v1)

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
    return app
