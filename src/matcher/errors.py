"""Exceptions a caller of matcher can meet, and the error record they carry.

The tree::

    MatcherError                  root of everything matcher raises on purpose
    ├── InvalidProblemError        input breaks the contract (also a ValueError); carries records
    ├── EngineCapabilityError      the chosen engine cannot express a rule the problem uses
    └── SolverError                a solver returned something matcher cannot interpret

Infeasibility and time limits are *not* exceptions: they are ordinary outcomes reported in the
solution (``status: infeasible`` with a ``conflict``, ``status: unknown``), because a programme
office needs a solution file in every case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputIssue:
    """One problem found in an input file.

    ``path`` uses SPEC's form (``candidates[3].wishes[0].post``); ``code`` is a stable slug a
    program can switch on; ``message`` is written for a programme office.
    """

    path: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}

    def __str__(self) -> str:
        where = self.path or "(file)"
        return f"{where}: {self.message}"


class MatcherError(Exception):
    """Root of every error matcher raises on purpose."""


class InvalidProblemError(MatcherError, ValueError):
    """The input breaks the contract; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Iterable[InputIssue]) -> None:
        self.issues: list[InputIssue] = list(issues)
        count = len(self.issues)
        head = f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(head + "".join(f"\n  {issue}" for issue in self.issues))


class EngineCapabilityError(MatcherError):
    """The requested engine cannot express some rule of this problem exactly."""

    def __init__(self, engine: str, rules: Sequence[str]) -> None:
        self.engine = engine
        self.rules = list(rules)
        super().__init__(f"engine {engine!r} cannot express: {', '.join(self.rules)}")


class SolverError(MatcherError):
    """A solver answered in a way matcher cannot turn into a solution."""


def format_path(location: Iterable[str | int]) -> str:
    """Turn a location tuple ``("candidates", 3, "wishes", 0, "post")`` into SPEC's path form."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
