"""What every engine returns, and the one place solver statuses become matcher's."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from matcher.columns import IntArray
from matcher.solution import Status

TierValue = int | Fraction


@dataclass
class EngineResult:
    """An engine's answer.

    ``assignment`` gives each candidate's post index, -1 when unplaced (``None`` when no
    solution was found). ``bound`` holds, per tier, what the engine proved; tiers it proved
    nothing about are absent.
    """

    status: Status
    assignment: IntArray | None
    bound: dict[str, TierValue] = field(default_factory=dict)
    conflict: list[str] | None = None
    engine: str = ""
    note: str | None = None
    # The longest single solve it made (the network engine), for callers deciding whether
    # another fits their time: a search over the total makes several.
    solve_seconds: float | None = None
