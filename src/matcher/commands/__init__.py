"""Command modules of the ``matcher`` CLI beyond the core three (validate, solve, verify).

Each module here defines ``register(app: typer.Typer) -> None`` and is found by
:func:`register_all`, so that a workflow (spreadsheets, rounds, what-if, reports, the
service) adds its commands without editing a shared file. Modules import their heavy
dependencies inside the command functions, so ``matcher --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}").register(app)
