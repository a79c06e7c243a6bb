"""Every error leaves the service as ``{"errors": [{path, code, message}]}``, never a traceback.

FastAPI's own handlers answer parameter errors with ``{"detail": ...}`` and unexpected
exceptions with a bare text 500; replacing them here keeps one error shape for clients (the
same records the library and the CLI print) and keeps internals in the log, not in bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.api.schemas import ErrorBody, ErrorItem
from matcher.errors import InputIssue, format_path

log = logging.getLogger("matcher.api")


class ApiError(StarletteHTTPException):
    """An HTTP error with matcher's error records as its body."""

    def __init__(self, status: int, items: Iterable[ErrorItem],
                 headers: Mapping[str, str] | None = None) -> None:
        self.items = list(items)
        detail = "; ".join(item.message for item in self.items)
        super().__init__(status, detail, dict(headers) if headers else None)

    @classmethod
    def one(cls, status: int, code: str, message: str, path: str = "",
            headers: Mapping[str, str] | None = None) -> ApiError:
        return cls(status, [ErrorItem(path=path, code=code, message=message)], headers)

    @classmethod
    def from_issues(cls, issues: Iterable[InputIssue]) -> ApiError:
        return cls(422, [ErrorItem(path=i.path, code=i.code, message=i.message) for i in issues])


def error_response(status: int, items: list[ErrorItem],
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(errors=items).model_dump()
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def _slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        items = exc.items
    else:
        items = [ErrorItem(path="", code=_slug(exc.status_code), message=str(exc.detail))]
    return error_response(exc.status_code, items, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = []
    for error in exc.errors():
        location: list[Any] = list(error.get("loc", ()))
        path = format_path(str(p) if not isinstance(p, int) else p for p in location)
        items.append(ErrorItem(path=path, code=str(error.get("type", "invalid")),
                               message=str(error.get("msg", "invalid value"))))
    return error_response(422, items)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, [ErrorItem(
        path="", code="internal_error",
        message="internal error; the server log has the details")])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
