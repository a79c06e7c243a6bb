"""The HTTP service: ``matcher serve`` runs :func:`create_app` under uvicorn.

It lives here, in the installed package, rather than in a top-level ``api/`` directory: after
``pip install matcher[api]`` only ``src/matcher`` is importable, and the ``serve`` command must
find the app wherever the package is installed. There is no ``api/`` shim at the repository
root: a second import path for the same code would only let the two drift.

Modules, one job each: ``settings`` (configuration), ``store`` (the job table), ``runner`` and
``worker`` (solver processes), ``body`` (request body → problem), ``deps`` (dependencies and
API keys), ``errors`` (one error shape), ``logs`` (request log lines), ``openapi`` (schema),
``routes/`` (one router per area), ``main`` (the factory).
"""

from matcher.api.main import create_app
from matcher.api.settings import Settings

__all__ = ["Settings", "create_app"]
