"""Workbooks in and out of the service: an uploaded ``.xlsx`` as a problem, files as attachments.

An upload is accepted in the two forms clients send: the workbook itself as the body (any
content type but a form: what ``curl --data-binary @round.xlsx`` and most HTTP libraries send)
or a ``multipart/form-data`` form with the workbook in the field ``file`` (what a browser's
file input and ``curl -F file=@round.xlsx`` send). Either way the whole body is read under the
same size limit as every other body before anything parses it.

A workbook's errors leave as the usual records with the cell as the path
(``candidates!F12 (degree)``), all of them at once, exactly as ``matcher convert`` prints them.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncGenerator, Callable
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile

from matcher.api.body import read_body
from matcher.api.errors import ApiError
from matcher.api.settings import Settings
from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELD = "file"

_BINARY: dict[str, Any] = {"type": "string", "format": "binary"}

#: The request body of an upload route, for the OpenAPI description.
WORKBOOK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a problem workbook (.xlsx, as `matcher template` writes it): the file "
        "itself as the body, or a multipart form with the file in the field `file`",
        "content": {
            XLSX: {"schema": _BINARY},
            "multipart/form-data": {"schema": {
                "type": "object", "properties": {FIELD: _BINARY}, "required": [FIELD]}},
        },
    }
}


def xlsx_ok(description: str) -> dict[str, Any]:
    """The 200 response of a route answering with a workbook, for the OpenAPI description."""
    return {"description": description, "content": {XLSX: {"schema": _BINARY}}}


class XlsxResponse(Response):
    media_type = XLSX


async def read_upload(request: Request, settings: Settings) -> tuple[bytes, str | None]:
    """The uploaded file and its name (a form gives one; a bare body does not)."""
    raw = await read_body(request, settings.max_body_bytes)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return raw, None
    return await _from_form(request.headers, raw)


async def _from_form(headers: Headers, raw: bytes) -> tuple[bytes, str | None]:
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        form = await MultiPartParser(headers, body(), max_files=1, max_fields=16).parse()
    except MultiPartException as error:
        raise ApiError.one(422, "form_invalid", f"not a readable form: {error.message}",
                           path=FIELD) from None
    try:
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            given = "a text field" if upload is not None else "no such field"
            raise ApiError.one(422, "missing", f"send the workbook as a file in the form "
                               f"field {FIELD!r} ({given} given)", path=FIELD)
        return await upload.read(), upload.filename
    finally:
        await form.close()


async def upload_problem(request: Request, settings: Settings) -> Problem:
    """The problem in the uploaded workbook; 422 naming every wrong cell."""
    from matcher.sheets import load_workbook_problem

    content, filename = await read_upload(request, settings)
    name = PurePath(filename).stem if filename else None
    try:
        return await run_in_threadpool(load_workbook_problem, io.BytesIO(content), name or None)
    except InvalidProblemError as error:
        raise ApiError.from_issues(error.issues) from None


def file_stem(name: str, fallback: str = "problem") -> str:
    """A file name for a problem name: letters (any script), digits, ``.-_``; runs of
    anything else become one ``_``."""
    stem = re.sub(r"[^\w.-]+", "_", name).strip("._")[:100]
    return stem or fallback


def disposition(filename: str, kind: str = "attachment") -> str:
    """A ``Content-Disposition`` value: an ASCII ``filename`` every client understands, and
    the real one as ``filename*`` (RFC 6266) when it is not plain ASCII."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_")
    if not plain or plain.startswith("."):
        plain = "download" + PurePath(filename).suffix
    if plain == filename:
        return f'{kind}; filename="{plain}"'
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def write_book(write: Callable[[io.BytesIO], None], **parts: BaseModel) -> bytes:
    """The workbook ``write`` writes, in memory; 422 naming every text a workbook cannot
    hold (control characters), which a JSON problem may contain."""
    from openpyxl.utils.exceptions import IllegalCharacterError

    from matcher.sheets.write import unwritable_text

    buffer = io.BytesIO()
    try:
        write(buffer)
    except InvalidProblemError as error:  # the problem writer names them itself
        raise ApiError.from_issues(error.issues) from None
    except IllegalCharacterError:
        issues = [issue for key, part in parts.items()
                  for issue in unwritable_text(part.model_dump(mode="json"),
                                               [key] if len(parts) > 1 else [])]
        raise ApiError.from_issues(issues or [InputIssue(
            "", "unwritable_character", "the input holds a control character that a "
            "workbook cannot hold")]) from None
    return buffer.getvalue()


def workbook(content: bytes, filename: str) -> XlsxResponse:
    return XlsxResponse(content, headers={"Content-Disposition": disposition(filename)})
