"""Tests of the HTTP service (``matcher.api``)."""

import warnings

# Starlette's TestClient nudges towards a newer httpx; nothing to act on here.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
