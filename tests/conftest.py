"""Hypothesis profiles and import path for the test suite.

Pick a profile with ``HYPOTHESIS_PROFILE``: ``dev`` (default, quick local runs), ``ci``
(derandomized, so a CI failure reproduces) or ``long`` (fuzzing sessions).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# Both `from tests.strategies import ...` and `import strategies` work.
_TESTS = Path(__file__).resolve().parent
for _path in (str(_TESTS.parent), str(_TESTS)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

_COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", _COMMON, max_examples=60)
settings.register_profile("ci", _COMMON, max_examples=40, derandomize=True)
settings.register_profile("long", _COMMON, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
