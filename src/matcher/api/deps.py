"""Named dependencies for the routes: settings, store, runner and the API-key check.

The objects live on ``app.state`` (set up by the app's lifespan), so each app built by
:func:`~matcher.api.main.create_app` — one per test — has its own.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from matcher.api.errors import ApiError
from matcher.api.runner import JobRunner
from matcher.api.settings import Settings
from matcher.api.store import Store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]

_bearer = HTTPBearer(auto_error=False, description="an API key, when the server has keys")


def key_matches(given: str, keys: list[str]) -> bool:
    """Compare against every key in constant time, so timing tells nothing about any key."""
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given.encode(), key.encode())
    return matched


def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    keys = settings.keys()
    if not keys:
        return
    if credentials is None or not key_matches(credentials.credentials, keys):
        raise ApiError.one(401, "unauthorized", "send a valid API key as "
                           "'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": "Bearer"})
