"""One JSON line per request (method, path, status, duration, job id), for log shippers.

A plain ASGI middleware rather than ``@app.middleware("http")``: it sees the status of every
response, streamed or not, and a request that ends in an exception is still logged (as 500).
Routes name the job they touched with ``request.state.job_id``; the middleware reads it from
the request's state dict after the route has run.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("matcher.api.access")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            record: dict[str, Any] = {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if state.get("job_id"):
                record["job_id"] = state["job_id"]
            access_log.info(json.dumps(record))


def configure_logging(level: int = logging.INFO) -> None:
    """Request lines as bare JSON on stderr; the service's other messages with a prefix."""
    access = logging.StreamHandler(sys.stderr)
    access.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(access)
    access_log.setLevel(level)
    access_log.propagate = False
    service = logging.getLogger("matcher.api")
    if not service.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        service.addHandler(handler)
    service.setLevel(level)
